//! The report: one JSON object for programs, one line per problem for people.

use super::{Report, Verdict};
use serde_json::{json, Value};

pub fn json(r: &Report) -> String {
    let conns: Vec<Value> = r
        .connections
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "verdict": c.verdict.as_str(),
                "reason": c.reason,
                "files": c.files,
            })
        })
        .collect();
    let v = json!({"works": r.works(), "connections": conns});
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let (mut oks, mut fails, mut warns) = (0, 0, 0);
    for c in &r.connections {
        match c.verdict {
            Verdict::Ok => oks += 1,
            Verdict::Fail => fails += 1,
            Verdict::Warn => warns += 1,
        }
        if c.verdict == Verdict::Ok {
            continue;
        }
        // A client without a certificate being refused is what client-cert-auth is for.
        let expected = c.id.starts_with("nocert@") && c.verdict == Verdict::Fail;
        let tag = match (c.verdict, expected) {
            (_, true) => "refused (as intended)",
            (Verdict::Warn, _) => "WARN",
            _ => "FAIL",
        };
        out.push_str(&format!("{tag} {}: {}", c.id, c.reason));
        if !c.files.is_empty() && !expected {
            out.push_str(&format!(" [file: {}]", c.files.join(", ")));
        }
        if !c.fix.is_empty() && !expected {
            out.push_str(&format!(" -- fix: {}", c.fix));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{}: {} connections checked: {oks} ok, {fails} failing or refused, {warns} warnings\n",
        if r.works() {
            "etcd would work"
        } else {
            "etcd would NOT work"
        },
        r.connections.len()
    ));
    out
}
