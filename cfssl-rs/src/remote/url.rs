//! A remote's address as cfssl 1.6.5 reads it: Go's `url.Parse`, then cfssl's
//! `normalizeURL` (a bare `host` gets port 8888, `host:port` becomes `http://host:port`,
//! any scheme but `https` becomes `http`).
//!
//! Hand-written because the outcome is part of the interface: which addresses work
//! (`127.0.0.1:8888` without a scheme does not, it is not a Go URL) and the exact texts
//! of the failures (`first path segment in URL cannot contain colon`). The `url` crate
//! follows WHATWG rules, which accept and reject different strings with other words.

/// The base URL requests go to (`<base>/api/v1/cfssl/<endpoint>`), or Go's error text.
pub fn normalize(addr: &str) -> Result<String, String> {
    let addr = addr.trim();
    let mut u = parse(addr).map_err(|e| format!("parse {}: {e}", crate::gojson::go_quote(addr)))?;
    if !u.opaque.is_empty() {
        u.host = join_host_port(&u.scheme, &u.opaque);
        u.opaque.clear();
    } else if !u.path.is_empty() && !u.path.contains(':') {
        u.host = join_host_port(&u.path, "8888");
        u.path.clear();
        u.raw_path.clear();
    } else if u.scheme.is_empty() {
        u.host = std::mem::take(&mut u.path);
        u.raw_path.clear();
    }
    if u.scheme != "https" {
        u.scheme = "http".into();
    }
    let port = match crate::gourl::split_host_port(&u.host) {
        Ok((_, port)) => port,
        Err(_) => crate::gourl::split_host_port(&format!("{}:8888", u.host))?.1,
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

#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<String>,
    host: String,
    /// Decoded, for cfssl's decisions; `raw_path` is what goes back on the wire.
    path: String,
    raw_path: String,
    raw_query: Option<String>,
    fragment: Option<String>,
}

fn parse(raw: &str) -> Result<Url, String> {
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut u = Url::default();
    if let Some(f) = fragment {
        unescape(f, Mode::Other)?;
        u.fragment = Some(f.to_string());
    }
    let (scheme, rest) = scheme(rest)?;
    u.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest.to_string();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest.pop();
        u.raw_query = Some(String::new());
    } else if let Some((r, q)) = rest.clone().split_once('?') {
        rest = r.to_string();
        u.raw_query = Some(q.to_string());
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest;
            return Ok(u);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = rest[2..].to_string();
        let (authority, path) = match authority.find('/') {
            Some(i) => (authority[..i].to_string(), authority[i..].to_string()),
            None => (authority, String::new()),
        };
        let host = match authority.rfind('@') {
            Some(i) => {
                u.user = Some(authority[..i].to_string());
                &authority[i + 1..]
            }
            None => &authority[..],
        };
        u.host = parse_host(host)?;
        rest = path;
    }
    u.path = unescape(&rest, Mode::Other)?;
    u.raw_path = rest;
    Ok(u)
}

/// Go's `getScheme`: letters first, then letters, digits, `+-.`, up to a colon.
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_host(host: &str) -> Result<String, String> {
    let colon_port = if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        &host[i + 1..]
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    let valid = colon_port.is_empty()
        || (colon_port.starts_with(':') && colon_port[1..].bytes().all(|b| b.is_ascii_digit()));
    if !valid {
        return Err(format!(
            "invalid port {} after host",
            crate::gojson::go_quote(colon_port)
        ));
    }
    unescape(host, Mode::Host)
}

#[derive(PartialEq, Clone, Copy)]
enum Mode {
    Host,
    Other,
}

/// Go's `unescape`: `%XX` decoding, with its checks on host characters.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    let bad = &s[i..s.len().min(i + 3)];
                    return Err(format!(
                        "invalid URL escape {}",
                        crate::gojson::go_quote(bad)
                    ));
                };
                if mode == Mode::Host && hi < 8 && &s[i..i + 3] != "%25" {
                    return Err(format!(
                        "invalid URL escape {}",
                        crate::gojson::go_quote(&s[i..i + 3])
                    ));
                }
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            c => {
                if mode == Mode::Host && c < 0x80 && !host_char(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        crate::gojson::go_quote(&(c as char).to_string())
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The ASCII bytes Go's `shouldEscape(c, encodeHost)` lets through.
fn host_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!$&'()*+,;=:[]<>\"-_.~".contains(&c)
}

fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl std::fmt::Display for Url {
    /// Go's `URL.String` for what `normalize` leaves (a scheme is always set).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if !self.host.is_empty() || !self.raw_path.is_empty() || self.user.is_some() {
            f.write_str("//")?;
        }
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        for &c in self.host.as_bytes() {
            if c < 0x80 && host_char(c) {
                write!(f, "{}", c as char)?;
            } else {
                write!(f, "%{c:02X}")?;
            }
        }
        if !self.raw_path.is_empty() && !self.raw_path.starts_with('/') && !self.host.is_empty() {
            f.write_str("/")?;
        }
        f.write_str(&self.raw_path)?;
        if let Some(q) = &self.raw_query {
            write!(f, "?{q}")?;
        }
        match &self.fragment {
            Some(frag) if !frag.is_empty() => write!(f, "#{frag}"),
            _ => Ok(()),
        }
    }
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
    }
}
