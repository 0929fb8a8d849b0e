//! Running one case and checking the common contract.

use super::case::{Case, Expect, Tool};
use super::{bin, TIMEOUT};
use libtest_mimic::Failed;
use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(super) fn list_dir(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A named pipe with a producer that opens it once the reader does and writes `bytes`:
/// the input is read like a file (cfssl waits for the writer, so a pipe nobody ever
/// writes to hangs cfssl and us alike, and is no bad-input case).
pub(super) fn fifo_with_writer(path: &Path, bytes: &'static [u8]) {
    mkfifo(path);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Write as _;
        if let Ok(mut w) = fs::OpenOptions::new().write(true).open(path) {
            let _ = w.write_all(bytes);
        }
    });
}

pub(super) fn run_case(case: &Case) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let run = dir.path();
    for (name, data) in &case.files {
        fs::write(run.join(name), data).map_err(|e| format!("writing input {name}: {e}"))?;
        if name.ends_with("-key.pem") {
            fs::set_permissions(run.join(name), fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    if let Some(setup) = &case.setup {
        setup(run);
    }
    let before = list_dir(run);
    let program = match case.tool {
        Tool::Cfssl => bin("CFSSL_BIN", "cfssl"),
        Tool::Cfssljson => bin("CFSSLJSON_BIN", "cfssljson"),
    };
    let mut cmd = Command::new(&program);
    cmd.args(&case.args)
        .current_dir(run)
        .env_remove("CFSSL_CA_PK_PASSWORD")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if case.stdout_full {
        cmd.stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .map_err(|e| e.to_string())?,
        );
    }
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().unwrap();
    let input = case.stdin.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut v);
        }
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            // A FIFO reader may keep a pipe thread blocked; do not join.
            return Err(format!("timed out after {TIMEOUT:?} (hang)").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let _ = feeder.join();
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let mut problems = Vec::new();
    let code = status.code();
    let show = |s: &str| -> String { s.chars().take(1500).collect() };

    if stderr.contains("panicked at") || stderr.contains("RUST_BACKTRACE") || code == Some(101) {
        problems.push("Rust panic".to_string());
    }
    if code.is_none() {
        problems.push(format!("killed by a signal: {status:?}"));
    }
    let failed = code != Some(0);
    match case.expect {
        Expect::Fail if !failed => problems.push("exit status 0, expected failure".into()),
        Expect::Success if failed => {
            problems.push(format!("exit status {code:?}, expected success"))
        }
        _ => {}
    }
    if failed {
        if stderr.trim().is_empty() {
            problems.push("stderr is empty".into());
        }
        if !stdout.is_empty() {
            problems.push(format!("stdout not empty ({} bytes)", stdout.len()));
        }
        for frag in &case.stderr_has {
            if !stderr.contains(frag.as_str()) {
                problems.push(format!("stderr lacks {frag:?}"));
            }
        }
        let after = list_dir(run);
        let extra: Vec<_> = after.difference(&before).collect();
        if !extra.is_empty() {
            problems.push(format!("files left behind: {extra:?}"));
        }
    } else if case.tool == Tool::Cfssl
        && !stdout.is_empty()
        && serde_json::from_slice::<serde_json::Value>(&stdout).is_err()
    {
        problems.push("stdout is not JSON".into());
    }
    // Key files are never group- or world-accessible, whatever happened.
    for name in list_dir(run) {
        if name.ends_with("-key.pem") || name.ends_with("-key.enc") {
            if let Ok(m) = fs::symlink_metadata(run.join(&name)) {
                if m.file_type().is_file() && m.permissions().mode() & 0o077 != 0 {
                    problems.push(format!(
                        "{name} has mode {:o}",
                        m.permissions().mode() & 0o777
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        if let Some(check) = &case.check {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(run)));
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                problems.push(format!("check failed: {msg}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n  args: {:?}\n  exit: {code:?} after {elapsed:?}\n  stderr: {}",
            problems.join("; "),
            case.args,
            show(&stderr)
        )
        .into())
    }
}
