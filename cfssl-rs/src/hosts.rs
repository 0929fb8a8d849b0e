//! How cfssl turns a `hosts` entry into a subjectAltName (spec §2.4): an IP address, else
//! an RFC 5322 mailbox, else an absolute request URI, else a DNS name, verbatim.

use crate::asn1;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Email(String),
    /// 4 octets for IPv4 and IPv4-mapped IPv6, 16 for other IPv6.
    Ip(Vec<u8>),
    Uri(String),
}

pub fn classify(host: &str) -> San {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return San::Ip(match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        });
    }
    if let Some(addr) = parse_mailbox(host) {
        return San::Email(addr);
    }
    if let Some(uri) = parse_request_uri(host) {
        return San::Uri(uri);
    }
    San::Dns(host.to_string())
}

/// Sorted the way Go's x509 lays them out: all DNS names, then emails, IPs, URIs, each
/// group in input order.
pub fn sans_in_go_order(hosts: &[String]) -> Vec<San> {
    let mut out: Vec<San> = hosts.iter().map(|h| classify(h)).collect();
    sort_go_order(&mut out);
    out
}

/// Go's x509 writes SANs grouped by type (DNS, email, IP, URI); the sort is stable, so
/// each group keeps its order.
pub fn sort_go_order(sans: &mut [San]) {
    sans.sort_by_key(|s| match s {
        San::Dns(_) => 0,
        San::Email(_) => 1,
        San::Ip(_) => 2,
        San::Uri(_) => 3,
    });
}

/// The DER of a GeneralNames SEQUENCE (the subjectAltName extension value). A DNS name
/// that is not ASCII cannot be an IA5String; the caller gets its text back as the error.
pub fn general_names(sans: &[San]) -> Result<Vec<u8>, String> {
    let mut parts = Vec::with_capacity(sans.len());
    for s in sans {
        parts.push(match s {
            San::Dns(d) if !d.is_ascii() => return Err(d.clone()),
            San::Dns(d) => asn1::tlv(0x82, d.as_bytes()),
            San::Email(e) if !e.is_ascii() => return Err(e.clone()),
            San::Email(e) => asn1::tlv(0x81, e.as_bytes()),
            San::Ip(ip) => asn1::tlv(0x87, ip),
            San::Uri(u) if !u.is_ascii() => return Err(u.clone()),
            San::Uri(u) => asn1::tlv(0x86, u.as_bytes()),
        });
    }
    Ok(asn1::tlv(asn1::SEQUENCE, &parts.concat()))
}

fn is_atext(c: char) -> bool {
    !matches!(
        c,
        '(' | ')' | '<' | '>' | '[' | ']' | ':' | ';' | '@' | '\\' | ',' | '"' | '.'
    ) && (('!'..='~').contains(&c) || !c.is_ascii())
}

/// Go's `net/mail.ParseAddress`, reduced to the forms that decide the classification:
/// `addr-spec`, `<addr-spec>` and `display name <addr-spec>`. Returns the bare address.
fn parse_mailbox(s: &str) -> Option<String> {
    let t = s.trim_matches(|c| c == ' ' || c == '\t');
    if let Some(inner) = t.strip_suffix('>') {
        let open = inner.rfind('<')?;
        let phrase = inner[..open].trim_matches(|c| c == ' ' || c == '\t');
        if !phrase.is_empty() && !is_phrase(phrase) {
            return None;
        }
        return addr_spec(&inner[open + 1..]);
    }
    addr_spec(t)
}

fn is_phrase(p: &str) -> bool {
    if p.starts_with('"') && p.ends_with('"') && p.len() >= 2 {
        return !p[1..p.len() - 1].contains('"');
    }
    p.split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .all(|w| w.chars().all(|c| is_atext(c) || c == '.'))
}

fn addr_spec(a: &str) -> Option<String> {
    let at = a.rfind('@')?;
    let (local, domain) = (&a[..at], &a[at + 1..]);
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        let q = &local[1..local.len() - 1];
        !q.contains('"') && !q.chars().any(|c| c.is_control())
    } else {
        !local.is_empty() && local.chars().all(|c| is_atext(c) || c == '.')
    };
    let domain_ok = if domain.starts_with('[') && domain.ends_with(']') {
        domain.len() > 2
    } else {
        !domain.is_empty()
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(is_atext))
    };
    if !(local_ok && domain_ok) {
        return None;
    }
    let local = if local.starts_with('"') {
        &local[1..local.len() - 1]
    } else {
        local
    };
    Some(format!("{local}@{domain}"))
}

/// Go's `url.ParseRequestURI` followed by `URL.String()`, for the shapes hosts take:
/// an absolute URI (`scheme:...`) or an absolute path. Returns the re-serialized URL.
fn parse_request_uri(s: &str) -> Option<String> {
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let (scheme, rest) = match scheme_of(s)? {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None if s.starts_with('/') => (None, s),
        None => return None,
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let mut out = String::new();
    if let Some(sc) = &scheme {
        out.push_str(sc);
        out.push(':');
        if !rest.starts_with('/') {
            out.push_str(rest);
            if let Some(q) = query {
                out.push('?');
                out.push_str(q);
            }
            return Some(out);
        }
    }
    let path = match rest.strip_prefix("//").filter(|_| scheme.is_some()) {
        Some(auth_and_path) => {
            let (auth, path) = match auth_and_path.find('/') {
                Some(i) => (&auth_and_path[..i], &auth_and_path[i..]),
                None => (auth_and_path, ""),
            };
            if !valid_authority(auth) {
                return None;
            }
            out.push_str("//");
            out.push_str(auth);
            path
        }
        None => rest,
    };
    out.push_str(&escape_path(path)?);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

/// `Some(Some((scheme, rest)))` for `scheme:rest`, `Some(None)` for no scheme, `None`
/// when Go rejects it outright (a leading `:`).
fn scheme_of(s: &str) -> Option<Option<(&str, &str)>> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return None,
            ':' => return Some(Some((&s[..i], &s[i + 1..]))),
            _ => return Some(None),
        }
    }
    Some(None)
}

fn valid_authority(auth: &str) -> bool {
    let host_port = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        match rest.split_once(']') {
            Some((_, after)) => ("", after.strip_prefix(':').unwrap_or(after)),
            None => return false,
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (host_port, ""),
        }
    };
    port.bytes().all(|b| b.is_ascii_digit())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c) || !c.is_ascii())
}

/// Go's `URL.EscapedPath` for a path parsed from text: valid escapes stay, anything
/// outside the path alphabet (space, quotes, non-ASCII) is percent-encoded. A broken
/// escape makes the whole string not a URL.
fn escape_path(p: &str) -> Option<String> {
    let bytes = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push_str(std::str::from_utf8(&bytes[i..i + 3]).ok()?);
            i += 3;
            continue;
        }
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@!'()*".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(h: &str) -> San {
        classify(h)
    }

    #[test]
    fn classification_follows_cfssl() {
        assert_eq!(kind("192.0.2.10"), San::Ip(vec![192, 0, 2, 10]));
        assert_eq!(kind("::ffff:1.2.3.4"), San::Ip(vec![1, 2, 3, 4]));
        assert!(matches!(kind("::1"), San::Ip(v) if v.len() == 16));
        // Not an IP (zones do not count), but Go reads `fe80:` as a URI scheme.
        assert_eq!(kind("fe80::1%eth0"), San::Uri("fe80::1%eth0".into()));
        assert_eq!(
            kind("admin@golden.test"),
            San::Email("admin@golden.test".into())
        );
        assert_eq!(
            kind("Name <user@example.com>"),
            San::Email("user@example.com".into())
        );
        assert_eq!(
            kind("\"quoted local\"@example.com"),
            San::Email("quoted local@example.com".into())
        );
        assert_eq!(kind("x@y"), San::Email("x@y".into()));
        assert_eq!(kind("user@@bad"), San::Dns("user@@bad".into()));
        assert_eq!(kind("@example.com"), San::Dns("@example.com".into()));
        assert_eq!(kind("HTTP://X"), San::Uri("http://X".into()));
        assert_eq!(kind("/a b"), San::Uri("/a%20b".into()));
        assert_eq!(kind("localhost:8080"), San::Uri("localhost:8080".into()));
        assert_eq!(kind("mailto:x@y.z"), San::Uri("mailto:x@y.z".into()));
        assert_eq!(kind("spiffe://x/y"), San::Uri("spiffe://x/y".into()));
        assert_eq!(
            kind("*.wild.example.com"),
            San::Dns("*.wild.example.com".into())
        );
        assert_eq!(kind("1.2.3.4/24"), San::Dns("1.2.3.4/24".into()));
        assert_eq!(kind("1.2.3.4:443"), San::Dns("1.2.3.4:443".into()));
        assert_eq!(kind("[::1]:443"), San::Dns("[::1]:443".into()));
        assert_eq!(kind("a b.example"), San::Dns("a b.example".into()));
        assert_eq!(kind(""), San::Dns("".into()));
    }

    #[test]
    fn go_order_groups_by_type() {
        let hosts: Vec<String> = ["https://u", "b.example", "1.2.3.4", "a@b.c", "a.example"]
            .map(String::from)
            .to_vec();
        let order: Vec<San> = sans_in_go_order(&hosts);
        assert_eq!(order[0], San::Dns("b.example".into()));
        assert_eq!(order[1], San::Dns("a.example".into()));
        assert!(matches!(order[2], San::Email(_)));
        assert!(matches!(order[3], San::Ip(_)));
        assert!(matches!(order[4], San::Uri(_)));
    }

    #[test]
    fn non_ascii_dns_names_cannot_be_encoded() {
        assert_eq!(
            general_names(&[San::Dns("ümlaut.example".into())]),
            Err("ümlaut.example".into())
        );
    }
}
