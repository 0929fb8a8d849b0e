//! Signatures: whether an issuer's key verifies an object, and the issuer relation.

use super::blocks::{alg_id, EC_OID, ED25519_OID, ED448_OID, RSA_OID};
use super::cert::{signed_parts, CertParts};
use super::crl::CrlParts;
use crate::der;
use aws_lc_rs::signature as sig;

/// Whether the public key of `issuer_cert` verifies the signature of `signed`
/// (a certificate, CSR or CRL); None when the key type can't be checked.
pub fn verify_signed(signed: &[u8], issuer_cert: &[u8]) -> Option<bool> {
    let spki = CertParts::new(issuer_cert).ok()?.spki().raw().to_vec();
    verify_with_spki(&spki, signed)
}

pub(super) fn verify_with_spki(spki: &[u8], signed: &[u8]) -> Option<bool> {
    match signed_parts(signed) {
        Ok((tbs, sig_oid, signature)) => verify_parts(spki, tbs, &sig_oid, signature),
        Err(_) => {
            der::parse(spki).ok()?;
            Some(false)
        }
    }
}

/// Whether the key of `spki` (SubjectPublicKeyInfo DER) made `signature` over `tbs`
/// with the algorithm `sig_oid`; None when the key type can't be checked.
pub(crate) fn verify_parts(
    spki: &[u8],
    tbs: &[u8],
    sig_oid: &str,
    signature: &[u8],
) -> Option<bool> {
    let t = der::parse(spki).ok()?;
    let ch = t.children().ok()?;
    let alg = alg_id(ch.first()?).ok()?;
    let (_, key) = der::bitstring(ch.get(1)?).ok()?;
    let key_oid = alg["oid"].as_str()?;
    let curve = alg["params"].as_str()?;
    let verifier: Option<&'static dyn sig::VerificationAlgorithm> = match key_oid {
        RSA_OID => match sig_oid {
            "1.2.840.113549.1.1.5" => Some(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
            "1.2.840.113549.1.1.11" => Some(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
            "1.2.840.113549.1.1.12" => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            "1.2.840.113549.1.1.13" => Some(&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
            _ => None,
        },
        EC_OID => match (curve, sig_oid) {
            ("secp256r1", "1.2.840.10045.4.1") => Some(&sig::ECDSA_P256_SHA1_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P256_SHA256_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P256_SHA384_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P256_SHA512_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P384_SHA256_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P384_SHA384_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P384_SHA512_ASN1),
            ("secp521r1", "1.2.840.10045.4.1") => Some(&sig::ECDSA_P521_SHA1_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P521_SHA256_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P521_SHA384_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P521_SHA512_ASN1),
            _ => None,
        },
        ED25519_OID => (sig_oid == ED25519_OID).then_some(&sig::ED25519 as _),
        // key types the reference can load but this checker can't verify
        ED448_OID => return None,
        _ => return None,
    };
    // a signature algorithm that does not fit the key counts as not verifying
    let Some(verifier) = verifier else {
        return Some(false);
    };
    Some(
        sig::UnparsedPublicKey::new(verifier, key)
            .verify(tbs, signature)
            .is_ok(),
    )
}

/// Relation of a certificate or CRL to a candidate issuer certificate.
pub struct IssuerRelation {
    pub name_matches: bool,
    pub aki_matches_issuer_ski: bool,
}

pub fn issuer_relation(object: &[u8], kind: &str, issuer_cert: &[u8]) -> Option<IssuerRelation> {
    let (issuer_raw, aki) = if kind == "crl" {
        let crl = CrlParts::new(object).ok()?;
        (crl.issuer().raw().to_vec(), crl.aki_key_id())
    } else {
        let parts = CertParts::new(object).ok()?;
        (parts.issuer().raw().to_vec(), parts.aki_key_id())
    };
    let issuer = CertParts::new(issuer_cert).ok()?;
    let ski = issuer.ski();
    Some(IssuerRelation {
        name_matches: issuer_raw == issuer.subject().raw(),
        aki_matches_issuer_ski: aki.is_some() && ski.is_some() && aki == ski,
    })
}
