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
    if let Ok(uri) = crate::gourl::parse_request_uri(host) {
        return San::Uri(uri.to_string());
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

/// Go's x509 refuses to parse a CSR or certificate whose subjectAltName breaks these
/// rules (`parseSANExtension`); the error is Go's text.
pub fn go_readable(names: &[x509_parser::extensions::GeneralName]) -> Result<(), String> {
    use x509_parser::extensions::GeneralName;
    for name in names {
        match name {
            GeneralName::DNSName(d) if !d.is_ascii() => {
                return Err("x509: SAN dNSName is malformed".into())
            }
            GeneralName::RFC822Name(e) if !e.is_ascii() => {
                return Err("x509: SAN rfc822Name is malformed".into())
            }
            GeneralName::IPAddress(ip) if ip.len() != 4 && ip.len() != 16 => {
                return Err(format!(
                    "x509: cannot parse IP address of length {}",
                    ip.len()
                ))
            }
            GeneralName::URI(u) if !u.is_ascii() => {
                return Err("x509: SAN uniformResourceIdentifier is malformed".into())
            }
            GeneralName::URI(u) => {
                let quoted = crate::gojson::go_quote(u);
                let url = crate::gourl::parse(u)
                    .map_err(|e| format!("x509: cannot parse URI {quoted}: {e}"))?;
                if !url.host.is_empty() && !valid_domain(&url.host) {
                    return Err(format!("x509: cannot parse URI {quoted}: invalid domain"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Go's `domainToReverseLabels` succeeding: no empty label (so no trailing dot), every
/// byte printable ASCII.
fn valid_domain(host: &str) -> bool {
    host.split('.')
        .all(|label| !label.is_empty() && label.bytes().all(|b| (33..=126).contains(&b)))
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
    fn go_x509_reads_back_only_what_it_can_parse() {
        use x509_parser::extensions::GeneralName;
        let check = |n: GeneralName| go_readable(&[n]);
        assert_eq!(
            check(GeneralName::URI("https://h.example/p%C3%A4th")),
            Ok(())
        );
        assert_eq!(check(GeneralName::URI("urn:uuid:1")), Ok(()));
        assert_eq!(
            check(GeneralName::URI("spiffe://t%C3%ABst/")),
            Err(r#"x509: cannot parse URI "spiffe://t%C3%ABst/": invalid domain"#.into())
        );
        assert_eq!(
            check(GeneralName::URI("https://h.example./")),
            Err(r#"x509: cannot parse URI "https://h.example./": invalid domain"#.into())
        );
        assert_eq!(
            check(GeneralName::URI("https://h/%zz")),
            Err(r#"x509: cannot parse URI "https://h/%zz": parse "https://h/%zz": invalid URL escape "%zz""#.into())
        );
        assert_eq!(
            check(GeneralName::DNSName("ü.example")),
            Err("x509: SAN dNSName is malformed".into())
        );
        assert_eq!(
            check(GeneralName::IPAddress(&[1, 2, 3])),
            Err("x509: cannot parse IP address of length 3".into())
        );
    }

    #[test]
    fn non_ascii_dns_names_cannot_be_encoded() {
        assert_eq!(
            general_names(&[San::Dns("ümlaut.example".into())]),
            Err("ümlaut.example".into())
        );
    }
}
