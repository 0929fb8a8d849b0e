//! A whole run against its expectations: exit, stdout, stderr, files, objects.

use super::expected::Expected;
use super::observe::Observed;
use super::values::{diff_values, shape_problems, short, short_str, time_problems};
use super::VARIES;
use crate::content::{self, Block, Content};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn compare_blocks(exp: &[Value], got: &[Block], path: &str, out: &mut Vec<String>) {
    if exp.len() != got.len() {
        out.push(format!(
            "{path}: {} PEM block(s), expected {}",
            got.len(),
            exp.len()
        ));
    }
    for (i, (e, g)) in exp.iter().zip(got).enumerate() {
        let p = format!(
            "{path} <PEM#{i} {}>",
            e["where"].as_str().unwrap_or(&g.location)
        );
        let o = &g.object;
        if e["kind"] != json!(o.kind) {
            out.push(format!("{p}: kind {}, expected {}", o.kind, e["kind"]));
            continue;
        }
        let mut got_facts = o.facts.clone();
        if e["facts"]["validity"]["not_before_second"] == json!(VARIES) {
            if let Some(v) = got_facts.get_mut("validity").and_then(Value::as_object_mut) {
                v.insert("not_before_second".into(), json!(VARIES));
            }
        }
        diff_values(&e["facts"], &got_facts, &format!("{p}.facts"), out);
        let empty = json!({});
        shape_problems(
            e.get("random").unwrap_or(&empty),
            &o.random,
            &e["facts"],
            &format!("{p}.random"),
            out,
        );
        if o.kind == "ocsp" {
            let got_time = o.time.clone().map_or(Value::Null, Value::Object);
            let exp_time = e.get("time").unwrap_or(&Value::Null);
            crate::ocsp::time_problems(exp_time, &got_time, &format!("{p}.time"), out);
        }
        if o.kind == "certificate" || o.kind == "crl" {
            let got_time = o.time.clone().map_or(Value::Null, Value::Object);
            let exp_time = e.get("time").unwrap_or(&Value::Null);
            let tp = format!("{p}.time");
            match (exp_time.is_null(), got_time.is_null()) {
                (true, true) => {}
                (false, false) => time_problems(exp_time, &got_time, o.kind == "crl", &tp, out),
                _ => out.push(format!(
                    "{tp}: expected {}, got {}",
                    short(exp_time),
                    short(&got_time)
                )),
            }
        }
    }
}

fn first_diff_line(exp: &str, got: &str) -> String {
    let (el, gl) = (content::split_lines(exp), content::split_lines(got));
    for i in 0..el.len().max(gl.len()) {
        let (a, b) = (el.get(i).copied(), gl.get(i).copied());
        if a != b {
            let show = |x: Option<&str>| x.map_or("<end>".to_string(), short_str);
            return format!("line {}: expected {}, got {}", i + 1, show(a), show(b));
        }
    }
    // the texts differ only in line endings
    format!("expected {}, got {}", short_str(exp), short_str(got))
}

/// Compare stdout or a produced file (FORMAT.md, "What a passing case means").
fn compare_content(
    exp: &Value,
    blob: Option<&[u8]>,
    got_norm: &[u8],
    got: &Content,
    path: &str,
    out: &mut Vec<String>,
) {
    if exp["deterministic"] == json!(true) {
        if let Some(blob) = blob {
            if blob == got_norm {
                return;
            }
            out.push(format!(
                "{path}: bytes differ: {}",
                first_diff_line(
                    &String::from_utf8_lossy(blob),
                    &String::from_utf8_lossy(got_norm)
                )
            ));
        }
    }
    let exp_binary = exp["binary"] == json!(true);
    if exp_binary || got.binary {
        if exp_binary != got.binary {
            out.push(format!(
                "{path}: expected {} content",
                if exp_binary { "binary" } else { "text" }
            ));
        }
        return;
    }
    let exp_skeleton = exp["skeleton"].as_str().unwrap_or_default();
    if exp_skeleton != got.skeleton {
        out.push(format!(
            "{path}: text outside PEM blocks differs: {}",
            first_diff_line(exp_skeleton, &got.skeleton)
        ));
    }
    let exp_json = exp["json"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if exp_json != got.json.as_slice() {
        // the first object whose path or keys differ tells the most
        let i = exp_json
            .iter()
            .zip(&got.json)
            .take_while(|(a, b)| a == b)
            .count();
        let show = |v: Option<&Value>| match v {
            Some(o) => format!(
                "{} {}",
                o["path"].as_str().unwrap_or("?"),
                short(&o["keys"])
            ),
            None => "nothing".to_string(),
        };
        out.push(format!(
            "{path}: JSON object #{i} ({} objects, expected {}): expected {}, got {}",
            got.json.len(),
            exp_json.len(),
            show(exp_json.get(i)),
            show(got.json.get(i))
        ));
    }
    let exp_pems = exp["pems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    compare_blocks(exp_pems, &got.blocks, path, out);
}

/// Every way the observed run differs from the expectations; empty means pass.
pub fn compare(exp: &Expected, ob: &Observed) -> Vec<String> {
    let r = &exp.result;
    let mut out = Vec::new();
    if r["exit_status"] != ob.exit.to_value() {
        out.push(format!(
            "exit status: expected {}, got {}",
            r["exit_status"],
            ob.exit.to_value()
        ));
    }
    compare_content(
        &r["stdout"],
        exp.stdout.as_deref(),
        &ob.stdout_norm,
        &ob.stdout,
        "stdout",
        &mut out,
    );

    let want = String::from_utf8_lossy(&exp.stderr);
    match r["stderr"]["mode"].as_str() {
        Some("exact") if want != ob.stderr_norm => {
            out.push(format!(
                "stderr: {}",
                first_diff_line(&want, &ob.stderr_norm)
            ));
        }
        Some("unordered_lines") => {
            let (mut w, mut g) = (
                content::split_lines(&want),
                content::split_lines(&ob.stderr_norm),
            );
            w.sort_unstable();
            g.sort_unstable();
            if w != g {
                out.push(format!(
                    "stderr (any line order): {}",
                    first_diff_line(&w.join("\n"), &g.join("\n"))
                ));
            }
        }
        _ => {}
    }

    let exp_files: BTreeMap<&str, &Value> = r["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f["path"].as_str().unwrap_or_default(), f))
        .collect();
    let paths: BTreeSet<&str> = exp_files
        .keys()
        .copied()
        .chain(ob.files.keys().map(String::as_str))
        .collect();
    for path in paths {
        let (e, g) = match (exp_files.get(path), ob.files.get(path)) {
            (Some(e), Some(g)) => (e, g),
            (Some(e), None) => {
                out.push(format!(
                    "file {path}: missing (expected {} {})",
                    e["change"], e["type"]
                ));
                continue;
            }
            (None, Some(g)) => {
                out.push(format!(
                    "file {path}: unexpected ({} {})",
                    g.change, g.type_name
                ));
                continue;
            }
            (None, None) => continue,
        };
        if e["type"] != json!(g.type_name) {
            out.push(format!(
                "file {path}: type {}, expected {}",
                g.type_name, e["type"]
            ));
        }
        if e["change"] != json!(g.change) {
            out.push(format!(
                "file {path}: change {}, expected {}",
                g.change, e["change"]
            ));
        }
        if e["mode"] != json!(g.mode) {
            out.push(format!(
                "file {path}: mode {}, expected {}",
                json!(g.mode),
                e["mode"]
            ));
        }
        if let (Some(c), Some(n), true) = (&g.content, &g.normalized, e["type"] == "file") {
            let mut ec = e["content"].clone();
            ec["deterministic"] = e["deterministic"].clone();
            let blob = exp.files.get(path).map(Vec::as_slice);
            compare_content(&ec, blob, n, c, &format!("file {path}"), &mut out);
        }
    }

    let no_relations = json!({});
    let exp_issued = r["relations"]["issued_by"]
        .as_object()
        .unwrap_or_else(|| no_relations.as_object().unwrap());
    for (id, g) in &ob.issued_by {
        // a certificate missing on one side has been reported as a missing file or block
        let Some(e) = exp_issued.get(id) else {
            continue;
        };
        let g = json!(g);
        if *e != g {
            let issuers = |v: &Value| -> Vec<Value> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| x["issuer"].clone())
                    .collect()
            };
            if issuers(e) != issuers(&g) {
                out.push(format!(
                    "chain: {id} is signed by {}, expected {}",
                    short(&json!(issuers(&g))),
                    short(&json!(issuers(e)))
                ));
            } else {
                diff_values(e, &g, &format!("chain {id}"), &mut out);
            }
        }
    }
    let exp_groups = &r["relations"]["key_groups"];
    if *exp_groups != json!(ob.key_groups) {
        out.push(format!(
            "key pairing: expected {}, got {}",
            short(exp_groups),
            short(&json!(ob.key_groups))
        ));
    }
    let exp_ids = &r["relations"]["ocsp_cert_ids"];
    for (id, g) in &ob.ocsp_cert_ids {
        if let Some(e) = exp_ids.get(id) {
            diff_values(e, g, &format!("ocsp cert ids {id}"), &mut out);
        }
    }
    out
}
