//! Black-box tests of `cfssl bundle` on chains built with `openssl ca`: an expired
//! intermediate, a mutual cross-signature (a cycle the chain search must leave), garbage
//! and unreadable bundle files, and `-domain` against a server that never answers. Each
//! ends in bounded time with cfssl's result: the chain, or one error line with cfssl's
//! code and exit 1. With CFSSL_REF (cfssl 1.6.5) the reference must give the same codes.

mod common;

use common::{cfssl_bin, clean_command, require_tool, run_bounded, Output};
use std::path::{Path, PathBuf};
use std::time::Duration;

const CA_CNF: &str = "[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\nnew_certs_dir = .\n\
serial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[ p ]\ncommonName = supplied\n\
[ v3_ca ]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n\
[ v3_leaf ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
extendedKeyUsage = serverAuth\nsubjectAltName = DNS:leaf.example.com\n\
subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n";

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

/// Runs ours, expects exit 1 with one JSON error line (after the log lines) of `code`,
/// nothing on stdout, and, with CFSSL_REF, the reference's same code.
fn fails_with(pki: &Pki, args: &[&str], code: i64) -> String {
    let error = |out: &Output, who: &str| -> (i64, String) {
        assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{who}: {out}");
        assert!(out.stdout.is_empty(), "{who}: {out}");
        let last = out.stderr.lines().last().unwrap_or_default();
        let v: serde_json::Value =
            serde_json::from_str(last).unwrap_or_else(|_| panic!("{who}: not a JSON error: {out}"));
        let message = v["message"].as_str().unwrap_or_default().to_string();
        (v["code"].as_i64().unwrap_or(0), message)
    };
    let (ours, message) = error(&bundle_with(&cfssl_bin(), pki, args), "ours");
    assert_eq!(ours, code, "{message}");
    if let Some(reference) = std::env::var_os("CFSSL_REF").filter(|v| !v.is_empty()) {
        let (theirs, _) = error(&bundle_with(Path::new(&reference), pki, args), "reference");
        assert_eq!(theirs, code, "the reference's code for {args:?}");
    }
    message
}

#[test]
fn an_expired_intermediate_is_cfssls_expiry_error() {
    let pki = Pki::new();
    pki.root("root", "Test Root");
    pki.key("int", "Expired Intermediate");
    pki.issue(
        "int",
        Some("root"),
        "int.pem",
        "v3_ca",
        VALID_FROM,
        "20210101000000Z",
    );
    pki.leaf("leaf", "int");
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

#[test]
fn bundle_domain_against_a_silent_server_ends_with_a_clear_error() {
    let pki = Pki::new();
    pki.root("root", "Test Root");
    // Accepts connections (the kernel completes the handshake) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let domain = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    let out = bundle_with(
        &cfssl_bin(),
        &pki,
        &["-domain", &domain, "-ca-bundle", "root.pem"],
    );
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains("-domain") && lines[0].contains("-cert"),
        "{out}"
    );
}
