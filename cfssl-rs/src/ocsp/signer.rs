//! cfssl's `StandardSigner`: one responder (certificate and key) speaking for one
//! issuer, with a fixed update interval, encoding as Go's x/crypto/ocsp
//! `CreateResponse` does.
//!
//! The DER is written with `asn1`, not an OCSP crate's types: the response embeds the
//! responder certificate and its subject as the bytes of the file (Go's `Raw`,
//! `RawSubject`), which re-encoding a parsed certificate does not promise.

use super::{CertStatus, IssuerHash};
use crate::asn1;
use crate::ca;
use crate::error::{Error, Result};
use crate::keys::{self, KeyType, PrivateKey};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use x509_parser::prelude::*;

pub(super) const OID_OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";

/// What one response should say about one certificate.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    /// The certificate, DER.
    pub certificate: &'a [u8],
    /// `good`, `revoked` or `unknown`; anything else is refused (8200).
    pub status: &'a str,
    /// CRLReason, used when revoked (0 is left out of the encoding, as Go does).
    pub reason: i64,
    /// Used when revoked.
    pub revoked_at: DateTime<Utc>,
    pub issuer_hash: IssuerHash,
    /// Overrides "now, truncated to the hour".
    pub this_update: Option<DateTime<Utc>>,
    /// Overrides `this_update` + the signer's interval.
    pub next_update: Option<DateTime<Utc>>,
}

impl<'a> SignRequest<'a> {
    /// A request with cfssl's defaults: no reason, SHA-1 CertID, computed times.
    pub fn new(certificate: &'a [u8], status: &'a str) -> Self {
        SignRequest {
            certificate,
            status,
            reason: 0,
            revoked_at: DateTime::<Utc>::UNIX_EPOCH,
            issuer_hash: IssuerHash::Sha1,
            this_update: None,
            next_update: None,
        }
    }
}

/// A loaded OCSP signer; `Send + Sync`, signing takes `&self`.
#[derive(Debug)]
pub struct Signer {
    issuer_der: Vec<u8>,
    responder_der: Vec<u8>,
    key: PrivateKey,
    interval: TimeDelta,
}

impl Signer {
    /// cfssl's `NewSignerFromFile`: reads the issuer (a `[file:]path` / `env:` value),
    /// the responder certificate and its key, then parses them, in that order, so the
    /// first failure is cfssl's. `interval_ns` is the `-interval` duration.
    pub fn from_files(
        issuer: &str,
        responder: &str,
        key: &str,
        interval_ns: i64,
    ) -> Result<Signer> {
        let issuer_pem = crate::input::read_value_or_location(issuer)?;
        let responder_pem = crate::input::read_file(responder)?;
        let key_pem = crate::input::read_file(key).map_err(|e| Error::coded(1001, e.message()))?;
        let issuer = ca::parse_cert_pem(&issuer_pem)?;
        let responder = ca::parse_cert_pem(&responder_pem)?;
        let key = keys::parse_pem(&key_pem)?;
        Ok(Signer::new(
            issuer.der,
            responder.der,
            key,
            TimeDelta::nanoseconds(interval_ns),
        ))
    }

    /// From parsed parts (certificates as DER, checked by the caller).
    pub fn new(
        issuer_der: Vec<u8>,
        responder_der: Vec<u8>,
        key: PrivateKey,
        interval: TimeDelta,
    ) -> Signer {
        Signer {
            issuer_der,
            responder_der,
            key,
            interval,
        }
    }

    /// The issuer certificate, DER.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// Signs one response, in cfssl's order of checks: issuer name (8100), the
    /// issuer's signature on the certificate (8200 with Go's text), the status (8200).
    pub fn sign(&self, req: &SignRequest, now: DateTime<Utc>) -> Result<Vec<u8>> {
        let parse = |der| {
            X509Certificate::from_der(der)
                .map(|(_, c)| c)
                .map_err(|_| Error::coded(1003, "Failed to parse certificate"))
        };
        let cert = parse(req.certificate)?;
        let issuer = parse(&self.issuer_der)?;
        let responder = parse(&self.responder_der)?;
        if cert.issuer().as_raw() != issuer.subject().as_raw() {
            return Err(Error::coded(8100, "Certificate not issued by this issuer"));
        }
        check_signature_from(&cert, &issuer)?;
        let this_update = req.this_update.unwrap_or_else(|| this_update(now));
        let next_update = req.next_update.unwrap_or(this_update + self.interval);
        let status = CertStatus::from_name(req.status)?;
        // Go leaves the responder certificate out when it is the issuer itself.
        let embedded = (self.issuer_der != self.responder_der).then_some(&self.responder_der);

        let hash_oid = req
            .issuer_hash
            .oid()
            .ok_or_else(|| Error::plain("unsupported issuer hash algorithm"))?;
        let issuer_key = &issuer.public_key().subject_public_key.data;
        let cert_id = asn1::seq(&[
            &asn1::seq(&[&oid(hash_oid), &[asn1::NULL, 0]]),
            &asn1::octet_string(&req.issuer_hash.digest(issuer.subject().as_raw())),
            &asn1::octet_string(&req.issuer_hash.digest(issuer_key)),
            &asn1::tlv(asn1::INTEGER, cert.raw_serial()),
        ]);
        let cert_status = match status {
            CertStatus::Good => vec![0x80, 0],
            CertStatus::Unknown => vec![0x82, 0],
            CertStatus::Revoked => {
                let mut info = generalized(&req.revoked_at);
                if req.reason != 0 {
                    let mut reason = asn1::int(req.reason);
                    reason[0] = ENUMERATED;
                    info.extend(asn1::tlv(0xa0, &reason));
                }
                asn1::tlv(0xa1, &info)
            }
        };
        let single = asn1::seq(&[
            &cert_id,
            &cert_status,
            &generalized(&this_update),
            &asn1::tlv(0xa0, &generalized(&next_update)),
        ]);
        let tbs = asn1::seq(&[
            &asn1::tlv(0xa1, responder.subject().as_raw()),
            &generalized(&truncate(now, TimeDelta::minutes(1))),
            &asn1::seq(&[&single]),
        ]);
        if self.key.key_type == KeyType::Ed25519 {
            return Err(Error::plain("x509: only RSA and ECDSA keys supported"));
        }
        let (sig_alg, signature) = self.key.sign_by_key_type(&tbs)?;
        let mut basic = vec![tbs, sig_alg, asn1::bit_string(&signature)];
        if let Some(der) = embedded {
            basic.push(asn1::tlv(0xa0, &asn1::seq(&[der])));
        }
        let basic = asn1::tlv(asn1::SEQUENCE, &basic.concat());
        Ok(asn1::seq(&[
            &[ENUMERATED, 1, 0],
            &asn1::tlv(
                0xa0,
                &asn1::seq(&[&oid(OID_OCSP_BASIC), &asn1::octet_string(&basic)]),
            ),
        ]))
    }
}

impl Signer {
    /// Signs `req` and stores the response in `db`'s `ocsp_responses`, under the
    /// certificate's serial and AKI, expiring at the response's nextUpdate (as cfssl's
    /// `certadd` stores what it signs). Replaces a response stored before.
    pub fn sign_into(
        &self,
        db: &dyn crate::certdb::CertDb,
        req: &SignRequest,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>> {
        let body = self.sign(req, now)?;
        let (serial, aki) = row_key(req.certificate)?;
        let this_update = req.this_update.unwrap_or_else(|| this_update(now));
        db.upsert_ocsp(&crate::certdb::OcspRecord {
            serial,
            aki,
            body: body.clone(),
            expiry: req.next_update.unwrap_or(this_update + self.interval),
        })?;
        Ok(body)
    }
}

/// The key cfssl stores a certificate's response under: its serial in decimal and its
/// authority key identifier in lower-case hex (empty when it has none).
pub fn row_key(der: &[u8]) -> Result<(String, String)> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref(),
            _ => None,
        })
        .map(|k| crate::certdb::record::hex_lower(k.0))
        .unwrap_or_default();
    Ok((cert.serial.to_string(), aki))
}

/// cfssl's default thisUpdate: now, truncated to the hour.
fn this_update(now: DateTime<Utc>) -> DateTime<Utc> {
    truncate(now, TimeDelta::hours(1))
}

const ENUMERATED: u8 = 0x0a;

fn oid(dotted: &str) -> Vec<u8> {
    asn1::oid(dotted).unwrap_or_default()
}

/// Go's `Time.Truncate` (times since year 1 are aligned to whole hours and minutes).
fn truncate(t: DateTime<Utc>, unit: TimeDelta) -> DateTime<Utc> {
    t.duration_trunc(unit).unwrap_or(t)
}

/// Go's `asn1:"generalized"`: whole seconds, `Z`.
fn generalized(t: &DateTime<Utc>) -> Vec<u8> {
    asn1::tlv(
        asn1::GENERALIZED_TIME,
        t.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
    )
}

/// Go's `Certificate.CheckSignatureFrom`: the parent must be allowed to sign
/// certificates, and SHA-1 signatures are refused; errors carry Go's text.
fn check_signature_from(cert: &X509Certificate, parent: &X509Certificate) -> Result<()> {
    let failed = |m: &str| Error::coded(8200, m);
    let constraint =
        "x509: invalid signature: parent certificate cannot sign this kind of certificate";
    let bc = parent.basic_constraints().ok().flatten();
    match bc {
        None if parent.version() == X509Version::V3 => return Err(failed(constraint)),
        Some(bc) if !bc.value.ca => return Err(failed(constraint)),
        _ => {}
    }
    if let Ok(Some(ku)) = parent.key_usage() {
        if ku.value.flags != 0 && !ku.value.key_cert_sign() {
            return Err(failed(constraint));
        }
    }
    let alg = cert.signature_algorithm.algorithm.to_id_string();
    if alg == "1.2.840.113549.1.1.5" {
        return Err(failed(
            "x509: cannot verify signature: insecure algorithm SHA1-RSA",
        ));
    }
    crate::csr::verify_signature(
        8200,
        &alg,
        parent.public_key(),
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_truncate_like_go() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T08:48:27.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            generalized(&truncate(t, TimeDelta::hours(1))),
            asn1::tlv(asn1::GENERALIZED_TIME, b"20261201080000Z")
        );
        assert_eq!(
            generalized(&truncate(t, TimeDelta::minutes(1))),
            asn1::tlv(asn1::GENERALIZED_TIME, b"20261201084800Z")
        );
        assert_eq!(
            generalized(&t),
            asn1::tlv(asn1::GENERALIZED_TIME, b"20261201084827Z")
        );
    }
}
