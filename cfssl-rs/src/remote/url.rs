//! A remote's address as cfssl 1.6.5 reads it: Go's `url.Parse` ([`gourl`]), then
//! cfssl's `normalizeURL` (a bare `host` gets port 8888, `host:port` becomes
//! `http://host:port`, any scheme but `https` becomes `http`).
//!
//! The outcome is part of the interface: which addresses work (`127.0.0.1:8888` without
//! a scheme does not, it is not a Go URL) and the exact texts of the failures
//! (`first path segment in URL cannot contain colon`, `net.SplitHostPort`'s and
//! `strconv.Atoi`'s).

use crate::gourl;

/// The base URL requests go to (`<base>/api/v1/cfssl/<endpoint>`), or Go's error text.
pub fn normalize(addr: &str) -> Result<String, String> {
    let mut u = gourl::parse(addr.trim())?;
    if !u.opaque.is_empty() {
        u.host = gourl::join_host_port(&u.scheme, &u.opaque);
        u.opaque.clear();
    } else if !u.path.is_empty() && !u.path.contains(':') {
        u.host = gourl::join_host_port(&u.path, "8888");
        u.path.clear();
    } else if u.scheme.is_empty() {
        u.host = std::mem::take(&mut u.path);
    }
    if u.scheme != "https" {
        u.scheme = "http".into();
    }
    let port = match gourl::split_host_port(&u.host) {
        Ok((_, port)) => port,
        Err(_) => gourl::split_host_port(&format!("{}:8888", u.host))?.1,
    };
    if !port.is_empty() && port.parse::<i64>().is_err() {
        return Err(format!(
            "strconv.Atoi: parsing {}: {}",
            crate::gojson::go_quote(&port),
            if port.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            }
        ));
    }
    Ok(u.to_string())
}

/// Whether a bare `IP:port` remote is read as `http://IP:port` (cfssl#1178). Opt-in
/// through `CFSSL_REMOTE_BARE_IP=1`, read once: the golden corpus pins cfssl 1.6.5's
/// refusal, and an environment variable keeps cfssl's flag set and usage text exact.
pub fn bare_ip_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("CFSSL_REMOTE_BARE_IP").is_some_and(|v| v == "1"))
}

/// The base URL for a bare `IP:port` (`10.0.0.1:8888`, `[::1]:8888`), which Go's parser
/// refuses (cfssl#1178): `http://IP:port`. `None` for anything else.
pub fn bare_ip(addr: &str) -> Option<String> {
    let addr = addr.trim();
    // `[fe80::1%eth0]:1` parses as a socket address, but a zone is not written so in a URL.
    if addr.contains('%') {
        return None;
    }
    let ip: std::net::SocketAddr = addr.parse().ok()?;
    Some(format!("http://{ip}"))
}

#[cfg(test)]
mod tests {
    use super::{bare_ip, normalize};

    #[test]
    fn accepts_what_cfssl_accepts() {
        let ok = |a: &str| normalize(a).unwrap();
        assert_eq!(ok("http://127.0.0.1:8888"), "http://127.0.0.1:8888");
        assert_eq!(ok(" https://ca.example:443 "), "https://ca.example:443");
        assert_eq!(ok("localhost:9000"), "http://localhost:9000");
        assert_eq!(ok("ca.example"), "http://ca.example:8888");
        assert_eq!(ok("ftp://h:1"), "http://h:1");
        // cfssl only checks that a port could be added; it does not add it.
        assert_eq!(ok("http://ca.example"), "http://ca.example");
        assert_eq!(ok("http://[::1]:8888"), "http://[::1]:8888");
    }

    /// What cfssl 1.6.5 (Go 1.27) posts to for addresses at the edges of Go's parser
    /// (read from its `failed POST to <URL>/api/v1/cfssl/info` errors).
    #[test]
    fn edge_addresses_become_what_cfssl_posts_to() {
        let ok = |a: &str| normalize(a).unwrap();
        // An empty host after `scheme:/` is omitted (Go's URL.OmitHost).
        assert_eq!(ok("http:/x:1"), "http:/x:1");
        // cfssl's rule: a path without a colon becomes the host.
        assert_eq!(ok("http:/x"), "http://%2Fx:8888");
        assert_eq!(ok("http://h/a b"), "http://%2Fa%20b:8888");
        assert_eq!(ok("http://h:1/a%41"), "http://%2FaA:8888");
        assert_eq!(ok("http://h:1/p#f%41"), "http://%2Fp:8888#f%41");
        assert_eq!(ok("http://127.0.0.1:1#frag"), "http://127.0.0.1:1#frag");
        assert_eq!(ok("http://u@h:1"), "http://u@h:1");
        assert_eq!(ok("http://h:1?"), "http://h:1?");
        assert_eq!(ok("http://h:1?q=1"), "http://h:1?q=1");
        // An IPv6 zone may hold escapes a host may not.
        assert_eq!(
            ok("http://[fe80::1%25e%20th0]:1"),
            "http://[fe80::1%25e%20th0]:1"
        );
    }

    #[test]
    fn bare_ip_addresses_get_http() {
        assert_eq!(
            bare_ip("10.0.0.1:8888").as_deref(),
            Some("http://10.0.0.1:8888")
        );
        assert_eq!(bare_ip(" [::1]:9 ").as_deref(), Some("http://[::1]:9"));
        for not in [
            "10.0.0.1",
            "10.0.0.1:",
            "10.0.0.1:99999",
            "10.0.0.1:80/path",
            "ca.example:80",
            "http://10.0.0.1:80",
            "[fe80::1%25eth0]:80",
            "::1:80",
        ] {
            assert_eq!(bare_ip(not), None, "{not}");
        }
    }

    #[test]
    fn rejects_with_go_texts() {
        let err = |a: &str| normalize(a).unwrap_err();
        assert_eq!(
            err("127.0.0.1:8888"),
            r#"parse "127.0.0.1:8888": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            err("http://bad host:1"),
            r#"parse "http://bad host:1": invalid character " " in host name"#
        );
        assert_eq!(
            err("http://h:x1"),
            r#"parse "http://h:x1": invalid port ":x1" after host"#
        );
        assert_eq!(err(":8888"), r#"parse ":8888": missing protocol scheme"#);
        assert_eq!(
            err("http://[::1"),
            r#"parse "http://[::1": missing ']' in host"#
        );
        assert_eq!(
            err("http://h%zz:1"),
            r#"parse "http://h%zz:1": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http:x"),
            r#"strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            err("http://a:1:2"),
            r#"address a:1:2:8888: too many colons in address"#
        );
        // Go quotes the part before the fragment when that part is wrong.
        assert_eq!(
            err("127.0.0.1:1#frag"),
            r#"parse "127.0.0.1:1": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            err("http://h%zz:1#x"),
            r#"parse "http://h%zz:1": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http://h:1#%zz"),
            r#"parse "http://h:1#%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http://u%zz@h:1"),
            r#"parse "http://u%zz@h:1": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http://us€r@h:1"),
            r#"parse "http://us€r@h:1": net/url: invalid userinfo"#
        );
        // A cut multi-byte character is quoted byte by byte.
        assert_eq!(
            err("http://h%€:1"),
            r#"parse "http://h%€:1": invalid URL escape "%\xe2\x82""#
        );
        assert_eq!(
            err("http://h/%€"),
            r#"parse "http://h/%€": invalid URL escape "%\xe2\x82""#
        );
    }
}
