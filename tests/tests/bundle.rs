//! Black-box tests of `cfssl bundle` on chains built with `openssl ca`: an expired
//! intermediate, a mutual cross-signature (a cycle the chain search must leave), garbage
//! and unreadable bundle files, and `-domain`/`-ip` against real peers on port 443 of
//! spare loopback addresses (cfssl dials port 443 only): `openssl s_server` with the
//! full chain, with the leaf alone, a name that does not match, a listener that never
//! answers TLS, a plain-HTTP listener; and the same through serve's `bundle` endpoint.
//! Each ends in bounded time with cfssl's result: the chain, or one error line with
//! cfssl's code and exit 1. With CFSSL_REF (cfssl 1.6.5) the reference must give the
//! same codes, and for the peers the same JSON and messages.

mod common;

use common::{
    cfssl_bin, clean_command, free_ports, loud, post_json, require_tool, run_bounded,
    wait_for_port, Output, ProcGuard,
};
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

const CA_CNF: &str = "[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\nnew_certs_dir = .\n\
serial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[ p ]\ncommonName = supplied\n\
[ v3_ca ]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n\
[ v3_leaf ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
extendedKeyUsage = serverAuth\nsubjectAltName = DNS:leaf.example.com\n\
subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n\
[ v3_bad_uri ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
extendedKeyUsage = serverAuth\nsubjectAltName = DNS:leaf.example.com,URI:https://h.example./\n";

/// A folder where `openssl ca` issues certificates with chosen validity periods.
struct Pki {
    dir: tempfile::TempDir,
    openssl: PathBuf,
}

const VALID_FROM: &str = "20200101000000Z";
const VALID_TO: &str = "20400101000000Z";

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.cnf"), CA_CNF).unwrap();
        std::fs::write(dir.path().join("index.txt"), "").unwrap();
        std::fs::write(dir.path().join("serial"), "1000\n").unwrap();
        Pki {
            dir,
            openssl: require_tool("openssl"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn openssl(&self, args: &[&str]) {
        let mut cmd = clean_command(&self.openssl);
        cmd.current_dir(self.dir.path()).args(args);
        let out = run_bounded(cmd, None, Duration::from_secs(60));
        assert!(out.success(), "openssl {args:?}: {out}");
    }

    /// A P-256 key `name.key` and a CSR `name.csr` for CN `cn`.
    fn key(&self, name: &str, cn: &str) {
        let key = format!("{name}.key");
        self.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &key,
        ]);
        let csr = format!("{name}.csr");
        let subj = format!("/CN={cn}");
        self.openssl(&["req", "-new", "-key", &key, "-subj", &subj, "-out", &csr]);
    }

    /// `out` for `name`'s key, issued by `issuer` (None: self-signed) for `from`..`to`.
    fn issue(&self, name: &str, issuer: Option<&str>, out: &str, ext: &str, from: &str, to: &str) {
        let (csr, key) = (format!("{name}.csr"), format!("{name}.key"));
        let mut args = vec!["ca", "-config", "ca.cnf", "-batch", "-notext", "-in", &csr];
        args.extend([
            "-out",
            out,
            "-startdate",
            from,
            "-enddate",
            to,
            "-extensions",
            ext,
        ]);
        let (issuer_cert, issuer_key);
        match issuer {
            None => args.extend(["-selfsign", "-keyfile", &key]),
            Some(i) => {
                issuer_cert = format!("{i}.pem");
                issuer_key = format!("{i}.key");
                args.extend(["-cert", &issuer_cert, "-keyfile", &issuer_key]);
            }
        }
        self.openssl(&args);
    }

    fn root(&self, name: &str, cn: &str) {
        self.key(name, cn);
        self.issue(
            name,
            None,
            &format!("{name}.pem"),
            "v3_ca",
            VALID_FROM,
            VALID_TO,
        );
    }

    fn leaf(&self, name: &str, issuer: &str) {
        self.key(name, "leaf.example.com");
        let out = format!("{name}.pem");
        self.issue(
            name,
            Some(issuer),
            &out,
            "v3_leaf",
            "20200601000000Z",
            "20390101000000Z",
        );
    }

    fn concat(&self, out: &str, parts: &[&str]) {
        let text: String = parts
            .iter()
            .map(|p| std::fs::read_to_string(self.path(p)).unwrap())
            .collect();
        std::fs::write(self.path(out), text).unwrap();
    }
}

fn bundle_with(bin: &Path, pki: &Pki, args: &[&str]) -> Output {
    let mut cmd = clean_command(bin);
    cmd.current_dir(pki.dir.path()).arg("bundle").args(args);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(!out.timed_out, "bundle {args:?} did not finish: {out}");
    out
}

/// The code and message of a failed run: exit 1, nothing on stdout, and one JSON error
/// line after the log lines.
fn json_error(out: &Output, who: &str) -> (i64, String) {
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{who}: {out}");
    assert!(out.stdout.is_empty(), "{who}: {out}");
    let last = out.stderr.lines().last().unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|_| panic!("{who}: not a JSON error: {out}"));
    let message = v["message"].as_str().unwrap_or_default().to_string();
    (v["code"].as_i64().unwrap_or(0), message)
}

fn reference() -> Option<PathBuf> {
    std::env::var_os("CFSSL_REF")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Runs ours, expects exit 1 with one JSON error line (after the log lines) of `code`,
/// nothing on stdout, and, with CFSSL_REF, the reference's same code.
fn fails_with(pki: &Pki, args: &[&str], code: i64) -> String {
    let (ours, message) = json_error(&bundle_with(&cfssl_bin(), pki, args), "ours");
    assert_eq!(ours, code, "{message}");
    if let Some(reference) = reference() {
        let (theirs, _) = json_error(&bundle_with(&reference, pki, args), "reference");
        assert_eq!(theirs, code, "the reference's code for {args:?}");
    }
    message
}

/// [`fails_with`], and the message must be `message` for ours and the reference.
fn fails_exactly(pki: &Pki, args: &[&str], code: i64, message: &str) {
    let (ours, text) = json_error(&bundle_with(&cfssl_bin(), pki, args), "ours");
    assert_eq!((ours, text.as_str()), (code, message), "ours for {args:?}");
    if let Some(reference) = reference() {
        let (theirs, text) = json_error(&bundle_with(&reference, pki, args), "reference");
        assert_eq!(
            (theirs, text.as_str()),
            (code, message),
            "reference for {args:?}"
        );
    }
}

#[test]
fn an_expired_intermediate_is_cfssls_expiry_error() {
    let pki = chain_pki("Expired Intermediate", "20210101000000Z");
    let args = [
        "-cert",
        "leaf.pem",
        "-ca-bundle",
        "root.pem",
        "-int-bundle",
        "int.pem",
    ];
    let message = fails_with(&pki, &args, 1211);
    assert!(
        message.starts_with("x509: certificate has expired or is not yet valid: current time ")
            && message.ends_with(" is after 2021-01-01T00:00:00Z"),
        "{message}"
    );
}

#[test]
fn a_cross_signed_cycle_ends_with_a_chain_or_unknown_authority() {
    let pki = Pki::new();
    pki.root("a", "CA A");
    pki.root("b", "CA B");
    pki.root("other", "Other Root");
    pki.issue("a", Some("b"), "a-by-b.pem", "v3_ca", VALID_FROM, VALID_TO);
    pki.issue("b", Some("a"), "b-by-a.pem", "v3_ca", VALID_FROM, VALID_TO);
    pki.concat("cycle.pem", &["a-by-b.pem", "b-by-a.pem"]);
    pki.leaf("leaf", "a");

    // No root the cycle leads to: the search runs round A and B and gives up.
    let args = [
        "-cert",
        "leaf.pem",
        "-ca-bundle",
        "other.pem",
        "-int-bundle",
        "cycle.pem",
    ];
    let message = fails_with(&pki, &args, 1220);
    assert_eq!(message, "x509: certificate signed by unknown authority");

    // B trusted: leaf <- A (certified by B) <- B.
    let args = [
        "-cert",
        "leaf.pem",
        "-ca-bundle",
        "b.pem",
        "-int-bundle",
        "cycle.pem",
    ];
    let out = bundle_with(&cfssl_bin(), &pki, &args);
    assert!(out.success(), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let chain = v["bundle"].as_str().unwrap();
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2, "{chain}");
    let b = std::fs::read_to_string(pki.path("b.pem")).unwrap();
    assert_eq!(v["root"].as_str().unwrap().trim(), b.trim());
    std::fs::write(pki.path("chain.pem"), chain).unwrap();
    pki.openssl(&[
        "verify",
        "-CAfile",
        "b.pem",
        "-untrusted",
        "chain.pem",
        "leaf.pem",
    ]);
}

#[test]
fn garbage_bundle_files_are_cfssls_parse_errors() {
    let pki = Pki::new();
    pki.root("root", "Test Root");
    pki.leaf("leaf", "root");
    std::fs::write(pki.path("garbage.pem"), "garbage\nnot a PEM file\n").unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(pki.path("noise.pem"), noise).unwrap();
    let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    std::fs::write(pki.path("broken.pem"), cert).unwrap();
    let cases: [(&[&str], i64); 6] = [
        (&["-cert", "leaf.pem", "-ca-bundle", "garbage.pem"], 4003),
        (&["-cert", "leaf.pem", "-ca-bundle", "noise.pem"], 4003),
        (&["-cert", "leaf.pem", "-ca-bundle", "broken.pem"], 4003),
        (
            &[
                "-cert",
                "leaf.pem",
                "-ca-bundle",
                "root.pem",
                "-int-bundle",
                "garbage.pem",
            ],
            3003,
        ),
        (
            &[
                "-cert",
                "leaf.pem",
                "-ca-bundle",
                "root.pem",
                "-int-bundle",
                "noise.pem",
            ],
            3003,
        ),
        (&["-cert", "garbage.pem", "-ca-bundle", "root.pem"], 1002),
    ];
    for (args, code) in cases {
        fails_with(&pki, args, code);
    }
    // A missing bundle names the file.
    let message = fails_with(&pki, &["-cert", "leaf.pem", "-ca-bundle", "nope.pem"], 4001);
    assert_eq!(message, "open nope.pem: no such file or directory");
}

#[test]
fn an_unreadable_bundle_is_a_clear_error() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        common::loud(
            "SKIPPED: unreadable-bundle test: running as root, chmod 000 does not stop root",
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new();
    pki.root("root", "Test Root");
    pki.leaf("leaf", "root");
    let locked = pki.path("root.pem");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let message = fails_with(&pki, &["-cert", "leaf.pem", "-ca-bundle", "root.pem"], 4001);
    assert_eq!(message, "open root.pem: permission denied");
}

/// The next spare loopback address: each test of this binary gets its own, so tests in
/// parallel never race for one address's port 443.
static NEXT_HOST: AtomicU8 = AtomicU8::new(2);

fn next_loopback() -> Option<Ipv4Addr> {
    let n = NEXT_HOST.fetch_add(1, Ordering::SeqCst);
    (2..255).contains(&n).then(|| Ipv4Addr::new(127, 0, 0, n))
}

/// Port 443 of a spare loopback address, bound; `None` (after a loud notice) when this
/// user may not bind port 443 or no address is free.
fn listen_443() -> Option<TcpListener> {
    while let Some(ip) = next_loopback() {
        match TcpListener::bind((ip, 443)) {
            Ok(l) => return Some(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                loud(&format!(
                    "SKIPPED: cannot bind {ip}:443 ({e}); the -domain tests need port 443 (root)"
                ));
                return None;
            }
        }
    }
    loud("SKIPPED: no loopback address with a free port 443");
    None
}

/// `openssl s_server` on port 443 of a spare loopback address, serving `cert` (and the
/// certificates of `chain`), ready for connections.
fn s_server(pki: &Pki, cert: &str, key: &str, chain: Option<&str>) -> Option<(ProcGuard, String)> {
    loop {
        let probe = listen_443()?;
        let ip = match probe.local_addr().unwrap().ip() {
            std::net::IpAddr::V4(v4) => v4,
            other => panic!("not IPv4: {other}"),
        };
        drop(probe);
        let mut cmd = clean_command(&pki.openssl);
        cmd.current_dir(pki.dir.path())
            .args(["s_server", "-quiet", "-accept", &format!("{ip}:443")])
            .args(["-cert", cert, "-key", key])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(chain) = chain {
            cmd.args(["-cert_chain", chain]);
        }
        let mut guard = ProcGuard::new("s_server", cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while guard.is_running() && Instant::now() < deadline {
            if TcpStream::connect((ip, 443)).is_ok() {
                return Some((guard, ip.to_string()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Another process took the address between the probe and s_server's bind.
        assert!(Instant::now() < deadline, "s_server on {ip}:443 not up");
    }
}

/// Root, intermediate `int_cn` valid until `int_to`, and a leaf for leaf.example.com
/// issued by the intermediate.
fn chain_pki(int_cn: &str, int_to: &str) -> Pki {
    let pki = Pki::new();
    pki.root("root", "Test Root");
    pki.key("int", int_cn);
    pki.issue("int", Some("root"), "int.pem", "v3_ca", VALID_FROM, int_to);
    pki.leaf("leaf", "int");
    pki
}

/// `-domain leaf.example.com -ip IP -ca-bundle root.pem`, then `extra`.
fn leaf_domain<'a>(ip: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "-domain",
        "leaf.example.com",
        "-ip",
        ip,
        "-ca-bundle",
        "root.pem",
    ];
    args.extend_from_slice(extra);
    args
}

/// A peer that sends leaf.pem and int.pem.
fn full_chain_peer(pki: &Pki) -> Option<(ProcGuard, String)> {
    s_server(pki, "leaf.pem", "leaf.key", Some("int.pem"))
}

fn pem_of(pki: &Pki, name: &str) -> String {
    std::fs::read_to_string(pki.path(name))
        .unwrap()
        .trim()
        .to_string()
}

/// What a bundle of leaf.pem <- int.pem <- root.pem must say, whoever made it.
fn assert_leaf_bundle(pki: &Pki, v: &serde_json::Value) {
    let (leaf, int, root) = (
        pem_of(pki, "leaf.pem"),
        pem_of(pki, "int.pem"),
        pem_of(pki, "root.pem"),
    );
    assert_eq!(
        v["bundle"].as_str().unwrap(),
        format!("{leaf}\n{int}"),
        "{v}"
    );
    assert_eq!(v["crt"].as_str().unwrap(), leaf);
    assert_eq!(v["root"].as_str().unwrap(), root);
    assert_eq!(v["hostnames"], serde_json::json!(["leaf.example.com"]));
    assert_eq!(v["issuer"], "/CommonName=Test Intermediate");
    assert_eq!(v["subject"], "/CommonName=leaf.example.com");
    assert_eq!(v["key_type"], "256-bit ECDSA");
    assert_eq!(v["key_size"], 256);
    assert_eq!(v["signature"], "ECDSAWithSHA256");
    assert_eq!(v["expires"], "2039-01-01T00:00:00Z");
    assert_eq!(v["key"], "");
    assert_eq!(v["status"]["rebundled"], false);
    assert_eq!(v["status"]["code"], 2);
    std::fs::write(pki.path("served.pem"), v["bundle"].as_str().unwrap()).unwrap();
    pki.openssl(&[
        "verify",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "served.pem",
        "leaf.pem",
    ]);
}

/// Ours and (with CFSSL_REF) the reference bundle what the peer sends, alike.
fn bundles_alike(pki: &Pki, args: &[&str]) -> serde_json::Value {
    let run = |bin: &Path, who: &str| -> serde_json::Value {
        let out = bundle_with(bin, pki, args);
        assert!(out.success(), "{who}: {out}");
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{who}: {e}: {out}"))
    };
    let ours = run(&cfssl_bin(), "ours");
    if let Some(reference) = reference() {
        assert_eq!(ours, run(&reference, "reference"), "bundle {args:?}");
    }
    ours
}

#[test]
fn bundle_domain_bundles_the_chain_the_server_sends() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    let Some((_server, ip)) = full_chain_peer(&pki) else {
        return;
    };
    let domain = ["-domain", "leaf.example.com", "-ip", &ip];
    let v = bundles_alike(&pki, &[&domain[..], &["-ca-bundle", "root.pem"]].concat());
    assert_leaf_bundle(&pki, &v);
    let messages = v["status"]["messages"].as_array().unwrap();
    assert!(
        !messages
            .iter()
            .any(|m| m.as_str().unwrap().contains("rigid")),
        "{messages:?}"
    );
    let v = bundles_alike(
        &pki,
        &[
            &domain[..],
            &["-ca-bundle", "root.pem", "-flavor", "optimal"],
        ]
        .concat(),
    );
    assert_leaf_bundle(&pki, &v);

    // A name the certificate does not have: the verifying handshake fails, and cfssl's
    // host name check on the unverified connection can only refuse.
    let no_verify = "tls: handshake did not verify certificate chain";
    let other = [
        "-domain",
        "other.example.com",
        "-ip",
        &ip,
        "-ca-bundle",
        "root.pem",
    ];
    fails_exactly(&pki, &other, 1200, no_verify);
    // A root that did not issue the chain.
    pki.root("stranger", "Stranger Root");
    let stranger = [&domain[..], &["-ca-bundle", "stranger.pem"]].concat();
    fails_exactly(&pki, &stranger, 1200, no_verify);
    // cfssl appends :443 to -ip, so a port there is Go's address error.
    let with_port = format!("{ip}:443");
    let message = format!("dial tcp: address {ip}:443:443: too many colons in address");
    fails_exactly(&pki, &leaf_domain(&with_port, &[]), 6000, &message);
}

#[test]
fn bundle_domain_with_the_leaf_alone_does_not_verify() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    let Some((_server, ip)) = s_server(&pki, "leaf.pem", "leaf.key", None) else {
        return;
    };
    // The verifying handshake uses the roots only, not -int-bundle: cfssl refuses it.
    let args = leaf_domain(&ip, &["-int-bundle", "int.pem"]);
    fails_exactly(
        &pki,
        &args,
        1200,
        "tls: handshake did not verify certificate chain",
    );
}

#[test]
fn bundle_domain_against_peers_that_do_not_speak_tls_ends_with_dial_errors() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    // Accepts connections (the kernel completes the TCP handshake) and never answers.
    let Some(silent) = listen_443() else {
        return;
    };
    let Some(http) = listen_443() else {
        return;
    };
    let Some(refused) = listen_443() else {
        return;
    };
    let ip_of = |l: &TcpListener| l.local_addr().unwrap().ip().to_string();
    let (silent_ip, http_ip, refused_ip) = (ip_of(&silent), ip_of(&http), ip_of(&refused));
    drop(refused);
    let http_ip2 = http_ip.clone();
    std::thread::spawn(move || {
        for conn in http.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let run = |ip: &str, message: &str| {
        fails_exactly(&pki, &leaf_domain(ip, &[]), 6000, message);
    };
    run(&silent_ip, "context deadline exceeded");
    run(
        &http_ip2,
        "tls: first record does not look like a TLS handshake",
    );
    run(
        &refused_ip,
        &format!("dial tcp {refused_ip}:443: connect: connection refused"),
    );
    drop(silent);
}

/// A name the resolver does not know (`.invalid` never resolves): Go's text names the
/// nameserver that said so (`dial tcp: lookup H on 10.0.0.53:53: no such host`). With
/// CFSSL_REF the reference's message must be ours, byte for byte, unless this machine's
/// DNS does not answer at all (then the reference's text is a timeout, announced).
#[test]
fn bundle_domain_of_an_unknown_name_is_gos_lookup_error() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    let args = ["-domain", "no-such-name.invalid"];
    let (code, ours) = json_error(&bundle_with(&cfssl_bin(), &pki, &args), "ours");
    assert_eq!(code, 6000, "{ours}");
    assert!(
        ours.starts_with("dial tcp: lookup no-such-name.invalid")
            && ours.ends_with(": no such host"),
        "{ours}"
    );
    if let Some(reference) = reference() {
        let (code, theirs) = json_error(&bundle_with(&reference, &pki, &args), "reference");
        assert_eq!(code, 6000, "{theirs}");
        if theirs.ends_with("no such host") {
            assert_eq!(ours, theirs);
        } else {
            eprintln!("SKIPPED the reference comparison: this machine's DNS gives {theirs:?}");
        }
    }
}

/// `cfssl serve -ca-bundle root.pem` on a free port, for the bundle endpoint.
struct Serve {
    _guard: ProcGuard,
    port: u16,
}

impl Serve {
    fn start(bin: &Path, pki: &Pki) -> Serve {
        let port = free_ports(1)[0];
        let mut cmd = clean_command(bin);
        cmd.current_dir(pki.dir.path())
            .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
            .args(["-ca-bundle", "root.pem"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut guard = ProcGuard::new("serve", cmd.spawn().unwrap());
        wait_for_port(&mut guard, port);
        Serve {
            _guard: guard,
            port,
        }
    }

    fn bundle(&self, request: &serde_json::Value) -> (u16, serde_json::Value) {
        post_json(self.port, "/api/v1/cfssl/bundle", &request.to_string())
    }
}

#[test]
fn serve_bundles_a_domain_and_checks_a_certificates_names() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    let Some((_server, ip)) = full_chain_peer(&pki) else {
        return;
    };
    let leaf = std::fs::read_to_string(pki.path("leaf.pem")).unwrap();
    let int = std::fs::read_to_string(pki.path("int.pem")).unwrap();
    let with_int = format!("{leaf}{int}");
    use serde_json::json;
    let requests = [
        (json!({"domain": "leaf.example.com", "ip": ip}), 200, 0),
        (json!({"domain": "other.example.com", "ip": ip}), 400, 1200),
        (
            json!({"domain": "leaf.example.com", "ip": ip, "flavor": "optimal"}),
            200,
            0,
        ),
        (
            json!({"certificate": with_int, "domain": "leaf.example.com"}),
            200,
            0,
        ),
        (
            json!({"certificate": with_int, "domain": "other.example.com"}),
            400,
            1200,
        ),
        (
            json!({"certificate": with_int, "ip": "127.0.0.1"}),
            400,
            1200,
        ),
        (json!({"ip": ip}), 400, 400),
    ];
    let ours = Serve::start(&cfssl_bin(), &pki);
    let theirs = reference().map(|r| Serve::start(&r, &pki));
    for (request, status, code) in &requests {
        let (got, v) = ours.bundle(request);
        assert_eq!(got, *status, "{request}: {v}");
        if *status == 200 {
            assert_eq!(v["success"], true, "{v}");
            assert_leaf_bundle(&pki, &v["result"]);
        } else {
            assert_eq!(v["errors"][0]["code"], *code, "{request}: {v}");
        }
        if let Some(theirs) = &theirs {
            assert_eq!(theirs.bundle(request), (got, v), "{request}");
        }
    }
    let (_, v) = ours.bundle(&requests[4].0);
    assert_eq!(
        v["errors"][0]["message"],
        "x509: certificate is valid for leaf.example.com, not other.example.com"
    );
    let (_, v) = ours.bundle(&requests[5].0);
    assert_eq!(
        v["errors"][0]["message"],
        "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
    );
}

#[test]
fn a_san_go_cannot_read_back_makes_the_certificate_unreadable() {
    let pki = chain_pki("Test Intermediate", VALID_TO);
    // Go's URL host check refuses the trailing dot, so its x509 refuses the certificate.
    pki.key("bad", "leaf.example.com");
    let (from, to) = ("20200601000000Z", "20390101000000Z");
    pki.issue("bad", Some("int"), "bad.pem", "v3_bad_uri", from, to);
    pki.concat("bad-chain.pem", &["bad.pem", "int.pem"]);
    let unreadable = "Failed to parse certificate";
    let args = [
        "-cert",
        "bad.pem",
        "-ca-bundle",
        "root.pem",
        "-int-bundle",
        "int.pem",
    ];
    fails_exactly(&pki, &args, 1003, unreadable);
    fails_exactly(
        &pki,
        &["-cert", "bad-chain.pem", "-ca-bundle", "root.pem"],
        1003,
        unreadable,
    );
    fails_exactly(
        &pki,
        &["-cert", "bad.pem", "-flavor", "force"],
        1003,
        unreadable,
    );
    let args = [
        "-cert",
        "leaf.pem",
        "-ca-bundle",
        "root.pem",
        "-int-bundle",
        "bad-chain.pem",
    ];
    fails_exactly(
        &pki,
        &args,
        3003,
        "Failed to parse intermediate certificate",
    );
    // mkbundle leaves it out with Go's reason (and MKBUNDLE_REF does the same).
    std::fs::create_dir(pki.path("dir")).unwrap();
    for f in ["bad.pem", "int.pem", "root.pem"] {
        std::fs::copy(pki.path(f), pki.path("dir").join(f)).unwrap();
    }
    let ours = cfssl_bin().with_file_name("mkbundle");
    let reference = std::env::var_os("MKBUNDLE_REF").filter(|v| !v.is_empty());
    for bin in std::iter::once(ours).chain(reference.map(PathBuf::from)) {
        let mut cmd = clean_command(&bin);
        cmd.current_dir(pki.dir.path())
            .args(["-f", "out.pem", "dir"]);
        let out = run_bounded(cmd, None, Duration::from_secs(60));
        assert!(out.success(), "{out}");
        assert!(out.stderr.contains(
            r#"[WARNING] Invalid certificate: x509: cannot parse URI "https://h.example./": invalid domain"#
        ), "{}: {out}", bin.display());
        let written = std::fs::read_to_string(pki.path("out.pem")).unwrap();
        assert_eq!(written.matches("BEGIN CERTIFICATE").count(), 2, "{written}");
    }
    let Some((_server, ip)) = s_server(&pki, "bad.pem", "bad.key", Some("int.pem")) else {
        return;
    };
    let args = leaf_domain(&ip, &[]);
    fails_exactly(
        &pki,
        &args,
        6000,
        r#"tls: failed to parse certificate from server: x509: cannot parse URI "https://h.example./": invalid domain"#,
    );
}
