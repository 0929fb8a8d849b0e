//! Scale-out and crash safety of `cfssl serve -db-config`: three replicas on one
//! PostgreSQL under a few thousand `sign` requests, one replica SIGKILLed halfway; and one
//! server on SQLite SIGKILLed under load. Afterwards every certificate a client received
//! is in the database exactly once, whole, and no serial repeats.

mod certdb_support;
mod common;

use certdb_support::*;
use common::*;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENTS: usize = 8;

fn start_server(dir: &Path, port: u16, db_json: &str) -> ProcGuard {
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(dir)
        .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
        .args(SIGNER_FLAGS)
        .args(["-db-config", db_json, "-loglevel", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let guard = ProcGuard::new("cfssl serve", cmd.spawn().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve on {port} did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    guard
}

/// One `POST /sign`; the certificate PEM on success, None when the server is gone or
/// answers with anything but success.
fn sign_once(port: u16, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let req = format!(
        "POST /api/v1/cfssl/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let text = String::from_utf8_lossy(&resp);
    let (head, payload) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(payload.trim()).ok()?;
    v["result"]["certificate"].as_str().map(String::from)
}

struct Load {
    /// (port that answered, certificate) of every success.
    received: Mutex<Vec<(u16, String)>>,
    done: AtomicUsize,
}

/// `total` requests from CLIENTS threads; request i starts at replica i % n and fails
/// over along the list, as a client with a comma-separated server list does.
fn run_load(ports: &[u16], total: usize, csr: &str, on_half: impl FnOnce() + Send) -> Arc<Load> {
    let load = Arc::new(Load {
        received: Mutex::new(Vec::new()),
        done: AtomicUsize::new(0),
    });
    let body = serde_json::json!({ "certificate_request": csr }).to_string();
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let (load, next, body) = (load.clone(), next.clone(), body.clone());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    return;
                }
                for k in 0..ports.len() {
                    let port = ports[(i + k) % ports.len()];
                    if let Some(pem) = sign_once(port, &body) {
                        load.received.lock().unwrap().push((port, pem));
                        break;
                    }
                }
                load.done.fetch_add(1, Ordering::SeqCst);
            });
        }
        let load = load.clone();
        scope.spawn(move || {
            while load.done.load(Ordering::SeqCst) < total / 2 {
                std::thread::sleep(Duration::from_millis(20));
            }
            on_half();
        });
    });
    load
}

/// The decimal serial of a PEM certificate, read from its DER (tbsCertificate's first
/// INTEGER after the version): thousands of openssl runs would dominate the test.
fn serial(pem: &str) -> String {
    use base64::Engine as _;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    // Skips one tag and length, returning the content's offset and length.
    let header = |at: usize| -> (usize, usize) {
        let len0 = der[at + 1] as usize;
        if len0 < 0x80 {
            (at + 2, len0)
        } else {
            let n = len0 & 0x7f;
            let len = der[at + 2..at + 2 + n]
                .iter()
                .fold(0, |a, b| a << 8 | *b as usize);
            (at + 2 + n, len)
        }
    };
    let (tbs, _) = header(0);
    let (mut at, _) = header(tbs);
    if der[at] == 0xa0 {
        let (c, l) = header(at);
        at = c + l;
    }
    assert_eq!(der[at], 0x02, "serial INTEGER");
    let (c, l) = header(at);
    let hex: String = der[c..c + l].iter().map(|b| format!("{b:02x}")).collect();
    hex_to_decimal(&hex)
}

fn serials(pems: &[String]) -> Vec<String> {
    pems.iter().map(|p| serial(p)).collect()
}

/// The checks both scenarios share, on `rows` = (serial, pem, status, common_name) read
/// from the database.
fn check(received: &[(u16, String)], rows: &[(String, String, String, String)]) {
    let mut by_serial: HashMap<&str, &(String, String, String, String)> = HashMap::new();
    for r in rows {
        assert!(
            by_serial.insert(r.0.as_str(), r).is_none(),
            "serial {} repeats",
            r.0
        );
        assert!(
            !r.0.is_empty() && r.1.contains("-----END CERTIFICATE-----"),
            "half-written row {r:?}"
        );
        assert_eq!(r.2, "good");
        assert_eq!(r.3, "leaf.example.com");
    }
    let pems: Vec<String> = received.iter().map(|(_, p)| p.clone()).collect();
    let got = serials(&pems);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no serial handed out twice");
    for (serial, pem) in got.iter().zip(&pems) {
        let row = by_serial
            .get(serial.as_str())
            .unwrap_or_else(|| panic!("received certificate {serial} is not in the database"));
        assert_eq!(
            row.1.trim(),
            pem.trim(),
            "row of {serial} holds the certificate received"
        );
    }
}

#[test]
fn three_replicas_on_one_postgres_survive_a_sigkill() {
    let Some(pg) = Postgres::start() else { return };
    let d = scratch();
    let dsn = pg.create_db("scale");
    let cfg = write_db_config(d.path(), "db.json", "postgres", &dsn);
    let cfg = cfg.to_str().unwrap();
    migrate(d.path(), cfg);
    let csr = std::fs::read_to_string(d.path().join("req.csr")).unwrap();
    let ports = free_ports(3);
    let servers: Vec<Arc<Mutex<ProcGuard>>> = ports
        .iter()
        .map(|&p| Arc::new(Mutex::new(start_server(d.path(), p, cfg))))
        .collect();
    let victim = servers[0].clone();
    let total = 2400;
    let load = run_load(&ports, total, &csr, move || {
        let pid = victim.lock().unwrap().pid();
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let received = load.received.lock().unwrap().clone();
    assert_eq!(received.len(), total, "the survivors served every request");
    let mut per_port: HashMap<u16, usize> = HashMap::new();
    for (p, _) in &received {
        *per_port.entry(*p).or_default() += 1;
    }
    for p in &ports {
        assert!(
            per_port.get(p).copied().unwrap_or(0) > 0,
            "replica {p} served: {per_port:?}"
        );
    }
    assert!(servers[1].lock().unwrap().is_running() && servers[2].lock().unwrap().is_running());
    // Read rows one per line: bytea escape output keeps each row on one line.
    let raw = pg.psql(
        "scale",
        "SELECT serial_number, pem, status, common_name FROM certificates",
    );
    let rows: Vec<(String, String, String, String)> = raw
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('|').collect();
            assert_eq!(c.len(), 4, "row {l}");
            (
                c[0].into(),
                c[1].replace("\\012", "\n"),
                c[2].into(),
                c[3].into(),
            )
        })
        .collect();
    assert!(
        rows.len() >= total,
        "{} rows for {total} certificates",
        rows.len()
    );
    check(&received, &rows);
}

#[test]
fn sqlite_survives_a_sigkill_of_its_server() {
    let d = scratch();
    let db = d.path().join("certs.db");
    let cfg = write_db_config(d.path(), "db.json", "sqlite3", db.to_str().unwrap());
    let cfg = cfg.to_str().unwrap();
    migrate(d.path(), cfg);
    let csr = std::fs::read_to_string(d.path().join("req.csr")).unwrap();
    let port = free_ports(1)[0];
    let server = Arc::new(Mutex::new(start_server(d.path(), port, cfg)));
    let victim = server.clone();
    let load = run_load(&[port], 600, &csr, move || {
        let pid = victim.lock().unwrap().pid();
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let received = load.received.lock().unwrap().clone();
    assert!(
        received.len() >= 300 && received.len() < 600,
        "{} answered",
        received.len()
    );
    assert_eq!(sqlite(&db, "PRAGMA integrity_check;"), "ok");
    let raw = sqlite(
        &db,
        "SELECT serial_number, replace(pem, char(10), '~'), status, common_name FROM certificates;",
    );
    let rows: Vec<(String, String, String, String)> = raw
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('|').collect();
            (
                c[0].into(),
                c[1].replace('~', "\n"),
                c[2].into(),
                c[3].into(),
            )
        })
        .collect();
    check(&received, &rows);
}
