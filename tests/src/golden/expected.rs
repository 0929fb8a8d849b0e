//! A case's recorded expectations (`expected/`).

use super::EXPECTED_DIR;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Expected {
    pub result: Value,
    pub(super) stdout: Option<Vec<u8>>,
    pub(super) stderr: Vec<u8>,
    /// normalized bytes of the deterministic produced files
    pub(super) files: BTreeMap<String, Vec<u8>>,
}

pub fn load_expected(case_dir: &Path) -> Result<Expected, String> {
    let edir = case_dir.join(EXPECTED_DIR);
    let text = std::fs::read_to_string(edir.join("result.json"))
        .map_err(|e| format!("{}: {e}", edir.join("result.json").display()))?;
    let result: Value = serde_json::from_str(&text).map_err(|e| format!("result.json: {e}"))?;
    let mut files = BTreeMap::new();
    for f in result["files"].as_array().into_iter().flatten() {
        if f["deterministic"] == json!(true) {
            let path = f["path"].as_str().unwrap_or_default();
            if let Ok(data) = std::fs::read(edir.join("files").join(path)) {
                files.insert(path.to_string(), data);
            }
        }
    }
    Ok(Expected {
        stdout: std::fs::read(edir.join("stdout")).ok(),
        stderr: std::fs::read(edir.join("stderr")).unwrap_or_default(),
        files,
        result,
    })
}
