//! Go's `net/url` as cfssl meets it: `url.ParseRequestURI` + `URL.String()` turn a
//! `hosts` entry into a URI SAN (percent-encoding what is not ASCII), and `url.Parse`
//! decides whether Go's x509 can read a URI SAN back. Hand-written because the `url`
//! crate follows the WHATWG standard, whose parsing and escaping differ from Go's
//! (IDNA hosts, other escape sets, no opaque form), and the bytes must match cfssl's.
//! Also `net.SplitHostPort`, which Go applies to the host part of a URL or a dial address,
//! and `net.JoinHostPort`, which builds a listen or dial address.

/// The fields of Go's `url.URL` (`user` is username and optional password, decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub opaque: String,
    pub user: Option<(String, Option<String>)>,
    pub host: String,
    pub path: String,
    pub raw_path: String,
    pub fragment: String,
    pub raw_fragment: String,
    pub raw_query: String,
    pub force_query: bool,
    pub omit_host: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Zone,
    Path,
    UserPassword,
    Fragment,
}

/// Go's `url.ParseRequestURI`: no fragment, a scheme or an absolute path. The error is
/// the text inside Go's `parse "...": ...`.
pub fn parse_request_uri(raw: &str) -> Result<Url, String> {
    parse_inner(raw, true)
}

/// Go's `url.Parse`; errors are Go's full text (`parse "x": invalid URL escape "%zz"`).
pub fn parse(raw: &str) -> Result<Url, String> {
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    let wrap = |s: &str, e: String| format!("parse {}: {e}", crate::gojson::go_quote(s));
    let mut url = parse_inner(rest, false).map_err(|e| wrap(rest, e))?;
    if let Some(f) = fragment {
        url.fragment = unescape(f, Mode::Fragment).map_err(|e| wrap(raw, e))?;
        url.raw_fragment = if escape(&url.fragment, Mode::Fragment) == f {
            String::new()
        } else {
            f.to_string()
        };
    }
    Ok(url)
}

fn parse_inner(raw: &str, via_request: bool) -> Result<Url, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    if raw.is_empty() && via_request {
        return Err("empty url".into());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, rest) = scheme_of(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if via_request {
            return Err("invalid URI for request".into());
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !via_request && !rest.starts_with("///"))
        && rest.starts_with("//")
    {
        let authority_and_path = &rest[2..];
        let (authority, path) = match authority_and_path.find('/') {
            Some(i) => authority_and_path.split_at(i),
            None => (authority_and_path, ""),
        };
        let (user, host) = parse_authority(authority)?;
        url.user = user;
        url.host = host;
        rest = path;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        url.omit_host = true;
    }
    url.path = unescape(rest, Mode::Path)?;
    url.raw_path = if escape(&url.path, Mode::Path) == rest {
        String::new()
    } else {
        rest.to_string()
    };
    Ok(url)
}

/// The scheme (empty when there is none) and the rest.
fn scheme_of(raw: &str) -> Result<(&str, &str), String> {
    for (i, b) in raw.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

type Authority = (Option<(String, Option<String>)>, String);

fn parse_authority(authority: &str) -> Result<Authority, String> {
    let Some(at) = authority.rfind('@') else {
        return Ok((None, parse_host(authority)?));
    };
    let host = parse_host(&authority[at + 1..])?;
    let userinfo = &authority[..at];
    let valid = userinfo
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b));
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => (unescape(userinfo, Mode::UserPassword)?, None),
        Some((name, password)) => (
            unescape(name, Mode::UserPassword)?,
            Some(unescape(password, Mode::UserPassword)?),
        ),
    };
    Ok((Some(user), host))
}

fn parse_host(host: &str) -> Result<String, String> {
    let valid_port = |p: &str| {
        p.is_empty()
            || p.strip_prefix(':')
                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
    };
    let bad_port = |p: &str| format!("invalid port {} after host", crate::gojson::go_quote(p));
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[close + 1..];
        if !valid_port(port) {
            return Err(bad_port(port));
        }
        if let Some(zone) = host[..close].find("%25") {
            return Ok(unescape(&host[..zone], Mode::Host)?
                + &unescape(&host[zone..close], Mode::Zone)?
                + &unescape(&host[close..], Mode::Host)?);
        }
    } else if let Some(colon) = host.rfind(':') {
        if !valid_port(&host[colon..]) {
            return Err(bad_port(&host[colon..]));
        }
    }
    unescape(host, Mode::Host)
}

/// Go's `shouldEscape` for the modes cfssl's URIs go through.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => b"@/?:".contains(&c),
                Mode::Fragment => false,
                // Reached only by the characters the host modes did not keep above.
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    !(mode == Mode::Fragment && b"!()*".contains(&c))
}

fn unhex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let escape_error = |from: usize, len: usize| {
        let end = (from + len).min(s.len());
        format!(
            "invalid URL escape {}",
            crate::gojson::go_quote_bytes(&b[from..end])
        )
    };
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    b.get(i + 1).copied().and_then(unhex),
                    b.get(i + 2).copied().and_then(unhex),
                ) else {
                    return Err(escape_error(i, 3));
                };
                let v = hi << 4 | lo;
                let is_25 = &s[i..i + 3] == "%25";
                if mode == Mode::Host && hi < 8 && !is_25 {
                    return Err(escape_error(i, 3));
                }
                if mode == Mode::Zone && !is_25 && v != b' ' && should_escape(v, Mode::Host) {
                    return Err(escape_error(i, 3));
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
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
    // Go strings hold any bytes; a decoded escape that is not UTF-8 is kept as Go
    // would print it.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

/// Go's `validEncoded`: whether a raw path may be printed as it was written.
fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes()
        .all(|c| b"!$&'()*+,;=:@[]%".contains(&c) || !should_escape(c, mode))
}

impl Url {
    /// Go's `URL.EscapedPath`.
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).as_deref() == Ok(self.path.as_str())
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".into();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).as_deref() == Ok(self.fragment.as_str())
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }
}

/// Go's `URL.String()`.
impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            let has_authority = !self.host.is_empty() || self.user.is_some();
            if has_authority || !self.scheme.is_empty() && !self.omit_host {
                if has_authority || !self.path.is_empty() {
                    out.push_str("//");
                }
                if let Some((name, password)) = &self.user {
                    out.push_str(&escape(name, Mode::UserPassword));
                    if let Some(p) = password {
                        out.push(':');
                        out.push_str(&escape(p, Mode::UserPassword));
                    }
                    out.push('@');
                }
                out.push_str(&escape(&self.host, Mode::Host));
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            if out.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                out.push_str("./");
            }
            out.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&self.escaped_fragment());
        }
        f.write_str(&out)
    }
}

/// Go's `net.SplitHostPort`; the error is Go's `AddrError` text (`address X: why`).
pub fn split_host_port(hostport: &str) -> Result<(String, String), String> {
    let err = |m: &str| format!("address {hostport}: {m}");
    let Some(i) = hostport.rfind(':') else {
        return Err(err("missing port in address"));
    };
    let (host, j, k) = if hostport.starts_with('[') {
        let Some(end) = hostport.find(']') else {
            return Err(err("missing ']' in address"));
        };
        if end + 1 == hostport.len() {
            return Err(err("missing port in address"));
        }
        if end + 1 != i {
            return Err(err(if hostport.as_bytes()[end + 1] == b':' {
                "too many colons in address"
            } else {
                "missing port in address"
            }));
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        if hostport[..i].contains(':') {
            return Err(err("too many colons in address"));
        }
        (&hostport[..i], 0, 0)
    };
    if hostport[j..].contains('[') {
        return Err(err("unexpected '[' in address"));
    }
    if hostport[k..].contains(']') {
        return Err(err("unexpected ']' in address"));
    }
    Ok((host.to_string(), hostport[i + 1..].to_string()))
}

/// Go's `net.JoinHostPort`: a host with a colon (IPv6) goes in brackets.
pub fn join_host_port(host: &str, port: impl std::fmt::Display) -> String {
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_uri(s: &str) -> String {
        parse_request_uri(s).unwrap().to_string()
    }

    /// Each pair is what cfssl 1.6.5 put in a CSR for the `hosts` entry (openssl -text).
    #[test]
    fn request_uris_are_reserialized_as_go_does() {
        for (input, want) in [
            ("https://exämple.com/", "https://ex%C3%A4mple.com/"),
            ("https://example.com/päth", "https://example.com/p%C3%A4th"),
            ("spiffe://tëst/a", "spiffe://t%C3%ABst/a"),
            (
                "https://example.com/#frägment",
                "https://example.com/%23fr%C3%A4gment",
            ),
            ("https://x/p?q=ü", "https://x/p?q=ü"),
            ("HTTP://X", "http://X"),
            ("/a b", "/a%20b"),
            ("/a!b", "/a!b"),
            ("/a b!", "/a%20b%21"),
            ("mailto:x@y.z", "mailto:x@y.z"),
            ("https://u%41:p@h/", "https://uA:p@h/"),
            ("https:/path", "https:/path"),
            ("https:///path", "https:///path"),
        ] {
            assert_eq!(request_uri(input), want, "{input}");
        }
    }

    #[test]
    fn errors_read_like_go() {
        let e = |s: &str| parse(s).unwrap_err();
        assert_eq!(
            e("https://h/%zz"),
            r#"parse "https://h/%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            e("https://a b/"),
            r#"parse "https://a b/": invalid character " " in host name"#
        );
        assert_eq!(
            e("https://h:x/"),
            r#"parse "https://h:x/": invalid port ":x" after host"#
        );
        assert_eq!(
            e("https://us€r@h/"),
            r#"parse "https://us€r@h/": net/url: invalid userinfo"#
        );
        assert_eq!(
            e("https://h%41/"),
            r#"parse "https://h%41/": invalid URL escape "%41""#
        );
        assert_eq!(e(":x"), r#"parse ":x": missing protocol scheme"#);
        assert_eq!(
            parse_request_uri("a.example").unwrap_err(),
            "invalid URI for request"
        );
    }

    #[test]
    fn parse_decodes_the_host() {
        let u = parse("https://ex%C3%A4mple.com:8443/p#f").unwrap();
        assert_eq!(u.host, "exämple.com:8443");
        assert_eq!(u.fragment, "f");
        assert_eq!(u.path, "/p");
    }

    #[test]
    fn host_and_port_split_like_go() {
        let ok = |s: &str| split_host_port(s).unwrap();
        assert_eq!(ok("a.example:443"), ("a.example".into(), "443".into()));
        assert_eq!(ok("[::1]:443"), ("::1".into(), "443".into()));
        assert_eq!(
            split_host_port("::1:443").unwrap_err(),
            "address ::1:443: too many colons in address"
        );
        assert_eq!(
            split_host_port("[::1]").unwrap_err(),
            "address [::1]: missing port in address"
        );
    }

    #[test]
    fn host_and_port_join_like_go() {
        assert_eq!(join_host_port("a.example", 443), "a.example:443");
        assert_eq!(join_host_port("::1", "8888"), "[::1]:8888");
        assert_eq!(join_host_port("fe80::1%eth0", 80), "[fe80::1%eth0]:80");
        assert_eq!(join_host_port("", 8888), ":8888");
        for hostport in ["a.example:443", "[::1]:8888"] {
            let (host, port) = split_host_port(hostport).unwrap();
            assert_eq!(join_host_port(&host, port), hostport);
        }
    }
}
