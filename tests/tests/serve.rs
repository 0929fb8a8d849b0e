//! Black-box tests of `cfssl serve`: the real binary on a free loopback port, driven
//! over raw HTTP/1.1. Hostile and malformed requests, stalled clients, a few thousand
//! concurrent requests with every answer checked, and every issued certificate
//! verified by openssl against the CA.

mod common;

use common::{cfssl_bin, clean_command, free_ports, require_tool, run_bounded, ProcGuard};
use hmac::{Hmac, Mac};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The inputs of the authsign golden case: a CA, a CSR, and a policy whose default and
/// `client` profiles need the HMAC key below while `open` needs none.
fn inputs() -> PathBuf {
    common::workspace_root().join("tests/golden/cases/serve-authsign")
}

const AUTH_KEY: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];

struct Server {
    guard: ProcGuard,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let port = free_ports(1)[0];
        let src = inputs();
        let mut cmd = clean_command(cfssl_bin());
        cmd.current_dir(&src)
            .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
            .args(["-ca", "root-ca.pem", "-ca-key", "root-ca-key.pem"])
            .args(["-config", "cfg.json"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut guard = ProcGuard::new("cfssl serve", cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(guard.is_running(), "server exited: {}", read(&log));
            assert!(Instant::now() < deadline, "server not up: {}", read(&log));
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            guard,
            port,
            log,
            _dir: dir,
        }
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        let path = format!("/api/v1/cfssl/{path}");
        let head = common::request_head(method, &path, "HTTP/1.1", body.len());
        Response::from(common::http_exchange(
            self.port,
            &head,
            body,
            Duration::from_secs(120),
        ))
    }

    fn healthy(&self) -> bool {
        let r = self.request("GET", "health", b"");
        r.status == 200 && r.body.contains("\"healthy\":true")
    }

    fn log(&self) -> String {
        read(&self.log)
    }

    /// The log once it has `line` (or as it is after 10 s): a server writes its lines
    /// from a queue, a moment after it answers.
    fn log_with(&self, line: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(line) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

#[derive(Debug)]
struct Response {
    status: u16,
    content_type: String,
    body: String,
}

impl From<common::HttpResponse> for Response {
    fn from(r: common::HttpResponse) -> Response {
        Response {
            status: r.status,
            content_type: r.header("content-type").unwrap_or_default().to_string(),
            body: r.text(),
        }
    }
}

impl Response {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The single error of a failed envelope: (code, message).
    fn error(&self) -> (i64, String) {
        let v = self.json();
        assert_eq!(v["success"], false, "{self:?}");
        let e = &v["errors"][0];
        (
            e["code"].as_i64().unwrap(),
            e["message"].as_str().unwrap().to_string(),
        )
    }
}

fn csr() -> String {
    read(&inputs().join("req.csr"))
}

fn sign_body(profile: &str) -> Vec<u8> {
    serde_json::json!({"certificate_request": csr(), "profile": profile})
        .to_string()
        .into_bytes()
}

fn authsign_body(request: &[u8], key: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(request);
    let token = mac.finalize().into_bytes();
    serde_json::json!({"token": b64.encode(token), "request": b64.encode(request)})
        .to_string()
        .into_bytes()
}

/// openssl verify of a PEM certificate against the test CA.
fn verify(cert_pem: &str) {
    let openssl = require_tool("openssl");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaf.pem");
    std::fs::write(&path, cert_pem).unwrap();
    let mut cmd = clean_command(openssl);
    cmd.arg("verify")
        .arg("-CAfile")
        .arg(inputs().join("root-ca.pem"))
        .arg(&path);
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert!(out.success(), "openssl verify: {out}");
}

fn certificate(r: &Response) -> String {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.content_type, "application/json");
    r.json()["result"]["certificate"]
        .as_str()
        .expect("a certificate in the result")
        .to_string()
}

/// method, endpoint, body, then the expected status, cfssl code and message part.
type Case = (&'static str, &'static str, Vec<u8>, u16, i64, &'static str);

#[test]
fn hostile_requests_get_cfssl_answers_and_the_server_keeps_serving() {
    let srv = Server::start(&[]);
    let cases: Vec<Case> = vec![
        (
            "POST",
            "sign",
            b"{\"certificate_request\":".to_vec(),
            400,
            400,
            "Unable to parse sign request",
        ),
        (
            "POST",
            "sign",
            b"[1,2,3]".to_vec(),
            400,
            400,
            "Unable to parse sign request",
        ),
        (
            "POST",
            "sign",
            b"{\"certificate_request\":\"/etc/ssl/private/ca-key.pem\",\"profile\":\"open\"}"
                .to_vec(),
            400,
            9002,
            "CSR Decode failed",
        ),
        (
            "POST",
            "sign",
            sign_body("nosuch"),
            400,
            400,
            "authentication required",
        ),
        (
            "GET",
            "sign",
            Vec::new(),
            405,
            405,
            "Method is not allowed:\"GET\"",
        ),
        (
            "DELETE",
            "info",
            Vec::new(),
            405,
            405,
            "Method is not allowed:\"DELETE\"",
        ),
        (
            "POST",
            "info",
            b"\xff\xfe".to_vec(),
            400,
            400,
            "invalid character",
        ),
        (
            "POST",
            "certinfo",
            b"{\"certificate\":\"file:/etc/passwd\"}".to_vec(),
            400,
            1002,
            "Failed to decode certificate",
        ),
        (
            "POST",
            "certinfo",
            b"{\"certificate\":7}".to_vec(),
            500,
            0,
            "cannot unmarshal number",
        ),
        (
            "POST",
            "newkey",
            b"{\"key\":{\"algo\":\"rsa\",\"size\":100000}}".to_vec(),
            400,
            2400,
            "",
        ),
        (
            "POST",
            "newcert",
            b"{\"request\":null}".to_vec(),
            400,
            400,
            "missing request section",
        ),
        (
            "POST",
            "newcert",
            b"{\"request\":{\"CN\":\"x\"}}".to_vec(),
            400,
            400,
            "authentication required",
        ),
        (
            "POST",
            "authsign",
            authsign_body(&sign_body(""), b"wrong key"),
            400,
            400,
            "invalid token",
        ),
        (
            "POST",
            "authsign",
            b"{\"token\":\"!!\",\"request\":\"\"}".to_vec(),
            400,
            400,
            "illegal base64 data",
        ),
        (
            "POST",
            "gencrl",
            b"{\"expireTime\":\"99999999999\"}".to_vec(),
            500,
            0,
            "value out of range",
        ),
        (
            "POST",
            "sign",
            vec![b' '; 17 << 20],
            413,
            413,
            "larger than",
        ),
    ];
    for (method, path, body, status, code, message) in cases {
        let r = srv.request(method, path, &body);
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
        assert_eq!(r.content_type, "text/plain; charset=utf-8", "{r:?}");
        let (got_code, got_message) = r.error();
        assert_eq!(got_code, code, "{method} {path}: {got_message}");
        assert!(
            got_message.contains(message),
            "{method} {path}: {got_message}"
        );
        assert!(
            srv.healthy(),
            "server stopped answering after {method} {path}"
        );
    }
    let r = srv.request("POST", "nosuch", b"{}");
    assert_eq!((r.status, r.body.as_str()), (404, "404 page not found\n"));

    // Raw garbage and a client that stalls mid-request do not stop the others.
    let mut garbage = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x00\x00garbage\r\n\r\n")
        .unwrap();
    let mut stalled = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    stalled
        .write_all(b"POST /api/v1/cfssl/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    let mut half_head = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    half_head.write_all(b"GET /api/v1/cfssl/hea").unwrap();
    assert!(srv.healthy());

    // What the policy allows is issued, and verifies.
    verify(&certificate(&srv.request(
        "POST",
        "sign",
        &sign_body("open"),
    )));
    let request = sign_body("client");
    verify(&certificate(&srv.request(
        "POST",
        "authsign",
        &authsign_body(&request, &AUTH_KEY),
    )));
    let r = srv.request(
        "POST",
        "newkey",
        b"{\"CN\":\"k\",\"hosts\":[\"k.example\"]}",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.json()["result"]["private_key"]
        .as_str()
        .unwrap()
        .contains("PRIVATE KEY"));

    drop((garbage, stalled, half_head));
    // Read once the last request's line is there, so the key check covers every line.
    let log = srv.log_with("\"POST /api/v1/cfssl/newkey\" 200");
    assert!(
        !log.contains("PRIVATE KEY"),
        "key material in the log:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("\"POST /api/v1/cfssl/sign\" 9002"), "{log}");
}

#[test]
fn thousands_of_concurrent_requests_all_get_their_answer() {
    let srv = std::sync::Arc::new(Server::start(&[]));
    const THREADS: usize = 32;
    const PER_THREAD: usize = 64;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let srv = srv.clone();
            std::thread::spawn(move || {
                let mut certs = Vec::new();
                for i in 0..PER_THREAD {
                    match (t + i) % 4 {
                        0 => assert!(srv.healthy(), "thread {t} request {i}"),
                        1 => certs.push(certificate(&srv.request(
                            "POST",
                            "sign",
                            &sign_body("open"),
                        ))),
                        2 => {
                            let r = srv.request(
                                "POST",
                                "sign",
                                b"{\"certificate_request\":\"x\",\"profile\":\"open\"}",
                            );
                            assert_eq!((r.status, r.error().0), (400, 9002), "{r:?}");
                        }
                        _ => {
                            let r = srv.request("POST", "info", b"{\"profile\":\"open\"}");
                            assert_eq!(r.status, 200, "{r:?}");
                            assert_eq!(r.json()["result"]["expiry"], "720h");
                        }
                    }
                }
                certs
            })
        })
        .collect();
    let mut certs = Vec::new();
    for h in handles {
        certs.extend(h.join().expect("a client thread failed"));
    }
    assert_eq!(certs.len(), THREADS * PER_THREAD / 4);
    let mut unique = certs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        certs.len(),
        "two answers carried the same certificate"
    );
    for c in certs.iter().step_by(97) {
        verify(c);
    }
    assert!(srv.healthy());
}

/// A stderr nobody reads (a full pipe) must not stop the server: its log lines wait for
/// one writer thread, and those that find its queue full are dropped.
#[test]
fn a_stderr_nobody_reads_does_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(inputs())
        .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
        .args(["-ca", "root-ca.pem", "-ca-key", "root-ca-key.pem"])
        .args(["-config", "cfg.json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // The guard's child keeps the read end open; nothing reads it.
    let mut guard = ProcGuard::new("cfssl serve", cmd.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(guard.is_running(), "server exited");
        assert!(Instant::now() < deadline, "server not up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let srv = Server {
        guard,
        port,
        log: dir.path().join("unread"),
        _dir: dir,
    };
    // One ~300-byte line per request: the 64 KiB pipe is full after about 220, and the
    // writer's queue (4,096) after about 4,300.
    let path = format!("health?pad={}", "x".repeat(256));
    for i in 0..5000 {
        let r = srv.request("GET", &path, b"");
        assert_eq!(r.status, 200, "request {i}: {r:?}");
    }
    let r = srv.request("POST", "sign", &sign_body("open"));
    verify(&certificate(&r));
    assert!(srv.healthy());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut srv = Server::start(&[]);
    assert!(srv.healthy());
    srv.guard.terminate(Duration::from_secs(15));
    let status = srv.guard.child.try_wait().unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", srv.log());
}

#[test]
fn tls_below_1_2_is_refused_at_start() {
    let src = inputs();
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(&src).args([
        "serve",
        "-port",
        &free_ports(1)[0].to_string(),
        "-tls-cert",
        "root-ca.pem",
        "-tls-key",
        "root-ca-key.pem",
        "-min-tls-version",
        "1.1",
    ]);
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out}");
    assert!(
        out.stderr
            .contains("-min-tls-version 1.1: TLS versions below 1.2 are not supported"),
        "{out}"
    );
}

#[test]
fn unusable_tls_files_fail_with_go_texts_after_listening() {
    let cases = [
        (
            "root-ca.pem",
            "root-ca.pem",
            "tls: found a certificate rather than a key in the PEM for the private key",
        ),
        (
            "root-ca-key.pem",
            "root-ca-key.pem",
            "PEM inputs may have been switched",
        ),
        (
            "nope.pem",
            "root-ca-key.pem",
            "open nope.pem: no such file or directory",
        ),
    ];
    for (cert, key, want) in cases {
        let mut cmd = clean_command(cfssl_bin());
        cmd.current_dir(inputs()).args([
            "serve",
            "-port",
            &free_ports(1)[0].to_string(),
            "-tls-cert",
            cert,
            "-tls-key",
            key,
        ]);
        let out = run_bounded(cmd, None, Duration::from_secs(30));
        assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out}");
        assert!(out.stderr.contains("Now listening on https://"), "{out}");
        assert!(out.stderr.trim_end().ends_with(want), "{out}");
    }
}
