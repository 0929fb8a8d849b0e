//! cfssljson replaces a certificate, its key and its CSR as one set (issue 12, item 9):
//! concurrent runs on the same base name take turns, so the files always match, and
//! no temporary file (each may hold a private key) is left behind.

mod common;

use common::*;
use std::io::Write as _;
use std::process::Stdio;

#[test]
fn concurrent_runs_on_one_base_name_leave_a_matching_set() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..10 {
        let children: Vec<ProcGuard> = (0..6)
            .map(|i| {
                let mut child = clean_command(cfssljson_bin())
                    .current_dir(dir.path())
                    .args(["-bare", "leaf"])
                    .stdin(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let body = "x".repeat(200 * 1024);
                let json = format!(
                    r#"{{"cert":"cert {i} {body}","key":"key {i} {body}","csr":"csr {i} {body}"}}"#
                );
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(json.as_bytes())
                    .unwrap();
                ProcGuard::new("cfssljson", child)
            })
            .collect();
        for mut guard in children {
            let status = guard.child.wait().unwrap();
            assert!(status.success(), "round {round}: {status}");
        }
        let word = |file: &str| {
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            text.split(' ').nth(1).unwrap().to_string()
        };
        let writer = word("leaf.pem");
        assert_eq!(word("leaf-key.pem"), writer, "round {round}");
        assert_eq!(word("leaf.csr"), writer, "round {round}");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["leaf-key.pem", "leaf.csr", "leaf.pem"],
            "round {round}"
        );
    }
}
