//! X.509 extensions as facts (and their random parts), for certificates, CSRs and CRLs.

use super::blocks::{general_name, general_names, oid_name, sha1, sha256, AKI_OID, SKI_OID};
use crate::der::{self, DerError, Result, Tlv};
use serde_json::{json, Map, Value};

/// What the extension decoders need from the object around them.
#[derive(Default)]
pub(crate) struct ExtContext<'a> {
    pub(super) spk: &'a [u8],
    pub(super) spki_der: &'a [u8],
}

fn ski_method(ski: &[u8], spk: &[u8], spki_der: &[u8]) -> &'static str {
    let spk_sha1 = sha1(spk);
    if ski == spk_sha1.as_slice() {
        "sha1(subjectPublicKey)"
    } else if ski == sha1(spki_der).as_slice() {
        "sha1(SubjectPublicKeyInfo)"
    } else if ski == &sha256(spk)[..20] {
        "sha256(subjectPublicKey)[:20]"
    } else if ski.len() == 8 && ski[1..] == spk_sha1[13..] && ski[0] >> 4 == 4 {
        "rfc5280-method2"
    } else {
        "other"
    }
}

const KU_BITS: [&str; 9] = [
    "digitalSignature",
    "contentCommitment",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// One extension value -> (decoded facts, random shape).
fn decode_extension(oid: &str, val: &[u8], ctx: &ExtContext) -> (Value, Map<String, Value>) {
    let mut rnd = Map::new();
    match decode_extension_inner(oid, val, ctx, &mut rnd) {
        Ok(v) => (v, rnd),
        Err(e) => (json!({"der": der::hex(val), "decode_error": e.0}), rnd),
    }
}

fn decode_extension_inner(
    oid: &str,
    val: &[u8],
    ctx: &ExtContext,
    rnd: &mut Map<String, Value>,
) -> Result<Value> {
    let t = der::parse(val)?;
    let hex = der::hex(val);
    Ok(match oid {
        "2.5.29.15" => {
            let (_, bits) = der::bitstring(&t)?;
            let names: Vec<&str> = KU_BITS
                .iter()
                .enumerate()
                .filter(|(i, _)| bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
                .map(|(_, n)| *n)
                .collect();
            json!({"bits": names, "der": hex})
        }
        "2.5.29.37" => {
            let oids = t
                .children()?
                .iter()
                .map(der::oid)
                .collect::<Result<Vec<_>>>()?;
            let names: Vec<String> = oids.iter().map(|o| oid_name(o)).collect();
            json!({"oids": oids, "names": names, "der": hex})
        }
        "2.5.29.19" => {
            let (mut ca, mut pathlen, mut ca_explicit) = (false, Value::Null, false);
            for c in t.children()? {
                if c.is_universal(1) {
                    ca = der::boolean(&c);
                    ca_explicit = true;
                } else if c.is_universal(2) {
                    pathlen = der::int_json(&c);
                }
            }
            let mut d = json!({"ca": ca, "pathlen": pathlen, "der": hex});
            if ca_explicit && !ca {
                d["ca_false_encoded"] = json!(true);
            }
            d
        }
        "2.5.29.17" | "2.5.29.18" => json!({"names": general_names(&t)?, "der": hex}),
        SKI_OID => {
            let ski = t.content();
            rnd.insert("bytes".into(), json!(ski.len()));
            json!({
                "method": ski_method(ski, ctx.spk, ctx.spki_der),
                "sha1_of_subject_public_key": ski == sha1(ctx.spk).as_slice(),
            })
        }
        AKI_OID => {
            let mut fields = Vec::new();
            for c in t.children()? {
                if c.is_context(0) {
                    fields.push("keyIdentifier");
                    rnd.insert("key_id_bytes".into(), json!(c.content().len()));
                } else if c.is_context(1) {
                    fields.push("authorityCertIssuer");
                } else if c.is_context(2) {
                    fields.push("authorityCertSerialNumber");
                }
            }
            json!({"fields": fields})
        }
        "2.5.29.31" => {
            let mut uris = Vec::new();
            for dp in t.children()? {
                for part in dp.children()? {
                    if !part.is_context(0) {
                        continue;
                    }
                    for full_name in part.children()? {
                        if full_name.is_context(0) {
                            for gn in general_names(&full_name)? {
                                uris.push(gn[1].clone());
                            }
                        }
                    }
                }
            }
            json!({"uris": uris, "der": hex})
        }
        "1.3.6.1.5.5.7.1.1" => {
            let mut access = Vec::new();
            for ad in t.children()? {
                let ch = ad.children()?;
                if ch.len() < 2 {
                    return Err(DerError("short AccessDescription".into()));
                }
                let gn = general_name(&ch[1])?;
                access.push(json!([oid_name(&der::oid(&ch[0])?), gn[0], gn[1]]));
            }
            json!({"access": access, "der": hex})
        }
        "2.5.29.32" => {
            let mut policies = Vec::new();
            for pi in t.children()? {
                let ch = pi.children()?;
                let first = ch
                    .first()
                    .ok_or_else(|| DerError("empty PolicyInformation".into()))?;
                policies.push(der::oid(first)?);
            }
            json!({"policies": policies, "der": hex})
        }
        _ => json!({"der": hex}),
    })
}

/// Extensions SEQUENCE -> (list of facts, list of random shapes).
pub(crate) fn extensions_list(t: &Tlv, ctx: &ExtContext) -> Result<(Vec<Value>, Vec<Value>)> {
    let (mut facts, mut rnds) = (Vec::new(), Vec::new());
    for ext in t.children()? {
        let ch = ext.children()?;
        if ch.len() < 2 {
            return Err(DerError("short Extension".into()));
        }
        let oid = der::oid(&ch[0])?;
        let (mut critical, mut encoded, mut idx) = (false, false, 1);
        if ch[1].is_universal(1) {
            critical = der::boolean(&ch[1]);
            encoded = true;
            idx = 2;
        }
        let value = ch
            .get(idx)
            .ok_or_else(|| DerError("Extension without value".into()))?;
        let (dec, rnd) = decode_extension(&oid, value.content(), ctx);
        let mut f = json!({"oid": oid, "name": oid_name(&oid), "critical": critical, "value": dec});
        if encoded && !critical {
            f["critical_false_encoded"] = json!(true);
        }
        facts.push(f);
        if !rnd.is_empty() {
            let mut r = rnd;
            r.insert("oid".into(), json!(oid));
            rnds.push(Value::Object(r));
        }
    }
    Ok((facts, rnds))
}

/// The extnValue contents of one extension in a certificate's or CRL's [n] extensions.
pub(super) fn find_extension<'a>(fields: &[Tlv<'a>], tag: u64, want: &str) -> Option<&'a [u8]> {
    let outer = fields.iter().find(|t| t.is_context(tag))?;
    let list = outer.children().ok()?.into_iter().next()?;
    for ext in list.children().ok()? {
        let ch = ext.children().ok()?;
        if der::oid(ch.first()?).ok()? == want {
            return Some(ch.last()?.content());
        }
    }
    None
}

pub(super) fn key_identifier_of_aki(aki_value: &[u8]) -> Option<Vec<u8>> {
    let t = der::parse(aki_value).ok()?;
    let kid = t.children().ok()?.into_iter().find(|c| c.is_context(0))?;
    Some(kid.content().to_vec())
}
