//! What `cfssl certinfo` prints: cfssl's summary of a certificate (`-cert`), and Go's
//! reflection of a parsed `x509.CertificateRequest` (`-csr`), both as Go's
//! `json.MarshalIndent(v, "", "  ")` writes them (spec §8.4).
//!
//! The CSR view exposes Go's raw byte slices and its field-by-field decoding, so the
//! request is walked here with a small DER reader rather than through a parser that
//! would hide those slices.

use crate::ca;
use crate::error::{Error, Result};
use crate::gojson::Value;
use crate::output;
use crate::pemfile;
use crate::signer::serial_decimal;
use base64::Engine as _;
use x509_parser::prelude::*;

/// One DER element: its tag byte, its contents, and all of its bytes.
#[derive(Debug, Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    full: &'a [u8],
}

const TRUNCATED: &str = "asn1: syntax error: data truncated";

/// Reads one element from the front of `input`; the rest follows it.
fn read_tlv(input: &[u8]) -> std::result::Result<(Tlv<'_>, &[u8]), &'static str> {
    let (&tag, after_tag) = input.split_first().ok_or(TRUNCATED)?;
    if tag & 0x1f == 0x1f {
        return Err("asn1: syntax error: high-tag-number form is not supported here");
    }
    let (&first, mut rest) = after_tag.split_first().ok_or(TRUNCATED)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err("asn1: syntax error: indefinite or oversized length");
        }
        if rest.len() < n {
            return Err(TRUNCATED);
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(TRUNCATED);
    }
    let header = input.len() - rest.len();
    let t = Tlv {
        tag,
        content: &rest[..len],
        full: &input[..header + len],
    };
    Ok((t, &rest[len..]))
}

/// Every element inside a constructed element's contents.
fn children(content: &[u8]) -> std::result::Result<Vec<Tlv<'_>>, &'static str> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = read_tlv(rest)?;
        out.push(t);
        rest = r;
    }
    Ok(out)
}

fn expect<'a>(t: Option<&Tlv<'a>>, tag: u8) -> std::result::Result<Tlv<'a>, &'static str> {
    match t {
        Some(t) if t.tag == tag => Ok(*t),
        Some(_) => Err("asn1: structure error: tags don't match"),
        None => Err(TRUNCATED),
    }
}

/// The arcs of an OID's contents; `None` when they are malformed.
fn oid_arcs(content: &[u8]) -> Option<Vec<u64>> {
    let mut arcs = Vec::new();
    let mut v: u64 = 0;
    for (i, &b) in content.iter().enumerate() {
        v = v.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (v / 40).min(2);
                arcs.push(first);
                arcs.push(v - first * 40);
            } else {
                arcs.push(v);
            }
            v = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    (!arcs.is_empty()).then_some(arcs)
}

fn dotted(arcs: &[u64]) -> String {
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn arcs_value(arcs: &[u64]) -> Value {
    Value::Array(arcs.iter().map(|a| Value::Number(a.to_string())).collect())
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn strings_or_null(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Array(items.into_iter().map(Value::String).collect())
    }
}

/// A DER INTEGER's contents as a JSON number (Go prints `*big.Int` that way).
fn integer_number(content: &[u8]) -> Value {
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        // Two's complement negation of the magnitude.
        let mut m: Vec<u8> = content.iter().map(|b| !b).collect();
        for b in m.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        Value::Number(format!("-{}", serial_decimal(&m)))
    } else {
        Value::Number(serial_decimal(content))
    }
}

/// What Go's `asn1.Unmarshal` into an `interface{}` yields for one element, as JSON;
/// `None` for the types it cannot decode that way.
fn go_any(t: &Tlv) -> Option<Value> {
    let text = |b: &[u8]| std::str::from_utf8(b).ok().map(|s| Value::String(s.into()));
    match t.tag {
        0x0c | 0x12 | 0x13 | 0x16 => text(t.content),
        // T61String: Go reads it as Latin-1.
        0x14 => Some(Value::String(
            t.content.iter().map(|&b| char::from(b)).collect(),
        )),
        0x1e => {
            let units: Vec<u16> = t
                .content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok().map(Value::String)
        }
        0x01 => Some(Value::Bool(t.content.first().is_some_and(|&b| b != 0))),
        0x02 => Some(integer_number(t.content)),
        0x04 => Some(b64(t.content)),
        0x06 => oid_arcs(t.content).map(|a| arcs_value(&a)),
        _ => None,
    }
}

/// One attribute of a distinguished name, in DER order.
struct NameAttr {
    arcs: Vec<u64>,
    value: Option<Value>,
}

fn name_attrs(name: &Tlv) -> std::result::Result<Vec<NameAttr>, &'static str> {
    let mut out = Vec::new();
    for rdn in children(name.content)? {
        for atv in children(rdn.content)? {
            let parts = children(atv.content)?;
            let oid = expect(parts.first(), 0x06)?;
            let value = parts.get(1).ok_or(TRUNCATED)?;
            out.push(NameAttr {
                arcs: oid_arcs(oid.content).ok_or("asn1: syntax error: invalid OID")?,
                value: go_any(value),
            });
        }
    }
    Ok(out)
}

/// The typed fields Go's `pkix.Name` fills from string attributes: the multi-valued
/// ones in DER order, and the last CN and serialNumber.
#[derive(Default)]
struct PkixName {
    country: Vec<String>,
    organization: Vec<String>,
    organizational_unit: Vec<String>,
    locality: Vec<String>,
    province: Vec<String>,
    street_address: Vec<String>,
    postal_code: Vec<String>,
    serial_number: String,
    common_name: String,
}

fn pkix_name(attrs: &[NameAttr]) -> PkixName {
    let mut n = PkixName::default();
    for a in attrs {
        let Some(Value::String(v)) = &a.value else {
            continue;
        };
        let v = v.clone();
        match dotted(&a.arcs).as_str() {
            "2.5.4.3" => n.common_name = v,
            "2.5.4.5" => n.serial_number = v,
            "2.5.4.6" => n.country.push(v),
            "2.5.4.7" => n.locality.push(v),
            "2.5.4.8" => n.province.push(v),
            "2.5.4.9" => n.street_address.push(v),
            "2.5.4.10" => n.organization.push(v),
            "2.5.4.11" => n.organizational_unit.push(v),
            "2.5.4.17" => n.postal_code.push(v),
            _ => {}
        }
    }
    n
}

/// cfssl's `certinfo.Name`: empty fields are omitted, multi-valued ones joined by `,`.
fn cfssl_name(name_der: &[u8]) -> Result<Value> {
    let (t, _) = read_tlv(name_der).map_err(Error::plain)?;
    let attrs = name_attrs(&t).map_err(Error::plain)?;
    let n = pkix_name(&attrs);
    let mut fields = Vec::new();
    let mut put = |key: &str, v: String| {
        if !v.is_empty() {
            fields.push((key.to_string(), Value::String(v)));
        }
    };
    put("common_name", n.common_name);
    put("serial_number", n.serial_number);
    put("country", n.country.join(","));
    put("organization", n.organization.join(","));
    put("organizational_unit", n.organizational_unit.join(","));
    put("locality", n.locality.join(","));
    put("province", n.province.join(","));
    put("street_address", n.street_address.join(","));
    put("postal_code", n.postal_code.join(","));
    let names: Vec<Value> = attrs.into_iter().filter_map(|a| a.value).collect();
    if !names.is_empty() {
        fields.push(("names".into(), Value::Array(names)));
    }
    Ok(Value::Object(fields))
}

/// Go's `x509.SignatureAlgorithm` values and cfssl's names for them, by OID. RSA-PSS
/// (13-15) needs its parameters and has no cfssl name, so it is handled apart.
const SIGNATURE_ALGORITHMS: &[(&str, u8, &str)] = &[
    ("1.2.840.113549.1.1.2", 1, "MD2WithRSA"),
    ("1.2.840.113549.1.1.4", 2, "MD5WithRSA"),
    ("1.2.840.113549.1.1.5", 3, "SHA1WithRSA"),
    ("1.3.14.3.2.29", 3, "SHA1WithRSA"),
    ("1.2.840.113549.1.1.11", 4, "SHA256WithRSA"),
    ("1.2.840.113549.1.1.12", 5, "SHA384WithRSA"),
    ("1.2.840.113549.1.1.13", 6, "SHA512WithRSA"),
    ("1.2.840.10040.4.3", 7, "DSAWithSHA1"),
    ("2.16.840.1.101.3.4.3.2", 8, "DSAWithSHA256"),
    ("1.2.840.10045.4.1", 9, "ECDSAWithSHA1"),
    ("1.2.840.10045.4.3.2", 10, "ECDSAWithSHA256"),
    ("1.2.840.10045.4.3.3", 11, "ECDSAWithSHA384"),
    ("1.2.840.10045.4.3.4", 12, "ECDSAWithSHA512"),
    ("1.3.101.112", 16, "Ed25519"),
];

const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";

/// Go's enum value for an AlgorithmIdentifier's contents (0 when unknown).
fn signature_algorithm_enum(alg_id: &[u8]) -> u8 {
    let Ok(parts) = children(alg_id) else {
        return 0;
    };
    let Some(oid) = parts.first().filter(|t| t.tag == 0x06) else {
        return 0;
    };
    let d = oid_arcs(oid.content)
        .map(|a| dotted(&a))
        .unwrap_or_default();
    if d == OID_RSA_PSS {
        // The hash OID inside the parameters decides; it is the first OID they hold.
        let params = parts.get(1).map(|p| p.full).unwrap_or_default();
        let has = |arc: u8| {
            params
                .windows(11)
                .any(|w| w == [6, 9, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, arc])
        };
        return if has(1) {
            13
        } else if has(2) {
            14
        } else if has(3) {
            15
        } else {
            0
        };
    }
    SIGNATURE_ALGORITHMS
        .iter()
        .find(|(o, _, _)| *o == d)
        .map_or(0, |(_, n, _)| *n)
}

/// cfssl's `helpers.SignatureString`.
fn signature_name(oid: &str) -> &'static str {
    SIGNATURE_ALGORITHMS
        .iter()
        .find(|(o, _, _)| *o == oid)
        .map_or("Unknown Signature", |(_, _, name)| name)
}

/// Key ids as cfssl prints them: uppercase hex pairs joined by `:`.
fn key_id_text(id: Option<&[u8]>) -> String {
    id.unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Go's `net.IP.String()` for an address taken from a SAN.
fn ip_text(ip: &[u8]) -> String {
    match ip.len() {
        4 => std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(ip);
            let v6 = std::net::Ipv6Addr::from(b);
            // Go prints IPv4-mapped addresses in dotted form.
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => {
            let hex: String = ip.iter().map(|b| format!("{b:02x}")).collect();
            format!("?{hex}")
        }
    }
}

fn rfc3339(t: &ASN1Time) -> String {
    chrono::DateTime::from_timestamp(t.timestamp(), 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// `cfssl certinfo -cert`: the summary of the one certificate in `pem_data`, with cfssl's
/// error codes for files that do not hold exactly one.
pub fn certificate(pem_data: &[u8]) -> Result<String> {
    Ok(to_indented_json(&certificate_value(pem_data)?))
}

/// [`certificate`] as a JSON value (the `certinfo` endpoint's result).
pub fn certificate_value(pem_data: &[u8]) -> Result<Value> {
    der_value(&ca::parse_cert_pem(pem_data)?.der)
}

/// `certinfo -domain host[:port]` (default port 443): the first certificate the server
/// sends, read over TLS without verifying it, as cfssl does.
pub fn domain(domain: &str) -> Result<Value> {
    der_value(&crate::tls::fetch_server_certificate(domain)?)
}

/// The certinfo view of one DER certificate.
pub fn der_value(der: &[u8]) -> Result<Value> {
    let parsed = ca::parse_cert_der(der)?;
    let (_, cert) = X509Certificate::from_der(&parsed.der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    let mut fields = vec![
        ("subject".to_string(), cfssl_name(cert.subject().as_raw())?),
        ("issuer".to_string(), cfssl_name(cert.issuer().as_raw())?),
        (
            "serial_number".to_string(),
            match integer_number(cert.raw_serial()) {
                Value::Number(n) => Value::String(n),
                other => other,
            },
        ),
    ];
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for gn in &san.value.general_names {
            match gn {
                GeneralName::DNSName(d) => dns.push(Value::String(d.to_string())),
                GeneralName::IPAddress(ip) => ips.push(Value::String(ip_text(ip))),
                _ => {}
            }
        }
    }
    dns.extend(ips);
    if !dns.is_empty() {
        fields.push(("sans".into(), Value::Array(dns)));
    }
    let validity = cert.validity();
    let mut aki = None;
    let mut ski = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            _ => {}
        }
    }
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let text = |s: String| Value::String(s);
    fields.extend([
        ("not_before".into(), text(rfc3339(&validity.not_before))),
        ("not_after".into(), text(rfc3339(&validity.not_after))),
        ("sigalg".into(), text(signature_name(&sig_oid).into())),
        ("authority_key_id".into(), text(key_id_text(aki.as_deref()))),
        ("subject_key_id".into(), text(key_id_text(ski.as_deref()))),
        ("pem".into(), text(output::pem("CERTIFICATE", &parsed.der))),
    ]);
    Ok(Value::Object(fields))
}

/// `cfssl certinfo -csr`: the first PEM block of `pem_data` parsed as a CSR (its
/// signature is not checked, as in cfssl) and shown as Go's struct reflection.
pub fn certificate_request(pem_data: &[u8]) -> Result<String> {
    let Some((block, _)) = pemfile::decode(pem_data) else {
        return Err(Error::coded(9002, "CSR Decode failed"));
    };
    let v = csr_value(&block.der).map_err(Error::plain)?;
    // Go's SAN rules come after the structure is read.
    crate::csr::view(&block.der).map_err(|e| Error::plain(e.message()))?;
    Ok(to_indented_json(&v))
}

const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";

fn csr_value(der: &[u8]) -> std::result::Result<Value, &'static str> {
    let (outer, trailing) = read_tlv(der)?;
    if !trailing.is_empty() {
        return Err("x509: trailing data after certificate request");
    }
    let top = children(outer.content)?;
    let tbs = expect(top.first(), 0x30)?;
    let sig_alg = expect(top.get(1), 0x30)?;
    let sig = expect(top.get(2), 0x03)?;
    let info = children(tbs.content)?;
    let version = expect(info.first(), 0x02)?;
    let subject = expect(info.get(1), 0x30)?;
    let spki = expect(info.get(2), 0x30)?;
    let raw_attrs = expect(info.get(3), 0xa0)?;

    let (pk_alg, public_key) = public_key(&spki)?;
    let attrs = name_attrs(&subject)?;
    let n = pkix_name(&attrs);
    let names = attrs
        .iter()
        .filter_map(|a| {
            let value = a.value.clone()?;
            Some(Value::Object(vec![
                ("Type".into(), arcs_value(&a.arcs)),
                ("Value".into(), value),
            ]))
        })
        .collect::<Vec<_>>();
    let subject_value = Value::Object(vec![
        ("Country".into(), strings_or_null(n.country)),
        ("Organization".into(), strings_or_null(n.organization)),
        (
            "OrganizationalUnit".into(),
            strings_or_null(n.organizational_unit),
        ),
        ("Locality".into(), strings_or_null(n.locality)),
        ("Province".into(), strings_or_null(n.province)),
        ("StreetAddress".into(), strings_or_null(n.street_address)),
        ("PostalCode".into(), strings_or_null(n.postal_code)),
        ("SerialNumber".into(), Value::String(n.serial_number)),
        ("CommonName".into(), Value::String(n.common_name)),
        (
            "Names".into(),
            if names.is_empty() {
                Value::Null
            } else {
                Value::Array(names)
            },
        ),
        ("ExtraNames".into(), Value::Null),
    ]);

    let mut attributes = Vec::new();
    let mut extensions = Vec::new();
    for attr in children(raw_attrs.content)? {
        let Some((attr_value, exts)) = attribute(&attr) else {
            // Go keeps only the attributes shaped like extension requests.
            continue;
        };
        attributes.push(attr_value);
        extensions.extend(exts);
    }
    let mut sans = Sans::default();
    let mut ext_values = Vec::new();
    for e in &extensions {
        if dotted(&e.arcs) == "2.5.29.17" {
            sans = subject_alt_names(e.value)?;
        }
        ext_values.push(Value::Object(vec![
            ("Id".into(), arcs_value(&e.arcs)),
            ("Critical".into(), Value::Bool(e.critical)),
            ("Value".into(), b64(e.value)),
        ]));
    }
    let list_or_null = |v: Vec<Value>| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::Array(v)
        }
    };
    let sig_bits = sig.content.get(1..).unwrap_or_default();
    Ok(Value::Object(vec![
        ("Raw".into(), b64(outer.full)),
        ("RawTBSCertificateRequest".into(), b64(tbs.full)),
        ("RawSubjectPublicKeyInfo".into(), b64(spki.full)),
        ("RawSubject".into(), b64(subject.full)),
        ("RawSignatureAlgorithm".into(), b64(sig_alg.full)),
        ("Version".into(), integer_number(version.content)),
        ("Signature".into(), b64(sig_bits)),
        (
            "SignatureAlgorithm".into(),
            Value::Number(signature_algorithm_enum(sig_alg.content).to_string()),
        ),
        (
            "PublicKeyAlgorithm".into(),
            Value::Number(pk_alg.to_string()),
        ),
        ("PublicKey".into(), public_key),
        ("Subject".into(), subject_value),
        ("Attributes".into(), list_or_null(attributes)),
        ("Extensions".into(), list_or_null(ext_values)),
        ("ExtraExtensions".into(), Value::Null),
        ("DNSNames".into(), strings_or_null(sans.dns)),
        ("EmailAddresses".into(), strings_or_null(sans.email)),
        ("IPAddresses".into(), strings_or_null(sans.ip)),
        (
            "URIs".into(),
            list_or_null(sans.uri.iter().map(|u| uri_value(u)).collect()),
        ),
    ]))
}

/// Go's `PublicKeyAlgorithm` and the key as its struct reflection shows it.
fn public_key(spki: &Tlv) -> std::result::Result<(u8, Value), &'static str> {
    let parts = children(spki.content)?;
    let alg = expect(parts.first(), 0x30)?;
    let bits = expect(parts.get(1), 0x03)?;
    let key = bits.content.get(1..).unwrap_or_default();
    let alg_parts = children(alg.content)?;
    let oid = expect(alg_parts.first(), 0x06)?;
    let number = |b: &[u8]| Value::Number(serial_decimal(b));
    match oid_arcs(oid.content).map(|a| dotted(&a)).as_deref() {
        Some("1.2.840.113549.1.1.1") => {
            let (seq, _) = read_tlv(key)?;
            let ints = children(seq.content)?;
            let n = expect(ints.first(), 0x02)?;
            let e = expect(ints.get(1), 0x02)?;
            Ok((
                1,
                Value::Object(vec![
                    ("N".into(), number(n.content)),
                    ("E".into(), number(e.content)),
                ]),
            ))
        }
        Some("1.2.840.10045.2.1") => {
            let Some((&4, xy)) = key.split_first() else {
                return Err("x509: failed to unmarshal elliptic curve point");
            };
            if xy.is_empty() || xy.len() % 2 != 0 {
                return Err("x509: failed to unmarshal elliptic curve point");
            }
            let (x, y) = xy.split_at(xy.len() / 2);
            Ok((
                3,
                Value::Object(vec![
                    // The curve is an interface with no exported fields.
                    ("Curve".into(), Value::Object(Vec::new())),
                    ("X".into(), number(x)),
                    ("Y".into(), number(y)),
                ]),
            ))
        }
        Some("1.3.101.112") => Ok((4, b64(key))),
        _ => Err("x509: unknown public key algorithm"),
    }
}

struct RequestedExtension<'a> {
    arcs: Vec<u64>,
    critical: bool,
    value: &'a [u8],
}

/// One CSR attribute read as Go's `pkix.AttributeTypeAndValueSET`, and the extensions it
/// requests if it is an extensionRequest; `None` when it has another shape.
fn attribute<'a>(attr: &Tlv<'a>) -> Option<(Value, Vec<RequestedExtension<'a>>)> {
    let parts = children(attr.content).ok()?;
    let oid = parts.first().filter(|t| t.tag == 0x06)?;
    let set = parts.get(1).filter(|t| t.tag == 0x31)?;
    let arcs = oid_arcs(oid.content)?;
    let is_ext_req = dotted(&arcs) == OID_EXTENSION_REQUEST;
    let mut values = Vec::new();
    let mut exts = Vec::new();
    for seq in children(set.content).ok()? {
        if seq.tag != 0x30 {
            return None;
        }
        let mut inner = Vec::new();
        for atv in children(seq.content).ok()? {
            let p = children(atv.content).ok().filter(|_| atv.tag == 0x30)?;
            let t = p.first().filter(|t| t.tag == 0x06)?;
            let t_arcs = oid_arcs(t.content)?;
            let v = go_any(p.get(1)?)?;
            if is_ext_req {
                let (critical, value) = match (p.get(1), p.get(2)) {
                    (Some(b), Some(o)) if b.tag == 0x01 && o.tag == 0x04 => {
                        (b.content.first().is_some_and(|&x| x != 0), o.content)
                    }
                    (Some(o), _) if o.tag == 0x04 => (false, o.content),
                    _ => return None,
                };
                exts.push(RequestedExtension {
                    arcs: t_arcs.clone(),
                    critical,
                    value,
                });
            }
            inner.push(Value::Object(vec![
                ("Type".into(), arcs_value(&t_arcs)),
                ("Value".into(), v),
            ]));
        }
        values.push(Value::Array(inner));
    }
    let value = Value::Object(vec![
        ("Type".into(), arcs_value(&arcs)),
        ("Value".into(), Value::Array(values)),
    ]);
    Some((value, exts))
}

#[derive(Default)]
struct Sans {
    dns: Vec<String>,
    email: Vec<String>,
    ip: Vec<String>,
    uri: Vec<String>,
}

fn subject_alt_names(ext_value: &[u8]) -> std::result::Result<Sans, &'static str> {
    let (seq, _) = read_tlv(ext_value)?;
    let mut s = Sans::default();
    let text = |b: &[u8]| {
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|_| "x509: SAN name is not valid ASCII")
    };
    for gn in children(seq.content)? {
        match gn.tag {
            0x81 => s.email.push(text(gn.content)?),
            0x82 => s.dns.push(text(gn.content)?),
            0x86 => s.uri.push(text(gn.content)?),
            0x87 => match gn.content.len() {
                4 | 16 => s.ip.push(ip_text(gn.content)),
                _ => return Err("x509: cannot parse IP address"),
            },
            _ => {}
        }
    }
    Ok(s)
}

/// Go's `url.URL` fields for a SAN URI, as `url.Parse` fills them. A URI Go cannot
/// parse never gets here: `csr::view` refuses the request first.
fn uri_value(raw: &str) -> Value {
    let Ok(u) = crate::gourl::parse(raw) else {
        return Value::Null;
    };
    let user = match u.user {
        // `*url.Userinfo` has only unexported fields.
        Some(_) => Value::Object(Vec::new()),
        None => Value::Null,
    };
    Value::Object(vec![
        ("Scheme".into(), Value::String(u.scheme)),
        ("Opaque".into(), Value::String(u.opaque)),
        ("User".into(), user),
        ("Host".into(), Value::String(u.host)),
        ("Path".into(), Value::String(u.path)),
        ("Fragment".into(), Value::String(u.fragment)),
        ("RawQuery".into(), Value::String(u.raw_query)),
        ("RawPath".into(), Value::String(u.raw_path)),
        ("RawFragment".into(), Value::String(u.raw_fragment)),
        ("ForceQuery".into(), Value::Bool(u.force_query)),
        ("OmitHost".into(), Value::Bool(u.omit_host)),
    ])
}

/// Go's `json.MarshalIndent(v, "", "  ")` followed by the newline cfssl prints.
pub fn to_indented_json(v: &Value) -> String {
    let mut out = String::new();
    v.write_indented(&mut out, "  ");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_matches_go() {
        let v = Value::Object(vec![
            ("a".into(), Value::Array(vec![Value::Number("1".into())])),
            ("b".into(), Value::Object(Vec::new())),
            ("c".into(), Value::String("x&y".into())),
        ]);
        assert_eq!(
            to_indented_json(&v),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {},\n  \"c\": \"x\\u0026y\"\n}\n"
        );
    }

    #[test]
    fn oids_and_integers() {
        assert_eq!(oid_arcs(&[0x2a, 0x86, 0x48]), Some(vec![1, 2, 840]));
        assert_eq!(oid_arcs(&[0x2a, 0x86]), None);
        assert_eq!(integer_number(&[0xff]), Value::Number("-1".into()));
        assert_eq!(integer_number(&[0x01, 0x00]), Value::Number("256".into()));
    }

    #[test]
    fn ip_addresses_print_like_go() {
        assert_eq!(ip_text(&[192, 0, 2, 1]), "192.0.2.1");
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(ip_text(&mapped), "10.0.0.1");
    }

    #[test]
    fn uris_split_like_go() {
        let fields = |raw: &str| match uri_value(raw) {
            Value::Object(f) => f,
            _ => Vec::new(),
        };
        let get =
            |f: &[(String, Value)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let f = fields("urn:uuid:1");
        assert_eq!(get(&f, "Opaque"), Some(Value::String("uuid:1".into())));
        let f = fields("spiffe://host/a/b");
        assert_eq!(get(&f, "Host"), Some(Value::String("host".into())));
        assert_eq!(get(&f, "Path"), Some(Value::String("/a/b".into())));
        let f = fields("https://h/a%20b/c%2Fd#x%21");
        assert_eq!(get(&f, "Path"), Some(Value::String("/a b/c/d".into())));
        assert_eq!(
            get(&f, "RawPath"),
            Some(Value::String("/a%20b/c%2Fd".into()))
        );
        assert_eq!(get(&f, "Fragment"), Some(Value::String("x!".into())));
        assert_eq!(get(&f, "RawFragment"), Some(Value::String("x%21".into())));
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        assert!(certificate_request(b"nothing").is_err());
        let pem = output::pem("CERTIFICATE REQUEST", &[0x30, 0x82, 0x01]);
        assert!(certificate_request(pem.as_bytes()).is_err());
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
    }

    #[test]
    fn key_ids_are_uppercase_and_padded() {
        assert_eq!(key_id_text(Some(&[0xfd, 0x09])), "FD:09");
        assert_eq!(key_id_text(None), "");
    }
}
