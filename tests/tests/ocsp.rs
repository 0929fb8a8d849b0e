//! OCSP end to end, judged by openssl: `ocspsign` output verified with `openssl ocsp
//! -respin`; our `ocspserve` (responses file and database) asked by `openssl ocsp -url`
//! (POST) and by hand-made RFC 5019 GETs, answering good, revoked (reason and time),
//! unknown and unauthorized; `serve -db-ocsp` keeping the database's responses current
//! without `ocsprefresh`; and, with CFSSL_REF, databases and responses crossing between
//! cfssl 1.6.5 and us in both directions.

mod certdb_support;
mod common;
mod ocsp_support;

use base64::Engine as _;
use certdb_support::*;
use common::*;
use ocsp_support::*;
use serde_json::json;
use std::fs;
use std::process::Command;

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

/// While another process holds the database locked, a lookup waits for SQLite's busy
/// timeout and then answers 500 with OCSP's internalError (as cfssl's responder does
/// when its source fails); once the lock is gone the same responder answers again.
#[test]
fn the_database_responder_rides_out_a_locked_database() {
    let d = scratch_with_responder();
    let dir = d.path();
    let (cfg, db) = migrated_sqlite(dir, "certs");
    fs::write(dir.join("db0.pem"), sign(dir, &cfg)).unwrap();
    refresh(dir, &cfssl_bin(), &cfg);
    let mut s = Served::start(dir, &cfssl_bin(), "ocspserve", &["-db-config", &cfg]);
    assert_eq!(
        verdict(&ask_get(dir, &s, "db0.pem"), "db0.pem").status,
        "good"
    );
    let der = request_der(dir, "db0.pem");
    let (stdin, mut guard) = sqlite_exclusive_lock(&db);
    // The lock is held once sqlite3 has run its statements: until then a request may
    // still find the response, after it every lookup fails.
    let locked = (0..100).find_map(|_| {
        let (status, body) = s.request("POST", "/", &der);
        if status == 200 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            return None;
        }
        Some((status, body))
    });
    assert_eq!(
        locked,
        Some((500, vec![0x30, 0x03, 0x0a, 0x01, 0x02])),
        "internalError while the database is locked"
    );
    drop(stdin);
    guard.terminate(std::time::Duration::from_secs(10));
    assert_eq!(
        verdict(&ask_get(dir, &s, "db0.pem"), "db0.pem").status,
        "good"
    );
    assert_eq!(
        verdict(&ask_post(dir, s.port, "db0.pem"), "db0.pem").status,
        "good"
    );
    assert!(s.guard.is_running(), "the responder survives");
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
        "newcert",
        &json!({"request": {"CN": "new.example.com", "hosts": ["new.example.com"],
            "key": {"algo": "ecdsa", "size": 256}}})
        .to_string(),
    );
    assert_eq!(status, 200, "{v}");
    fs::write(
        dir.join("new.pem"),
        v["result"]["certificate"].as_str().unwrap(),
    )
    .unwrap();
    let v = verdict(&ask_get(dir, &responder, "new.pem"), "new.pem");
    assert_eq!(v.status, "good", "answered right after /newcert");
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
        "2",
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
