//! OCSP end to end, judged by openssl: `ocspsign` output verified with `openssl ocsp
//! -respin`; our `ocspserve` (responses file and database) asked by `openssl ocsp -url`
//! (POST) and by hand-made RFC 5019 GETs, answering good, revoked (reason and time),
//! unknown and unauthorized; `serve -db-ocsp` keeping the database's responses current
//! without `ocsprefresh`; and, with CFSSL_REF, databases and responses crossing between
//! cfssl 1.6.5 and us in both directions.

mod certdb_support;
mod common;

use base64::Engine as _;
use certdb_support::*;
use common::*;
use serde_json::json;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The certdb fixtures plus the golden OCSP responder (issued by the same root CA).
fn scratch_with_responder() -> tempfile::TempDir {
    let d = scratch();
    let src = workspace_root().join("tests/golden/cases/serve-ocspsign");
    for f in ["ocsp.pem", "ocsp-key.pem"] {
        fs::copy(src.join(f), d.path().join(f)).unwrap();
    }
    d
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(require_tool("openssl"));
    c.current_dir(dir).args(args);
    run_bounded(c, None, T)
}

/// What openssl made of one response for one certificate.
#[derive(Debug, PartialEq)]
struct Verdict {
    status: String,
    reason: Option<String>,
    revoked_at: Option<String>,
    this_update: String,
    next_update: String,
}

impl Verdict {
    /// Status and reason.
    fn said(&self) -> (&str, Option<&str>) {
        (self.status.as_str(), self.reason.as_deref())
    }

    /// Status, reason and revocation time.
    fn revocation(&self) -> (&str, Option<&str>, Option<&str>) {
        (
            self.status.as_str(),
            self.reason.as_deref(),
            self.revoked_at.as_deref(),
        )
    }
}

/// Reads `openssl ocsp` output for `cert`, insisting the signature verified.
fn verdict(out: &Output, cert: &str) -> Verdict {
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
fn ask_post(dir: &Path, port: u16, cert: &str) -> Output {
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

/// Asks with an RFC 5019 GET (openssl 3.0 only POSTs): the request DER, base64, URL-
/// escaped in the path; the answer is then read back by `openssl ocsp -respin`.
fn ask_get(dir: &Path, server: &Served, cert: &str) -> Output {
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
    let b64 = base64::engine::general_purpose::STANDARD.encode(fs::read(&req).unwrap());
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
fn respin(dir: &Path, der: &[u8], cert: &str) -> Output {
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
fn certs(dir: &Path, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let name = format!("cert{i}.pem");
            fs::write(dir.join(&name), sign_unrecorded(dir)).unwrap();
            name
        })
        .collect()
}

fn ocspsign(dir: &Path, bin: &Path, cert: &str, extra: &[&str]) -> Vec<u8> {
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
fn assert_unauthorized(out: &Output) {
    assert!(
        out.both().contains("Responder Error: unauthorized (6)"),
        "{}",
        out.both()
    );
}

#[test]
fn ocspsign_responses_verify_and_the_file_responder_serves_them() {
    let d = scratch_with_responder();
    let dir = d.path();
    let c = certs(dir, 4);
    let good = ocspsign(dir, &cfssl_bin(), &c[0], &[]);
    let revoked = ocspsign(
        dir,
        &cfssl_bin(),
        &c[1],
        &[
            "-status",
            "revoked",
            "-reason",
            "keyCompromise",
            "-revoked-at",
            "2025-06-07",
            "-interval",
            "2h",
        ],
    );
    let unknown = ocspsign(dir, &cfssl_bin(), &c[2], &["-status", "unknown"]);

    let v = verdict(&respin(dir, &good, &c[0]), &c[0]);
    assert_eq!(v.status, "good");
    let v = verdict(&respin(dir, &revoked, &c[1]), &c[1]);
    assert_eq!(
        v.revocation(),
        (
            "revoked",
            Some("keyCompromise"),
            Some("Jun  7 00:00:00 2025 GMT")
        )
    );
    assert_ne!(v.this_update, v.next_update);
    let v = verdict(&respin(dir, &unknown, &c[2]), &c[2]);
    assert_eq!(v.status, "unknown");
    // A response about another certificate does not pass for this one.
    let wrong = respin(dir, &good, &c[1]);
    assert!(
        !wrong.both().contains(&format!("{}: good", c[1])),
        "{}",
        wrong.both()
    );

    let lines: String = [&good, &revoked, &unknown]
        .iter()
        .map(|der| {
            format!(
                "{}\n",
                base64::engine::general_purpose::STANDARD.encode(der)
            )
        })
        .collect();
    fs::write(dir.join("responses.txt"), lines).unwrap();
    let s = Served::start(
        dir,
        &cfssl_bin(),
        "ocspserve",
        &["-responses", "responses.txt"],
    );
    for (cert, status) in [(&c[0], "good"), (&c[1], "revoked"), (&c[2], "unknown")] {
        let post = verdict(&ask_post(dir, s.port, cert), cert);
        let get = verdict(&ask_get(dir, &s, cert), cert);
        assert_eq!(post.status, status, "{cert}");
        assert_eq!(post, get, "GET and POST answer alike for {cert}");
    }
    assert_unauthorized(&ask_post(dir, s.port, &c[3]));
}

/// `bin ocsprefresh` of the database with the golden responder.
fn refresh(dir: &Path, bin: &Path, cfg: &str) {
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
fn key_of(dir: &Path, cert: &str) -> (String, String) {
    serial_and_aki(dir, &fs::read_to_string(dir.join(cert)).unwrap())
}

#[test]
fn the_database_responder_answers_from_ocsprefresh() {
    let d = scratch_with_responder();
    let dir = d.path();
    let (cfg, db) = migrated_sqlite(dir, "certs");
    for i in 0..2 {
        fs::write(dir.join(format!("db{i}.pem")), sign(dir, &cfg)).unwrap();
    }
    let outsider = certs(dir, 1).remove(0);
    let (serial, aki) = key_of(dir, "db1.pem");
    revoke_with(dir, &cfssl_bin(), &cfg, &serial, &aki, "superseded");
    refresh(dir, &cfssl_bin(), &cfg);
    let s = Served::start(dir, &cfssl_bin(), "ocspserve", &["-db-config", &cfg]);
    let v = verdict(&ask_post(dir, s.port, "db0.pem"), "db0.pem");
    assert_eq!(v.status, "good");
    assert_eq!(v, verdict(&ask_get(dir, &s, "db0.pem"), "db0.pem"));
    let v = verdict(&ask_get(dir, &s, "db1.pem"), "db1.pem");
    assert_eq!(v.said(), ("revoked", Some("superseded")));
    assert_eq!(
        v.revoked_at.unwrap(),
        openssl_time(&sqlite(
            &db,
            &format!("SELECT revoked_at FROM certificates WHERE serial_number = '{serial}'")
        )),
        "the revocation time is the database's"
    );
    assert_unauthorized(&ask_post(dir, s.port, &outsider));
}

fn sqlite(db: &Path, sql: &str) -> String {
    let mut c = Command::new(require_tool("sqlite3"));
    c.arg("-batch").arg(db);
    let out = run_bounded(c, Some(sql.as_bytes()), T);
    assert!(out.success(), "sqlite3 {sql}: {}", out.both());
    out.stdout.trim().to_string()
}

/// `2026-12-01 13:39:19` (SQLite's CURRENT_TIMESTAMP) as openssl prints it.
fn openssl_time(sqlite_time: &str) -> String {
    let t = sqlite_fields(sqlite_time);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {:>2} {:02}:{:02}:{:02} {} GMT",
        MONTHS[t[1] as usize - 1],
        t[2],
        t[3],
        t[4],
        t[5],
        t[0]
    )
}

/// [year, month, day, hour, minute, second] of `YYYY-MM-DD HH:MM:SS...`.
fn sqlite_fields(s: &str) -> [u32; 6] {
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().unwrap();
    [n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19)]
}

/// `serve -db-config -responder -responder-key` with `extra` flags.
fn responder_server(dir: &Path, cfg: &str, extra: &[&str]) -> Served {
    let mut args = vec![
        "-ca",
        "root-ca.pem",
        "-ca-key",
        "root-ca-key.pem",
        "-config",
        "cfg.json",
        "-db-config",
        cfg,
        "-responder",
        "ocsp.pem",
        "-responder-key",
        "ocsp-key.pem",
    ];
    args.extend_from_slice(extra);
    Served::start(dir, &cfssl_bin(), "serve", &args)
}

/// The server of [`responder_server`] with `-db-ocsp` and `-interval`.
fn db_ocsp_server(dir: &Path, cfg: &str, interval: &str) -> Served {
    responder_server(dir, cfg, &["-interval", interval, "-db-ocsp"])
}

/// `/sign` of the fixture CSR, written to `name`.
fn api_sign(dir: &Path, s: &Served, name: &str) -> (String, String) {
    let csr = fs::read_to_string(dir.join("req.csr")).unwrap();
    let (status, v) = s.api("sign", &json!({ "certificate_request": csr }).to_string());
    assert_eq!(status, 200, "{v}");
    fs::write(dir.join(name), v["result"]["certificate"].as_str().unwrap()).unwrap();
    key_of(dir, name)
}

/// openssl's "Dec  1 13:00:00 2026 GMT" as seconds since the epoch, via `date`.
fn epoch(openssl_time: &str) -> i64 {
    let out = run_bounded(
        {
            let mut c = Command::new("date");
            c.args(["-u", "-d", openssl_time, "+%s"]);
            c
        },
        None,
        T,
    );
    assert!(out.success(), "{}", out.both());
    out.stdout.trim().parse().unwrap()
}

#[test]
fn db_ocsp_keeps_responses_current_without_ocsprefresh() {
    let d = scratch_with_responder();
    let dir = d.path();
    let (cfg, db) = migrated_sqlite(dir, "certs");
    let s = db_ocsp_server(dir, &cfg, "2h");
    let responder = Served::start(dir, &cfssl_bin(), "ocspserve", &["-db-config", &cfg]);

    let (serial, aki) = api_sign(dir, &s, "issued.pem");
    let v = verdict(&ask_post(dir, responder.port, "issued.pem"), "issued.pem");
    assert_eq!(v.status, "good", "answered right after /sign");
    assert_eq!(
        epoch(&v.next_update) - epoch(&v.this_update),
        2 * 3600,
        "-interval sets the validity"
    );
    let (status, v) = s.api(
        "revoke",
        &json!({"serial": serial, "authority_key_id": aki, "reason": "keyCompromise"}).to_string(),
    );
    assert_eq!(status, 200, "{v}");
    let v = verdict(&ask_get(dir, &responder, "issued.pem"), "issued.pem");
    assert_eq!(
        v.said(),
        ("revoked", Some("keyCompromise")),
        "answered right after /revoke"
    );
    assert_eq!(
        sqlite(&db, "SELECT count(*) FROM ocsp_responses"),
        "1",
        "the revoked response replaced the good one"
    );

    // /certadd returns the response it stored.
    let added = certs(dir, 1).remove(0);
    let (serial, aki) = key_of(dir, &added);
    let info = cfssl(dir, &["certinfo", "-cert", &added]);
    let not_after = serde_json::from_str::<serde_json::Value>(&info.stdout).unwrap()["not_after"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "serial_number": serial, "authority_key_identifier": aki, "status": "revoked",
        "reason": 4, "revoked_at": "2026-02-03T04:05:06Z",
        "pem": fs::read_to_string(dir.join(&added)).unwrap(), "expiry": not_after,
    });
    let (status, v) = s.api("certadd", &body.to_string());
    assert_eq!(status, 200, "{v}");
    let der = base64::engine::general_purpose::STANDARD
        .decode(v["result"]["ocsp_response"].as_str().unwrap())
        .unwrap();
    let returned = verdict(&respin(dir, &der, &added), &added);
    assert_eq!(
        returned.revocation(),
        (
            "revoked",
            Some("superseded"),
            Some("Feb  3 04:05:06 2026 GMT")
        )
    );
    assert_eq!(
        returned,
        verdict(&ask_post(dir, responder.port, &added), &added),
        "the responder serves what certadd returned"
    );
}

#[test]
fn without_db_ocsp_the_server_stores_no_responses_and_the_flag_needs_its_parts() {
    let d = scratch_with_responder();
    let dir = d.path();
    let (cfg, db) = migrated_sqlite(dir, "certs");
    let s = responder_server(dir, &cfg, &[]);
    api_sign(dir, &s, "issued.pem");
    assert_eq!(sqlite(&db, "SELECT count(*) FROM certificates"), "1");
    assert_eq!(
        sqlite(&db, "SELECT count(*) FROM ocsp_responses"),
        "0",
        "cfssl's default: responses only from ocsprefresh"
    );
    for (args, message) in [
        (
            vec![
                "-db-ocsp",
                "-responder",
                "ocsp.pem",
                "-responder-key",
                "ocsp-key.pem",
            ],
            "serve -db-ocsp: no certificate database (give -db-config)",
        ),
        (
            vec!["-db-ocsp", "-db-config", &cfg],
            "serve -db-ocsp: no OCSP signer",
        ),
    ] {
        let mut full = vec!["serve", "-address", "127.0.0.1", "-port", "0"];
        full.extend(args);
        let out = cfssl(dir, &full);
        assert!(!out.success(), "{full:?} must not start");
        assert!(out.stderr.contains(message), "{}", out.both());
    }
}

/// `server` says `good` of one certificate (asked by POST) and `revoked` for `reason` of
/// the other (asked by GET).
fn good_and_revoked(dir: &Path, server: &Served, good: &str, revoked: &str, reason: &str) {
    assert_eq!(
        verdict(&ask_post(dir, server.port, good), good).status,
        "good"
    );
    let v = verdict(&ask_get(dir, server, revoked), revoked);
    assert_eq!(v.said(), ("revoked", Some(reason)));
}

#[test]
fn databases_and_responses_cross_between_cfssl_and_us() {
    let Some(reference) = cfssl_ref() else {
        return;
    };
    let d = scratch_with_responder();
    let dir = d.path();
    let (cfg, _) = migrated_sqlite(dir, "certs");

    // cfssl issues and revokes; our ocsprefresh and ocspserve answer for it.
    let sign_ref = |name: &str| {
        let pem = sign_by(dir, &reference, &["-db-config", &cfg]);
        fs::write(dir.join(name), pem).unwrap();
        key_of(dir, name)
    };
    sign_ref("theirs-good.pem");
    let (serial, aki) = sign_ref("theirs-revoked.pem");
    revoke_with(dir, &reference, &cfg, &serial, &aki, "cessationOfOperation");
    refresh(dir, &cfssl_bin(), &cfg);
    let ours = Served::start(dir, &cfssl_bin(), "ocspserve", &["-db-config", &cfg]);
    good_and_revoked(
        dir,
        &ours,
        "theirs-good.pem",
        "theirs-revoked.pem",
        "cessationOfOperation",
    );

    // We issue and revoke with -db-ocsp; cfssl's ocspserve answers from our responses.
    let s = db_ocsp_server(dir, &cfg, "96h");
    api_sign(dir, &s, "ours-good.pem");
    let (serial, aki) = api_sign(dir, &s, "ours-revoked.pem");
    let (status, v) = s.api(
        "revoke",
        &json!({"serial": serial, "authority_key_id": aki, "reason": "affiliationChanged"})
            .to_string(),
    );
    assert_eq!(status, 200, "{v}");
    let theirs = Served::start(dir, &reference, "ocspserve", &["-db-config", &cfg]);
    good_and_revoked(
        dir,
        &theirs,
        "ours-good.pem",
        "ours-revoked.pem",
        "affiliationChanged",
    );
    // And cfssl's ocsprefresh over the rows both wrote; ours answers from its responses.
    refresh(dir, &reference, &cfg);
    for (cert, status) in [
        ("ours-good.pem", "good"),
        ("ours-revoked.pem", "revoked"),
        ("theirs-revoked.pem", "revoked"),
    ] {
        assert_eq!(
            verdict(&ask_post(dir, ours.port, cert), cert).status,
            status,
            "{cert}"
        );
    }
}
