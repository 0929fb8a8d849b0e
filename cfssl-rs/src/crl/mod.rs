//! Certificate revocation lists as cfssl makes them: Go's deprecated
//! `x509.Certificate.CreateCRL` (spec §8.9), fed by a serial-list file ([`file`]) or,
//! for `cfssl crl` and the server, by certificate-database rows.
//!
//! Built for lists of millions of entries: [`RevokedList`] appends each entry's DER as
//! it arrives, [`sign`] puts the TBSCertList header in front of those bytes in place
//! and signs them, and [`Crl`] writes the result out (DER or base64) without another
//! copy. Peak memory is about one copy of the CRL.

pub mod file;
mod serial;

pub use serial::Serial;

use crate::asn1;
use crate::ca::CaCert;
use crate::csr::Subject;
use crate::error::{Error, Result};
use crate::keys::{KeyType, PrivateKey};
use chrono::{DateTime, Utc};
use std::io::Write;
use x509_parser::prelude::*;

/// What a CRL says about its issuer: the name and the authority key identifier.
#[derive(Debug, Clone)]
pub struct Issuer {
    name_der: Vec<u8>,
    key_id: Option<Vec<u8>>,
}

impl Issuer {
    /// The issuer as Go's `CreateCRL` takes it from a parsed certificate: the subject
    /// re-encoded from the attribute types `pkix.Name` has fields for (others are
    /// dropped), and the certificate's subject key identifier, if any, as the AKI.
    pub fn from_cert(cert: &CaCert) -> Result<Issuer> {
        let (_, parsed) = X509Certificate::from_der(&cert.der)
            .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
        Ok(Issuer {
            name_der: Subject::from_name(parsed.subject())
                .without_extra()
                .to_der(),
            key_id: cert.key_id.clone().filter(|id| !id.is_empty()),
        })
    }
}

/// The revokedCertificates of a CRL under construction: each entry's DER, appended as
/// the entries arrive (from a file, a database cursor, ...), in the order given.
#[derive(Debug, Default)]
pub struct RevokedList {
    der: Vec<u8>,
    count: usize,
    /// The last revocation time and its encoding: entries mostly share one.
    last_time: Option<(DateTime<Utc>, Vec<u8>)>,
    /// The entry's INTEGER, reused so that a push allocates nothing.
    integer: Vec<u8>,
}

/// The `reasonCode` CRL entry extension (RFC 5280 §5.3.1).
const OID_REASON_CODE: &[u8] = &[asn1::OID, 3, 0x55, 0x1d, 0x15];
const ENUMERATED: u8 = 0x0a;

impl RevokedList {
    pub fn new() -> RevokedList {
        RevokedList::default()
    }

    /// Appends one revokedCertificate. `reason` is an RFC 5280 CRLReason code written
    /// as a `reasonCode` entry extension; cfssl's CRLs carry none, so pass `None` to
    /// match them.
    pub fn push(&mut self, serial: &Serial, revoked_at: DateTime<Utc>, reason: Option<u8>) {
        if self
            .last_time
            .as_ref()
            .is_none_or(|(t, _)| *t != revoked_at)
        {
            self.last_time = Some((revoked_at, asn1::time(&revoked_at)));
        }
        let time = self.last_time.as_ref().map_or(&[][..], |(_, der)| der);
        self.integer.clear();
        serial.write_der(&mut self.integer);
        let extensions = reason.map(|code| {
            let value = asn1::tlv(ENUMERATED, &asn1::int(i64::from(code))[2..]);
            asn1::seq(&[&asn1::seq(&[OID_REASON_CODE, &asn1::octet_string(&value)])])
        });
        let extensions = extensions.as_deref().unwrap_or_default();
        let len = self.integer.len() + time.len() + extensions.len();
        asn1::push_header(&mut self.der, asn1::SEQUENCE, len);
        self.der.extend_from_slice(&self.integer);
        self.der.extend_from_slice(time);
        self.der.extend_from_slice(extensions);
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A signed CRL: `SEQUENCE { tbsCertList, signatureAlgorithm, signature }`, kept as
/// the TBSCertList and the rest so that the large part is never copied.
#[derive(Debug)]
pub struct Crl {
    tbs: Vec<u8>,
    tail: Vec<u8>,
}

impl Crl {
    fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(10);
        asn1::push_header(&mut h, asn1::SEQUENCE, self.tbs.len() + self.tail.len());
        h
    }

    /// The length of the DER encoding.
    pub fn der_len(&self) -> usize {
        self.header().len() + self.tbs.len() + self.tail.len()
    }

    pub fn write_der(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&self.header())?;
        out.write_all(&self.tbs)?;
        out.write_all(&self.tail)
    }

    pub fn to_der(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.der_len());
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&self.tbs);
        out.extend_from_slice(&self.tail);
        out
    }

    /// The DER in standard padded base64 on one line, no newline: what `cfssl gencrl`
    /// prints and the server's `crl` endpoints return.
    pub fn write_base64(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut enc =
            base64::write::EncoderWriter::new(out, &base64::engine::general_purpose::STANDARD);
        self.write_der(&mut enc)?;
        enc.finish()?;
        Ok(())
    }
}

/// The hash comes from the key type only: every RSA key signs with SHA-256.
fn signature_algorithm(key: &PrivateKey) -> Vec<u8> {
    match key.key_type {
        KeyType::Rsa { .. } => asn1::seq(&[
            &asn1::oid("1.2.840.113549.1.1.11").unwrap_or_default(),
            &[asn1::NULL, 0],
        ]),
        _ => key.signature_algorithm_der(),
    }
}

/// Builds and signs a v2 CRL over `revoked` as Go's `CreateCRL` does: the list is
/// always present (empty when nothing is revoked), the only CRL extension is the
/// AKI, and there is no CRL number. The key is trusted to belong to the issuer.
pub fn sign(
    revoked: RevokedList,
    issuer: &Issuer,
    key: &PrivateKey,
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
) -> Result<Crl> {
    let alg = signature_algorithm(key);
    let mut head = [
        asn1::int(1),
        alg.clone(),
        issuer.name_der.clone(),
        asn1::time(&this_update),
        asn1::time(&next_update),
    ]
    .concat();
    asn1::push_header(&mut head, asn1::SEQUENCE, revoked.der.len());
    let extensions = issuer.key_id.as_ref().map_or_else(Vec::new, |id| {
        let aki = asn1::seq(&[&asn1::tlv(0x80, id)]);
        let ext = asn1::extension(&asn1::oid("2.5.29.35").unwrap_or_default(), false, &aki);
        asn1::tlv(0xa0, &asn1::seq(&[&ext]))
    });
    let mut tbs_header = Vec::with_capacity(10);
    let tbs_len = head.len() + revoked.der.len() + extensions.len();
    asn1::push_header(&mut tbs_header, asn1::SEQUENCE, tbs_len);

    // The entries already sit in one buffer: grow it once and move them up (memmove)
    // to make room for the header, rather than assembling a second copy.
    let mut tbs = revoked.der;
    let front = tbs_header.len() + head.len();
    tbs.reserve_exact(front + extensions.len());
    tbs.splice(0..0, tbs_header.into_iter().chain(head));
    tbs.extend_from_slice(&extensions);

    let signature = match key.key_type {
        KeyType::Rsa { .. } => key.sign_rsa_sha256(&tbs)?,
        _ => key.sign(&tbs)?,
    };
    let tail = [alg, asn1::bit_string(&signature)].concat();
    Ok(Crl { tbs, tail })
}
