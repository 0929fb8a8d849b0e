//! Reading a PKCS#10 request as cfssl's signer does.

use super::*;

/// A PKCS#10 request as the signer reads it: signature verified, subject regrouped the
/// way Go's `pkix.Name` holds it, and the requested extensions kept raw.
#[derive(Debug, Clone)]
pub struct ParsedCsr {
    pub subject: Subject,
    pub spki_der: Vec<u8>,
    /// Every requested extension, in request order.
    pub extensions: Vec<RawExtension>,
    /// The requested subjectAltName entries, in Go's order.
    pub sans: Vec<hosts::San>,
    /// `Some(path_len)` when basicConstraints asks for CA:TRUE.
    pub ca: Option<Option<u32>>,
}

impl ParsedCsr {
    pub fn has_extension(&self, dotted: &str) -> bool {
        let oid = asn1::oid(dotted).unwrap_or_default();
        self.extensions.iter().any(|e| e.oid_der == oid)
    }
}

/// Reads a CSR the way cfssl's signer does: the first PEM block must be a (NEW)
/// CERTIFICATE REQUEST (9002 / 9300), its DER must parse (9003) and its signature verify
/// (9300).
pub fn parse_pem(data: &[u8]) -> Result<ParsedCsr> {
    let Some((block, _)) = crate::pemfile::decode(data) else {
        return Err(Error::coded(9002, "CSR Decode failed"));
    };
    if block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST" {
        return Err(Error::coded(9300, "not a csr"));
    }
    parse_der(&block.der)
}

/// Parses a CSR and checks its self-signature, as cfssl's signer does.
pub fn parse_der(der: &[u8]) -> Result<ParsedCsr> {
    let (rest, csr) = decode(der)?;
    // Go parses the whole request (SAN rules included) before checking its signature.
    let parsed = view_of(rest, &csr)?;
    let info = &csr.certification_request_info;
    verify_signature(
        9300,
        &csr.signature_algorithm.algorithm.to_id_string(),
        &info.subject_pki,
        info.raw,
        &csr.signature_value.data,
    )?;
    Ok(parsed)
}

/// What the signer takes from a CSR: subject, key, requested extensions, SANs, CA flag;
/// the signature is not checked. Fails (9003) where Go's `ParseCertificateRequest` does.
pub fn view(der: &[u8]) -> Result<ParsedCsr> {
    let (rest, csr) = decode(der)?;
    view_of(rest, &csr)
}

fn decode(
    der: &[u8],
) -> Result<(
    &[u8],
    x509_parser::certification_request::X509CertificationRequest<'_>,
)> {
    use x509_parser::prelude::FromDer;
    x509_parser::certification_request::X509CertificationRequest::from_der(der)
        .map_err(|e| Error::coded(9003, format!("asn1: syntax error: {e}")))
}

/// [`view`] of a request already decoded, `rest` being what followed it.
fn view_of(
    rest: &[u8],
    csr: &x509_parser::certification_request::X509CertificationRequest,
) -> Result<ParsedCsr> {
    use x509_parser::prelude::*;
    if !rest.is_empty() {
        return Err(Error::coded(
            9003,
            "asn1: syntax error: trailing data after ASN.1 of type x509.certificateRequest",
        ));
    }
    let info = &csr.certification_request_info;
    let mut out = ParsedCsr {
        subject: Subject::from_name(&info.subject),
        spki_der: info.subject_pki.raw.to_vec(),
        extensions: Vec::new(),
        sans: Vec::new(),
        ca: None,
    };
    for attr in info.attributes() {
        let ParsedCriAttribute::ExtensionRequest(req) = attr.parsed_attribute() else {
            continue;
        };
        for ext in &req.extensions {
            // Arcs past an i64 (Go's int) make no OID, as they do in Go.
            let arcs = ext.oid.iter().into_iter().flatten();
            let oid_der = asn1::oid_from(arcs.map(|a| i64::try_from(a).ok())).unwrap_or_default();
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    hosts::go_readable(&san.general_names).map_err(|e| Error::coded(9003, e))?;
                    out.sans
                        .extend(san.general_names.iter().filter_map(|gn| match gn {
                            GeneralName::DNSName(d) => Some(hosts::San::Dns(d.to_string())),
                            GeneralName::RFC822Name(e) => Some(hosts::San::Email(e.to_string())),
                            GeneralName::IPAddress(ip) => Some(hosts::San::Ip(ip.to_vec())),
                            GeneralName::URI(u) => Some(hosts::San::Uri(u.to_string())),
                            _ => None,
                        }))
                }
                ParsedExtension::BasicConstraints(bc) if bc.ca => {
                    out.ca = Some(bc.path_len_constraint)
                }
                _ => {}
            }
            out.extensions.push(RawExtension {
                oid_der,
                critical: ext.critical,
                value: ext.value.to_vec(),
            });
        }
    }
    hosts::sort_go_order(&mut out.sans);
    Ok(out)
}

/// Checks a signature with the algorithms Go's x509 accepts for CSRs (SHA-1 still
/// allowed); a failure is Go's text under `code` (the OCSP signer checks certificates
/// with it too).
pub(crate) fn verify_signature(
    code: u32,
    sig_alg: &str,
    spki: &x509_parser::x509::SubjectPublicKeyInfo,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    crate::keys::check_signature(sig_alg, spki, message, signature, true)
        .map_err(|e| Error::coded(code, e))
}
