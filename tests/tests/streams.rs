//! How cfssl and cfssljson treat the streams they are given (issue 12, items 13-16):
//! non-blocking stdin/stdout inherited from a parent, a closed stdout, named pipes whose
//! writer comes late, and cfssljson reading whatever gencert printed.

mod common;

use common::*;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const REQ: &str =
    r#"{"CN":"streams.example","hosts":["streams.example"],"key":{"algo":"ecdsa","size":256}}"#;

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Runs `bin args...` with its stdout closed (`>&-`) through the shell.
fn with_stdout_closed(dir: &Path, bin: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = clean_command("sh");
    cmd.current_dir(dir)
        .arg("-c")
        .arg(r#"exec "$@" >&-"#)
        .arg("sh")
        .arg(bin)
        .args(args);
    run_bounded(cmd, stdin, Duration::from_secs(60))
}

#[test]
fn a_closed_stdout_is_an_error_not_lost_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("req.json"), REQ).unwrap();
    /// Program, arguments, stdin.
    type Case<'a> = (&'a Path, &'a [&'a str], Option<&'a [u8]>);
    let cases: [Case; 3] = [
        (&cfssl_bin(), &["gencert", "-initca", "req.json"], None),
        (
            &cfssljson_bin(),
            &["-bare", "-stdout"],
            Some(br#"{"cert":"C"}"#),
        ),
        (&cfssljson_bin(), &["-version"], None),
    ];
    for (bin, args, stdin) in cases {
        let out = with_stdout_closed(dir.path(), bin, args, stdin);
        assert_eq!(
            out.status.and_then(|s| s.code()),
            Some(1),
            "{args:?}: {out}"
        );
        assert!(
            out.stderr
                .trim_end()
                .ends_with("write /dev/stdout: bad file descriptor"),
            "{args:?}: {out}"
        );
    }
}

fn set_nonblocking(fd: impl std::os::fd::AsFd) {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    let flags = fcntl_getfl(&fd).unwrap();
    fcntl_setfl(&fd, flags | OFlags::NONBLOCK).unwrap();
}

/// A parent (Node, asyncio) that made its pipes non-blocking: the child's reads of an
/// empty stdin and writes to a full stdout get EAGAIN, and must wait instead of failing.
#[test]
fn nonblocking_stdin_and_stdout_are_waited_for() {
    let cert = "C".repeat(300 * 1024);
    let input = format!(r#"{{"cert":"{cert}"}}"#);
    let (child_stdin, mut feed) = std::io::pipe().unwrap();
    let (mut drain, child_stdout) = std::io::pipe().unwrap();
    set_nonblocking(&child_stdin);
    set_nonblocking(&child_stdout);
    let child = clean_command(cfssljson_bin())
        .args(["-bare", "-stdout"])
        .stdin(Stdio::from(child_stdin))
        .stdout(Stdio::from(child_stdout))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ProcGuard::new("cfssljson", child);
    let writer = std::thread::spawn(move || {
        // Pauses leave stdin empty while cfssljson reads.
        for part in input.as_bytes().chunks(40 * 1024) {
            feed.write_all(part).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // Nobody reads stdout for a while: cfssljson's writes fill the 64 KiB pipe.
    writer.join().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut printed = String::new();
    drain.read_to_string(&mut printed).unwrap();
    let (status, _, stderr) = finish(&mut guard);
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(printed, format!("{cert}\n"), "{stderr}");
}

/// Reads the child's piped stdout and stderr to their end, then reaps it.
fn finish(guard: &mut ProcGuard) -> (std::process::ExitStatus, String, String) {
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                r.read_to_string(&mut s).unwrap();
            }
            s
        })
    };
    let out = drain(guard.child.stdout.take().map(|r| Box::new(r) as _));
    let err = drain(guard.child.stderr.take().map(|r| Box::new(r) as _));
    let status = guard.child.wait().unwrap();
    (status, out.join().unwrap(), err.join().unwrap())
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

/// `mkfifo req.json; producer > req.json & cfssl genkey req.json`: the producer opens
/// the pipe a moment later than cfssl. cfssl waits (as Go's blocking open does), and
/// says once which pipe it is waiting for.
#[test]
fn a_named_pipe_whose_writer_comes_late_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("req.json");
    mkfifo(&fifo);
    let child = clean_command(cfssl_bin())
        .current_dir(dir.path())
        .args(["genkey", "req.json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ProcGuard::new("cfssl genkey", child);
    std::thread::sleep(Duration::from_millis(2500));
    {
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let (a, b) = REQ.split_at(10);
        w.write_all(a.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        w.write_all(b.as_bytes()).unwrap();
    }
    let (status, stdout, stderr) = finish(&mut guard);
    assert!(status.success(), "{stderr}");
    let v = json(&stdout);
    assert!(v["csr"].as_str().unwrap().contains("CERTIFICATE REQUEST"));
    assert_eq!(
        stderr
            .matches("waiting for data on named pipe req.json")
            .count(),
        1,
        "{stderr}"
    );

    // cfssljson -f on a pipe, the data arriving in pieces.
    let fifo = dir.path().join("in.json");
    mkfifo(&fifo);
    let mut cmd = clean_command(cfssljson_bin());
    cmd.current_dir(dir.path())
        .args(["-f", "in.json", "-bare", "out"]);
    let child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut guard = ProcGuard::new("cfssljson", child);
    {
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        w.write_all(br#"{"cert":"#).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        w.write_all(br#""CERT"}"#).unwrap();
    }
    let (status, _, stderr) = finish(&mut guard);
    assert!(status.success(), "{stderr}");
    assert_eq!(std::fs::read(dir.path().join("out.pem")).unwrap(), b"CERT");
}

/// gencert accepts a request with ~330,000 hosts and prints over 16 MiB (a certificate
/// and a CSR that each carry every host); cfssljson must read all of it.
#[test]
fn cfssljson_reads_everything_gencert_prints() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = clean_command(cfssl_bin());
        cmd.current_dir(dir.path()).args(args);
        run_bounded(cmd, stdin, Duration::from_secs(600))
    };
    std::fs::write(dir.path().join("ca.json"), r#"{"CN":"Streams CA"}"#).unwrap();
    let ca = run(&["gencert", "-initca", "ca.json"], None);
    assert!(ca.success(), "{ca}");
    cfssljson_bare(dir.path(), &ca.stdout, "ca");
    let hosts: Vec<String> = (0..330_000)
        .map(|i| format!("host{i}.example.com"))
        .collect();
    let req = serde_json::json!({"CN": "big", "hosts": hosts}).to_string();
    std::fs::write(dir.path().join("big.json"), req).unwrap();
    let leaf = run(
        &[
            "gencert",
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
            "big.json",
        ],
        None,
    );
    assert!(leaf.success(), "{}", leaf.stderr);
    assert!(leaf.stdout.len() > 16 << 20, "{} bytes", leaf.stdout.len());
    let mut cmd = clean_command(cfssljson_bin());
    cmd.current_dir(dir.path()).args(["-bare", "big"]);
    let split = run_bounded(cmd, Some(leaf.stdout.as_bytes()), Duration::from_secs(600));
    assert!(split.success(), "{split}");
    let v = json(&leaf.stdout);
    for (file, key) in [
        ("big.pem", "cert"),
        ("big.csr", "csr"),
        ("big-key.pem", "key"),
    ] {
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_eq!(written, v[key].as_str().unwrap(), "{file}");
    }
}
