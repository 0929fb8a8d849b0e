//! Certificate revocation lists.

use super::blocks::{alg_id, name_rdns, AKI_OID};
use super::extensions::{extensions_list, find_extension, key_identifier_of_aki, ExtContext};
use super::Object;
use crate::der::{self, DerError, Result, Tlv};
use serde_json::{json, Map, Value};

pub(super) struct CrlParts<'a> {
    tbs: Vec<Tlv<'a>>,
    i: usize,
}

impl<'a> CrlParts<'a> {
    /// TBSCertList: [version] signature issuer thisUpdate [nextUpdate] [revoked] [0]crlExtensions
    pub(super) fn new(der_bytes: &'a [u8]) -> Result<CrlParts<'a>> {
        let ch = der::parse(der_bytes)?.children()?;
        if ch.len() != 3 {
            return Err(DerError("not a CRL".into()));
        }
        let tbs = ch[0].children()?;
        let i = usize::from(tbs.first().is_some_and(|t| t.is_universal(2)));
        let shaped = tbs.len() >= i + 3
            && tbs[i].is_universal(16)
            && tbs[i + 1].is_universal(16)
            && tbs[i + 2].is_time();
        if !shaped {
            return Err(DerError("not a CRL".into()));
        }
        Ok(CrlParts { tbs, i })
    }

    pub(super) fn issuer(&self) -> Tlv<'a> {
        self.tbs[self.i + 1]
    }

    pub(super) fn aki_key_id(&self) -> Option<Vec<u8>> {
        key_identifier_of_aki(find_extension(&self.tbs[self.i + 3..], 0, AKI_OID)?)
    }
}

pub fn looks_like_crl(der_bytes: &[u8]) -> bool {
    CrlParts::new(der_bytes).is_ok()
}

pub fn crl_facts(der_bytes: &[u8]) -> Result<Object> {
    let parts = CrlParts::new(der_bytes)?;
    let ch = der::parse(der_bytes)?.children()?;
    let (c_alg, c_sig) = (ch[1], ch[2]);
    let (tbs, i) = (&parts.tbs, parts.i);
    let version = if i == 1 { der::int_i64(&tbs[0]) + 1 } else { 1 };
    let tu = der::time(&tbs[i + 2])?;
    let mut rest = &tbs[i + 3..];
    let mut nu = None;
    if let Some(first) = rest.first().filter(|t| t.is_time()) {
        nu = Some(der::time(first)?);
        rest = &rest[1..];
    }
    let ctx = ExtContext::default();
    let mut revoked = Value::Null;
    let mut offsets = Vec::new();
    if let Some(list) = rest.first().filter(|t| t.is_universal(16)) {
        let mut entries = Vec::new();
        for ent in list.children()? {
            let ech = ent.children()?;
            if ech.len() < 2 {
                return Err(DerError("short revoked entry".into()));
            }
            let date = der::time(&ech[1])?;
            offsets.push(date.unix - tu.unix);
            let mut e = json!({
                "serial": der::int_decimal(ech[0].content()),
                "serial_der_minimal": der::int_minimal(ech[0].content()),
                "date_type": date.kind,
                "extensions": null,
            });
            if let Some(exts) = ech.get(2).filter(|t| t.is_universal(16)) {
                e["extensions"] = Value::Array(extensions_list(exts, &ctx)?.0);
            }
            entries.push(e);
        }
        revoked = Value::Array(entries);
        rest = &rest[1..];
    }
    let sig_alg = alg_id(&c_alg)?;
    // a malformed inner AlgorithmIdentifier makes the CRL invalid, as for the reference
    alg_id(&tbs[i])?;
    let (_, signature) = der::bitstring(&c_sig)?;
    let mut facts = json!({
        "type": "crl",
        "version": version,
        "signature_algorithm": sig_alg,
        "tbs_signature_algorithm_matches": tbs[i].raw() == c_alg.raw(),
        "issuer": name_rdns(&parts.issuer())?,
        "this_update_type": tu.kind,
        "next_update_type": nu.as_ref().map(|t| t.kind),
        "revoked": revoked,
        "extensions": null,
    });
    let mut rnd = json!({"signature": {"bytes": signature.len()}});
    if let Some(ext) = rest.iter().find(|t| t.is_context(0)) {
        let list = ext.children()?;
        let list = list
            .first()
            .ok_or_else(|| DerError("empty crlExtensions".into()))?;
        let (ef, er) = extensions_list(list, &ctx)?;
        facts["extensions"] = Value::Array(ef);
        if !er.is_empty() {
            rnd["extensions"] = Value::Array(er);
        }
    }
    let mut time = Map::new();
    time.insert("this_update".into(), json!(der::iso(tu.unix)));
    time.insert(
        "next_update".into(),
        json!(nu.as_ref().map(|t| der::iso(t.unix))),
    );
    time.insert(
        "next_update_minus_this_update_s".into(),
        json!(nu.as_ref().map(|t| t.unix - tu.unix)),
    );
    let range = (!offsets.is_empty())
        .then(|| json!([offsets.iter().min().unwrap(), offsets.iter().max().unwrap()]));
    time.insert("revocation_minus_this_update_s".into(), json!(range));
    let mut o = Object::new("crl", facts, rnd);
    o.time = Some(time);
    o.reference_time = Some(tu.unix);
    Ok(o)
}
