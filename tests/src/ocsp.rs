//! OCSP responses in the golden expectations (FORMAT.md, "OCSP response"): their
//! facts, random shapes and times, the run-relative times, the relations to the
//! certificates of a run (`issued_by`, `ocsp_cert_ids`) and the OCSP time rule.

use crate::der::{self, DerError, Result, Tlv};
use crate::facts::{self, Object};
use serde_json::{json, Map, Value};

/// producedAt is now truncated to the minute.
const PRODUCED_SLACK_S: i64 = 65;
/// thisUpdate is now truncated to the hour.
const THIS_UPDATE_SLACK_S: i64 = 3605;
const REVOCATION_SLACK_S: i64 = 5;
const DELTA_SLACK_S: i64 = 2;

fn status_name(code: u64) -> String {
    match code {
        0 => "successful".into(),
        1 => "malformedRequest".into(),
        2 => "internalError".into(),
        3 => "tryLater".into(),
        5 => "sigRequired".into(),
        6 => "unauthorized".into(),
        n => n.to_string(),
    }
}

fn reason_name(code: u64) -> String {
    match code {
        0 => "unspecified".into(),
        1 => "keyCompromise".into(),
        2 => "cACompromise".into(),
        3 => "affiliationChanged".into(),
        4 => "superseded".into(),
        5 => "cessationOfOperation".into(),
        6 => "certificateHold".into(),
        8 => "removeFromCRL".into(),
        9 => "privilegeWithdrawn".into(),
        10 => "aACompromise".into(),
        n => n.to_string(),
    }
}

fn uint(c: &[u8]) -> u64 {
    c.iter().fold(0, |a, &b| (a << 8) | u64::from(b))
}

fn first_child<'a>(t: &Tlv<'a>) -> Result<Tlv<'a>> {
    t.children()?
        .into_iter()
        .next()
        .ok_or_else(|| DerError("empty explicit tag".into()))
}

/// The parts of an OCSPResponse: status and, when present, the BasicOCSPResponse
/// (`basic` owns the OCTET STRING contents the TLVs point into).
struct Parts {
    status: u64,
    response_type: Option<String>,
    basic: Option<Vec<u8>>,
}

fn parts(der_bytes: &[u8]) -> Result<Parts> {
    let top = der::parse(der_bytes)?;
    let ch = top.children()?;
    if !top.is_universal(16) || ch.first().is_none_or(|t| t.tag != 0x0a) {
        return Err(DerError("not an OCSPResponse".into()));
    }
    let status = uint(ch[0].content());
    if ch.len() == 1 {
        return Ok(Parts {
            status,
            response_type: None,
            basic: None,
        });
    }
    if ch.len() != 2 || !ch[1].is_context(0) {
        return Err(DerError("not an OCSPResponse".into()));
    }
    let rb = first_child(&ch[1])?.children()?;
    let (Some(t), Some(b)) = (rb.first(), rb.get(1)) else {
        return Err(DerError("short ResponseBytes".into()));
    };
    let basic = b.content().to_vec();
    der::parse(&basic)?;
    Ok(Parts {
        status,
        response_type: Some(der::oid(t)?),
        basic: Some(basic),
    })
}

/// The fields of a BasicOCSPResponse.
struct Basic<'a> {
    /// tbsResponseData, signatureAlgorithm, signature, [0] certs
    fields: Vec<Tlv<'a>>,
    /// the ResponseData elements and the index of the responderID among them
    tbs: Vec<Tlv<'a>>,
    i: usize,
}

impl<'a> Basic<'a> {
    fn new(basic: &'a [u8]) -> Result<Basic<'a>> {
        let fields = der::parse(basic)?.children()?;
        let tbs = fields
            .first()
            .ok_or_else(|| DerError("empty BasicOCSPResponse".into()))?
            .children()?;
        let i = usize::from(tbs.first().is_some_and(|t| t.is_context(0)));
        if tbs.len() < i + 3 || fields.len() < 3 {
            return Err(DerError("short BasicOCSPResponse".into()));
        }
        Ok(Basic { fields, tbs, i })
    }

    fn singles(&self) -> Result<Vec<Tlv<'a>>> {
        self.tbs[self.i + 2].children()
    }

    fn embedded(&self) -> Result<Vec<&'a [u8]>> {
        match self.fields.get(3).filter(|t| t.is_context(0)) {
            Some(t) => Ok(first_child(t)?.children()?.iter().map(Tlv::raw).collect()),
            None => Ok(Vec::new()),
        }
    }
}

pub fn looks_like_ocsp(der_bytes: &[u8]) -> bool {
    let Ok(p) = parts(der_bytes) else {
        return false;
    };
    match &p.basic {
        None => matches!(p.status, 0..=3 | 5 | 6) && der_bytes.len() <= 8,
        Some(b) => Basic::new(b)
            .is_ok_and(|b| b.tbs.iter().take(3).any(|t| t.tag == der::GENERALIZED_TIME)),
    }
}

pub fn ocsp_facts(der_bytes: &[u8]) -> Result<Object> {
    let p = parts(der_bytes)?;
    let mut facts = json!({
        "type": "ocsp_response",
        "response_status": status_name(p.status),
        "response_type": p.response_type.as_deref().map(facts::oid_name),
    });
    let Some(basic_der) = &p.basic else {
        return Ok(Object::new("ocsp", facts, json!({})));
    };
    let b = Basic::new(basic_der)?;
    let (tbs, i) = (&b.tbs, b.i);
    let version = if i == 1 {
        der::int_i64(&first_child(&tbs[0])?) + 1
    } else {
        1
    };
    let mut rnd = Map::new();
    let rid = &tbs[i];
    let responder_id = if rid.is_context(1) {
        json!({"by": "name", "name": facts::name_rdns(&first_child(rid)?)?})
    } else {
        rnd.insert(
            "responder_key_hash".into(),
            json!({"bytes": first_child(rid)?.content().len()}),
        );
        json!({"by": "key"})
    };
    let produced = der::time(&tbs[i + 1])?;
    let ctx = facts::ExtContext::default();
    let (mut responses, mut r_rnd, mut r_time) = (Vec::new(), Vec::new(), Vec::new());
    for sr in b.singles()? {
        let sch = sr.children()?;
        if sch.len() < 3 {
            return Err(DerError("short SingleResponse".into()));
        }
        let cid = sch[0].children()?;
        if cid.len() < 4 {
            return Err(DerError("short CertID".into()));
        }
        let st = &sch[1];
        let mut e = json!({
            "hash_algorithm": facts::alg_id(&cid[0])?,
            "revocation_reason": null,
            "revocation_time_type": null,
        });
        let mut revoked_at = None;
        if st.is_context(0) {
            e["cert_status"] = json!("good");
        } else if st.is_context(1) {
            e["cert_status"] = json!("revoked");
            let rch = st.children()?;
            let rt = der::time(
                rch.first()
                    .ok_or_else(|| DerError("empty RevokedInfo".into()))?,
            )?;
            e["revocation_time_type"] = json!(rt.kind);
            revoked_at = Some(rt.unix);
            if let Some(reason) = rch.get(1) {
                e["revocation_reason"] = json!(reason_name(uint(first_child(reason)?.content())));
            }
        } else {
            e["cert_status"] = json!("unknown");
        }
        let tu = der::time(&sch[2])?;
        e["this_update_type"] = json!(tu.kind);
        e["this_update_on_the_hour"] = json!(tu.unix.rem_euclid(3600) == 0);
        e["next_update_type"] = Value::Null;
        e["extensions"] = Value::Null;
        let mut nu = None;
        for t in &sch[3..] {
            if t.is_context(0) {
                let n = der::time(&first_child(t)?)?;
                e["next_update_type"] = json!(n.kind);
                nu = Some(n.unix);
            } else if t.is_context(1) {
                e["extensions"] = Value::Array(facts::extensions_list(&first_child(t)?, &ctx)?.0);
            }
        }
        r_rnd.push(json!({
            "serial": {"bytes": cid[3].content().len(), "bits": der::bit_length(cid[3].content())},
            "issuer_name_hash": {"bytes": cid[1].content().len()},
            "issuer_key_hash": {"bytes": cid[2].content().len()},
        }));
        r_time.push(json!({
            "this_update": der::iso(tu.unix),
            "next_update": nu.map(der::iso),
            "revocation_time": revoked_at.map(der::iso),
            "next_update_minus_this_update_s": nu.map(|n| n - tu.unix),
        }));
        responses.push(e);
    }
    let mut extensions = Value::Null;
    for t in &tbs[i + 3..] {
        if t.is_context(1) {
            extensions = Value::Array(facts::extensions_list(&first_child(t)?, &ctx)?.0);
        }
    }
    let (_, signature) = der::bitstring(&b.fields[2])?;
    let obj = facts.as_object_mut().expect("facts object");
    obj.insert("version".into(), json!(version));
    obj.insert("responder_id".into(), responder_id);
    obj.insert("produced_at_type".into(), json!(produced.kind));
    obj.insert("responses".into(), Value::Array(responses));
    obj.insert("extensions".into(), extensions);
    obj.insert("signature_algorithm".into(), facts::alg_id(&b.fields[1])?);
    obj.insert("certs".into(), json!(b.embedded()?.len()));
    rnd.insert("signature".into(), json!({"bytes": signature.len()}));
    rnd.insert("responses".into(), Value::Array(r_rnd));
    let mut time = Map::new();
    time.insert("produced_at".into(), json!(der::iso(produced.unix)));
    time.insert("responses".into(), Value::Array(r_time));
    let mut o = Object::new("ocsp", facts, Value::Object(rnd));
    o.time = Some(time);
    Ok(o)
}

/// Adds `*_minus_run_start_s` / `*_minus_run_end_s` for producedAt and, per response,
/// thisUpdate and revocationTime.
pub fn add_run_times(o: &mut Object, start: f64, end: f64) {
    let Some(time) = o.time.as_mut() else {
        return;
    };
    let rel = |iso: &Value, at: f64| -> Option<i64> {
        let unix = iso_unix(iso.as_str()?)?;
        Some(((unix as f64) - at).round_ties_even() as i64)
    };
    let put = |m: &mut Map<String, Value>, key: &str| {
        let v = m.get(key).cloned().unwrap_or(Value::Null);
        if let (Some(s), Some(e)) = (rel(&v, start), rel(&v, end)) {
            m.insert(format!("{key}_minus_run_start_s"), json!(s));
            m.insert(format!("{key}_minus_run_end_s"), json!(e));
        }
    };
    put(time, "produced_at");
    if let Some(Value::Array(rs)) = time.get_mut("responses") {
        for r in rs.iter_mut().filter_map(Value::as_object_mut) {
            put(r, "this_update");
            put(r, "revocation_time");
        }
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ`.
fn iso_unix(s: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let days = der::days_from_civil(y, m as u32, d as u32);
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

/// `issued_by` entries ({issuer, responder_id_matches}: the certificates whose key
/// verifies the response) and the `ocsp_cert_ids` relation of one response.
pub fn relations(der_bytes: &[u8], certs: &[(&String, &[u8])]) -> (Vec<Value>, Value) {
    let mut found = Vec::new();
    let mut ids = json!({"responses": [], "embedded": []});
    let Ok(p) = parts(der_bytes) else {
        return (found, ids);
    };
    let Some(basic_der) = &p.basic else {
        return (found, ids);
    };
    let Ok(b) = Basic::new(basic_der) else {
        return (found, ids);
    };
    let signed = || -> Option<(String, Vec<u8>)> {
        let alg = der::oid(b.fields[1].children().ok()?.first()?).ok()?;
        Some((alg, der::bitstring(&b.fields[2]).ok()?.1.to_vec()))
    };
    let Some((sig_oid, signature)) = signed() else {
        return (found, ids);
    };
    let rid = &b.tbs[b.i];
    struct Bits<'a> {
        id: &'a String,
        serial: Vec<u8>,
        subject: Vec<u8>,
        spk: Vec<u8>,
        spki: Vec<u8>,
    }
    let bits: Vec<Bits> = certs
        .iter()
        .filter_map(|(id, der_bytes)| {
            let c = facts::CertParts::new(der_bytes).ok()?;
            let spki = c.spki();
            let spk = der::bitstring(spki.children().ok()?.get(1)?)
                .ok()?
                .1
                .to_vec();
            Some(Bits {
                id,
                serial: c.serial().content().to_vec(),
                subject: c.subject().raw().to_vec(),
                spk,
                spki: spki.raw().to_vec(),
            })
        })
        .collect();
    for c in &bits {
        if facts::verify_parts(&c.spki, b.tbs_raw(), &sig_oid, &signature) != Some(true) {
            continue;
        }
        let matches = if rid.is_context(1) {
            first_child(rid).is_ok_and(|n| n.raw() == c.subject.as_slice())
        } else {
            first_child(rid).is_ok_and(|k| k.content() == facts::sha1(&c.spk).as_slice())
        };
        found.push(json!({"issuer": c.id, "responder_id_matches": matches}));
    }
    found.sort_by(|a, b| a["issuer"].as_str().cmp(&b["issuer"].as_str()));
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        json!(v)
    };
    let mut responses = Vec::new();
    for sr in b.singles().unwrap_or_default() {
        let Some(cid) = sr
            .children()
            .ok()
            .and_then(|ch| ch.first()?.children().ok())
        else {
            continue;
        };
        if cid.len() < 4 {
            continue;
        }
        let hash = cid[0]
            .children()
            .ok()
            .and_then(|a| der::oid(a.first()?).ok())
            .and_then(|oid| hash_fn(&oid));
        let want_serial = der::int_magnitude(cid[3].content());
        let digest = |data: &[u8]| hash.map(|h| h(data));
        responses.push(json!({
            "serial_of": sorted(bits.iter().filter(|c| der::int_magnitude(&c.serial) == want_serial).map(|c| c.id).collect()),
            "issuer_key_of": sorted(bits.iter().filter(|c| digest(&c.spk).as_deref() == Some(cid[2].content())).map(|c| c.id).collect()),
            "issuer_name_of": sorted(bits.iter().filter(|c| digest(&c.subject).as_deref() == Some(cid[1].content())).map(|c| c.id).collect()),
        }));
    }
    let embedded: Vec<Value> = b
        .embedded()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            sorted(
                certs
                    .iter()
                    .filter(|(_, d)| *d == e)
                    .map(|(id, _)| *id)
                    .collect(),
            )
        })
        .collect();
    ids["responses"] = Value::Array(responses);
    ids["embedded"] = Value::Array(embedded);
    (found, ids)
}

impl Basic<'_> {
    fn tbs_raw(&self) -> &[u8] {
        self.fields[0].raw()
    }
}

type Digest = fn(&[u8]) -> Vec<u8>;

fn hash_fn(oid: &str) -> Option<Digest> {
    use aws_lc_rs::digest;
    fn with(alg: &'static digest::Algorithm, data: &[u8]) -> Vec<u8> {
        digest::digest(alg, data).as_ref().to_vec()
    }
    Some(match oid {
        "1.3.14.3.2.26" => |d| with(&digest::SHA1_FOR_LEGACY_USE_ONLY, d),
        "2.16.840.1.101.3.4.2.1" => |d| with(&digest::SHA256, d),
        "2.16.840.1.101.3.4.2.2" => |d| with(&digest::SHA384, d),
        "2.16.840.1.101.3.4.2.3" => |d| with(&digest::SHA512, d),
        _ => return None,
    })
}

fn int(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

fn overlap_problem(
    exp: &Value,
    got: &Value,
    key: &str,
    slack: i64,
    path: &str,
    out: &mut Vec<String>,
) {
    let (s, e) = (
        format!("{key}_minus_run_start_s"),
        format!("{key}_minus_run_end_s"),
    );
    let lo_e = int(exp, &e) - slack;
    let hi_e = int(exp, &s) + slack;
    let (lo_g, hi_g) = (int(got, &e), int(got, &s));
    if hi_g < lo_e || lo_g > hi_e {
        out.push(format!(
            "{path}: {key} is {lo_g:+}..{hi_g:+} s from the run time, expected {:+}..{:+} s (+-{slack} s)",
            lo_e + slack,
            hi_e - slack
        ));
    }
}

/// The OCSP time rule: producedAt and thisUpdate equal or near the run (truncated to
/// the minute and the hour), revocationTime equal or near the run, nextUpdate -
/// thisUpdate within 2 s.
pub fn time_problems(exp: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (exp.is_null(), got.is_null()) {
        (true, true) => return,
        (false, false) => {}
        _ => {
            out.push(format!("{path}: expected {exp}, got {got}"));
            return;
        }
    }
    if exp["produced_at"] != got["produced_at"] {
        if exp.get("produced_at_minus_run_start_s").is_some()
            && got.get("produced_at_minus_run_start_s").is_some()
        {
            overlap_problem(exp, got, "produced_at", PRODUCED_SLACK_S, path, out);
        } else {
            out.push(format!(
                "{path}: expected producedAt {}, got {}",
                exp["produced_at"], got["produced_at"]
            ));
        }
    }
    let empty = Vec::new();
    let er = exp["responses"].as_array().unwrap_or(&empty);
    let gr = got["responses"].as_array().unwrap_or(&empty);
    if er.len() != gr.len() {
        out.push(format!(
            "{path}.responses: {} entries, expected {}",
            gr.len(),
            er.len()
        ));
    }
    for (j, (e, g)) in er.iter().zip(gr).enumerate() {
        let p = format!("{path}.responses[{j}]");
        for (key, slack) in [
            ("this_update", THIS_UPDATE_SLACK_S),
            ("revocation_time", REVOCATION_SLACK_S),
        ] {
            let (ev, gv) = (&e[key], &g[key]);
            if ev == gv {
                continue;
            }
            let rel = format!("{key}_minus_run_start_s");
            if ev.is_null() || gv.is_null() {
                out.push(format!("{p}.{key}: expected {ev}, got {gv}"));
            } else if e.get(&rel).is_some() && g.get(&rel).is_some() {
                overlap_problem(e, g, key, slack, &p, out);
            } else {
                out.push(format!("{p}.{key}: expected {ev}, got {gv}"));
            }
        }
        let k = "next_update_minus_this_update_s";
        let (ed, gd) = (e[k].as_i64(), g[k].as_i64());
        let bad = match (ed, gd) {
            (None, None) => false,
            (Some(a), Some(b)) => (a - b).abs() > DELTA_SLACK_S,
            _ => true,
        };
        if bad {
            out.push(format!(
                "{p}.{k}: expected {} (+-{DELTA_SLACK_S} s), got {}",
                e[k], g[k]
            ));
        }
    }
}
