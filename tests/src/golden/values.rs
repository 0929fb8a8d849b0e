//! One object's values against the recording: facts by ==, `random` by shape,
//! `time` by the time rules.

use serde_json::{json, Value};
use std::collections::BTreeSet;

/// rounding of notBefore to the minute, plus margin
const TIME_SLACK_S: i64 = 60;
/// CRL thisUpdate is "now", not rounded
const CRL_TIME_SLACK_S: i64 = 5;
/// nextUpdate / revocationDate minus thisUpdate: cfssl reads the clock several times
const CRL_DELTA_SLACK_S: i64 = 2;

pub(super) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 200 {
        s
    } else {
        format!("{}...", s.chars().take(197).collect::<String>())
    }
}

pub(super) fn short_str(s: &str) -> String {
    short(&json!(s))
}

/// Every difference between two JSON values, as `path: expected X, got Y`.
/// A differing `der` is reported only when nothing decoded from it differs.
pub fn diff_values(exp: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (exp, got) {
        (Value::Object(e), Value::Object(g)) => {
            let before = out.len();
            let keys: BTreeSet<&String> = e.keys().chain(g.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (e.get(k), g.get(k)) {
                    (Some(_), Some(_)) if k == "der" => {}
                    (Some(ev), None) => out.push(format!("{p}: missing (expected {})", short(ev))),
                    (None, Some(gv)) => out.push(format!("{p}: unexpected {}", short(gv))),
                    (Some(ev), Some(gv)) => diff_values(ev, gv, &p, out),
                    (None, None) => {}
                }
            }
            if let (Some(ed), Some(gd), true) = (e.get("der"), g.get("der"), out.len() == before) {
                if ed != gd {
                    out.push(format!("{path}.der: expected {ed}, got {gd}"));
                }
            }
        }
        (Value::Array(e), Value::Array(g)) if e.iter().chain(g).any(Value::is_object) => {
            for i in 0..e.len().max(g.len()) {
                // name extensions by their name, which reads better than an index
                let name = e
                    .get(i)
                    .or(g.get(i))
                    .and_then(|x| x.get("name"))
                    .and_then(Value::as_str);
                let label = match name {
                    Some(n) => format!("{path}[{i} {n}]"),
                    None => format!("{path}[{i}]"),
                };
                match (e.get(i), g.get(i)) {
                    (Some(ev), None) => {
                        out.push(format!("{label}: missing (expected {})", short(ev)))
                    }
                    (None, Some(gv)) => out.push(format!("{label}: unexpected {}", short(gv))),
                    (Some(ev), Some(gv)) => diff_values(ev, gv, &label, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(g)) if e != g => {
            // lists of names and values: show where they start to differ
            let i = e.iter().zip(g).take_while(|(a, b)| a == b).count();
            let tail = |v: &[Value]| short(&json!(v[i.min(v.len())..(i + 3).min(v.len())]));
            let lens = if e.len() == g.len() {
                String::new()
            } else {
                format!(" ({} entries, expected {})", g.len(), e.len())
            };
            out.push(format!(
                "{path}[{i}:]: expected {}, got {}{lens}",
                tail(e),
                tail(g)
            ));
        }
        _ if exp != got => out.push(format!(
            "{path}: expected {}, got {}",
            short(exp),
            short(got)
        )),
        _ => {}
    }
}

fn int_field(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// The `random` section compared by shape (FORMAT.md, "random").
pub(super) fn shape_problems(
    exp: &Value,
    got: &Value,
    facts: &Value,
    path: &str,
    out: &mut Vec<String>,
) {
    let (Value::Object(e), Value::Object(g)) = (exp, got) else {
        diff_values(exp, got, path, out);
        return;
    };
    let sig_name = facts["signature_algorithm"]["name"]
        .as_str()
        .unwrap_or_default();
    let algo = match &facts["algorithm"] {
        Value::Null => facts["public_key"]["type"].as_str().unwrap_or_default(),
        a => a.as_str().unwrap_or_default(),
    };
    let keys: BTreeSet<&String> = e.keys().chain(g.keys()).collect();
    for k in keys {
        let p = format!("{path}.{k}");
        let (ev, gv) = match (e.get(k), g.get(k)) {
            (Some(ev), Some(gv)) => (ev, gv),
            (Some(ev), None) => {
                out.push(format!("{p}: missing (expected {})", short(ev)));
                continue;
            }
            (None, Some(gv)) => {
                out.push(format!("{p}: unexpected {}", short(gv)));
                continue;
            }
            (None, None) => continue,
        };
        let (eb, gb) = (int_field(ev, "bytes"), int_field(gv, "bytes"));
        match k.as_str() {
            "serial" => {
                if gb > eb.max(20) {
                    out.push(format!(
                        "{p}.bytes: {gb} bytes (expected at most {})",
                        eb.max(20)
                    ));
                }
                let (ebits, gbits) = (int_field(ev, "bits"), int_field(gv, "bits"));
                if gbits < ebits.min(159) - 24 {
                    out.push(format!("{p}.bits: {gbits} bits (expected about {ebits})"));
                }
            }
            "signature" if sig_name.starts_with("ecdsa") => {
                if (gb - eb).abs() > 6 {
                    out.push(format!("{p}.bytes: expected about {eb}, got {gb}"));
                }
            }
            "responses" => match (ev.as_array(), gv.as_array()) {
                (Some(el), Some(gl)) => {
                    if el.len() != gl.len() {
                        out.push(format!("{p}: {} entries, expected {}", gl.len(), el.len()));
                    }
                    for (j, (ej, gj)) in el.iter().zip(gl).enumerate() {
                        shape_problems(ej, gj, facts, &format!("{p}[{j}]"), out);
                    }
                }
                _ => diff_values(ev, gv, &p, out),
            },
            "der" if algo == "rsa" => {
                if (gb - eb).abs() > 16 {
                    out.push(format!("{p}.bytes: expected about {eb}, got {gb}"));
                }
            }
            _ => diff_values(ev, gv, &p, out),
        }
    }
}

pub(super) fn time_problems(
    exp: &Value,
    got: &Value,
    crl: bool,
    path: &str,
    out: &mut Vec<String>,
) {
    let (first, second, slack) = if crl {
        ("this_update", "next_update", CRL_TIME_SLACK_S)
    } else {
        ("not_before", "not_after", TIME_SLACK_S)
    };
    if exp[first] != got[first] || exp[second] != got[second] {
        let start_key = format!("{first}_minus_run_start_s");
        let end_key = format!("{first}_minus_run_end_s");
        match (exp.get(&start_key), got.get(&start_key)) {
            (Some(_), Some(_)) => {
                let lo_e = int_field(exp, &end_key) - slack;
                let hi_e = int_field(exp, &start_key) + slack;
                let (lo_g, hi_g) = (int_field(got, &end_key), int_field(got, &start_key));
                if hi_g < lo_e || lo_g > hi_e {
                    out.push(format!(
                        "{path}: {first} is {lo_g:+}..{hi_g:+} s from the run time, expected {:+}..{:+} s",
                        lo_e + slack,
                        hi_e - slack
                    ));
                }
            }
            _ => out.push(format!(
                "{path}: expected {first} {}, got {}",
                exp[first], got[first]
            )),
        }
    }
    if !crl {
        return;
    }
    for k in [
        "next_update_minus_this_update_s",
        "revocation_minus_this_update_s",
    ] {
        let (e, g) = (&exp[k], &got[k]);
        let as_list = |v: &Value| -> Vec<i64> {
            match v {
                Value::Array(a) => a.iter().map(|x| x.as_i64().unwrap_or(0)).collect(),
                v => vec![v.as_i64().unwrap_or(0)],
            }
        };
        let differs = match (e.is_null(), g.is_null()) {
            (true, true) => false,
            (false, false) => {
                let (el, gl) = (as_list(e), as_list(g));
                el.len() != gl.len()
                    || el
                        .iter()
                        .zip(&gl)
                        .any(|(a, b)| (a - b).abs() > CRL_DELTA_SLACK_S)
            }
            _ => true,
        };
        if differs {
            out.push(format!(
                "{path}.{k}: expected {e} (+-{CRL_DELTA_SLACK_S} s), got {g}"
            ));
        }
    }
}
