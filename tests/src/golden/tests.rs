//! The runner's own checks against the recordings of every case.

use super::observe::{push_blocks, relations};
use super::*;
use crate::content::Content;
use crate::facts;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join("cases")
}

/// The facts of a recorded output, extracted by this crate, must be the
/// facts recorded with it (the recording is the first of the reference runs,
/// which is also what expected/stdout, files/ and sample/ hold).
fn check_recorded(exp: &Value, data: &[u8], what: &str, out: &mut Vec<String>) {
    let c = Content::analyze(data, None);
    if exp["binary"] == json!(true) {
        return;
    }
    if exp["skeleton"] != json!(c.skeleton) {
        out.push(format!("{what}: skeleton {:?}", c.skeleton));
    }
    if *exp.get("json").unwrap_or(&json!([])) != json!(c.json) {
        out.push(format!("{what}: json keys"));
    }
    let pems = exp["pems"].as_array().cloned().unwrap_or_default();
    if pems.len() != c.blocks.len() {
        out.push(format!(
            "{what}: {} blocks, expected {}",
            c.blocks.len(),
            pems.len()
        ));
    }
    for (e, b) in pems.iter().zip(&c.blocks) {
        let p = format!("{what} {}", b.location);
        assert_eq!(e["where"], json!(b.location), "{p}");
        assert_eq!(e["kind"], json!(b.object.kind), "{p}");
        let mut facts = b.object.facts.clone();
        if e["facts"]["validity"]["not_before_second"] == json!(VARIES) {
            facts["validity"]["not_before_second"] = json!(VARIES);
        }
        diff_values(&e["facts"], &facts, &format!("{p}.facts"), out);
        diff_values(&e["random"], &b.object.random, &format!("{p}.random"), out);
        if let Some(time) = &b.object.time {
            for (k, v) in time {
                if !within(&e["time"][k], v) {
                    out.push(format!("{p}.time.{k}: expected {}, got {v}", e["time"][k]));
                }
            }
        }
    }
}

/// `got` equals `exp` apart from object keys only `exp` has (the run-relative
/// times, which a recording analysed without its run lacks).
fn within(exp: &Value, got: &Value) -> bool {
    match (exp, got) {
        (Value::Object(e), Value::Object(g)) => g
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| within(ev, v))),
        (Value::Array(e), Value::Array(g)) => {
            e.len() == g.len() && e.iter().zip(g).all(|(a, b)| within(a, b))
        }
        _ => exp == got,
    }
}

#[test]
fn facts_of_every_recorded_output_match_the_recording() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(cases_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(exp) = load_expected(&dir) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stdout) = &exp.stdout {
            check_recorded(
                &exp.result["stdout"],
                stdout,
                &format!("{name} stdout"),
                &mut problems,
            );
            checked += 1;
        }
        for f in exp.result["files"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap();
            let sub = if f["deterministic"] == json!(true) {
                "files"
            } else {
                "sample"
            };
            if let Ok(data) = std::fs::read(dir.join(EXPECTED_DIR).join(sub).join(path)) {
                check_recorded(
                    &f["content"],
                    &data,
                    &format!("{name} {path}"),
                    &mut problems,
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} recorded outputs found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn input_files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if rel == EXPECTED_DIR {
            continue;
        }
        if p.is_dir() {
            input_files(root, &p, out);
        } else {
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// The relations recomputed from the recorded outputs and the inputs must
/// be the recorded relations: this exercises signature checks and public
/// key derivation for every key type in the corpus.
#[test]
fn relations_of_every_recording_match() {
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(cases_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(exp) = load_expected(&dir) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let stdout = Content::analyze(exp.stdout.as_deref().unwrap_or_default(), None);
        let mut produced = Vec::new();
        for f in exp.result["files"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap().to_string();
            let sub = if f["deterministic"] == json!(true) {
                "files"
            } else {
                "sample"
            };
            if let Ok(data) = std::fs::read(dir.join(EXPECTED_DIR).join(sub).join(&path)) {
                produced.push((path, Content::analyze(&data, None)));
            } else {
                produced.push((path, Content::default()));
            }
        }
        let mut raw_inputs = Vec::new();
        input_files(&dir, &dir, &mut raw_inputs);
        let inputs: Vec<(String, Content)> = raw_inputs
            .into_iter()
            .filter(|(p, _)| !produced.iter().any(|(q, _)| q == p))
            .map(|(p, data)| (p, Content::analyze(&data, None)))
            .collect();
        let mut objects = Vec::new();
        push_blocks(&mut objects, "stdout", &stdout, false);
        for (path, c) in &produced {
            push_blocks(&mut objects, &format!("file:{path}"), c, false);
        }
        for (path, c) in &inputs {
            push_blocks(&mut objects, &format!("input:{path}"), c, true);
        }
        let got = relations(&objects);
        let rel = &exp.result["relations"];
        if rel["issued_by"] != json!(got.issued_by) {
            problems.push(format!("{name}: issued_by {}", json!(got.issued_by)));
        }
        if rel["key_groups"] != json!(got.key_groups) {
            problems.push(format!("{name}: key_groups {}", json!(got.key_groups)));
        }
        let want_ids = rel.get("ocsp_cert_ids").cloned().unwrap_or(json!({}));
        if want_ids != json!(got.ocsp_cert_ids) {
            problems.push(format!(
                "{name}: ocsp_cert_ids {}",
                json!(got.ocsp_cert_ids)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn known_facts_of_a_sample_certificate() {
    let pem = std::fs::read_to_string(cases_dir().join("gencrl-basic/root-ca.pem")).unwrap();
    let objs = facts::pem_objects(&pem);
    assert_eq!(objs.len(), 1);
    let f = &objs[0].facts;
    assert_eq!(f["type"], "certificate");
    assert_eq!(f["version"], 3);
    assert_eq!(f["subject_equals_issuer"], true);
    assert_eq!(f["self_signature_verifies"], true);
    assert_eq!(f["public_key"]["type"], "rsa");
    assert_eq!(
        f["subject"][5],
        json!([["2.5.4.3", "PrintableString", "Golden CLI Root CA"]])
    );
    assert_eq!(f["pem"]["label"], "CERTIFICATE");
}
