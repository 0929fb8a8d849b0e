//! Fixtures: a real CA made by the binary under test, and a second, unrelated key;
//! the sign-mode case with good defaults for every input.

use super::bin;
use super::case::{Case, Tool};
use std::fs;
use std::process::Command;
use std::sync::OnceLock;

pub(super) struct Fixtures {
    pub(super) ca: String,
    pub(super) ca_key: String,
    pub(super) other_key: String,
    pub(super) leaf_csr: String,
}

pub(super) fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let initca = |cn: &str| -> serde_json::Value {
            fs::write(dir.path().join("r.json"), format!(r#"{{"CN":"{cn}"}}"#)).unwrap();
            let out = Command::new(bin("CFSSL_BIN", "cfssl"))
                .args(["gencert", "-initca", "r.json"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "fixture initca failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let a = initca("Bad Input Test CA");
        let b = initca("Other CA");
        let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
        Fixtures {
            ca: s(&a, "cert"),
            ca_key: s(&a, "key"),
            other_key: s(&b, "key"),
            leaf_csr: s(&a, "csr"),
        }
    })
}

/// `gencert -ca ca.pem -ca-key ca-key.pem -config config.json req.json` with good
/// defaults for every input; cases override one of them.
pub(super) fn sign_case(name: &str, req: &[u8]) -> Case {
    let f = fixtures();
    Case::new(
        name,
        Tool::Cfssl,
        &[
            "gencert",
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
            "-config",
            "config.json",
            "req.json",
        ],
    )
    .file("ca.pem", f.ca.clone())
    .file("ca-key.pem", f.ca_key.clone())
    .file("req.json", req.to_vec())
}

pub(super) fn good_config() -> &'static str {
    r#"{"signing":{"default":{"expiry":"1h","usages":["signing","key encipherment","server auth"]}}}"#
}

/// Replaces an input file of a case (later writes win).
pub(super) fn with(case: Case, name: &str, data: impl Into<Vec<u8>>) -> Case {
    case.file(name, data)
}
