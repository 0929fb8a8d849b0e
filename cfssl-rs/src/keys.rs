//! Private keys: generating them as cfssl does, reading the forms cfssl reads, writing
//! them in Go's PEM formats, and signing with them.
//!
//! Every key ends up as an rcgen `KeyPair` (aws-lc-rs underneath) for signing, except RSA
//! keys of 1024 to 2047 bits, which aws-lc-rs refuses to load and cfssl reads and signs
//! with: those sign through RustCrypto's `rsa`. The RustCrypto encoders also produce Go's
//! on-disk forms (PKCS#1, SEC1 with parameters and public key, and cfssl's
//! `Ed25519 PRIVATE KEY` label over PKCS#8).

use crate::asn1;
use crate::error::{Error, Result};
use crate::output;
use pkcs8::der::Decode;
use rcgen::{KeyPair, SignatureAlgorithm, SigningKey};
use rustls_pki_types::PrivatePkcs8KeyDer;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn oid(self) -> &'static str {
        match self {
            Curve::P256 => "1.2.840.10045.3.1.7",
            Curve::P384 => "1.3.132.0.34",
            Curve::P521 => "1.3.132.0.35",
        }
    }

    pub fn from_oid(oid: &str) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.oid() == oid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa { bits: usize },
    Ec(Curve),
    Ed25519,
}

/// The smallest RSA key we sign with. cfssl 1.6.5 signs with any size (its go.mod keeps
/// Go's pre-1.24 `rsa1024min=0`); smaller keys are factorable, and Go itself now refuses
/// them by default (README, Differences from cfssl).
const RSA_MIN_BITS: usize = 1024;

/// aws-lc-rs loads RSA keys from this size up.
const RSA_AWS_LC_MIN_BITS: usize = 2048;

/// A private key ready to sign, with what cfssl derives from it.
pub struct PrivateKey {
    pub key_type: KeyType,
    pkcs8: Vec<u8>,
    signer: Signer,
}

enum Signer {
    AwsLc(KeyPair),
    /// RSA keys under 2048 bits, PKCS#1 v1.5 with SHA-256. RustCrypto's `rsa` is not
    /// constant-time (RUSTSEC-2023-0071); it signs with blinding and only for the legacy
    /// sizes aws-lc-rs refuses, which are weak already (notes/fidelity.md).
    LegacyRsa(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?})", self.key_type)
    }
}

/// The key a request asks for (`{"algo": ..., "size": ...}`), validated as cfssl does.
pub fn validate_request(algo: &str, size: i64) -> Result<KeyType> {
    let bad = |m: &str| Error::coded(2400, m);
    match algo {
        "rsa" if size < 2048 => Err(bad("RSA key is too weak")),
        "rsa" if size > 8192 => Err(bad("RSA key size too large")),
        "rsa" => Ok(KeyType::Rsa {
            bits: size as usize,
        }),
        "ecdsa" => match size {
            256 => Ok(KeyType::Ec(Curve::P256)),
            384 => Ok(KeyType::Ec(Curve::P384)),
            521 => Ok(KeyType::Ec(Curve::P521)),
            _ => Err(bad("invalid curve")),
        },
        "ed25519" => Ok(KeyType::Ed25519),
        _ => Err(bad("invalid algorithm")),
    }
}

/// Generates a fresh key of the given type.
pub fn generate(key_type: KeyType) -> Result<PrivateKey> {
    let failed =
        |e: &dyn std::fmt::Display| Error::coded(2400, format!("key generation failed: {e}"));
    let pkcs8 = match key_type {
        KeyType::Rsa { bits } => generate_rsa_pkcs8(bits)?,
        KeyType::Ec(curve) => {
            let alg = match curve {
                Curve::P256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                Curve::P384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                Curve::P521 => &aws_lc_rs::signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            };
            let rng = aws_lc_rs::rand::SystemRandom::new();
            aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng)
                .map_err(|e| failed(&e))?
                .as_ref()
                .to_vec()
        }
        KeyType::Ed25519 => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|e| failed(&e))?;
            ed25519_pkcs8_v1(&ed25519_seed(doc.as_ref())?)
        }
    };
    from_pkcs8(key_type, &pkcs8)
}

/// aws-lc generates the usual sizes quickly; any other size cfssl accepts (say 2049)
/// goes through RustCrypto's generator.
fn generate_rsa_pkcs8(bits: usize) -> Result<Vec<u8>> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    let failed =
        |e: &dyn std::fmt::Display| Error::coded(2400, format!("key generation failed: {e}"));
    let size = match bits {
        2048 => Some(KeySize::Rsa2048),
        3072 => Some(KeySize::Rsa3072),
        4096 => Some(KeySize::Rsa4096),
        8192 => Some(KeySize::Rsa8192),
        _ => None,
    };
    match size {
        Some(size) => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(size).map_err(|e| failed(&e))?;
            let der = kp.as_der().map_err(|e| failed(&e))?;
            Ok(der.as_ref().to_vec())
        }
        None => {
            use rsa::pkcs8::EncodePrivateKey;
            let key =
                rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).map_err(|e| failed(&e))?;
            let der = key.to_pkcs8_der().map_err(|e| failed(&e))?;
            Ok(der.as_bytes().to_vec())
        }
    }
}

fn from_pkcs8(key_type: KeyType, pkcs8: &[u8]) -> Result<PrivateKey> {
    let failed = || Error::coded(2003, "Failed to parse private key");
    let signer = match key_type {
        KeyType::Rsa { bits } if bits < RSA_MIN_BITS => return Err(rsa_too_weak(bits)),
        KeyType::Rsa { bits } if bits < RSA_AWS_LC_MIN_BITS => {
            use rsa::pkcs8::DecodePrivateKey;
            let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|_| failed())?;
            Signer::LegacyRsa(Box::new(rsa::pkcs1v15::SigningKey::new(key)))
        }
        _ => Signer::AwsLc(
            KeyPair::from_pkcs8_der_and_sign_algo(
                &PrivatePkcs8KeyDer::from(pkcs8),
                signing_algorithm(key_type),
            )
            .map_err(|_| failed())?,
        ),
    };
    Ok(PrivateKey {
        key_type,
        pkcs8: pkcs8.to_vec(),
        signer,
    })
}

/// Our refusal of an RSA key under [`RSA_MIN_BITS`], to sign or to check a signature.
pub fn rsa_too_weak(bits: usize) -> Error {
    Error::plain(format!(
        "RSA key of {bits} bits is too weak: cfssl-rs refuses RSA keys under {RSA_MIN_BITS} bits"
    ))
}

/// The signature algorithm of the aws-lc-rs keys: Go's x509 choice for the key (spec
/// §4.1), except that RSA keys under 2048 bits sign with SHA-256 where cfssl uses SHA-1,
/// whose collisions are practical (README, Differences from cfssl).
fn signing_algorithm(key_type: KeyType) -> &'static SignatureAlgorithm {
    match key_type {
        KeyType::Rsa { bits } if bits >= 4096 => &rcgen::PKCS_RSA_SHA512,
        KeyType::Rsa { bits } if bits >= 3072 => &rcgen::PKCS_RSA_SHA384,
        KeyType::Rsa { .. } => &rcgen::PKCS_RSA_SHA256,
        KeyType::Ec(Curve::P256) => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Ec(Curve::P384) => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ec(Curve::P521) => &rcgen::PKCS_ECDSA_P521_SHA512,
        KeyType::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

fn ed25519_seed(pkcs8: &[u8]) -> Result<[u8; 32]> {
    let bad = || Error::coded(2003, "Failed to parse private key");
    let info = pkcs8::PrivateKeyInfo::from_der(pkcs8).map_err(|_| bad())?;
    let inner = der::asn1::OctetStringRef::from_der(info.private_key).map_err(|_| bad())?;
    inner.as_bytes().try_into().map_err(|_| bad())
}

/// Go's PKCS#8 form of an Ed25519 key: version 0, no public key.
fn ed25519_pkcs8_v1(seed: &[u8; 32]) -> Vec<u8> {
    let alg = asn1::seq(&[&asn1::oid(OID_ED25519).unwrap_or_default()]);
    let inner = asn1::octet_string(&asn1::octet_string(seed));
    asn1::seq(&[&asn1::int(0), &alg, &inner])
}

impl PrivateKey {
    /// The DER AlgorithmIdentifier of the signatures this key makes (RSA with NULL
    /// parameters, ECDSA and Ed25519 without).
    pub fn signature_algorithm_der(&self) -> Vec<u8> {
        let (oid, null) = match self.key_type {
            KeyType::Rsa { bits } if bits >= 4096 => ("1.2.840.113549.1.1.13", true),
            KeyType::Rsa { bits } if bits >= 3072 => ("1.2.840.113549.1.1.12", true),
            KeyType::Rsa { .. } => ("1.2.840.113549.1.1.11", true),
            KeyType::Ec(Curve::P256) => ("1.2.840.10045.4.3.2", false),
            KeyType::Ec(Curve::P384) => ("1.2.840.10045.4.3.3", false),
            KeyType::Ec(Curve::P521) => ("1.2.840.10045.4.3.4", false),
            KeyType::Ed25519 => (OID_ED25519, false),
        };
        let oid = asn1::oid(oid).unwrap_or_default();
        if null {
            asn1::seq(&[&oid, &[asn1::NULL, 0]])
        } else {
            asn1::seq(&[&oid])
        }
    }

    /// The SubjectPublicKeyInfo DER, as Go's `MarshalPKIXPublicKey` writes it.
    pub fn spki_der(&self) -> Vec<u8> {
        let alg = match self.key_type {
            KeyType::Rsa { .. } => {
                asn1::seq(&[&asn1::oid(OID_RSA).unwrap_or_default(), &[asn1::NULL, 0]])
            }
            KeyType::Ec(curve) => asn1::seq(&[
                &asn1::oid(OID_EC).unwrap_or_default(),
                &asn1::oid(curve.oid()).unwrap_or_default(),
            ]),
            KeyType::Ed25519 => asn1::seq(&[&asn1::oid(OID_ED25519).unwrap_or_default()]),
        };
        asn1::seq(&[&alg, &asn1::bit_string(&self.public_key_raw())])
    }

    /// The public key as the SPKI's bit string holds it (PKCS#1 `RSAPublicKey` for RSA).
    fn public_key_raw(&self) -> Vec<u8> {
        match &self.signer {
            Signer::AwsLc(pair) => pair.public_key_raw().to_vec(),
            Signer::LegacyRsa(key) => {
                use rsa::pkcs1::EncodeRsaPublicKey;
                let private: &rsa::RsaPrivateKey = key.as_ref().as_ref();
                private
                    .to_public_key()
                    .to_pkcs1_der()
                    .map(|d| d.into_vec())
                    .unwrap_or_default()
            }
        }
    }

    /// Signs with SHA-256 whatever the key's size: Go's `CreateCRL` picks the hash from
    /// the key type alone, unlike certificate signing (spec §8.9).
    pub fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>> {
        if let Signer::LegacyRsa(_) = self.signer {
            return self.sign(message);
        }
        let pair = KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(self.pkcs8.as_slice()),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(signing_failed)?;
        pair.sign(message).map_err(signing_failed)
    }

    /// Signs as Go does where the hash follows the key type alone (`CreateCRL`,
    /// x/crypto/ocsp): SHA-256 for every RSA key, the curve's hash for ECDSA.
    /// Returns the signature's AlgorithmIdentifier DER and the signature.
    pub fn sign_by_key_type(&self, message: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        match self.key_type {
            KeyType::Rsa { .. } => Ok((
                asn1::seq(&[
                    &asn1::oid("1.2.840.113549.1.1.11").unwrap_or_default(),
                    &[asn1::NULL, 0],
                ]),
                self.sign_rsa_sha256(message)?,
            )),
            _ => Ok((self.signature_algorithm_der(), self.sign(message)?)),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.signer {
            Signer::AwsLc(pair) => pair.sign(message).map_err(signing_failed),
            Signer::LegacyRsa(key) => {
                use rsa::signature::{RandomizedSigner, SignatureEncoding};
                key.try_sign_with_rng(&mut rand::rngs::OsRng, message)
                    .map(|s| s.to_vec())
                    .map_err(signing_failed)
            }
        }
    }

    /// The key as Go writes it: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1 with
    /// curve and public key) or cfssl's `Ed25519 PRIVATE KEY` (PKCS#8).
    pub fn to_pem(&self) -> Result<String> {
        let bad =
            |e: &dyn std::fmt::Display| Error::plain(format!("cannot encode the private key: {e}"));
        let pkcs8 = self.pkcs8.as_slice();
        let (label, der) = match self.key_type {
            KeyType::Rsa { .. } => {
                let info = pkcs8::PrivateKeyInfo::from_der(pkcs8).map_err(|e| bad(&e))?;
                ("RSA PRIVATE KEY", info.private_key.to_vec())
            }
            KeyType::Ec(curve) => (
                "EC PRIVATE KEY",
                ec_sec1(curve, pkcs8).map_err(|e| bad(&e))?,
            ),
            KeyType::Ed25519 => ("Ed25519 PRIVATE KEY", pkcs8.to_vec()),
        };
        Ok(output::pem(label, &der))
    }
}

fn signing_failed(e: impl std::fmt::Display) -> Error {
    Error::coded(1000, format!("signing failed: {e}"))
}

fn ec_sec1(curve: Curve, pkcs8: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use pkcs8::der::Encode;
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let info = pkcs8::PrivateKeyInfo::from_der(pkcs8).map_err(|x| e(&x))?;
    let inner = sec1::EcPrivateKey::from_der(info.private_key).map_err(|x| e(&x))?;
    // aws-lc leaves the curve out of the inner key (it is in the PKCS#8 wrapper); Go's
    // SEC1 form carries both the curve and the public point.
    let oid = der::asn1::ObjectIdentifier::new(curve.oid()).map_err(|x| e(&x))?;
    let full = sec1::EcPrivateKey {
        private_key: inner.private_key,
        parameters: Some(sec1::EcParameters::NamedCurve(oid)),
        public_key: inner.public_key,
    };
    full.to_der().map_err(|x| e(&x))
}

/// Reads a private key the way cfssl's `helpers.ParsePrivateKeyPEM` does (spec §6.2):
/// the first PEM block that is not `EC PARAMETERS`, label not checked, DER tried as
/// PKCS#8, PKCS#1, SEC1 and cfssl's Ed25519 form. Legacy-encrypted keys are refused
/// (2100); see [`parse_pem_with_password`].
pub fn parse_pem(data: &[u8]) -> Result<PrivateKey> {
    parse_pem_with_password(data, None)
}

/// `helpers.ParsePrivateKeyPEMWithPassword`: as [`parse_pem`], but a block with legacy
/// OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`) is decrypted with `password` when one
/// is given (Go's `x509.DecryptPEMBlock`, errors as plain text such as
/// `x509: decryption password incorrect`). Callers pass `None` for an empty password,
/// as cfssl does for an empty `CFSSL_CA_PK_PASSWORD`.
pub fn parse_pem_with_password(data: &[u8], password: Option<&[u8]>) -> Result<PrivateKey> {
    let decode_failed = || Error::coded(2002, "Failed to decode private key");
    let block = crate::pemfile::blocks(data)
        .into_iter()
        .find(|b| b.label != "EC PARAMETERS")
        .ok_or_else(decode_failed)?;
    if crate::pemcrypt::is_encrypted(&block) {
        let Some(password) = password else {
            return Err(Error::coded(2100, "Private key is encrypted."));
        };
        return parse_der(&crate::pemcrypt::decrypt(&block, password)?);
    }
    parse_der(&block.der)
}

pub fn parse_der(der: &[u8]) -> Result<PrivateKey> {
    let failed = || Error::coded(2003, "Failed to parse private key");
    if let Ok(info) = pkcs8::PrivateKeyInfo::from_der(der) {
        let alg = info.algorithm.oid.to_string();
        return match alg.as_str() {
            OID_RSA => from_pkcs1(info.private_key),
            OID_EC => {
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .ok()
                    .and_then(|o| Curve::from_oid(&o.to_string()))
                    .ok_or_else(failed)?;
                from_sec1(info.private_key, Some(curve))
            }
            OID_ED25519 => from_pkcs8(KeyType::Ed25519, &ed25519_pkcs8_v1(&ed25519_seed(der)?)),
            _ => Err(failed()),
        };
    }
    if pkcs1::RsaPrivateKey::from_der(der).is_ok() {
        return from_pkcs1(der);
    }
    from_sec1(der, None)
}

fn from_pkcs1(der: &[u8]) -> Result<PrivateKey> {
    let failed = || Error::coded(2003, "Failed to parse private key");
    let key = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| failed())?;
    let bits = modulus_bits(key.modulus.as_bytes());
    let alg = asn1::seq(&[&asn1::oid(OID_RSA).unwrap_or_default(), &[asn1::NULL, 0]]);
    let pkcs8 = asn1::seq(&[&asn1::int(0), &alg, &asn1::octet_string(der)]);
    from_pkcs8(KeyType::Rsa { bits }, &pkcs8)
}

fn modulus_bits(be: &[u8]) -> usize {
    let skip = be.iter().take_while(|&&b| b == 0).count();
    match be.get(skip) {
        Some(first) => (be.len() - skip - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

fn from_sec1(der: &[u8], curve_hint: Option<Curve>) -> Result<PrivateKey> {
    use pkcs8::EncodePrivateKey;
    let failed = || Error::coded(2003, "Failed to parse private key");
    let ec = sec1::EcPrivateKey::from_der(der).map_err(|_| failed())?;
    let curve = ec
        .parameters
        .and_then(|p| p.named_curve())
        .and_then(|o| Curve::from_oid(&o.to_string()))
        .or(curve_hint)
        .ok_or_else(failed)?;
    let scalar = ec.private_key;
    let pkcs8 = match curve {
        Curve::P256 => p256::SecretKey::from_slice(scalar)
            .map_err(|_| failed())?
            .to_pkcs8_der(),
        Curve::P384 => p384::SecretKey::from_slice(scalar)
            .map_err(|_| failed())?
            .to_pkcs8_der(),
        Curve::P521 => p521::SecretKey::from_slice(scalar)
            .map_err(|_| failed())?
            .to_pkcs8_der(),
    }
    .map_err(|_| failed())?;
    from_pkcs8(KeyType::Ec(curve), pkcs8.as_bytes())
}

/// Go's `checkSignature`: verifies `signature` over `message` with the key in `spki`,
/// for the signature algorithms Go's x509 accepts. The error is Go's text. Go refuses
/// SHA-1 in certificate chains but still accepts it on CSRs (`allow_sha1`).
pub fn check_signature(
    sig_alg: &str,
    spki: &x509_parser::x509::SubjectPublicKeyInfo,
    message: &[u8],
    signature: &[u8],
    allow_sha1: bool,
) -> std::result::Result<(), String> {
    use aws_lc_rs::signature::{self as sig, VerificationAlgorithm};
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
        .unwrap_or_default();
    let ecdsa = |p256: &'static dyn VerificationAlgorithm,
                 p384: &'static dyn VerificationAlgorithm,
                 p521: &'static dyn VerificationAlgorithm|
     -> Option<&'static dyn VerificationAlgorithm> {
        match curve.as_str() {
            "1.2.840.10045.3.1.7" => Some(p256),
            "1.3.132.0.34" => Some(p384),
            "1.3.132.0.35" => Some(p521),
            _ => None,
        }
    };
    let (alg, failure): (Option<&'static dyn VerificationAlgorithm>, &str) = match sig_alg {
        "1.2.840.113549.1.1.5" if !allow_sha1 => {
            return Err("x509: cannot verify signature: insecure algorithm SHA1-RSA".into())
        }
        "1.2.840.113549.1.1.5" => (
            Some(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
            "crypto/rsa: verification error",
        ),
        "1.2.840.113549.1.1.11" => (
            Some(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
            "crypto/rsa: verification error",
        ),
        "1.2.840.113549.1.1.12" => (
            Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            "crypto/rsa: verification error",
        ),
        "1.2.840.113549.1.1.13" => (
            Some(&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
            "crypto/rsa: verification error",
        ),
        "1.2.840.10045.4.3.2" => (
            ecdsa(
                &sig::ECDSA_P256_SHA256_ASN1,
                &sig::ECDSA_P384_SHA256_ASN1,
                &sig::ECDSA_P521_SHA256_ASN1,
            ),
            "x509: ECDSA verification failure",
        ),
        "1.2.840.10045.4.3.3" => (
            ecdsa(
                &sig::ECDSA_P256_SHA384_ASN1,
                &sig::ECDSA_P384_SHA384_ASN1,
                &sig::ECDSA_P521_SHA384_ASN1,
            ),
            "x509: ECDSA verification failure",
        ),
        "1.2.840.10045.4.3.4" => (
            ecdsa(
                &sig::ECDSA_P256_SHA512_ASN1,
                &sig::ECDSA_P384_SHA512_ASN1,
                &sig::ECDSA_P521_SHA512_ASN1,
            ),
            "x509: ECDSA verification failure",
        ),
        "1.3.101.112" => (Some(&sig::ED25519), "x509: Ed25519 verification failure"),
        _ => (None, ""),
    };
    let Some(alg) = alg else {
        return Err("x509: cannot verify signature: algorithm unimplemented".into());
    };
    if let Ok(x509_parser::public_key::PublicKey::RSA(key)) = spki.parsed() {
        let bits = modulus_bits(key.modulus);
        if bits < RSA_MIN_BITS {
            return Err(rsa_too_weak(bits).message());
        }
    }
    sig::UnparsedPublicKey::new(alg, &spki.subject_public_key.data)
        .verify(message, signature)
        .map_err(|_| failure.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_validation_matches_cfssl() {
        let msg = |a: &str, s: i64| validate_request(a, s).unwrap_err().to_string();
        assert_eq!(
            msg("rsa", 1024),
            r#"{"code":2400,"message":"RSA key is too weak"}"#
        );
        assert_eq!(
            msg("rsa", 8193),
            r#"{"code":2400,"message":"RSA key size too large"}"#
        );
        assert_eq!(
            msg("ecdsa", 224),
            r#"{"code":2400,"message":"invalid curve"}"#
        );
        assert_eq!(
            msg("RSA", 2048),
            r#"{"code":2400,"message":"invalid algorithm"}"#
        );
        assert_eq!(
            validate_request("rsa", 2049).unwrap(),
            KeyType::Rsa { bits: 2049 }
        );
        assert_eq!(validate_request("ed25519", 0).unwrap(), KeyType::Ed25519);
    }

    #[test]
    fn generated_keys_round_trip_through_their_pem() {
        for kt in [
            KeyType::Ec(Curve::P256),
            KeyType::Ec(Curve::P384),
            KeyType::Ec(Curve::P521),
            KeyType::Ed25519,
        ] {
            let k = generate(kt).unwrap();
            let pem = k.to_pem().unwrap();
            let back = parse_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{kt:?}: {e}\n{pem}"));
            assert_eq!(back.key_type, kt);
            assert_eq!(back.spki_der(), k.spki_der());
        }
    }

    #[test]
    fn rsa_pem_is_pkcs1() {
        let k = generate(KeyType::Rsa { bits: 2048 }).unwrap();
        let pem = k.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let back = parse_pem(pem.as_bytes()).unwrap();
        assert_eq!(back.key_type, KeyType::Rsa { bits: 2048 });
        assert_eq!(back.spki_der(), k.spki_der());
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert_eq!(
            parse_pem(b"nope").unwrap_err(),
            Error::coded(2002, "Failed to decode private key")
        );
    }

    /// Legacy-encrypted fixtures made with OpenSSL 3 (`openssl ec -aes128 ...`,
    /// `openssl genrsa -aes256 -traditional`, `-des` with the legacy provider), all with
    /// the password `secret`.
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../tests/data/encrypted-keys/", $name))
        };
    }
    const EC_PLAIN: &str = fixture!("ec.pem");
    const EC_ENCRYPTED: &[(&str, &str)] = &[
        ("AES-128-CBC", fixture!("ec-aes128.pem")),
        ("AES-192-CBC", fixture!("ec-aes192.pem")),
        ("AES-256-CBC", fixture!("ec-aes256.pem")),
        ("DES-EDE3-CBC", fixture!("ec-des3.pem")),
        ("DES-CBC", fixture!("ec-des.pem")),
    ];
    const RSA_PLAIN: &str = fixture!("rsa.pem");
    const RSA_AES256: &str = fixture!("rsa-aes256.pem");

    #[test]
    fn legacy_encrypted_keys_decrypt_with_the_password() {
        let plain = parse_pem(EC_PLAIN.as_bytes()).unwrap();
        for (cipher, pem) in EC_ENCRYPTED {
            assert!(pem.contains(&format!("DEK-Info: {cipher},")), "{cipher}");
            let k = parse_pem_with_password(pem.as_bytes(), Some(b"secret"))
                .unwrap_or_else(|e| panic!("{cipher}: {e}"));
            assert_eq!(k.key_type, KeyType::Ec(Curve::P256), "{cipher}");
            assert_eq!(k.spki_der(), plain.spki_der(), "{cipher}");
        }
        let plain = parse_pem(RSA_PLAIN.as_bytes()).unwrap();
        let k = parse_pem_with_password(RSA_AES256.as_bytes(), Some(b"secret")).unwrap();
        assert_eq!(k.key_type, KeyType::Rsa { bits: 2048 });
        assert_eq!(k.spki_der(), plain.spki_der());
    }

    #[test]
    fn legacy_encrypted_keys_without_password_are_2100() {
        for pem in EC_ENCRYPTED.iter().map(|(_, p)| *p).chain([RSA_AES256]) {
            let want = Error::coded(2100, "Private key is encrypted.");
            assert_eq!(parse_pem(pem.as_bytes()).unwrap_err(), want);
            assert_eq!(
                parse_pem_with_password(pem.as_bytes(), None).unwrap_err(),
                want
            );
        }
    }

    #[test]
    fn wrong_password_is_reported_as_go_does() {
        for pem in EC_ENCRYPTED.iter().map(|(_, p)| *p).chain([RSA_AES256]) {
            assert_eq!(
                parse_pem_with_password(pem.as_bytes(), Some(b"wrong")).unwrap_err(),
                Error::plain("x509: decryption password incorrect")
            );
        }
    }

    /// `openssl genrsa -traditional` keys of the sizes aws-lc-rs will not load.
    const RSA_512: &str = include_str!("../tests/data/weak-keys/rsa512.pem");
    const RSA_1024: &str = include_str!("../tests/data/weak-keys/rsa1024.pem");
    const RSA_1536: &str = include_str!("../tests/data/weak-keys/rsa1536.pem");

    #[test]
    fn rsa_keys_of_1024_to_2047_bits_sign_with_sha256() {
        use aws_lc_rs::signature::{
            UnparsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        };
        for (bits, pem) in [(1024, RSA_1024), (1536, RSA_1536)] {
            let k = parse_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{bits}: {e}"));
            assert_eq!(k.key_type, KeyType::Rsa { bits });
            assert_eq!(
                k.to_pem().unwrap(),
                pem,
                "{bits}: PKCS#1 written back unchanged"
            );
            let sha256_rsa = asn1::seq(&[
                &asn1::oid("1.2.840.113549.1.1.11").unwrap(),
                &[asn1::NULL, 0],
            ]);
            assert_eq!(k.signature_algorithm_der(), sha256_rsa);
            let spki_der = k.spki_der();
            let (_, spki) = <x509_parser::x509::SubjectPublicKeyInfo as x509_parser::prelude::FromDer<_>>::from_der(&spki_der).unwrap();
            let public = UnparsedPublicKey::new(
                &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                &spki.subject_public_key.data,
            );
            for sig in [
                k.sign(b"message").unwrap(),
                k.sign_rsa_sha256(b"message").unwrap(),
                k.sign_by_key_type(b"message").unwrap().1,
            ] {
                public.verify(b"message", &sig).unwrap();
                assert!(public.verify(b"other", &sig).is_err());
            }
            check_signature(
                "1.2.840.113549.1.1.11",
                &spki,
                b"message",
                &k.sign(b"message").unwrap(),
                false,
            )
            .unwrap();
        }
    }

    #[test]
    fn rsa_keys_under_1024_bits_are_refused() {
        assert_eq!(
            parse_pem(RSA_512.as_bytes()).unwrap_err().to_string(),
            "RSA key of 512 bits is too weak: cfssl-rs refuses RSA keys under 1024 bits"
        );
    }

    #[test]
    fn password_is_ignored_for_plain_keys() {
        let k = parse_pem_with_password(EC_PLAIN.as_bytes(), Some(b"secret")).unwrap();
        assert_eq!(k.key_type, KeyType::Ec(Curve::P256));
    }
}
