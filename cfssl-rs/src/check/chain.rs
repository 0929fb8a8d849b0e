//! Certificates and chain verification as Go's `crypto/x509` (Go 1.19, which Debian's
//! etcd 3.4 is built with) decides them: the same candidate search (issuer name, key
//! identifiers), the same checks in the same order, and the same error texts, because
//! the texts are what etcd and etcdctl log.
//!
//! Hand-written: rustls-webpki answers "does it verify" but with its own rules
//! (it rejects what Go accepts, e.g. a trust anchor that is an end-entity certificate,
//! and reports different reasons), and predicting etcd means reproducing Go exactly.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use x509_parser::prelude::*;

use super::usage::{Eku, Usage};

/// What Go's verifier looks at in one certificate, parsed once.
#[derive(Debug, Clone)]
pub struct Cert {
    pub raw: Vec<u8>,
    /// SHA-256 of `raw`: the certificate's identity in [`Signatures`].
    fingerprint: Fingerprint,
    tbs: Vec<u8>,
    sig_alg: String,
    sig_params: Option<Vec<u8>>,
    signature: Vec<u8>,
    raw_subject: Vec<u8>,
    raw_issuer: Vec<u8>,
    pub cn: String,
    org: Option<String>,
    serial: String,
    pub not_before: i64,
    pub not_after: i64,
    version: u32,
    bc_valid: bool,
    is_ca: bool,
    /// -1 when absent, as Go's `MaxPathLen`.
    max_path_len: i64,
    key_usage: u16,
    key_cert_sign: bool,
    pub eku: Eku,
    pub dns_names: Vec<String>,
    pub ip_addrs: Vec<IpAddr>,
    pub has_san: bool,
    ski: Vec<u8>,
    aki: Vec<u8>,
    unhandled_critical: bool,
    pub spki: Vec<u8>,
    pub key: PublicKey,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PublicKey {
    Rsa { modulus: Vec<u8>, bits: usize },
    Ec { curve: &'static str, point: Vec<u8> },
    Ed25519(Vec<u8>),
    Unknown,
}

impl PublicKey {
    /// A short description for reports: `RSA 2048`, `ECDSA P-256`, `Ed25519`.
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { bits, .. } => format!("RSA {bits}"),
            PublicKey::Ec { curve, .. } => format!("ECDSA {curve}"),
            PublicKey::Ed25519(_) => "Ed25519".into(),
            PublicKey::Unknown => "unknown key type".into(),
        }
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";

/// Extensions Go's parser understands; any other one marked critical makes Go refuse
/// the certificate with "unhandled critical extension".
const HANDLED: &[&str] = &[
    "2.5.29.15",         // key usage
    "2.5.29.19",         // basic constraints
    "2.5.29.17",         // subject alt name
    "2.5.29.30",         // name constraints
    "2.5.29.31",         // CRL distribution points
    "2.5.29.35",         // authority key id
    "2.5.29.37",         // extended key usage
    "2.5.29.14",         // subject key id
    "2.5.29.32",         // certificate policies
    "1.3.6.1.5.5.7.1.1", // authority info access
];

fn strip_leading_zeros(b: &[u8]) -> Vec<u8> {
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        Some(first) => (be.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

/// Public key facts from a SubjectPublicKeyInfo, the same for certificates and keys.
pub fn public_key_of(spki: &SubjectPublicKeyInfo) -> PublicKey {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        OID_RSA => match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                let modulus = strip_leading_zeros(rsa.modulus);
                let bits = bit_len(&modulus);
                PublicKey::Rsa { modulus, bits }
            }
            _ => PublicKey::Unknown,
        },
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let curve = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "P-256",
                Some("1.3.132.0.34") => "P-384",
                Some("1.3.132.0.35") => "P-521",
                Some("1.3.132.0.33") => "P-224",
                _ => return PublicKey::Unknown,
            };
            PublicKey::Ec {
                curve,
                point: spki.subject_public_key.data.to_vec(),
            }
        }
        OID_ED25519 => PublicKey::Ed25519(spki.subject_public_key.data.to_vec()),
        _ => PublicKey::Unknown,
    }
}

impl Cert {
    /// Parses one DER certificate; the error is Go's wording where it has one.
    pub fn parse(der: &[u8]) -> Result<Cert, String> {
        let (rest, c) = X509Certificate::from_der(der)
            .map_err(|e| format!("x509: malformed certificate ({e})"))?;
        if !rest.is_empty() {
            return Err("x509: trailing data".into());
        }
        let tbs = &c.tbs_certificate;
        let bc = tbs
            .basic_constraints()
            .map_err(|e| format!("x509: invalid basic constraints ({e})"))?;
        let ku = tbs
            .key_usage()
            .map_err(|e| format!("x509: invalid key usage ({e})"))?;
        let eku = tbs
            .extended_key_usage()
            .map_err(|e| format!("x509: invalid extended key usage ({e})"))?;
        let san = tbs
            .subject_alternative_name()
            .map_err(|e| format!("x509: invalid subject alternative names ({e})"))?;
        let mut dns_names = Vec::new();
        let mut ip_addrs = Vec::new();
        if let Some(san) = &san {
            for n in &san.value.general_names {
                match n {
                    GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                    GeneralName::IPAddress(b) => match b.len() {
                        4 => {
                            ip_addrs.push(IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default()))
                        }
                        16 => ip_addrs
                            .push(IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())),
                        n => return Err(format!("x509: cannot parse IP address of length {n}")),
                    },
                    _ => {}
                }
            }
        }
        let mut ski = Vec::new();
        let mut aki = Vec::new();
        let mut unhandled_critical = false;
        for ext in tbs.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => ski = k.0.to_vec(),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    if let Some(k) = &a.key_identifier {
                        aki = k.0.to_vec();
                    }
                }
                _ => {}
            }
            if ext.critical && !HANDLED.contains(&ext.oid.to_id_string().as_str()) {
                unhandled_critical = true;
            }
        }
        let cn = tbs
            .subject
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_string();
        let org = tbs
            .subject
            .iter_organization()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_string);
        let (bc_valid, is_ca, max_path_len) = match &bc {
            Some(b) => (
                true,
                b.value.ca,
                b.value.path_len_constraint.map(i64::from).unwrap_or(-1),
            ),
            None => (false, false, -1),
        };
        let mut fingerprint = [0; 32];
        fingerprint
            .copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref());
        Ok(Cert {
            raw: der.to_vec(),
            fingerprint,
            tbs: tbs.as_ref().to_vec(),
            sig_alg: c.signature_algorithm.algorithm.to_id_string(),
            sig_params: c
                .signature_algorithm
                .parameters
                .as_ref()
                .map(|p| p.as_bytes().to_vec()),
            signature: c.signature_value.data.to_vec(),
            raw_subject: tbs.subject.as_raw().to_vec(),
            raw_issuer: tbs.issuer.as_raw().to_vec(),
            cn,
            org,
            serial: tbs.serial.to_string(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            version: tbs.version.0 + 1,
            bc_valid,
            is_ca,
            max_path_len,
            key_usage: ku.as_ref().map(|k| k.value.flags).unwrap_or(0),
            key_cert_sign: ku
                .as_ref()
                .map(|k| k.value.key_cert_sign())
                .unwrap_or(false),
            eku: Eku::from_parsed(eku.as_ref().map(|e| e.value)),
            dns_names,
            ip_addrs,
            has_san: san.is_some(),
            ski,
            aki,
            unhandled_critical,
            spki: tbs.subject_pki.raw.to_vec(),
            key: public_key_of(&tbs.subject_pki),
        })
    }

    /// The name Go uses for this certificate in "candidate authority" hints.
    fn hint_name(&self) -> String {
        if !self.cn.is_empty() {
            self.cn.clone()
        } else if let Some(o) = &self.org {
            o.clone()
        } else {
            format!("serial:{}", self.serial)
        }
    }

    /// Go's `CheckSignatureFrom`: the parent must be allowed to sign certificates,
    /// then the signature must verify under the parent's key.
    fn check_signature_from(&self, parent: &Cert) -> Result<(), String> {
        if (parent.version == 3 && !parent.bc_valid) || (parent.bc_valid && !parent.is_ca) {
            return Err(CONSTRAINT_VIOLATION.into());
        }
        if parent.key_usage != 0 && !parent.key_cert_sign {
            return Err(CONSTRAINT_VIOLATION.into());
        }
        if parent.key == PublicKey::Unknown {
            return Err("x509: cannot verify signature: algorithm unimplemented".into());
        }
        super::signature::verify(
            &self.sig_alg,
            self.sig_params.as_deref(),
            &parent.spki,
            &parent.key,
            &self.tbs,
            &self.signature,
        )
    }

    /// Go's `isValid` for one certificate at `now` (unix seconds).
    fn is_valid(&self, role: Role, chain_len: usize, now: i64) -> Result<(), String> {
        if self.unhandled_critical {
            return Err("x509: unhandled critical extension".into());
        }
        if now < self.not_before {
            return Err(format!(
                "{EXPIRED}current time {} is before {}",
                rfc3339(now),
                rfc3339(self.not_before)
            ));
        }
        if now > self.not_after {
            return Err(format!(
                "{EXPIRED}current time {} is after {}",
                rfc3339(now),
                rfc3339(self.not_after)
            ));
        }
        if role == Role::Intermediate && (!self.bc_valid || !self.is_ca) {
            return Err("x509: certificate is not authorized to sign other certificates".into());
        }
        if self.bc_valid && self.max_path_len >= 0 {
            let intermediates = chain_len as i64 - 1;
            if intermediates > self.max_path_len {
                return Err("x509: too many intermediates for path length constraint".into());
            }
        }
        Ok(())
    }

    pub fn is_self_issued(&self) -> bool {
        self.raw_subject == self.raw_issuer
    }

    pub fn is_ca(&self) -> bool {
        self.bc_valid && self.is_ca
    }
}

const CONSTRAINT_VIOLATION: &str =
    "x509: invalid signature: parent certificate cannot sign this kind of certificate";
const EXPIRED: &str = "x509: certificate has expired or is not yet valid: ";
pub const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";
const MAX_SIGNATURE_CHECKS: usize = 100;

/// Go's `time.RFC3339` of a UTC instant.
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Leaf,
    Intermediate,
    Root,
}

/// A `CertPool`: what a trust file or the peer's extra certificates hold.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    certs: Vec<Cert>,
}

impl Pool {
    pub fn new(certs: Vec<Cert>) -> Pool {
        Pool { certs }
    }

    pub fn certs(&self) -> &[Cert] {
        &self.certs
    }

    fn contains(&self, c: &Cert) -> bool {
        self.certs.iter().any(|x| x.raw == c.raw)
    }

    /// Go's `findPotentialParents`: same issuer name, ordered by key-identifier match.
    fn potential_parents(&self, c: &Cert) -> Vec<&Cert> {
        let (mut matching, mut one, mut mismatch) = (Vec::new(), Vec::new(), Vec::new());
        for p in self.certs.iter().filter(|p| p.raw_subject == c.raw_issuer) {
            if p.ski == c.aki {
                matching.push(p);
            } else if p.ski.is_empty() != c.aki.is_empty() {
                one.push(p);
            } else {
                mismatch.push(p);
            }
        }
        matching.extend(one);
        matching.extend(mismatch);
        matching
    }
}

/// The signature checks made so far, by (certificate, parent): one check judges each
/// pair for many connections (a client certificate once per member, a member's
/// certificate once per client), and a signature verification (ECDSA P-384 in the
/// tls-setup tree) costs more than the rest of a judgement together.
#[derive(Default)]
pub struct Signatures(RefCell<HashMap<(Fingerprint, Fingerprint), Result<(), String>>>);

type Fingerprint = [u8; 32];

impl Signatures {
    fn check(&self, child: &Cert, parent: &Cert) -> Result<(), String> {
        let key = (child.fingerprint, parent.fingerprint);
        if let Some(done) = self.0.borrow().get(&key) {
            return done.clone();
        }
        let result = child.check_signature_from(parent);
        self.0.borrow_mut().insert(key, result.clone());
        result
    }
}

/// What a verification needs besides the leaf: Go's `VerifyOptions`.
pub struct Verify<'a> {
    /// `None` is the system pool (Go falls back to it when no trust file is set).
    pub roots: Option<&'a Pool>,
    pub intermediates: &'a Pool,
    pub dns_name: Option<&'a str>,
    pub usage: Usage,
    pub now: i64,
    pub signatures: &'a Signatures,
}

/// Go's `Certificate.Verify`. On success, the chain (leaf first) that Go would use.
pub fn verify(leaf: &Cert, opts: &Verify) -> Result<Vec<Cert>, String> {
    let empty = Pool::default();
    // The system pool never holds the private CAs etcd deployments use; treating it as
    // empty gives Go's answer for them (unknown authority).
    let roots = opts.roots.unwrap_or(&empty);
    leaf.is_valid(Role::Leaf, 0, opts.now)?;
    if let Some(name) = opts.dns_name {
        super::names::verify_hostname(leaf, name)?;
    }
    let chains = if roots.contains(leaf) {
        vec![vec![leaf.clone()]]
    } else {
        let mut checks = 0;
        build_chains(leaf, vec![leaf.clone()], roots, opts, &mut checks)?
    };
    chains
        .into_iter()
        .find(|chain| super::usage::chain_allows(chain, opts.usage))
        .ok_or_else(|| "x509: certificate specifies an incompatible key usage".to_string())
}

fn build_chains(
    c: &Cert,
    current: Vec<Cert>,
    roots: &Pool,
    opts: &Verify,
    checks: &mut usize,
) -> Result<Vec<Vec<Cert>>, String> {
    let mut chains = Vec::new();
    let mut err: Option<String> = None;
    let mut hint: Option<(String, String)> = None;
    let candidates = roots
        .potential_parents(c)
        .into_iter()
        .map(|p| (Role::Root, p))
        .chain(
            opts.intermediates
                .potential_parents(c)
                .into_iter()
                .map(|p| (Role::Intermediate, p)),
        );
    for (role, cand) in candidates {
        if current.iter().any(|x| x.raw == cand.raw) {
            continue;
        }
        *checks += 1;
        if *checks > MAX_SIGNATURE_CHECKS {
            err = Some(
                "x509: signature check attempts limit reached while verifying certificate chain"
                    .into(),
            );
            continue;
        }
        if let Err(e) = opts.signatures.check(c, cand) {
            if hint.is_none() {
                hint = Some((e, cand.hint_name()));
            }
            continue;
        }
        if let Err(e) = cand.is_valid(role, current.len(), opts.now) {
            err = Some(e);
            continue;
        }
        let mut next = current.clone();
        next.push(cand.clone());
        match role {
            Role::Root => chains.push(next),
            _ => match build_chains(cand, next, roots, opts, checks) {
                Ok(more) => chains.extend(more),
                Err(e) => err = Some(e),
            },
        }
    }
    if !chains.is_empty() {
        return Ok(chains);
    }
    Err(err.unwrap_or_else(|| match hint {
        Some((e, name)) => format!(
            "{UNKNOWN_AUTHORITY} (possibly because of {} while trying to verify candidate authority certificate {})",
            crate::gojson::go_quote(&e),
            crate::gojson::go_quote(&name)
        ),
        None => UNKNOWN_AUTHORITY.to_string(),
    }))
}
