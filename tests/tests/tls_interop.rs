//! TLS interop beyond etcd: certificates minted by the unchanged tls-setup flow work
//! with OpenSSL (s_server/s_client, verify -x509_strict) and with rustls/webpki, and
//! extended key usages are enforced the way etcd users experience it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::*;

fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "\n{0}\n{msg}\n{0}\n", "*".repeat(78));
}

/// A PKI from the tls-setup flow plus `srvonly` (profile server: no client auth) and
/// `clionly` (profile client: no server auth) certificates, both for the etcd request
/// (hosts localhost, 127.0.0.1), so only the extended key usage differs from etcd1.
fn pki_with_usage_variants() -> Pki {
    let pki = run_tls_setup(Swap::MakeVars);
    assert_complete(&pki);
    gencert_profile(
        &pki,
        Path::new("config/req-csr.json"),
        Some("server"),
        "srvonly",
    );
    gencert_profile(
        &pki,
        Path::new("config/req-csr.json"),
        Some("client"),
        "clionly",
    );
    pki
}

struct SServer {
    guard: ProcGuard,
    stderr: std::thread::JoinHandle<String>,
}

/// `openssl s_server` on a free loopback port requiring a client certificate from the CA
/// (-Verify 1 -verify_return_error), answering one connection with its -www page.
fn s_server(pki: &Pki, cert: &str) -> (SServer, u16) {
    let openssl = require_tool("openssl");
    let port = free_ports(1)[0];
    let mut cmd = clean_command(&openssl);
    cmd.current_dir(&pki.certs)
        .args(["s_server", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-cert",
            &format!("{cert}.pem"),
            "-key",
            &format!("{cert}-key.pem"),
        ])
        .args([
            "-CAfile",
            "ca.pem",
            "-Verify",
            "1",
            "-verify_return_error",
            "-www",
            "-naccept",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn openssl s_server");
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let guard = ProcGuard::new("openssl s_server", child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.starts_with("ACCEPT") {
                let _ = tx.send(());
            }
        }
    });
    let stderr = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    rx.recv_timeout(Duration::from_secs(10))
        .expect("openssl s_server did not start listening within 10 s");
    (SServer { guard, stderr }, port)
}

impl SServer {
    /// Stop (by PID) and return what the server logged.
    fn finish(mut self) -> String {
        self.guard.terminate(Duration::from_secs(2));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !self.stderr.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.stderr.is_finished() {
            self.stderr.join().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

fn s_client(pki: &Pki, port: u16, cert: &str) -> Output {
    let openssl = require_tool("openssl");
    let mut cmd = clean_command(&openssl);
    cmd.current_dir(&pki.certs)
        .arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-cert",
            &format!("{cert}.pem"),
            "-key",
            &format!("{cert}-key.pem"),
        ])
        .args([
            "-CAfile",
            "ca.pem",
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
            "-ign_eof",
        ]);
    run_bounded(
        cmd,
        Some(b"GET / HTTP/1.0\r\n\r\n"),
        Duration::from_secs(15),
    )
}

#[test]
fn openssl_mutual_tls_handshake() {
    let pki = run_tls_setup(Swap::MakeVars);
    let (srv, port) = s_server(&pki, "etcd1");
    let cli = s_client(&pki, port, "calico");
    let log = srv.finish();
    assert!(
        cli.stdout.contains("Verify return code: 0 (ok)"),
        "s_client did not verify the etcd1 server certificate:\n{cli}\n--- s_server ---\n{log}"
    );
    assert!(
        cli.stdout.contains("HTTP/1.0 200 ok"),
        "s_server did not accept the calico client certificate:\n{cli}\n--- s_server ---\n{log}"
    );
}

#[test]
fn openssl_rejects_client_cert_without_client_auth() {
    let pki = pki_with_usage_variants();
    // control: the same server accepts a proper client certificate
    let (srv, port) = s_server(&pki, "etcd1");
    let ok = s_client(&pki, port, "clionly");
    let _ = srv.finish();
    assert!(
        ok.stdout.contains("HTTP/1.0 200 ok"),
        "control: client-auth-only cert refused:\n{ok}"
    );

    let (srv, port) = s_server(&pki, "etcd1");
    let cli = s_client(&pki, port, "srvonly");
    let log = srv.finish();
    assert!(
        !cli.stdout.contains("HTTP/1.0 200 ok"),
        "a certificate without `client auth` was accepted as a TLS client:\n{cli}"
    );
    assert!(
        log.contains("certificate purpose") || cli.stderr.contains("alert unsupported certificate"),
        "s_server should reject it for its key usage (\"unsuitable certificate purpose\" / alert \"unsupported certificate\"):\n{log}\n{cli}"
    );
}

#[test]
fn openssl_rejects_server_cert_without_server_auth() {
    let pki = pki_with_usage_variants();
    let (srv, port) = s_server(&pki, "clionly");
    let cli = s_client(&pki, port, "calico");
    let _ = srv.finish();
    assert!(
        !cli.stdout.contains("Verify return code: 0 (ok)")
            && !cli.stdout.contains("HTTP/1.0 200 ok"),
        "a certificate without `server auth` was accepted as a TLS server:\n{cli}"
    );
    assert!(
        cli.both().contains("certificate purpose"),
        "s_client should reject it for its key usage (\"unsuitable certificate purpose\"):\n{cli}"
    );
}

#[test]
fn rustls_mutual_tls_handshake() {
    let pki = run_tls_setup(Swap::MakeVars);
    let server = tls::server_config(&pki.ca(), &pki.cert("etcd1"), &pki.key("etcd1"));
    let client = tls::client_config(&pki.ca(), Some((&pki.cert("calico"), &pki.key("calico"))));
    let ex = tls::mutual_tls(server, client);
    assert!(
        ex.server.is_ok(),
        "rustls server refused the calico client: {:?}",
        ex.server
    );
    assert_eq!(
        ex.client.as_deref().map_err(|e| e.as_str()),
        Ok(&b"pong\n"[..]),
        "rustls client side"
    );
}

#[test]
fn rustls_rejects_client_cert_without_client_auth() {
    let pki = pki_with_usage_variants();
    let server = tls::server_config(&pki.ca(), &pki.cert("etcd1"), &pki.key("etcd1"));
    let ok = tls::mutual_tls(
        server.clone(),
        tls::client_config(&pki.ca(), Some((&pki.cert("clionly"), &pki.key("clionly")))),
    );
    assert!(
        ok.server.is_ok() && ok.client.is_ok(),
        "control: client-auth-only cert refused: {:?} {:?}",
        ok.server,
        ok.client
    );

    let ex = tls::mutual_tls(
        server,
        tls::client_config(&pki.ca(), Some((&pki.cert("srvonly"), &pki.key("srvonly")))),
    );
    let err = ex
        .server
        .expect_err("a certificate without `client auth` was accepted as a TLS client");
    assert!(
        usage_error(&err),
        "rejected, but not for its key usage: {err}"
    );
    assert!(ex.client.is_err(), "client should see the rejection");
}

#[test]
fn rustls_rejects_server_cert_without_server_auth() {
    let pki = pki_with_usage_variants();
    let server = tls::server_config(&pki.ca(), &pki.cert("clionly"), &pki.key("clionly"));
    let client = tls::client_config(&pki.ca(), Some((&pki.cert("calico"), &pki.key("calico"))));
    let ex = tls::mutual_tls(server, client);
    let err = ex
        .client
        .expect_err("a certificate without `server auth` was accepted as a TLS server");
    assert!(
        usage_error(&err),
        "rejected, but not for its key usage: {err}"
    );
}

/// rustls/webpki's wording for an extended-key-usage mismatch.
fn usage_error(err: &str) -> bool {
    let e = err.to_lowercase();
    e.contains("purpose") || e.contains("extended key usage")
}

/// Rewrite the `key` section of every request in a scratch copy of tls-setup, run the
/// unchanged Makefile, and have `openssl verify -x509_strict` check every certificate.
fn strict_verify_for(algo: &str, size: Option<u32>, expect_text: &[&str]) {
    let openssl = require_tool("openssl");
    let (dir, root) = scratch_tls_setup();
    let mut edited = 0;
    for e in std::fs::read_dir(root.join("config")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v.get("key").is_some() {
            let mut k = serde_json::json!({ "algo": algo });
            if let Some(s) = size {
                k["size"] = s.into();
            }
            v["key"] = k;
            std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
            edited += 1;
        }
    }
    assert_eq!(
        edited, 5,
        "expected to edit ca-csr.json, req-csr.json and the 3 per-user requests"
    );
    let pki = match run_tls_setup_in(dir, root, Swap::MakeVars) {
        Ok(p) => p,
        Err(e) if algo == "ed25519" && ref_compat() && e.contains("invalid algorithm") => {
            loud(&format!(
                "SKIPPED: Ed25519 strict verification: CFSSL_REF_COMPAT=1 and the binary under test \
                 ({}) reports `invalid algorithm` for ed25519. Our binaries must support it.",
                cfssl_bin().display()
            ));
            return;
        }
        Err(e) => panic!("{algo}/{size:?}: {e}"),
    };
    assert_complete(&pki);
    assert_keys_0600(&pki.certs);
    for name in std::iter::once("ca").chain(LEAVES) {
        let file = format!("{name}.pem");
        let mut cmd = clean_command(&openssl);
        cmd.current_dir(&pki.certs)
            .args(["verify", "-x509_strict", "-CAfile", "ca.pem", &file]);
        let out = run_bounded(cmd, None, Duration::from_secs(30));
        assert!(
            out.success() && out.stdout.trim() == format!("{file}: OK"),
            "openssl verify -x509_strict rejected {algo}/{size:?} {file}:\n{out}"
        );
        // the edit took effect: the certificate carries the requested key type
        let mut cmd = clean_command(&openssl);
        cmd.current_dir(&pki.certs)
            .args(["x509", "-noout", "-text", "-in", &file]);
        let text = run_bounded(cmd, None, Duration::from_secs(30));
        for want in expect_text {
            assert!(
                text.stdout.contains(want),
                "{file} for {algo}/{size:?} lacks {want:?}:\n{text}"
            );
        }
    }
}

#[test]
fn strict_verify_rsa2048() {
    strict_verify_for(
        "rsa",
        Some(2048),
        &["rsaEncryption", "Public-Key: (2048 bit)"],
    );
}

#[test]
fn strict_verify_rsa4096() {
    strict_verify_for(
        "rsa",
        Some(4096),
        &["rsaEncryption", "Public-Key: (4096 bit)"],
    );
}

#[test]
fn strict_verify_ecdsa_p256() {
    strict_verify_for("ecdsa", Some(256), &["id-ecPublicKey", "prime256v1"]);
}

#[test]
fn strict_verify_ecdsa_p384() {
    strict_verify_for("ecdsa", Some(384), &["id-ecPublicKey", "secp384r1"]);
}

#[test]
fn strict_verify_ecdsa_p521() {
    strict_verify_for("ecdsa", Some(521), &["id-ecPublicKey", "secp521r1"]);
}

#[test]
fn strict_verify_ed25519() {
    strict_verify_for("ed25519", None, &["ED25519"]);
}
