//! What a run produced: its outputs, the objects in them and their relations.

use super::run::{Binaries, Entry, Exit, Run};
use crate::content::{Content, Normalizer};
use crate::facts::{self, Object};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub struct ProducedFile {
    pub type_name: &'static str,
    pub change: &'static str,
    pub mode: Option<String>,
    pub normalized: Option<Vec<u8>>,
    pub content: Option<Content>,
}

pub struct Observed {
    pub exit: Exit,
    pub stdout_norm: Vec<u8>,
    pub stderr_norm: String,
    pub stdout: Content,
    pub files: BTreeMap<String, ProducedFile>,
    /// object id -> [{issuer, name_matches, aki_matches_issuer_ski}]
    pub issued_by: BTreeMap<String, Vec<Value>>,
    pub key_groups: Vec<Vec<String>>,
    /// OCSP response id -> its `ocsp_cert_ids` relation
    pub ocsp_cert_ids: BTreeMap<String, Value>,
}

pub fn observe(run: &Run, bins: &Binaries) -> Observed {
    let norm = Normalizer {
        cfssl: bins.cfssl.to_string_lossy().into_owned(),
        cfssljson: bins.cfssljson.to_string_lossy().into_owned(),
        rundirs: run.rundirs.clone(),
    };
    let stdout_norm = norm.bytes(&run.stdout);
    let stderr_norm = String::from_utf8_lossy(&norm.bytes(&run.stderr)).into_owned();
    let stdout = Content::analyze(&stdout_norm, Some(run.times));
    let mut files = BTreeMap::new();
    let mut inputs: Vec<(String, Content)> = Vec::new();
    let paths: BTreeSet<&String> = run.before.keys().chain(run.after.keys()).collect();
    for path in paths {
        let (b, a) = (run.before.get(path), run.after.get(path));
        if b == a {
            if let Some(Entry::File { data, .. }) = b {
                inputs.push((path.clone(), Content::analyze(data, None)));
            }
            continue;
        }
        let change = if a.is_none() {
            "deleted"
        } else if b.is_none() {
            "created"
        } else {
            "modified"
        };
        let Some(a) = a.or(b) else { continue };
        let mut f = ProducedFile {
            type_name: a.type_name(),
            change,
            mode: None,
            normalized: None,
            content: None,
        };
        if change != "deleted" {
            f.mode = Some(format!("{:04o}", a.mode()));
            if let Entry::File { data, .. } = a {
                let n = norm.bytes(data);
                f.content = Some(Content::analyze(&n, Some(run.times)));
                f.normalized = Some(n);
            }
        }
        files.insert(path.clone(), f);
    }
    let mut objects: Vec<(String, &Object, bool)> = Vec::new();
    push_blocks(&mut objects, "stdout", &stdout, false);
    for (path, f) in &files {
        if let Some(c) = &f.content {
            push_blocks(&mut objects, &format!("file:{path}"), c, false);
        }
    }
    for (path, c) in &inputs {
        push_blocks(&mut objects, &format!("input:{path}"), c, true);
    }
    let Relations {
        issued_by,
        key_groups,
        ocsp_cert_ids,
    } = relations(&objects);
    Observed {
        exit: run.exit.clone(),
        stdout_norm,
        stderr_norm,
        stdout,
        files,
        issued_by,
        key_groups,
        ocsp_cert_ids,
    }
}

/// Objects are named `stdout#K`, `file:<path>#K` and `input:<path>#K`.
pub(super) fn push_blocks<'a>(
    objects: &mut Vec<(String, &'a Object, bool)>,
    prefix: &str,
    c: &'a Content,
    is_input: bool,
) {
    for (i, b) in c.blocks.iter().enumerate() {
        objects.push((format!("{prefix}#{i}"), &b.object, is_input));
    }
}

pub(super) struct Relations {
    pub(super) issued_by: BTreeMap<String, Vec<Value>>,
    pub(super) key_groups: Vec<Vec<String>>,
    pub(super) ocsp_cert_ids: BTreeMap<String, Value>,
}

pub(super) fn relations(objects: &[(String, &Object, bool)]) -> Relations {
    let certs: Vec<(&String, &[u8])> = objects
        .iter()
        .filter(|(_, o, _)| o.kind == "certificate")
        .filter_map(|(id, o, _)| Some((id, o.der.as_deref()?)))
        .collect();
    let mut issued = BTreeMap::new();
    let mut ocsp_cert_ids = BTreeMap::new();
    for (id, o, is_input) in objects {
        let Some(der) = o.der.as_deref() else {
            continue;
        };
        if !*is_input && o.kind == "ocsp" {
            let (found, ids) = crate::ocsp::relations(der, &certs);
            issued.insert(id.clone(), found);
            ocsp_cert_ids.insert(id.clone(), ids);
            continue;
        }
        if *is_input || !(o.kind == "certificate" || o.kind == "crl") {
            continue;
        }
        let mut found = Vec::new();
        for (iid, issuer_der) in &certs {
            if facts::verify_signed(der, issuer_der) != Some(true) {
                continue;
            }
            if let Some(rel) = facts::issuer_relation(der, &o.kind, issuer_der) {
                found.push(json!({
                    "issuer": iid,
                    "name_matches": rel.name_matches,
                    "aki_matches_issuer_ski": rel.aki_matches_issuer_ski,
                }));
            }
        }
        found.sort_by(|a, b| a["issuer"].as_str().cmp(&b["issuer"].as_str()));
        issued.insert(id.clone(), found);
    }
    let mut groups: BTreeMap<&[u8], Vec<(&String, bool)>> = BTreeMap::new();
    for (id, o, is_input) in objects {
        if let Some(spki) = o.spki.as_deref() {
            groups.entry(spki).or_default().push((id, *is_input));
        }
    }
    let mut key_groups: Vec<Vec<String>> = groups
        .into_values()
        .filter(|m| m.len() >= 2 && m.iter().any(|(_, inp)| !inp))
        .map(|m| {
            let mut ids: Vec<String> = m.into_iter().map(|(id, _)| id.clone()).collect();
            ids.sort();
            ids
        })
        .collect();
    key_groups.sort();
    Relations {
        issued_by: issued,
        key_groups,
        ocsp_cert_ids,
    }
}
