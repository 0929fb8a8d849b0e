//! What the OCSP tests share: the golden responder beside the certdb fixtures, asking a
//! responder with openssl (POST, RFC 5019 GET, `-respin`) and reading its verdict, and
//! the servers and commands that write responses into a database.
#![allow(dead_code)]

use crate::certdb_support::*;
use crate::common::*;
use base64::Engine as _;
use serde_json::json;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The certdb fixtures plus the golden OCSP responder (issued by the same root CA).
pub fn scratch_with_responder() -> tempfile::TempDir {
    let d = scratch();
    let src = workspace_root().join("tests/golden/cases/serve-ocspsign");
    for f in ["ocsp.pem", "ocsp-key.pem"] {
        fs::copy(src.join(f), d.path().join(f)).unwrap();
    }
    d
}

pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(require_tool("openssl"));
    c.current_dir(dir).args(args);
    run_bounded(c, None, T)
}

/// What openssl made of one response for one certificate.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub status: String,
    pub reason: Option<String>,
    pub revoked_at: Option<String>,
    pub this_update: String,
    pub next_update: String,
}

impl Verdict {
    /// Status and reason.
    pub fn said(&self) -> (&str, Option<&str>) {
        (self.status.as_str(), self.reason.as_deref())
    }

    /// Status, reason and revocation time.
    pub fn revocation(&self) -> (&str, Option<&str>, Option<&str>) {
        (
            self.status.as_str(),
            self.reason.as_deref(),
            self.revoked_at.as_deref(),
        )
    }
}

/// Reads `openssl ocsp` output for `cert`, insisting the signature verified.
pub fn verdict(out: &Output, cert: &str) -> Verdict {
    assert!(out.success(), "openssl ocsp: {}", out.both());
    let all = out.both();
    assert!(all.contains("Response verify OK"), "{all}");
    let line = |key: &str| {
        all.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
    };
    Verdict {
        status: line(&format!("{cert}:")).unwrap_or_else(|| panic!("no status line: {all}")),
        reason: line("Reason:"),
        revoked_at: line("Revocation Time:"),
        this_update: line("This Update:").unwrap(),
        next_update: line("Next Update:").unwrap(),
    }
}

/// Asks the responder at `port` about `cert` with `openssl ocsp -url` (a POST).
pub fn ask_post(dir: &Path, port: u16, cert: &str) -> Output {
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "root-ca.pem",
            "-cert",
            cert,
            "-url",
            &format!("http://127.0.0.1:{port}/"),
            "-CAfile",
            "root-ca.pem",
            "-no_nonce",
        ],
    )
}

/// The DER OCSP request openssl makes for `cert` (issued by the root CA), no nonce.
pub fn request_der(dir: &Path, cert: &str) -> Vec<u8> {
    let req = dir.join(format!("{cert}.req"));
    let out = openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "root-ca.pem",
            "-cert",
            cert,
            "-no_nonce",
            "-reqout",
            req.to_str().unwrap(),
        ],
    );
    assert!(out.success(), "{}", out.both());
    fs::read(&req).unwrap()
}

/// Asks with an RFC 5019 GET (openssl 3.0 only POSTs): the request DER, base64, URL-
/// escaped in the path; the answer is then read back by `openssl ocsp -respin`.
pub fn ask_get(dir: &Path, server: &Served, cert: &str) -> Output {
    let b64 = base64::engine::general_purpose::STANDARD.encode(request_der(dir, cert));
    let path = format!(
        "/{}",
        b64.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let (status, body) = server.request("GET", &path, b"");
    assert_eq!(status, 200, "GET {path}");
    respin(dir, &body, cert)
}

/// `openssl ocsp -respin` of a DER response about `cert`, verified against the root CA.
pub fn respin(dir: &Path, der: &[u8], cert: &str) -> Output {
    let file = dir.join(format!("{cert}.resp"));
    fs::write(&file, der).unwrap();
    openssl(
        dir,
        &[
            "ocsp",
            "-respin",
            file.to_str().unwrap(),
            "-issuer",
            "root-ca.pem",
            "-cert",
            cert,
            "-CAfile",
            "root-ca.pem",
        ],
    )
}

/// `count` certificates signed without a database, as cert0.pem, cert1.pem, ...
pub fn certs(dir: &Path, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let name = format!("cert{i}.pem");
            fs::write(dir.join(&name), sign_unrecorded(dir)).unwrap();
            name
        })
        .collect()
}

pub fn ocspsign(dir: &Path, bin: &Path, cert: &str, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "ocspsign",
        "-ca",
        "root-ca.pem",
        "-responder",
        "ocsp.pem",
        "-responder-key",
        "ocsp-key.pem",
        "-cert",
        cert,
    ];
    args.extend_from_slice(extra);
    let out = run_in(dir, bin, &args);
    assert!(out.success(), "ocspsign {cert}: {}", out.both());
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(v["ocspResponse"].as_str().unwrap())
        .unwrap()
}

/// "Responder Error: unauthorized (6)": the responder knows nothing of the certificate.
pub fn assert_unauthorized(out: &Output) {
    assert!(
        out.both().contains("Responder Error: unauthorized (6)"),
        "{}",
        out.both()
    );
}

/// `bin ocsprefresh` of the database with the golden responder.
pub fn refresh(dir: &Path, bin: &Path, cfg: &str) {
    let out = run_in(
        dir,
        bin,
        &[
            "ocsprefresh",
            "-db-config",
            cfg,
            "-ca",
            "root-ca.pem",
            "-responder",
            "ocsp.pem",
            "-responder-key",
            "ocsp-key.pem",
        ],
    );
    assert!(
        out.success(),
        "{} ocsprefresh: {}",
        bin.display(),
        out.both()
    );
}

/// The decimal serial and hex AKI of a certificate file in `dir`.
pub fn key_of(dir: &Path, cert: &str) -> (String, String) {
    serial_and_aki(dir, &fs::read_to_string(dir.join(cert)).unwrap())
}

/// `serve -db-config -responder -responder-key` with `extra` flags.
pub fn responder_server(dir: &Path, cfg: &str, extra: &[&str]) -> Served {
    let own = [
        "-db-config",
        cfg,
        "-responder",
        "ocsp.pem",
        "-responder-key",
        "ocsp-key.pem",
    ];
    let args = [&SIGNER_FLAGS[..], &own, extra].concat();
    Served::start(dir, &cfssl_bin(), "serve", &args)
}

/// The server of [`responder_server`] with `-db-ocsp` and `-interval`.
pub fn db_ocsp_server(dir: &Path, cfg: &str, interval: &str) -> Served {
    responder_server(dir, cfg, &["-interval", interval, "-db-ocsp"])
}

/// `/sign` of the fixture CSR, written to `name`.
pub fn api_sign(dir: &Path, s: &Served, name: &str) -> (String, String) {
    let csr = fs::read_to_string(dir.join("req.csr")).unwrap();
    let (status, v) = s.api("sign", &json!({ "certificate_request": csr }).to_string());
    assert_eq!(status, 200, "{v}");
    fs::write(dir.join(name), v["result"]["certificate"].as_str().unwrap()).unwrap();
    key_of(dir, name)
}

/// `server` says `good` of one certificate (asked by POST) and `revoked` for `reason` of
/// the other (asked by GET).
pub fn good_and_revoked(dir: &Path, server: &Served, good: &str, revoked: &str, reason: &str) {
    assert_eq!(
        verdict(&ask_post(dir, server.port, good), good).status,
        "good"
    );
    let v = verdict(&ask_get(dir, server, revoked), revoked);
    assert_eq!(v.said(), ("revoked", Some(reason)));
}

/// `serve -db-ocsp` on the migrated database of `cfg` (any dialect): our `ocspserve`
/// answers good right after `/sign` and revoked right after `/revoke`; `ocsprefresh`
/// over those rows changes no verdict; with `reference`, cfssl 1.6.5's `ocspserve` reads
/// the same responses from the database.
pub fn db_ocsp_flow(dir: &Path, cfg: &str, reference: Option<&Path>) {
    let s = db_ocsp_server(dir, cfg, "96h");
    let ours = Served::start(dir, &cfssl_bin(), "ocspserve", &["-db-config", cfg]);
    api_sign(dir, &s, "kept.pem");
    let (serial, aki) = api_sign(dir, &s, "dropped.pem");
    assert_eq!(
        verdict(&ask_post(dir, ours.port, "dropped.pem"), "dropped.pem").status,
        "good"
    );
    let (status, v) = s.api(
        "revoke",
        &json!({"serial": serial, "authority_key_id": aki, "reason": "certificateHold"})
            .to_string(),
    );
    assert_eq!(status, 200, "{v}");
    good_and_revoked(dir, &ours, "kept.pem", "dropped.pem", "certificateHold");
    refresh(dir, &cfssl_bin(), cfg);
    good_and_revoked(dir, &ours, "kept.pem", "dropped.pem", "certificateHold");
    if let Some(reference) = reference {
        let theirs = Served::start(dir, reference, "ocspserve", &["-db-config", cfg]);
        good_and_revoked(dir, &theirs, "kept.pem", "dropped.pem", "certificateHold");
    }
}

/// [`db_ocsp_flow`] on a fresh database of `driver` at `dsn`, migrated first.
pub fn db_ocsp_on(driver: &str, dsn: &str) {
    let d = scratch_with_responder();
    let cfg = write_db_config(d.path(), "db.json", driver, dsn);
    let cfg = cfg.to_str().unwrap();
    migrate(d.path(), cfg);
    db_ocsp_flow(d.path(), cfg, cfssl_ref().as_deref());
}
