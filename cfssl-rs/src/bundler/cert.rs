//! The parts of a parsed certificate (Go's `x509.Certificate`) that chain building,
//! chain ranking and the bundle JSON read, extracted once with x509-parser.

use crate::csr::Subject;
use crate::error::{Error, Result};
use crate::keys::Curve;
use x509_parser::prelude::*;

/// The public key algorithm, as far as ranking and `key_type` tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgo {
    Rsa {
        bits: usize,
    },
    /// `curve` is `None` for a curve Go does not know.
    Ec {
        curve: Option<Curve>,
    },
    Ed25519,
    Dsa,
    /// Go leaves `PublicKey` nil: such a certificate can never be a parent.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Cert {
    pub raw: Vec<u8>,
    raw_tbs: Vec<u8>,
    pub signature: Vec<u8>,
    sig_alg_oid: String,
    pub raw_subject: Vec<u8>,
    pub raw_issuer: Vec<u8>,
    pub raw_spki: Vec<u8>,
    pub subject: Subject,
    /// Every subject attribute in DER order: OID arcs and value (the bundle's `subject`).
    pub subject_attrs: Vec<(Vec<u64>, String)>,
    pub issuer_attrs: Vec<(Vec<u64>, String)>,
    pub key: KeyAlgo,
    pub version: u32,
    pub serial: Vec<u8>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub basic_constraints_valid: bool,
    pub is_ca: bool,
    /// -1 when basicConstraints has no pathLenConstraint (Go's `MaxPathLen`).
    pub max_path_len: i64,
    /// Go's `KeyUsage` bits; 0 when the extension is absent.
    pub key_usage: u16,
    pub subject_key_id: Vec<u8>,
    pub authority_key_id: Vec<u8>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<std::net::IpAddr>,
    /// Whether the extended key usages allow a TLS server (none listed, anyExtendedKeyUsage
    /// or serverAuth): Go's TLS client asks for serverAuth along the whole chain.
    pub server_auth: bool,
    pub ocsp_servers: Vec<String>,
    pub crl_distribution_points: Vec<String>,
    pub issuing_certificate_urls: Vec<String>,
    san_ext: Option<Vec<u8>>,
}

const KEY_USAGE_CERT_SIGN: u16 = 1 << 5;

fn attrs(name: &X509Name) -> Vec<(Vec<u64>, String)> {
    name.iter()
        .flat_map(|rdn| rdn.iter())
        .map(|a| {
            let arcs = a
                .attr_type()
                .iter()
                .map(|it| it.collect())
                .unwrap_or_default();
            let value = match a.as_str() {
                Ok(v) => v.to_string(),
                Err(_) => String::from_utf8_lossy(a.attr_value().data).into_owned(),
            };
            (arcs, value)
        })
        .collect()
}

fn uris<'a>(names: &'a [GeneralName<'a>]) -> impl Iterator<Item = String> + 'a {
    names.iter().filter_map(|n| match n {
        GeneralName::URI(u) => Some(u.to_string()),
        _ => None,
    })
}

impl Cert {
    /// Parses one DER certificate; any failure is cfssl's 1003.
    pub fn from_der(der: &[u8]) -> Result<Cert> {
        Cert::parse(der).map_err(|_| Error::coded(1003, "Failed to parse certificate"))
    }

    /// Parses one DER certificate as Go's x509 does, SAN rules included (a name Go
    /// cannot read back makes the whole certificate unreadable); the error is Go's
    /// text where cfssl shows it (a server's chain), else a generic one.
    pub fn parse(der: &[u8]) -> std::result::Result<Cert, String> {
        let failed = || "x509: malformed certificate".to_string();
        let (rest, c) = X509Certificate::from_der(der).map_err(|_| failed())?;
        if !rest.is_empty() {
            return Err("x509: trailing data".into());
        }
        let spki = c.public_key();
        let key = match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.1" => match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(k)) => {
                    KeyAlgo::Rsa { bits: k.key_size() }
                }
                _ => KeyAlgo::Unknown,
            },
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .and_then(|o| Curve::from_oid(&o.to_id_string()));
                KeyAlgo::Ec { curve }
            }
            "1.3.101.112" => KeyAlgo::Ed25519,
            "1.2.840.10040.4.1" => KeyAlgo::Dsa,
            _ => KeyAlgo::Unknown,
        };
        let mut out = Cert {
            raw: der.to_vec(),
            raw_tbs: c.tbs_certificate.as_ref().to_vec(),
            signature: c.signature_value.data.to_vec(),
            sig_alg_oid: c.signature_algorithm.algorithm.to_id_string(),
            raw_subject: c.subject().as_raw().to_vec(),
            raw_issuer: c.issuer().as_raw().to_vec(),
            raw_spki: spki.raw.to_vec(),
            subject: Subject::from_name(c.subject()),
            subject_attrs: attrs(c.subject()),
            issuer_attrs: attrs(c.issuer()),
            key,
            version: c.version().0 + 1,
            serial: c.tbs_certificate.serial.to_bytes_be(),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            basic_constraints_valid: false,
            is_ca: false,
            max_path_len: -1,
            key_usage: 0,
            subject_key_id: Vec::new(),
            authority_key_id: Vec::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            server_auth: true,
            ocsp_servers: Vec::new(),
            crl_distribution_points: Vec::new(),
            issuing_certificate_urls: Vec::new(),
            san_ext: None,
        };
        for ext in c.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    out.basic_constraints_valid = true;
                    out.is_ca = bc.ca;
                    out.max_path_len = bc.path_len_constraint.map_or(-1, i64::from);
                }
                ParsedExtension::KeyUsage(ku) => out.key_usage = ku.flags,
                ParsedExtension::SubjectKeyIdentifier(k) => out.subject_key_id = k.0.to_vec(),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    if let Some(k) = &aki.key_identifier {
                        out.authority_key_id = k.0.to_vec();
                    }
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    crate::hosts::go_readable(&san.general_names)?;
                    out.san_ext = Some(ext.value.to_vec());
                    for n in &san.general_names {
                        match n {
                            GeneralName::DNSName(d) => out.dns_names.push(d.to_string()),
                            GeneralName::IPAddress(b) => {
                                if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                                    out.ip_addresses.push(v4.into());
                                } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                                    out.ip_addresses.push(v6.into());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    // An empty list restricts nothing, as in Go.
                    let listed = eku.client_auth
                        || eku.code_signing
                        || eku.email_protection
                        || eku.time_stamping
                        || eku.ocsp_signing
                        || !eku.other.is_empty();
                    out.server_auth = eku.any || eku.server_auth || !listed;
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for d in aia.iter() {
                        let url = match &d.access_location {
                            GeneralName::URI(u) => u.to_string(),
                            _ => continue,
                        };
                        match d.access_method.to_id_string().as_str() {
                            "1.3.6.1.5.5.7.48.1" => out.ocsp_servers.push(url),
                            "1.3.6.1.5.5.7.48.2" => out.issuing_certificate_urls.push(url),
                            _ => {}
                        }
                    }
                }
                ParsedExtension::CRLDistributionPoints(dps) => {
                    for dp in dps.iter() {
                        if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point
                        {
                            out.crl_distribution_points.extend(uris(names));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Go's `CheckSignatureFrom(parent)`: the parent must be allowed to sign
    /// certificates, and its key must verify this certificate's signature (no SHA-1).
    pub fn check_signature_from(&self, parent: &Cert) -> std::result::Result<(), String> {
        if (parent.version == 3 && !parent.basic_constraints_valid)
            || (parent.basic_constraints_valid && !parent.is_ca)
        {
            return Err(
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
                    .into(),
            );
        }
        if parent.key_usage != 0 && parent.key_usage & KEY_USAGE_CERT_SIGN == 0 {
            return Err(
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
                    .into(),
            );
        }
        if parent.key == KeyAlgo::Unknown {
            return Err("x509: cannot verify signature: algorithm unimplemented".into());
        }
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&parent.raw_spki)
            .map_err(|e| e.to_string())?;
        crate::keys::check_signature(
            &self.sig_alg_oid,
            &spki,
            &self.raw_tbs,
            &self.signature,
            false,
        )
    }

    pub fn is_self_signed(&self) -> bool {
        self.check_signature_from(self).is_ok()
    }

    /// Go's `alreadyInChain`: same subject, same key and same subjectAltName.
    pub fn same_identity(&self, other: &Cert) -> bool {
        self.raw_subject == other.raw_subject
            && self.raw_spki == other.raw_spki
            && self.san_ext == other.san_ext
    }

    /// Go's `VerifyHostname(host)`; the error is Go's text.
    pub fn verify_hostname(&self, host: &str) -> std::result::Result<(), String> {
        crate::check::names::verify_host_names(
            &crate::check::names::HostNames {
                cn: self.common_name(),
                dns_names: &self.dns_names,
                ip_addrs: &self.ip_addresses,
                has_san: self.san_ext.is_some(),
            },
            host,
        )
    }

    pub fn common_name(&self) -> &str {
        &self.subject.cn
    }

    /// The signature algorithm's cfssl name (`helpers.SignatureString`).
    pub fn signature_name(&self) -> &'static str {
        match self.sig_alg_oid.as_str() {
            "1.2.840.113549.1.1.2" => "MD2WithRSA",
            "1.2.840.113549.1.1.4" => "MD5WithRSA",
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1WithRSA",
            "1.2.840.113549.1.1.11" => "SHA256WithRSA",
            "1.2.840.113549.1.1.12" => "SHA384WithRSA",
            "1.2.840.113549.1.1.13" => "SHA512WithRSA",
            "1.2.840.10040.4.3" => "DSAWithSHA1",
            "2.16.840.1.101.3.4.3.2" => "DSAWithSHA256",
            "1.2.840.10045.4.1" => "ECDSAWithSHA1",
            "1.2.840.10045.4.3.2" => "ECDSAWithSHA256",
            "1.2.840.10045.4.3.3" => "ECDSAWithSHA384",
            "1.2.840.10045.4.3.4" => "ECDSAWithSHA512",
            "1.3.101.112" => "Ed25519",
            _ => "Unknown Signature",
        }
    }

    /// The hash family of the signature: what ubiquity and the SHA-1 checks look at.
    pub fn signature_hash(&self) -> SigHash {
        match self.signature_name() {
            "SHA1WithRSA" | "DSAWithSHA1" | "ECDSAWithSHA1" => SigHash::Sha1,
            "SHA256WithRSA" | "SHA384WithRSA" | "SHA512WithRSA" | "DSAWithSHA256"
            | "ECDSAWithSHA256" | "ECDSAWithSHA384" | "ECDSAWithSHA512" => SigHash::Sha2,
            "MD2WithRSA" | "MD5WithRSA" => SigHash::Md,
            _ => SigHash::Other,
        }
    }

    /// Go's `helpers.KeyLength`.
    pub fn key_length(&self) -> usize {
        match self.key {
            KeyAlgo::Rsa { bits } => bits,
            KeyAlgo::Ec { curve } => match curve {
                Some(Curve::P256) => 256,
                Some(Curve::P384) => 384,
                Some(Curve::P521) => 521,
                None => 0,
            },
            KeyAlgo::Ed25519 => 32,
            _ => 0,
        }
    }

    /// Go's `pkix.Name.String()` of the subject (`CN=x,O=y,C=z`).
    pub fn subject_string(&self) -> String {
        name_string(&self.subject)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigHash {
    Sha1,
    Sha2,
    Md,
    Other,
}

/// Go's RFC 2253-style escaping in `AttributeTypeAndValue` strings.
fn escape(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    for (i, &c) in chars.iter().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == ' ' || c == '#'))
            || (i == chars.len() - 1 && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `pkix.Name.String()` for a parsed name: the non-standard attributes, then C, ST,
/// L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER, printed last RDN first.
pub fn name_string(s: &Subject) -> String {
    let mut rdns: Vec<Vec<String>> = Vec::new();
    for (oid, value) in &s.extra {
        // Go re-marshals the value as asn1.Marshal picks the string type.
        let tag = if value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?*".contains(c))
        {
            crate::asn1::PRINTABLE_STRING
        } else if value.is_ascii() {
            0x16
        } else {
            crate::asn1::UTF8_STRING
        };
        let der = crate::asn1::tlv(tag, value.as_bytes());
        let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
        rdns.push(vec![format!("{oid}=#{hex}")]);
    }
    let one = |v: &String| {
        if v.is_empty() {
            vec![]
        } else {
            vec![v.clone()]
        }
    };
    let standard: [(&str, Vec<String>); 9] = [
        ("C", s.country.clone()),
        ("ST", s.province.clone()),
        ("L", s.locality.clone()),
        ("STREET", s.street_address.clone()),
        ("POSTALCODE", s.postal_code.clone()),
        ("O", s.organization.clone()),
        ("OU", s.organizational_unit.clone()),
        ("CN", one(&s.cn)),
        ("SERIALNUMBER", one(&s.serial_number)),
    ];
    for (t, values) in standard {
        if !values.is_empty() {
            rdns.push(
                values
                    .iter()
                    .map(|v| format!("{t}={}", escape(v)))
                    .collect(),
            );
        }
    }
    rdns.iter()
        .rev()
        .map(|r| r.join("+"))
        .collect::<Vec<_>>()
        .join(",")
}

/// cfssl's bundle view of a name: `/Type=value` for every attribute in DER order, the
/// type named from the fourth OID arc (empty when cfssl's table has no name for it).
pub fn slash_names(attrs: &[(Vec<u64>, String)]) -> String {
    attrs
        .iter()
        .map(|(arcs, v)| {
            let t = match arcs.get(3) {
                Some(3) => "CommonName",
                Some(5) => "SerialNumber",
                Some(6) => "Country",
                Some(7) => "Locality",
                Some(8) => "Province",
                Some(9) => "StreetAddress",
                Some(10) => "Organization",
                Some(11) => "OrganizationalUnit",
                Some(17) => "PostalCode",
                _ => "",
            };
            format!("/{t}={v}")
        })
        .collect()
}

/// Every certificate in a PEM text, as cfssl's `helpers.ParseCertificatesPEM` reads it:
/// blocks one after the other, anything after the last block is an error (1002), a
/// block that is not a certificate is 1003.
pub fn parse_pem_chain(data: &[u8]) -> Result<Vec<Cert>> {
    let mut rest = data.trim_ascii();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let Some((block, after)) = crate::pemfile::decode(rest) else {
            break;
        };
        out.push(Cert::from_der(&block.der)?);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(Error::coded(1002, "Failed to decode certificate"));
    }
    Ok(out)
}

/// Go's `x509.ParseCertificates`: DER certificates back to back.
pub fn parse_der_chain(data: &[u8]) -> Result<Vec<Cert>> {
    let failed = || Error::coded(1002, "Failed to decode certificate");
    let mut rest = data.trim_ascii();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (after, _) = X509Certificate::from_der(rest).map_err(|_| failed())?;
        let len = rest.len() - after.len();
        out.push(Cert::from_der(&rest[..len]).map_err(|_| failed())?);
        rest = after;
    }
    if out.is_empty() {
        return Err(failed());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_name_strings() {
        let s = Subject {
            country: vec!["US".into()],
            organization: vec!["Golden Service".into()],
            organizational_unit: vec!["PKI".into()],
            cn: "Golden Service Root CA".into(),
            ..Subject::default()
        };
        assert_eq!(
            name_string(&s),
            "CN=Golden Service Root CA,OU=PKI,O=Golden Service,C=US"
        );
        let s = Subject {
            organization: vec!["a,b".into(), " c".into()],
            ..Subject::default()
        };
        assert_eq!(name_string(&s), "O=a\\,b+O=\\ c");
    }

    #[test]
    fn slash_names_follow_cfssl_table() {
        let attrs = vec![
            (vec![2, 5, 4, 6], "US".to_string()),
            (vec![2, 5, 4, 3], "x".to_string()),
            (vec![1, 2, 840, 113549, 1, 9, 1], "a@b".to_string()),
        ];
        assert_eq!(slash_names(&attrs), "/Country=US/CommonName=x/=a@b");
    }

    #[test]
    fn trailing_text_after_pem_is_a_decode_error() {
        let err = parse_pem_chain(b"hello").unwrap_err();
        assert_eq!(err, Error::coded(1002, "Failed to decode certificate"));
        assert!(parse_pem_chain(b"  \n").unwrap().is_empty());
    }
}
