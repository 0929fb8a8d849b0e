//! Certificate signature checks with the algorithms Go 1.19 accepts: RSA PKCS#1 v1.5
//! and PSS with SHA-256/384/512, ECDSA with SHA-256/384/512 on any of its curves,
//! Ed25519. SHA-1 signatures are refused as Go 1.18+ refuses them.

use super::chain::PublicKey;
use aws_lc_rs::signature::{self, VerificationAlgorithm};

const RSA_PSS: &str = "1.2.840.113549.1.1.10";

fn go_name(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1-RSA",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.2" => "MD2-RSA",
        _ => "",
    }
}

/// The hash of an RSA-PSS signature from its parameters (Go requires salt = hash size,
/// which aws-lc checks for us).
fn pss_hash(params: Option<&[u8]>) -> Option<u16> {
    let p = params?;
    // The hash OIDs in the parameters are enough to tell SHA-256/384/512 apart.
    let has = |oid: &[u8]| p.windows(oid.len()).any(|w| w == oid);
    if has(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]) {
        Some(256)
    } else if has(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02]) {
        Some(384)
    } else if has(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03]) {
        Some(512)
    } else {
        None
    }
}

/// Verifies `signature` over `tbs` with the issuer's key; errors are Go's texts.
pub fn verify(
    sig_alg: &str,
    params: Option<&[u8]>,
    issuer_spki: &[u8],
    issuer_key: &PublicKey,
    tbs: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let insecure = go_name(sig_alg);
    if !insecure.is_empty() {
        let over = if insecure.contains("SHA1") {
            " (temporarily override with GODEBUG=x509sha1=1)"
        } else {
            ""
        };
        return Err(format!(
            "x509: cannot verify signature: insecure algorithm {insecure}{over}"
        ));
    }
    let unimplemented = || "x509: cannot verify signature: algorithm unimplemented".to_string();
    let (alg, failure): (&'static dyn VerificationAlgorithm, &str) = match (sig_alg, issuer_key) {
        ("1.2.840.113549.1.1.11", PublicKey::Rsa { .. }) => (&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, "crypto/rsa: verification error"),
        ("1.2.840.113549.1.1.12", PublicKey::Rsa { .. }) => (&signature::RSA_PKCS1_2048_8192_SHA384, "crypto/rsa: verification error"),
        ("1.2.840.113549.1.1.13", PublicKey::Rsa { .. }) => (&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY, "crypto/rsa: verification error"),
        (RSA_PSS, PublicKey::Rsa { .. }) => match pss_hash(params) {
            Some(256) => (&signature::RSA_PSS_2048_8192_SHA256, "crypto/rsa: verification error"),
            Some(384) => (&signature::RSA_PSS_2048_8192_SHA384, "crypto/rsa: verification error"),
            Some(512) => (&signature::RSA_PSS_2048_8192_SHA512, "crypto/rsa: verification error"),
            _ => return Err(unimplemented()),
        },
        (ecdsa, PublicKey::Ec { curve, .. }) if ecdsa.starts_with("1.2.840.10045.4.3") => {
            let hash = match ecdsa {
                "1.2.840.10045.4.3.2" => 256,
                "1.2.840.10045.4.3.3" => 384,
                "1.2.840.10045.4.3.4" => 512,
                _ => return Err(unimplemented()),
            };
            let alg: &'static dyn VerificationAlgorithm = match (*curve, hash) {
                ("P-256", 256) => &signature::ECDSA_P256_SHA256_ASN1,
                ("P-256", 384) => &signature::ECDSA_P256_SHA384_ASN1,
                ("P-256", 512) => &signature::ECDSA_P256_SHA512_ASN1,
                ("P-384", 256) => &signature::ECDSA_P384_SHA256_ASN1,
                ("P-384", 384) => &signature::ECDSA_P384_SHA384_ASN1,
                ("P-384", 512) => &signature::ECDSA_P384_SHA512_ASN1,
                ("P-521", 256) => &signature::ECDSA_P521_SHA256_ASN1,
                ("P-521", 384) => &signature::ECDSA_P521_SHA384_ASN1,
                ("P-521", 512) => &signature::ECDSA_P521_SHA512_ASN1,
                _ => return Err(unimplemented()),
            };
            (alg, "x509: ECDSA verification failure")
        }
        ("1.3.101.112", PublicKey::Ed25519(_)) => (&signature::ED25519, "x509: Ed25519 verification failure"),
        // The signature algorithm does not fit the issuer's key type.
        (_, PublicKey::Rsa { .. } | PublicKey::Ec { .. } | PublicKey::Ed25519(_)) => {
            return Err(format!(
                "x509: signature algorithm specifies an {} public key, but have public key of type {}",
                algo_key_type(sig_alg),
                go_key_type(issuer_key)
            ))
        }
        (_, PublicKey::Unknown) => return Err(unimplemented()),
    };
    let key_bytes = match issuer_key {
        PublicKey::Rsa { .. } => spki_key_bits(issuer_spki),
        PublicKey::Ec { point, .. } | PublicKey::Ed25519(point) => Some(point.clone()),
        PublicKey::Unknown => None,
    }
    .ok_or_else(unimplemented)?;
    signature::UnparsedPublicKey::new(alg, &key_bytes)
        .verify(tbs, sig)
        .map_err(|_| failure.to_string())
}

fn algo_key_type(oid: &str) -> &'static str {
    if oid.starts_with("1.2.840.10045.4") {
        "ECDSA"
    } else if oid == "1.3.101.112" {
        "Ed25519"
    } else {
        "RSA"
    }
}

fn go_key_type(k: &PublicKey) -> &'static str {
    match k {
        PublicKey::Rsa { .. } => "*rsa.PublicKey",
        PublicKey::Ec { .. } => "*ecdsa.PublicKey",
        PublicKey::Ed25519(_) => "ed25519.PublicKey",
        PublicKey::Unknown => "unknown",
    }
}

/// The RSAPublicKey DER inside an SPKI, which aws-lc verifies RSA signatures with.
fn spki_key_bits(spki: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
    Some(info.subject_public_key.data.to_vec())
}
