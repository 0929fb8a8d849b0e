//! Certificates.

use super::blocks::{alg_id, name_rdns, spki_info, AKI_OID, SKI_OID};
use super::extensions::{extensions_list, find_extension, key_identifier_of_aki, ExtContext};
use super::signature::verify_signed;
use super::Object;
use crate::der::{self, DerError, Result, Tlv};
use serde_json::{json, Map, Value};

/// The parts of a certificate that several checks read.
pub struct CertParts<'a> {
    tbs_fields: Vec<Tlv<'a>>,
    i: usize,
}

impl<'a> CertParts<'a> {
    pub fn new(der_bytes: &'a [u8]) -> Result<CertParts<'a>> {
        let top = der::parse(der_bytes)?;
        let ch = top.children()?;
        let tbs = ch
            .first()
            .ok_or_else(|| DerError("empty certificate".into()))?;
        let tbs_fields = tbs.children()?;
        let i = usize::from(tbs_fields.first().is_some_and(|t| t.is_context(0)));
        if tbs_fields.len() < i + 6 {
            return Err(DerError("short TBSCertificate".into()));
        }
        Ok(CertParts { tbs_fields, i })
    }

    pub fn serial(&self) -> Tlv<'a> {
        self.tbs_fields[self.i]
    }
    pub fn issuer(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 2]
    }
    pub fn validity(&self) -> Result<Vec<Tlv<'a>>> {
        let v = self.tbs_fields[self.i + 3].children()?;
        if v.len() < 2 {
            return Err(DerError("short Validity".into()));
        }
        Ok(v)
    }
    pub fn subject(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 4]
    }
    pub fn spki(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 5]
    }
    fn rest(&self) -> &[Tlv<'a>] {
        &self.tbs_fields[self.i + 6..]
    }
    pub fn ski(&self) -> Option<Vec<u8>> {
        let v = find_extension(self.rest(), 3, SKI_OID)?;
        Some(der::parse(v).ok()?.content().to_vec())
    }
    pub fn aki_key_id(&self) -> Option<Vec<u8>> {
        key_identifier_of_aki(find_extension(self.rest(), 3, AKI_OID)?)
    }
}

/// (to-be-signed bytes, signature algorithm OID, signature) of a certificate, CSR or CRL.
pub(super) fn signed_parts(der_bytes: &[u8]) -> Result<(&[u8], String, &[u8])> {
    let ch = der::parse(der_bytes)?.children()?;
    if ch.len() != 3 {
        return Err(DerError("not a signed object".into()));
    }
    let alg = ch[1].children()?;
    let alg_oid = der::oid(
        alg.first()
            .ok_or_else(|| DerError("empty AlgorithmIdentifier".into()))?,
    )?;
    Ok((ch[0].raw(), alg_oid, der::bitstring(&ch[2])?.1))
}

fn serial_sign(c: &[u8]) -> &'static str {
    let (negative, mag) = der::int_magnitude(c);
    if mag.is_empty() {
        "zero"
    } else if negative {
        "negative"
    } else {
        "positive"
    }
}

pub fn cert_facts(der_bytes: &[u8]) -> Result<Object> {
    let top = der::parse(der_bytes)?;
    let ch = top.children()?;
    if ch.len() != 3 {
        return Err(DerError("a certificate has 3 parts".into()));
    }
    let (c_alg, c_sig) = (ch[1], ch[2]);
    let parts = CertParts::new(der_bytes)?;
    let tbs = &parts.tbs_fields;
    let version = if parts.i == 1 {
        let v = tbs[0].children()?;
        der::int_i64(v.first().ok_or_else(|| DerError("empty version".into()))?) + 1
    } else {
        1
    };
    let serial = parts.serial();
    let tbs_alg = tbs[parts.i + 1];
    // a malformed inner AlgorithmIdentifier makes the certificate invalid, as for the reference
    alg_id(&tbs_alg)?;
    let validity = parts.validity()?;
    let nb = der::time(&validity[0])?;
    let na = der::time(&validity[1])?;
    let spki_t = parts.spki();
    let (pk_facts, pk_rnd, spk) = spki_info(&spki_t)?;
    let ctx = ExtContext {
        spk,
        spki_der: spki_t.raw(),
    };
    let sig_alg = alg_id(&c_alg)?;
    let (_, signature) = der::bitstring(&c_sig)?;
    let subject_equals_issuer = parts.issuer().raw() == parts.subject().raw();
    let unique_ids: Vec<String> = parts
        .rest()
        .iter()
        .filter(|t| t.class == 2 && (t.num == 1 || t.num == 2))
        .map(der::tag_name)
        .collect();
    let mut facts = json!({
        "type": "certificate",
        "version": version,
        "serial_sign": serial_sign(serial.content()),
        "serial_der_minimal": der::int_minimal(serial.content()),
        "signature_algorithm": sig_alg,
        "tbs_signature_algorithm_matches": tbs_alg.raw() == c_alg.raw(),
        "issuer": name_rdns(&parts.issuer())?,
        "subject": name_rdns(&parts.subject())?,
        "subject_equals_issuer": subject_equals_issuer,
        "validity": {
            "seconds": na.unix - nb.unix,
            "not_before_type": nb.kind,
            "not_after_type": na.kind,
            "not_before_second": nb.second,
        },
        "public_key": pk_facts,
        "unique_ids": unique_ids,
        "extensions": null,
    });
    let mut rnd = json!({
        "serial": {"bytes": serial.content().len(), "bits": der::bit_length(serial.content())},
        "signature": {"bytes": signature.len()},
    });
    if !pk_rnd.is_empty() {
        rnd["public_key"] = Value::Object(pk_rnd);
    }
    if let Some(ext) = parts.rest().iter().find(|t| t.is_context(3)) {
        let list = ext.children()?;
        let list = list
            .first()
            .ok_or_else(|| DerError("empty extensions".into()))?;
        let (ef, er) = extensions_list(list, &ctx)?;
        facts["extensions"] = Value::Array(ef);
        if !er.is_empty() {
            rnd["extensions"] = Value::Array(er);
        }
    }
    if subject_equals_issuer {
        facts["self_signature_verifies"] = verify_signed(der_bytes, der_bytes).into();
    }
    let mut time = Map::new();
    time.insert("not_before".into(), json!(der::iso(nb.unix)));
    time.insert("not_after".into(), json!(der::iso(na.unix)));
    let mut o = Object::new("certificate", facts, rnd);
    o.time = Some(time);
    o.spki = Some(spki_t.raw().to_vec());
    o.reference_time = Some(nb.unix);
    Ok(o)
}

fn key_id_text(b: Option<Vec<u8>>) -> String {
    b.unwrap_or_default()
        .iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fields `cfssl certinfo -cert` prints as strings, derived from the certificate.
pub fn certinfo_values(der_bytes: &[u8]) -> Result<Map<String, Value>> {
    let parts = CertParts::new(der_bytes)?;
    let validity = parts.validity()?;
    let mut m = Map::new();
    m.insert(
        "serial_number".into(),
        json!(der::int_decimal(parts.serial().content())),
    );
    m.insert(
        "not_before".into(),
        json!(der::iso(der::time(&validity[0])?.unix)),
    );
    m.insert(
        "not_after".into(),
        json!(der::iso(der::time(&validity[1])?.unix)),
    );
    m.insert("subject_key_id".into(), json!(key_id_text(parts.ski())));
    m.insert(
        "authority_key_id".into(),
        json!(key_id_text(parts.aki_key_id())),
    );
    Ok(m)
}
