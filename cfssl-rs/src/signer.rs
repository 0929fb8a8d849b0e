//! Turning a request into a certificate the way cfssl's local signer does: serial,
//! validity, subject, extensions in Go's order, issuer bytes copied from the CA, and the
//! signature made with the CA key.

use crate::asn1;
use crate::ca::CaCert;
use crate::config::{CertificatePolicy, CsrWhitelist, Profile, Signing};
use crate::csr::{ParsedCsr, RawExtension, Request, Subject};
use crate::error::{Error, Result};
use crate::hosts::{self, San};
use crate::keys::PrivateKey;
use crate::log;
use chrono::{DateTime, Utc};
use sha1::{Digest, Sha1};

mod local;
pub use local::Local;

const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_SKI: &str = "2.5.29.14";
const OID_AKI: &str = "2.5.29.35";
const OID_AIA: &str = "1.3.6.1.5.5.7.1.1";
const OID_SAN: &str = "2.5.29.17";
const OID_CRL_DP: &str = "2.5.29.31";
const OID_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";
const OID_CERTIFICATE_POLICIES: &str = "2.5.29.32";
const OID_DELEGATION_USAGE: &str = "1.3.6.1.4.1.44363.44";
const OID_OCSP_NO_CHECK: &str = "1.3.6.1.5.5.7.48.1.5";
const OID_QT_CPS: &str = "1.3.6.1.5.5.7.2.1";
const OID_QT_UNOTICE: &str = "1.3.6.1.5.5.7.2.2";

/// Everything that goes into one certificate, already decided by policy.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Big-endian magnitude of the (positive) serial number.
    pub serial: Vec<u8>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub subject_der: Vec<u8>,
    pub spki_der: Vec<u8>,
    /// X.509 KeyUsage bits, bit 0 = digitalSignature … bit 8 = decipherOnly.
    pub key_usage: u16,
    /// Dotted EKU OIDs in profile order, duplicates kept.
    pub ext_key_usage: Vec<String>,
    pub is_ca: bool,
    pub path_len: Option<u64>,
    pub sans: Vec<San>,
    pub ocsp_url: String,
    pub issuer_urls: Vec<String>,
    pub crl_url: String,
    /// Extensions appended after the standard ones, in order: CSR-copied extensions,
    /// certificatePolicies, OCSP no-check. One with a standard extension's OID replaces it.
    pub extra_extensions: Vec<RawExtension>,
}

/// The CA side of a signature.
pub struct Issuer<'a> {
    /// The CA certificate's subject, byte for byte; it becomes the issuer field.
    pub subject_der: &'a [u8],
    /// The CA certificate's subjectKeyIdentifier, if it has one.
    pub key_id: Option<&'a [u8]>,
    pub key: &'a PrivateKey,
}

/// What a signer is asked to sign (cfssl's `signer.SignRequest`): a PEM CSR plus the
/// caller's overrides and choice of profile.
#[derive(Debug, Clone, Default)]
pub struct SignRequest {
    /// The PEM CSR (`certificate_request`).
    pub request: Vec<u8>,
    /// Replaces the CSR's SANs (`sign -hostname`, gencert's hosts, the API's `hosts`);
    /// `Some(empty)` removes them.
    pub hosts: Option<Vec<String>>,
    /// `sign`'s SUBJECT file: its CN, per-type lists and serial number win.
    pub subject: Option<Request>,
    /// The profile name; empty or unknown means the default.
    pub profile: String,
    /// Which CA a multi-root signer uses; a single local CA ignores it.
    pub label: String,
    /// `-crl`: replaces the profile's CRL distribution point.
    pub crl_override: String,
    /// Refuse a certificate with an empty subject and no subjectAltName (RFC 5280
    /// §4.1.2.6), which cfssl issues: the command line asks for this; the server keeps
    /// cfssl's wire behaviour.
    pub require_subject_or_san: bool,
}

/// What `info` asks for (cfssl's `info.Req`).
#[derive(Debug, Clone, Default)]
pub struct InfoRequest {
    pub label: String,
    pub profile: String,
}

/// What `info` answers (cfssl's `info.Resp`).
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The CA certificate, PEM without the trailing newline.
    pub certificate: String,
    pub usages: Vec<String>,
    pub expiry: String,
}

/// A certificate issuer the commands and the server can use without knowing where the
/// key is: the local CA ([`Local`]) or a remote cfssl server. Shared by every request
/// thread of the server, so it takes `&self` and is `Send + Sync`.
pub trait Signer: Send + Sync {
    /// Signs `req` and returns the certificate as PEM. `now` is when a local signer
    /// issues it; a remote one uses its own clock.
    fn sign(&self, req: &SignRequest, now: DateTime<Utc>) -> Result<String>;
    /// The CA certificate and the usages and expiry of the requested profile.
    fn info(&self, req: &InfoRequest) -> Result<Info>;
    /// The signing policy: the server picks profiles and authentication from it.
    fn policy(&self) -> &Signing;
}

/// cfssl's local signer up to the signature (spec §4): the CA-request checks, the
/// profile's CSR whitelist, host and subject overrides, the name whitelist and serial
/// policy, and which CSR extensions are copied (DelegationUsage always; everything but
/// basicConstraints with `copy_extensions`).
pub fn local_template(
    profile: &Profile,
    ca: &CaCert,
    csr: &ParsedCsr,
    req: &SignRequest,
    now: DateTime<Utc>,
) -> Result<Template> {
    check_ca_request(csr, profile, ca.is_ca, ca.max_path_len)?;
    let allowed = profile.csr_whitelist.as_ref();
    let allow = |field: fn(&CsrWhitelist) -> bool| allowed.is_none_or(field);
    let mut subject = if allow(|w| w.subject) {
        csr.subject.clone()
    } else {
        Subject::default()
    };
    let mut sans: Vec<San> = csr
        .sans
        .iter()
        .filter(|s| match s {
            San::Dns(_) => allow(|w| w.dns_names),
            San::Email(_) => allow(|w| w.email_addresses),
            San::Ip(_) => allow(|w| w.ip_addresses),
            San::Uri(_) => allow(|w| w.uris),
        })
        .cloned()
        .collect();
    if let Some(hosts) = &req.hosts {
        sans = hosts::sans_in_go_order(hosts);
    }
    if let Some(r) = &req.subject {
        subject = subject.overridden_by(r);
    }
    check_request(profile, &subject.cn, &sans)?;
    let (bc, delegation) = (oid(OID_BASIC_CONSTRAINTS), oid(OID_DELEGATION_USAGE));
    let extra: Vec<RawExtension> = csr
        .extensions
        .iter()
        .filter(|e| {
            if profile.copy_extensions {
                e.oid_der != bc
            } else {
                e.oid_der == delegation
            }
        })
        .cloned()
        .collect();
    let mut t = template(
        profile,
        now,
        subject.to_der(),
        csr.spki_der.clone(),
        sans,
        extra,
    )?;
    if !req.crl_override.is_empty() {
        t.crl_url = req.crl_override.clone();
    }
    if req.require_subject_or_san && t.subject_der == EMPTY_NAME && t.sans.is_empty() {
        return Err(Error::plain(
            "refusing to issue a certificate with an empty subject and no subjectAltName (RFC 5280 section 4.1.2.6): give the request a CN, names or hosts",
        ));
    }
    Ok(t)
}

/// cfssl's checks for a CSR asking for CA:TRUE (spec §4.5): the profile must issue CAs
/// and the issuing CA's path length must leave room for the requested one.
fn check_ca_request(
    csr: &ParsedCsr,
    profile: &Profile,
    issuer_is_ca: bool,
    issuer_path_len: Option<u32>,
) -> Result<()> {
    let Some(requested) = csr.ca else {
        return Ok(());
    };
    let violation = |why: &str| {
        log::error(why);
        Err(Error::coded(5300, "Policy violation request"))
    };
    if !profile.ca_constraint.is_ca {
        return violation("local signer policy disallows issuing CA certificate");
    }
    match issuer_path_len.filter(|_| issuer_is_ca) {
        Some(0) => violation("local signer certificate disallows issuing CA certificate"),
        // Go reads an absent pathlen in the CSR as -1, which never extends the chain.
        Some(n) if requested.is_some_and(|r| r >= n) => {
            violation("local signer certificate disallows CA MaxPathLen extending")
        }
        _ => Ok(()),
    }
}

/// The local signer's checks on what is being asked for, in cfssl's order: the name
/// whitelist (an unanchored regex over a non-empty CN and every DNS, email and URI
/// SAN), then
/// a profile that insists on client-provided serial numbers, which the CLI never sends.
pub fn check_request(profile: &Profile, cn: &str, sans: &[San]) -> Result<()> {
    if let Some(re) = &profile.name_whitelist {
        // cfssl checks the CN only when there is one.
        let listed = (cn.is_empty() || re.is_match(cn))
            && sans.iter().all(|s| match s {
                San::Dns(d) | San::Email(d) | San::Uri(d) => re.is_match(d),
                San::Ip(_) => true,
            });
        if !listed {
            return Err(Error::coded(
                5500,
                "Request does not match policy whitelist",
            ));
        }
    }
    if profile.client_provides_serial_numbers {
        return Err(Error::coded(1400, "Missing serial number in request"));
    }
    Ok(())
}

/// Applies a signing profile to a subject and public key (spec §4): usages, validity,
/// CA constraint, AIA/CRL URLs, then the extras in Go's order: `extra` (CSR-copied
/// extensions), certificatePolicies, OCSP no-check.
pub fn template(
    profile: &Profile,
    now: DateTime<Utc>,
    subject_der: Vec<u8>,
    spki_der: Vec<u8>,
    sans: Vec<San>,
    extra: Vec<RawExtension>,
) -> Result<Template> {
    profile.check_key_usage()?;
    profile.check_policies()?;
    let (key_usage, ekus) = profile.key_usage();
    let (not_before, not_after) = profile.validity(now)?;
    check_issuable(profile, now, not_before, not_after)?;
    let mut extra_extensions = extra;
    if !profile.policies.is_empty() {
        extra_extensions.push(RawExtension {
            oid_der: oid(OID_CERTIFICATE_POLICIES),
            critical: false,
            value: certificate_policies(&profile.policies),
        });
    }
    if profile.ocsp_no_check {
        extra_extensions.push(RawExtension {
            oid_der: oid(OID_OCSP_NO_CHECK),
            critical: false,
            value: vec![asn1::NULL, 0],
        });
    }
    Ok(Template {
        serial: random_serial(),
        not_before,
        not_after,
        subject_der,
        spki_der,
        key_usage,
        ext_key_usage: ekus.into_iter().map(String::from).collect(),
        is_ca: profile.ca_constraint.is_ca,
        path_len: profile.ca_constraint.path_len()?.map(|n| n as u64),
        sans,
        ocsp_url: profile.ocsp_url.clone(),
        issuer_urls: profile.issuer_urls.clone().unwrap_or_default(),
        crl_url: profile.crl_url.clone(),
        extra_extensions,
    })
}

/// `cfssl selfsign`'s certificate, which follows its own rules rather than the signer's
/// (spec §4.7): a 63-bit serial, notBefore = now − 5m unrounded, notAfter = now + expiry,
/// no pathlen, AIA with issuer URLs only, no CRL DP, policies or OCSP no-check, and the
/// CSR's extensions copied raw after the generated ones.
pub fn selfsign_template(
    profile: &Profile,
    now: DateTime<Utc>,
    subject_der: Vec<u8>,
    spki_der: Vec<u8>,
    csr_extensions: Vec<RawExtension>,
) -> Result<Template> {
    profile.check_key_usage()?;
    let (key_usage, ekus) = profile.key_usage();
    let not_after = now
        .checked_add_signed(chrono::Duration::nanoseconds(profile.expiry))
        .ok_or_else(|| Error::plain("certificate expiry is out of range"))?;
    let not_before = now - chrono::Duration::minutes(5);
    check_issuable(profile, now, not_before, not_after)?;
    Ok(Template {
        serial: random_serial_63(),
        not_before,
        not_after,
        subject_der,
        spki_der,
        key_usage,
        ext_key_usage: ekus.into_iter().map(String::from).collect(),
        is_ca: profile.ca_constraint.is_ca,
        issuer_urls: profile.issuer_urls.clone().unwrap_or_default(),
        extra_extensions: csr_extensions,
        ..Template::default()
    })
}

/// certificatePolicies: each policy OID with its qualifiers, CPS as an IA5String URI and
/// user notices as `SEQUENCE { UTF8String explicitText }`.
fn certificate_policies(policies: &[CertificatePolicy]) -> Vec<u8> {
    let infos: Vec<Vec<u8>> = policies
        .iter()
        .map(|p| {
            let id = oid(&p.id.to_string());
            if p.qualifiers.is_empty() {
                return asn1::seq(&[&id]);
            }
            let quals: Vec<Vec<u8>> = p
                .qualifiers
                .iter()
                .map(|q| match q.kind.as_str() {
                    "id-qt-cps" => asn1::seq(&[
                        &oid(OID_QT_CPS),
                        &asn1::tlv(asn1::IA5_STRING, q.value.as_bytes()),
                    ]),
                    _ => asn1::seq(&[
                        &oid(OID_QT_UNOTICE),
                        &asn1::seq(&[&asn1::tlv(asn1::UTF8_STRING, q.value.as_bytes())]),
                    ]),
                })
                .collect();
            asn1::seq(&[&id, &asn1::tlv(asn1::SEQUENCE, &quals.concat())])
        })
        .collect();
    asn1::tlv(asn1::SEQUENCE, &infos.concat())
}

/// cfssl's serial: 20 random bytes with the top bit cleared, so always positive.
pub fn random_serial() -> Vec<u8> {
    let mut b = vec![0u8; 20];
    // aws-lc's DRBG (seeded from the OS, reseeded by aws-lc) rather than a
    // getrandom(2) call per certificate: a signing server makes thousands a second.
    // (It panics where OsRng did: on a failure aws-lc itself treats as fatal.)
    aws_lc_rs::rand::fill(&mut b).expect("the system's random number generator");
    b[0] &= 0x7f;
    b
}

/// selfsign's serial: uniform in [0, 2^63 − 1), as Go's `rand.Int(rand.Reader,
/// math.MaxInt64)` draws it.
pub fn random_serial_63() -> Vec<u8> {
    use rand::Rng;
    rand::rngs::OsRng
        .gen_range(0..i64::MAX as u64)
        .to_be_bytes()
        .to_vec()
}

/// The serial number in decimal, as cfssl logs it.
pub fn serial_decimal(magnitude: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &byte in magnitude {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            let v = *d as u32 * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    digits.iter().rev().map(|d| (b'0' + d) as char).collect()
}

/// RFC 5280 method 1: SHA-1 over the subjectPublicKey BIT STRING contents.
pub fn key_id(spki_der: &[u8]) -> Result<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| Error::coded(1000, format!("x509: malformed public key: {e}")))?;
    Ok(Sha1::digest(&spki.subject_public_key.data).to_vec())
}

/// KeyUsage as Go marshals it: a BIT STRING trimmed of trailing zero bits.
pub fn key_usage_value(bits: u16) -> Vec<u8> {
    let mut bytes = vec![
        (bits as u8).reverse_bits(),
        ((bits >> 8) as u8).reverse_bits(),
    ];
    if bytes[1] == 0 {
        bytes.truncate(1);
    }
    let last = *bytes.last().unwrap_or(&0);
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    let mut content = vec![unused];
    content.extend_from_slice(&bytes);
    asn1::tlv(asn1::BIT_STRING, &content)
}

fn oid(dotted: &str) -> Vec<u8> {
    asn1::oid(dotted).unwrap_or_default()
}

/// The extensions in the order Go's x509 writes them (spec §4.4).
fn extensions(t: &Template, issuer: &Issuer, self_signed: bool) -> Result<Vec<u8>> {
    let wanted = |o: &str| !t.extra_extensions.iter().any(|e| e.oid_der == oid(o));
    let mut out: Vec<Vec<u8>> = Vec::new();

    if t.key_usage != 0 && wanted(OID_KEY_USAGE) {
        out.push(asn1::extension(
            &oid(OID_KEY_USAGE),
            true,
            &key_usage_value(t.key_usage),
        ));
    }
    if !t.ext_key_usage.is_empty() && wanted(OID_EXT_KEY_USAGE) {
        let oids: Vec<u8> = t.ext_key_usage.iter().flat_map(|o| oid(o)).collect();
        out.push(asn1::extension(
            &oid(OID_EXT_KEY_USAGE),
            false,
            &asn1::tlv(asn1::SEQUENCE, &oids),
        ));
    }
    if wanted(OID_BASIC_CONSTRAINTS) {
        let bc = if t.is_ca {
            crate::csr::ca_basic_constraints(t.path_len)
        } else {
            asn1::seq(&[])
        };
        out.push(asn1::extension(&oid(OID_BASIC_CONSTRAINTS), true, &bc));
    }
    if wanted(OID_SKI) {
        out.push(asn1::extension(
            &oid(OID_SKI),
            false,
            &asn1::octet_string(&key_id(&t.spki_der)?),
        ));
    }
    if let Some(kid) = issuer
        .key_id
        .filter(|_| !self_signed && t.subject_der != issuer.subject_der)
    {
        if wanted(OID_AKI) {
            out.push(asn1::extension(
                &oid(OID_AKI),
                false,
                &asn1::seq(&[&asn1::tlv(0x80, kid)]),
            ));
        }
    }
    if (!t.ocsp_url.is_empty() || !t.issuer_urls.is_empty()) && wanted(OID_AIA) {
        let mut access = Vec::new();
        if !t.ocsp_url.is_empty() {
            access.push(asn1::seq(&[
                &oid(OID_OCSP),
                &asn1::tlv(0x86, t.ocsp_url.as_bytes()),
            ]));
        }
        for url in &t.issuer_urls {
            access.push(asn1::seq(&[
                &oid(OID_CA_ISSUERS),
                &asn1::tlv(0x86, url.as_bytes()),
            ]));
        }
        out.push(asn1::extension(
            &oid(OID_AIA),
            false,
            &asn1::tlv(asn1::SEQUENCE, &access.concat()),
        ));
    }
    let sans: Vec<San> = if t.is_ca {
        t.sans
            .iter()
            .filter(|s| matches!(s, San::Ip(_)))
            .cloned()
            .collect()
    } else {
        t.sans.clone()
    };
    if !sans.is_empty() && wanted(OID_SAN) {
        let value = hosts::general_names(&sans).map_err(|name| {
            Error::abort(format!(
                "host {name:?} cannot be encoded: names must be ASCII"
            ))
        })?;
        let subject_empty = t.subject_der == [asn1::SEQUENCE, 0];
        out.push(asn1::extension(&oid(OID_SAN), subject_empty, &value));
    }
    if !t.crl_url.is_empty() && wanted(OID_CRL_DP) {
        let full_name = asn1::tlv(0xa0, &asn1::tlv(0x86, t.crl_url.as_bytes()));
        let dp = asn1::seq(&[&asn1::tlv(0xa0, &full_name)]);
        out.push(asn1::extension(&oid(OID_CRL_DP), false, &asn1::seq(&[&dp])));
    }
    out.extend(
        t.extra_extensions
            .iter()
            .map(|e| asn1::extension(&e.oid_der, e.critical, &e.value)),
    );
    Ok(out.concat())
}

/// [`sign`], then the log line with the serial that cfssl writes for every certificate.
pub fn sign_logged(
    t: &Template,
    issuer: Option<&Issuer>,
    self_key: &PrivateKey,
) -> Result<Vec<u8>> {
    let der = sign(t, issuer, self_key)?;
    log::info(&format!(
        "signed certificate with serial number {}",
        serial_decimal(&t.serial)
    ));
    Ok(der)
}

/// The DER of a Name with no RDNs.
const EMPTY_NAME: &[u8] = &[0x30, 0x00];

/// cfssl issues certificates that are never valid (and exits 0); we refuse them and say
/// which setting is to blame.
fn check_issuable(
    profile: &Profile,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<()> {
    let never = |why: String| {
        Err(Error::plain(format!(
            "refusing to issue a certificate that is never valid: {why}"
        )))
    };
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if profile.not_after.is_none() && profile.expiry < 0 {
        let written = &profile.expiry_string;
        let shown = match crate::duration::parse(written) {
            Ok(n) if n == profile.expiry => format!(" ({written})"),
            _ => String::new(),
        };
        return never(format!("expiry{shown} is negative"));
    }
    if not_after < now {
        return never(format!("not_after {} is in the past", at(not_after)));
    }
    if not_after < not_before {
        return never(format!(
            "not_after {} is before not_before {}",
            at(not_after),
            at(not_before)
        ));
    }
    Ok(())
}

/// Builds and signs a certificate. `issuer: None` makes it self-signed with `self_key`.
pub fn sign(t: &Template, issuer: Option<&Issuer>, self_key: &PrivateKey) -> Result<Vec<u8>> {
    let self_issuer;
    let (issuer, self_signed) = match issuer {
        Some(i) => (i, false),
        None => {
            self_issuer = Issuer {
                subject_der: &t.subject_der,
                key_id: None,
                key: self_key,
            };
            (&self_issuer, true)
        }
    };
    let sig_alg = issuer.key.signature_algorithm_der();
    let exts = extensions(t, issuer, self_signed)?;
    let tbs = asn1::seq(&[
        &asn1::tlv(0xa0, &asn1::int(2)),
        &asn1::uint(&t.serial),
        &sig_alg,
        issuer.subject_der,
        &asn1::seq(&[&asn1::time(&t.not_before), &asn1::time(&t.not_after)]),
        &t.subject_der,
        &t.spki_der,
        &asn1::tlv(0xa3, &asn1::tlv(asn1::SEQUENCE, &exts)),
    ]);
    let signature = issuer.key.sign(&tbs)?;
    Ok(asn1::seq(&[&tbs, &sig_alg, &asn1::bit_string(&signature)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits_like_go() {
        assert_eq!(key_usage_value(0b101), vec![3, 2, 5, 0xa0]);
        assert_eq!(key_usage_value((1 << 5) | (1 << 6)), vec![3, 2, 1, 6]);
        assert_eq!(key_usage_value(0x1ff), vec![3, 3, 7, 0xff, 0x80]);
    }

    #[test]
    fn serial_in_decimal() {
        assert_eq!(serial_decimal(&[0x01, 0x00]), "256");
        assert_eq!(serial_decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(serial_decimal(&[0]), "0");
    }

    #[test]
    fn selfsign_serial_fits_63_bits() {
        for _ in 0..64 {
            assert!(random_serial_63()[0] < 0x80);
        }
    }

    #[test]
    fn times_switch_encoding_in_2050() {
        let t = DateTime::parse_from_rfc3339("2049-12-31T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(asn1::time(&t)[0], asn1::UTC_TIME);
        let t = DateTime::parse_from_rfc3339("2056-11-19T17:45:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            asn1::time(&t),
            asn1::tlv(asn1::GENERALIZED_TIME, b"20561119174500Z")
        );
    }
}
