//! Loading a CA certificate and its key the way cfssl's local signer does, with its
//! error codes (spec §1.4).

use crate::error::{Error, Result};
use crate::keys::{self, PrivateKey};
use crate::pemfile;
use x509_parser::prelude::*;

/// A parsed CA certificate; only what signing needs is kept.
#[derive(Debug, Clone)]
pub struct CaCert {
    pub der: Vec<u8>,
    pub subject_der: Vec<u8>,
    pub spki_der: Vec<u8>,
    pub key_id: Option<Vec<u8>>,
    pub is_ca: bool,
    /// `Some(n)` when basicConstraints carries a pathLenConstraint.
    pub max_path_len: Option<u32>,
}

/// Parses a PEM file holding exactly one certificate.
pub fn parse_cert_pem(data: &[u8]) -> Result<CaCert> {
    let trimmed = data.trim_ascii();
    let Some((block, rest)) = pemfile::decode(trimmed) else {
        return Err(Error::coded(1002, "Failed to decode certificate"));
    };
    let cert = parse_cert_der(&block.der)?;
    if !rest.trim_ascii().is_empty() {
        return Err(Error::coded(
            1003,
            "the PEM file should contain only one object",
        ));
    }
    Ok(cert)
}

pub fn parse_cert_der(der: &[u8]) -> Result<CaCert> {
    let failed = || Error::coded(1003, "Failed to parse certificate");
    let (rest, cert) = X509Certificate::from_der(der).map_err(|_| failed())?;
    if !rest.is_empty() {
        return Err(failed());
    }
    let mut out = CaCert {
        der: der.to_vec(),
        subject_der: cert.subject().as_raw().to_vec(),
        spki_der: cert.public_key().raw.to_vec(),
        key_id: None,
        is_ca: false,
        max_path_len: None,
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(kid) => out.key_id = Some(kid.0.to_vec()),
            ParsedExtension::BasicConstraints(bc) => {
                out.is_ca = bc.ca;
                out.max_path_len = bc.path_len_constraint;
            }
            // Go's x509 cannot parse such a certificate, so cfssl refuses it.
            ParsedExtension::SubjectAlternativeName(san) => {
                crate::hosts::go_readable(&san.general_names).map_err(|_| failed())?
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Reads `-ca` and `-ca-key` as cfssl's signer does: certificate file, key file,
/// then parse both; the first failure is the one reported. `key_password` decrypts a
/// legacy-encrypted key (`CFSSL_CA_PK_PASSWORD`).
pub fn load(
    cert_arg: &str,
    key_arg: &str,
    key_password: Option<&[u8]>,
) -> Result<(CaCert, PrivateKey)> {
    let cert_bytes = crate::input::read_value_or_location(cert_arg)?;
    let key_bytes = crate::input::read_value_or_location(key_arg)
        .map_err(|e| Error::coded(1001, e.message()))?;
    let cert = parse_cert_pem(&cert_bytes)?;
    let key = keys::parse_pem_with_password(&key_bytes, key_password)?;
    Ok((cert, key))
}
