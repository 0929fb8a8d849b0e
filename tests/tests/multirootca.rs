//! Black-box tests of `multirootca`: the real binary on a free loopback port with two
//! labels whose CAs differ (an RSA root and an ECDSA P-384 root), driven over HTTP and
//! through `cfssl`'s remote client; every certificate is checked with `openssl verify`
//! against the CA of its label (and must fail against the other one). With
//! MULTIROOTCA_REF / CFSSL_REF (cfssl 1.6.5), our client signs through the reference
//! server and the reference client through ours.

mod certdb_support;
mod common;

use common::{cfssl_bin, clean_command, free_ports, require_tool, run_bounded, ProcGuard};
use hmac::{Hmac, Mac};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The multirootca golden case's inputs: root-ca(-key).pem (RSA), alt-root(-key).pem
/// (ECDSA), mr-cfg.json (default and `client` profiles, both needing the key below),
/// req.csr.
fn inputs() -> PathBuf {
    common::workspace_root().join("tests/golden/cases/multirootca-sign")
}

const KEY_HEX: &str = "00112233445566778899aabbccddeeff";

fn key() -> Vec<u8> {
    (0..KEY_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&KEY_HEX[i..i + 2], 16).unwrap())
        .collect()
}

/// `$MULTIROOTCA_BIN`, or `multirootca` beside the cfssl under test.
fn multirootca_bin() -> PathBuf {
    match std::env::var_os("MULTIROOTCA_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => cfssl_bin().with_file_name("multirootca"),
    }
}

/// A reference binary from `var`, or a loud skip (a failure when `CI` is set).
fn reference(var: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{var} is not set, and CI requires the reference interop tests");
    }
    common::loud(&format!(
        "SKIPPED: multirootca interop test: {var} (a cfssl 1.6.5 binary) is not set"
    ));
    None
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

/// A folder with the golden inputs and a roots file.
fn workdir(roots: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "root-ca.pem",
        "root-ca-key.pem",
        "alt-root.pem",
        "alt-root-key.pem",
        "mr-cfg.json",
        "req.csr",
    ] {
        std::fs::copy(inputs().join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("roots.conf"), roots).unwrap();
    dir
}

const TWO_ROOTS: &str = "[ main ]\nprivate = file://root-ca-key.pem\ncertificate = root-ca.pem\n\
    config = mr-cfg.json\n\n[ alt ]\nprivate = file://alt-root-key.pem\n\
    certificate = alt-root.pem\nconfig = mr-cfg.json\n";

struct Server {
    _guard: ProcGuard,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// `bin -roots roots.conf -l main` in `dir`, on a free port.
    fn start(bin: &Path, dir: &Path, name: &str) -> Server {
        Server::start_with(bin, dir, name, &[])
    }

    fn start_with(bin: &Path, dir: &Path, name: &str, extra: &[&str]) -> Server {
        let port = free_ports(1)[0];
        let log = dir.join(format!("{name}.log"));
        let mut cmd = clean_command(bin);
        cmd.current_dir(dir)
            .args(["-a", &format!("127.0.0.1:{port}"), "-roots", "roots.conf"])
            .args(["-l", "main"])
            .args(extra)
            .stdout(std::fs::File::create(dir.join(format!("{name}.out"))).unwrap())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut guard = ProcGuard::new(name, cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(guard.is_running(), "{name} exited: {}", read(&log));
            assert!(Instant::now() < deadline, "{name} not up: {}", read(&log));
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            _guard: guard,
            port,
            log,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        let head = common::request_head(method, path, "HTTP/1.1", body.len());
        Response::from(common::http_exchange(
            self.port,
            &head,
            body,
            Duration::from_secs(60),
        ))
    }

    fn authsign(&self, request: serde_json::Value, key: &[u8]) -> Response {
        let body = authsign_body(request.to_string().as_bytes(), key);
        self.request("POST", "/api/v1/cfssl/authsign", &body)
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    body: String,
}

impl From<common::HttpResponse> for Response {
    fn from(r: common::HttpResponse) -> Response {
        Response {
            status: r.status,
            body: r.text(),
        }
    }
}

impl Response {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The certificate of a successful answer.
    fn certificate(&self) -> String {
        assert_eq!(self.status, 200, "{self:?}");
        self.json()["result"]["certificate"]
            .as_str()
            .unwrap_or_else(|| panic!("no certificate: {self:?}"))
            .to_string()
    }

    /// Status, code and message of a refusal.
    fn refusal(&self) -> (u16, i64, String) {
        let v = self.json();
        assert_eq!(v["success"], false, "{self:?}");
        let e = &v["errors"][0];
        (
            self.status,
            e["code"].as_i64().unwrap(),
            e["message"].as_str().unwrap().to_string(),
        )
    }
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

fn csr() -> String {
    read(&inputs().join("req.csr"))
}

/// `openssl verify -CAfile ca cert`: whether it verifies.
fn verifies(cert_pem: &str, ca: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leaf.pem");
    std::fs::write(&path, cert_pem).unwrap();
    let mut cmd = clean_command(require_tool("openssl"));
    cmd.arg("verify")
        .arg("-CAfile")
        .arg(inputs().join(ca))
        .arg(&path);
    run_bounded(cmd, None, Duration::from_secs(30)).success()
}

/// Issued by the CA of its label, and only by it.
fn assert_issued_by(cert_pem: &str, ca: &str) {
    let other = match ca {
        "root-ca.pem" => "alt-root.pem",
        _ => "root-ca.pem",
    };
    assert!(verifies(cert_pem, ca), "not issued by {ca}: {cert_pem}");
    assert!(!verifies(cert_pem, other), "verifies against {other} too");
}

#[test]
fn each_label_signs_with_its_own_ca() {
    let dir = workdir(TWO_ROOTS);
    let srv = Server::start(&multirootca_bin(), dir.path(), "multirootca");
    let default = srv.authsign(serde_json::json!({"certificate_request": csr()}), &key());
    assert_issued_by(&default.certificate(), "root-ca.pem");
    let alt = srv.authsign(
        serde_json::json!({"certificate_request": csr(), "label": "alt", "profile": "client"}),
        &key(),
    );
    assert_issued_by(&alt.certificate(), "alt-root.pem");
    let main = srv.authsign(
        serde_json::json!({"certificate_request": csr(), "label": "main"}),
        &key(),
    );
    assert_issued_by(&main.certificate(), "root-ca.pem");

    // /info answers with the CA of the label.
    let info = |body: &str| srv.request("POST", "/api/v1/cfssl/info", body.as_bytes());
    let ca_pem = |f: &str| read(&inputs().join(f)).trim_end().to_string();
    assert_eq!(info("{}").certificate(), ca_pem("root-ca.pem"));
    assert_eq!(
        info(r#"{"label":"alt"}"#).certificate(),
        ca_pem("alt-root.pem")
    );
    assert_eq!(
        info(r#"{"label":"nope"}"#).refusal(),
        (400, 400, "bad label".into())
    );

    // The counters count what happened, per label.
    let metrics = srv.request("GET", "/metrics", b"");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains("requests_total{operation=\"sign\",signer=\"alt\"} 1\n")
            && metrics
                .body
                .contains("requests_total{operation=\"sign\",signer=\"main\"} 2\n"),
        "{}",
        metrics.body
    );
    let log = read(&srv.log);
    for line in [
        "[INFO] loaded signer main",
        "[INFO] loaded signer alt",
        "label=alt, profile=client, serialno=",
    ] {
        assert!(log.contains(line), "no {line:?} in {log}");
    }
}

#[test]
fn bad_requests_are_refused_and_the_server_keeps_signing() {
    let dir = workdir(TWO_ROOTS);
    let srv = Server::start(&multirootca_bin(), dir.path(), "multirootca");
    let req = |extra: serde_json::Value| {
        let mut r = serde_json::json!({"certificate_request": csr()});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    let wrong_key = b"0123456789abcdef".to_vec();
    let cases: Vec<(Response, (u16, i64, &str))> = vec![
        (
            srv.authsign(req(serde_json::json!({})), &wrong_key),
            (400, 1, "invalid token"),
        ),
        (
            srv.authsign(req(serde_json::json!({"label": "alt"})), &wrong_key),
            (400, 1, "invalid token"),
        ),
        (
            srv.authsign(req(serde_json::json!({"label": "nope"})), &key()),
            (400, 1, "bad request"),
        ),
        (
            srv.authsign(req(serde_json::json!({"profile": "nope"})), &key()),
            (400, 1, "invalid profile"),
        ),
        (
            srv.authsign(serde_json::json!({"label": "alt"}), &key()),
            (400, 1, "invalid request"),
        ),
        (
            srv.authsign(
                serde_json::json!({"certificate_request": "not a CSR"}),
                &key(),
            ),
            (400, 1, "bad request"),
        ),
        (
            srv.request("POST", "/api/v1/cfssl/authsign", b"{"),
            (400, 1, "unexpected end of JSON input"),
        ),
        (
            srv.request("GET", "/api/v1/cfssl/authsign", b""),
            (405, 1, "only POST is permitted"),
        ),
    ];
    let refused = cases.len();
    for (response, (status, code, message)) in cases {
        assert_eq!(response.refusal(), (status, code, message.to_string()));
    }
    let not_found = srv.request("POST", "/api/v1/cfssl/sign", b"{}");
    assert_eq!(
        (not_found.status, not_found.body.as_str()),
        (404, "404 page not found\n")
    );

    let good = srv.authsign(req(serde_json::json!({"label": "alt"})), &key());
    assert_issued_by(&good.certificate(), "alt-root.pem");
    let metrics = srv.request("GET", "/metrics", b"").body;
    assert!(
        metrics.contains(&format!(
            "bad_inputs_total{{operation=\"sign\"}} {refused}\n"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("requests_errored_total{operation=\"sign\",signer=\"main\"} 1\n"),
        "{metrics}"
    );
    let log = read(&srv.log);
    assert!(
        log.contains("[ERROR] [HTTP 400] 1 - invalid token (received authenticated request with invalid token)"),
        "{log}"
    );
    // Each refusal's request head is dumped on stdout, as cfssl does.
    let dumps = read(&dir.path().join("multirootca.out"));
    assert_eq!(
        dumps
            .matches("POST /api/v1/cfssl/authsign HTTP/1.1\r\n")
            .count(),
        refused - 1
    );
}

#[test]
fn a_client_outside_nets_is_refused() {
    let roots = "[ main ]\nprivate = file://root-ca-key.pem\ncertificate = root-ca.pem\n\
        config = mr-cfg.json\nnets = 10.0.0.0/8, 192.168.0.0/16\n\n[ alt ]\n\
        private = file://alt-root-key.pem\ncertificate = alt-root.pem\nconfig = mr-cfg.json\n\
        nets = 10.0.0.0/8,127.0.0.0/8\n";
    let dir = workdir(roots);
    let srv = Server::start(&multirootca_bin(), dir.path(), "multirootca");
    let refused = srv.authsign(serde_json::json!({"certificate_request": csr()}), &key());
    assert_eq!(refused.refusal(), (403, 1, "not authorised".to_string()));
    let allowed = srv.authsign(
        serde_json::json!({"certificate_request": csr(), "label": "alt"}),
        &key(),
    );
    assert_issued_by(&allowed.certificate(), "alt-root.pem");
    assert!(
        read(&srv.log).contains("[HTTP 403] 1 - not authorised (because IP is not whitelisted)")
    );
}

/// Starts multirootca on `roots` and expects it to exit 1 at once with one log line
/// containing `expected`.
fn start_fails(roots: Option<&str>, expected: &str) {
    let dir = workdir(roots.unwrap_or(""));
    let port = free_ports(1)[0];
    let mut cmd = clean_command(multirootca_bin());
    cmd.current_dir(dir.path())
        .args(["-a", &format!("127.0.0.1:{port}")]);
    if roots.is_some() {
        cmd.args(["-roots", "roots.conf"]);
    }
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains("[FATAL] ") && lines[0].contains(expected),
        "wanted {expected:?}: {out}"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn bad_roots_files_stop_the_start() {
    start_fails(None, "no root file specified");
    let with = |from: &str, to: &str| TWO_ROOTS.replacen(from, to, 1);
    start_fails(
        Some(&with("file://alt-root-key.pem", "file://missing-key.pem")),
        "open missing-key.pem: no such file or directory",
    );
    start_fails(
        Some(&with(
            "config = mr-cfg.json\n",
            "config = mr-cfg.json\nnets = 10.0.0.0/8, 127.0.0.1\n",
        )),
        "invalid CIDR address: 127.0.0.1",
    );
    start_fails(
        Some(&with(
            "config = mr-cfg.json\n",
            "config = mr-cfg.json\nnets = 300.1.2.0/24\n",
        )),
        "invalid CIDR address: 300.1.2.0/24",
    );
    start_fails(
        Some(&with("file://alt-root-key.pem", "file://root-ca-key.pem")),
        "doesn't match parent's PublicKey\"} (section [alt] of roots.conf)",
    );
    start_fails(
        Some(&with("certificate = alt-root.pem\n", "")),
        "config: root is missing certificate path (section [alt] of roots.conf)",
    );
    start_fails(
        Some(&with("file://alt-root-key.pem", "http://alt-root-key.pem")),
        "config: unsupported private key scheme",
    );
    start_fails(
        Some(&format!("{TWO_ROOTS}  # an indented comment\n")),
        "roots.conf: invalid config file",
    );
    start_fails(
        Some(&with(
            "certificate = alt-root.pem",
            "certificate = mr-cfg.json",
        )),
        "(section [alt] of roots.conf)",
    );
}

/// `cfssl sign` (`client`) with an `auth_remote` config pointing at `server`, for
/// `label`; returns the certificate.
fn remote_sign(client: &Path, server: &Server, dir: &Path, label: &str) -> String {
    let config = dir.join(format!("client-{}.json", server.port));
    let text = serde_json::json!({
        "signing": {"default": {"auth_remote": {"remote": "ca", "auth_key": "k"},
                                "expiry": "1h", "usages": ["signing"]}},
        "auth_keys": {"k": {"type": "standard", "key": KEY_HEX}},
        "remotes": {"ca": server.url()},
    });
    std::fs::write(&config, text.to_string()).unwrap();
    let mut cmd = clean_command(client);
    cmd.current_dir(dir)
        .arg("sign")
        .arg("-config")
        .arg(&config)
        .args(["-label", label, "req.csr"]);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "{} sign: {out}", client.display());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["cert"].as_str().unwrap().to_string()
}

#[test]
fn our_client_signs_through_the_reference_multirootca() {
    let Some(reference) = reference("MULTIROOTCA_REF") else {
        return;
    };
    let dir = workdir(TWO_ROOTS);
    let srv = Server::start(&reference, dir.path(), "reference");
    assert_issued_by(
        &remote_sign(&cfssl_bin(), &srv, dir.path(), "main"),
        "root-ca.pem",
    );
    assert_issued_by(
        &remote_sign(&cfssl_bin(), &srv, dir.path(), "alt"),
        "alt-root.pem",
    );
}

#[test]
fn the_reference_client_signs_through_our_multirootca() {
    let Some(reference) = reference("CFSSL_REF") else {
        return;
    };
    let dir = workdir(TWO_ROOTS);
    let srv = Server::start(&multirootca_bin(), dir.path(), "multirootca");
    assert_issued_by(
        &remote_sign(&reference, &srv, dir.path(), "main"),
        "root-ca.pem",
    );
    assert_issued_by(
        &remote_sign(&reference, &srv, dir.path(), "alt"),
        "alt-root.pem",
    );
    // Our client too, and its `info -remote -label`.
    assert_issued_by(
        &remote_sign(&cfssl_bin(), &srv, dir.path(), "alt"),
        "alt-root.pem",
    );
    let mut cmd = clean_command(cfssl_bin());
    cmd.args(["info", "-remote", &srv.url(), "-label", "alt"]);
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert!(out.success(), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["certificate"].as_str().unwrap().trim_end(),
        read(&inputs().join("alt-root.pem")).trim_end()
    );
}

#[test]
fn a_label_with_dbconfig_records_what_it_issues() {
    let roots = TWO_ROOTS.replacen(
        "config = mr-cfg.json\n",
        "config = mr-cfg.json\ndbconfig = db.json\n",
        1,
    );
    let dir = workdir(&roots);
    let db = dir.path().join("certs.db");
    certdb_support::cfssl_sqlite_schema(&db);
    std::fs::write(
        dir.path().join("db.json"),
        r#"{"driver":"sqlite3","data_source":"certs.db"}"#,
    )
    .unwrap();
    let srv = Server::start(&multirootca_bin(), dir.path(), "multirootca");
    // The default label, named or not, is recorded as `main`; `alt` has no database.
    let first = srv.authsign(serde_json::json!({"certificate_request": csr()}), &key());
    assert_issued_by(&first.certificate(), "root-ca.pem");
    let alt = srv.authsign(
        serde_json::json!({"certificate_request": csr(), "label": "alt"}),
        &key(),
    );
    assert_issued_by(&alt.certificate(), "alt-root.pem");
    let second = srv.authsign(
        serde_json::json!({"certificate_request": csr(), "label": "main"}),
        &key(),
    );
    let text = certdb_support::sqlite(
        &db,
        "select ca_label || '|' || status || '|' || pem from certificates",
    );
    assert_eq!(
        text.matches("main|good|-----BEGIN CERTIFICATE-----")
            .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("alt|"), "{text}");
    for cert in [first.certificate(), second.certificate()] {
        let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(
            text.replace('\n', "").contains(&body),
            "{cert} not in the database"
        );
    }
}

#[test]
fn tls_serves_https_only() {
    let dir = workdir(TWO_ROOTS);
    let tls_inputs = common::workspace_root().join("tests/golden/cases/serve-tls");
    for f in ["tls.pem", "tls-key.pem"] {
        std::fs::copy(tls_inputs.join(f), dir.path().join(f)).unwrap();
    }
    let srv = Server::start_with(
        &multirootca_bin(),
        dir.path(),
        "multirootca",
        &["-tls-cert", "tls.pem", "-tls-key", "tls-key.pem"],
    );
    assert!(read(&srv.log).contains("Now listening on https:// 127.0.0.1:"));
    // The TLS certificate is issued by the same root as label `main`.
    let client = common::tls::client_config(&inputs().join("root-ca.pem"), None);
    let body = r#"{"label":"alt"}"#;
    let head = common::request_head("POST", "/api/v1/cfssl/info", "HTTP/1.1", body.len());
    let request = format!("{head}{body}");
    let raw = common::tls::tls_request(client, srv.port, request.as_bytes()).unwrap();
    let info = Response::from(common::HttpResponse::parse(&raw));
    assert_eq!(
        info.certificate(),
        read(&inputs().join("alt-root.pem")).trim_end()
    );
    let plain = srv.request("POST", "/api/v1/cfssl/info", b"{}");
    assert_eq!(plain.status, 400, "{plain:?}");
    assert!(plain
        .body
        .contains("Client sent an HTTP request to an HTTPS server."));
    // Our client signs over it, trusting the root with -tls-remote-ca.
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(dir.path())
        .args([
            "info",
            "-remote",
            &format!("https://127.0.0.1:{}", srv.port),
        ])
        .args(["-tls-remote-ca", "root-ca.pem", "-label", "alt"]);
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert!(out.success(), "{out}");
    assert!(out.stdout.contains("\"certificate\""), "{out}");
}

#[test]
fn a_stdout_nobody_reads_does_not_stop_the_server() {
    let dir = workdir(TWO_ROOTS);
    let port = free_ports(1)[0];
    let log = dir.path().join("multirootca.log");
    let mut cmd = clean_command(multirootca_bin());
    cmd.current_dir(dir.path())
        .args(["-a", &format!("127.0.0.1:{port}"), "-roots", "roots.conf"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    // The pipe is held open and never read: the request dumps fill it.
    let mut guard = ProcGuard::new("multirootca", cmd.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(guard.is_running(), "exited: {}", read(&log));
        assert!(Instant::now() < deadline, "not up: {}", read(&log));
        std::thread::sleep(Duration::from_millis(50));
    }
    let refused_with_a_dump = || {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let padding = "x".repeat(2000);
        let head = format!(
            "GET /api/v1/cfssl/authsign HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {padding}\r\nConnection: close\r\n\r\n"
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.read_to_end(&mut Vec::new());
    };
    // 2 KB per dump: the 64 KiB pipe is full after about 32 of them.
    for _ in 0..48 {
        refused_with_a_dump();
    }
    let srv = Server {
        _guard: guard,
        port,
        log,
    };
    let info = srv.request("POST", "/api/v1/cfssl/info", br#"{"label":"alt"}"#);
    assert_eq!(
        info.certificate(),
        read(&inputs().join("alt-root.pem")).trim_end()
    );
}
