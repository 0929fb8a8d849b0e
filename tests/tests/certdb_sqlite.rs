//! The certificate database on SQLite, through our binaries: the full flow, goose
//! bookkeeping on databases made by others, faults (read-only and locked files) and
//! hostile serials / key ids.

mod certdb_support;
mod common;

use certdb_support::*;
use common::*;
use std::path::Path;

#[test]
fn sqlite_flow_matches_cfssl() {
    let d = scratch();
    let db = d.path().join("certs.db");
    let cfg = write_db_config(d.path(), "db.json", "sqlite3", db.to_str().unwrap());
    dialect_flow(d.path(), cfg.to_str().unwrap(), &|sql| sqlite(&db, sql));
    let types = sqlite(
        &db,
        "SELECT typeof(serial_number), typeof(expiry), typeof(metadata), typeof(sans) FROM certificates LIMIT 1",
    );
    assert_eq!(
        types.trim(),
        "text|text|blob|blob",
        "Go's sqlite3 storage classes"
    );
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
}

#[test]
fn migrate_respects_databases_made_by_others() {
    let d = scratch();
    let migrate_to_v2 = |db: &Path, name: &str| {
        let cfg = write_db_config(d.path(), name, "sqlite3", db.to_str().unwrap());
        let out = migrate(d.path(), cfg.to_str().unwrap());
        assert_eq!(out.stdout.trim(), "schema version 2", "{}", out.both());
    };
    // Tables made by hand from cfssl's files: recorded, not recreated.
    let db = d.path().join("hand.db");
    cfssl_sqlite_schema(&db);
    sqlite(&db, "INSERT INTO certificates (serial_number, authority_key_identifier, status, pem) VALUES ('1', 'ab', 'good', 'x')");
    migrate_to_v2(&db, "hand.json");
    assert_eq!(sqlite(&db, "SELECT count(*) FROM certificates"), "1");
    assert_eq!(
        sqlite(&db, "SELECT group_concat(version_id) FROM goose_db_version"),
        "0,1,2"
    );

    // A version-1 database gets the columns of version 2.
    let v1 = d.path().join("v1.db");
    let text = std::fs::read_to_string(fixtures().join("sqlite-001.sql")).unwrap();
    sqlite(&v1, text.split("-- +goose Down").next().unwrap());
    migrate_to_v2(&v1, "v1.json");
    assert_eq!(
        sqlite(&v1, "SELECT count(*) FROM pragma_table_info('certificates') WHERE name IN ('issued_at','not_before','metadata','sans','common_name')"),
        "5"
    );

    // A goose-made database at version 2 is left as it is.
    let g = d.path().join("goose.db");
    cfssl_sqlite_schema(&g);
    sqlite(&g, "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now'))); INSERT INTO goose_db_version (version_id, is_applied) VALUES (0,1),(1,1),(2,1);");
    migrate_to_v2(&g, "goose.json");
    assert_eq!(sqlite(&g, "SELECT count(*) FROM goose_db_version"), "3");
}

#[test]
fn hostile_serials_and_key_ids_never_reach_sql() {
    let d = scratch();
    let db = d.path().join("certs.db");
    cfssl_sqlite_schema(&db);
    let cfg = write_db_config(d.path(), "db.json", "sqlite3", db.to_str().unwrap());
    let cfg = cfg.to_str().unwrap();
    let pem = sign(d.path(), cfg);
    let (serial, aki) = serial_and_aki(d.path(), &pem);
    for (s, a, names) in [
        ("1' OR '1'='1", aki.as_str(), "serial number"),
        (
            "1; DROP TABLE certificates; --",
            aki.as_str(),
            "serial number",
        ),
        ("-5", aki.as_str(), "serial number"),
        (serial.as_str(), "zz", "authority key id"),
        (serial.as_str(), "' OR 1=1 --", "authority key id"),
    ] {
        for cmd in [
            vec![
                "revoke",
                "-db-config",
                cfg,
                "-serial",
                s,
                "-aki",
                a,
                "-reason",
                "1",
            ],
            vec!["certinfo", "-db-config", cfg, "-serial", s, "-aki", a],
        ] {
            let out = cfssl(d.path(), &cmd);
            assert_eq!(
                out.status.and_then(|s| s.code()),
                Some(1),
                "{cmd:?}: {}",
                out.both()
            );
            assert!(
                out.stderr.contains(names),
                "{cmd:?} names the bad value: {}",
                out.both()
            );
            assert!(!out.stderr.contains("panicked"), "{}", out.both());
        }
    }
    assert_eq!(
        sqlite(&db, "SELECT status FROM certificates"),
        "good",
        "nothing was revoked or dropped"
    );
    // An unknown, well-formed certificate: cfssl's not-found errors.
    let out = revoke_out(d.path(), &cfssl_bin(), cfg, "12345", &aki, "1");
    assert!(
        out.stderr.contains(
            r#"{"code":11200,"message":"failed to revoke the certificate: certificate not found"}"#
        ),
        "{}",
        out.both()
    );
    let out = cfssl(
        d.path(),
        &[
            "certinfo",
            "-db-config",
            cfg,
            "-serial",
            "12345",
            "-aki",
            &aki,
        ],
    );
    assert_eq!(out.stderr.trim(), "no certificate found");
}

#[test]
fn expired_revoked_certificates_stay_out_of_the_crl() {
    let d = scratch();
    let db = d.path().join("certs.db");
    cfssl_sqlite_schema(&db);
    let cfg = write_db_config(d.path(), "db.json", "sqlite3", db.to_str().unwrap());
    let cfg = cfg.to_str().unwrap();
    let pem = sign(d.path(), cfg);
    let (serial, aki) = serial_and_aki(d.path(), &pem);
    sqlite(&db, &format!(
        "INSERT INTO certificates (serial_number, authority_key_identifier, ca_label, status, reason, expiry, revoked_at, pem) VALUES ('777', '{aki}', '', 'revoked', 1, '2020-01-01 00:00:00+00:00', '2019-06-01 00:00:00+00:00', 'x')"
    ));
    revoke_with(d.path(), &cfssl_bin(), cfg, &serial, &aki, "superseded");
    let text = crl_by(d.path(), &cfssl_bin(), cfg, &["-expiry", "1h"]);
    assert_eq!(text.matches("Serial Number:").count(), 1, "{text}");
    assert!(text.contains(&decimal_to_hex(&serial)));
    assert!(
        !text.contains("Serial Number: 0309"),
        "the expired serial 777 is absent:\n{text}"
    );
}

#[test]
fn read_only_and_locked_files_fail_clearly_and_issue_nothing() {
    let d = scratch();
    let db = d.path().join("certs.db");
    cfssl_sqlite_schema(&db);
    let ro = write_db_config(
        d.path(),
        "ro.json",
        "sqlite3",
        &format!("file:{}?mode=ro", db.display()),
    );
    let out = sign_fails(d.path(), ro.to_str().unwrap());
    assert!(
        out.stderr
            .contains(r#"{"code":11000,"message":"attempt to write a readonly database"}"#),
        "{}",
        out.both()
    );
    assert_eq!(sqlite(&db, "SELECT count(*) FROM certificates"), "0");

    // Another process holds the write lock: we wait (bounded), then say so.
    let rw = write_db_config(d.path(), "rw.json", "sqlite3", db.to_str().unwrap());
    let (stdin, mut guard) = sqlite_exclusive_lock(&db);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = sign_fails(d.path(), rw.to_str().unwrap());
    assert!(out.stderr.contains("database is locked"), "{}", out.both());
    drop(stdin);
    guard.terminate(std::time::Duration::from_secs(10));
    let pem = sign(d.path(), rw.to_str().unwrap());
    assert!(pem.contains("BEGIN CERTIFICATE"));
    assert_eq!(sqlite(&db, "SELECT count(*) FROM certificates"), "1");
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
}
