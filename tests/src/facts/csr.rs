//! Certificate signing requests.

use super::blocks::{alg_id, name_rdns, oid_name, spki_info};
use super::extensions::{extensions_list, ExtContext};
use super::signature::verify_with_spki;
use super::Object;
use crate::der::{self, DerError, Result};
use serde_json::{json, Map, Value};

pub fn csr_facts(der_bytes: &[u8]) -> Result<Object> {
    let top = der::parse(der_bytes)?;
    let ch = top.children()?;
    if ch.len() != 3 {
        return Err(DerError("a CSR has 3 parts".into()));
    }
    let info = ch[0].children()?;
    if info.len() < 3 {
        return Err(DerError("short CertificationRequestInfo".into()));
    }
    let (pk_facts, pk_rnd, spk) = spki_info(&info[2])?;
    let ctx = ExtContext {
        spk,
        spki_der: info[2].raw(),
    };
    let mut rnd = Map::new();
    let mut attrs = Value::Null;
    if let Some(a0) = info.get(3).filter(|t| t.is_context(0)) {
        let mut list = Vec::new();
        for a in a0.children()? {
            let ach = a.children()?;
            if ach.len() < 2 {
                return Err(DerError("short Attribute".into()));
            }
            let oid = der::oid(&ach[0])?;
            let values = ach[1].children()?;
            let mut entry = json!({"oid": oid, "name": oid_name(&oid), "values": values.len()});
            match values.first() {
                Some(first) if oid == "1.2.840.113549.1.9.14" => {
                    let (ef, er) = extensions_list(first, &ctx)?;
                    entry["extensions"] = Value::Array(ef);
                    if !er.is_empty() {
                        rnd.insert("extensions".into(), Value::Array(er));
                    }
                }
                _ => entry["der"] = json!(der::hex(ach[1].raw())),
            }
            list.push(entry);
        }
        attrs = Value::Array(list);
    }
    let sig_alg = alg_id(&ch[1])?;
    let (_, signature) = der::bitstring(&ch[2])?;
    let facts = json!({
        "type": "csr",
        "version": der::int_json(&info[0]),
        "subject": name_rdns(&info[1])?,
        "public_key": pk_facts,
        "attributes": attrs,
        "signature_algorithm": sig_alg,
        "signature_valid": verify_with_spki(info[2].raw(), der_bytes),
    });
    rnd.insert("signature".into(), json!({"bytes": signature.len()}));
    if !pk_rnd.is_empty() {
        rnd.insert("public_key".into(), Value::Object(pk_rnd));
    }
    let mut o = Object::new("csr", facts, Value::Object(rnd));
    o.spki = Some(info[2].raw().to_vec());
    Ok(o)
}
