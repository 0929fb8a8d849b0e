//! `cfssl check`'s predictions against what the cluster did.

use std::collections::BTreeMap;

/// Go quotes errors in some log lines (`error "..."`); compare texts unquoted.
fn unquote(s: &str) -> String {
    s.replace("\\\"", "\"")
}

/// Every prediction must match what the cluster did (`warn` is a success), and each
/// expected outcome must be predicted with its reason, the reason's text also being
/// what etcd or etcdctl said.
pub(super) fn compare(
    report: &serde_json::Value,
    real: &BTreeMap<String, (bool, String)>,
    expected: &[(&str, &str, &str)],
) {
    let conns = report["connections"].as_array().expect("connections array");
    let mut predicted = BTreeMap::new();
    for c in conns {
        let id = c["id"].as_str().unwrap().to_string();
        predicted.insert(
            id,
            (
                c["verdict"].as_str().unwrap().to_string(),
                c["reason"].as_str().unwrap().to_string(),
            ),
        );
    }
    let mut mismatches = Vec::new();
    for (id, (ok, evidence)) in real {
        let Some((verdict, reason)) = predicted.get(id) else {
            mismatches.push(format!("{id}: not in the report"));
            continue;
        };
        if (verdict != "fail") != *ok {
            let tail: Vec<&str> = evidence.lines().rev().take(12).collect();
            mismatches.push(format!(
                "{id}: predicted {verdict} ({reason}) but etcd {}\n    {}",
                if *ok { "succeeded" } else { "failed" },
                tail.into_iter().rev().collect::<Vec<_>>().join("\n    ")
            ));
        }
    }
    for id in predicted.keys() {
        if !real.contains_key(id) {
            mismatches.push(format!("{id}: reported but not observed"));
        }
    }
    for (id, verdict, phrase) in expected {
        let (v, reason) = predicted.get(*id).cloned().unwrap_or_default();
        if v != *verdict || !reason.contains(phrase) {
            mismatches.push(format!(
                "{id}: expected {verdict} with {phrase:?}, predicted {v}: {reason}"
            ));
        }
        if *verdict == "fail" && !phrase.is_empty() {
            let evidence = real.get(*id).map(|(_, e)| unquote(e)).unwrap_or_default();
            if !evidence.contains(phrase) {
                mismatches.push(format!("{id}: etcd/etcdctl never said {phrase:?}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "cfssl check disagrees with the real etcd:\n{}\nreport: {report:#}",
        mismatches.join("\n")
    );
}
