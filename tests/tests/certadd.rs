//! `POST /api/v1/cfssl/certadd` on our real server with a SQLite database: cfssl 1.6.5's
//! checks and answers for each bad request, the row it stores (read back by sqlite3, our
//! certinfo and CRL, and with CFSSL_REF by cfssl's), the answer without a database, and
//! with `-db-ocsp` the OCSP response it returns and stores, verified by openssl.

mod certdb_support;
mod common;

use certdb_support::*;
use common::*;
use serde_json::json;
use std::path::Path;

/// A certificate signed without a database, and what certadd needs to know about it.
struct Unrecorded {
    pem: String,
    serial: String,
    aki: String,
    not_after: String,
}

fn unrecorded(dir: &Path) -> Unrecorded {
    let pem = sign_unrecorded(dir);
    let (serial, aki) = serial_and_aki(dir, &pem);
    std::fs::write(dir.join("unrecorded.pem"), &pem).unwrap();
    let info = cfssl(dir, &["certinfo", "-cert", "unrecorded.pem"]);
    assert!(info.success(), "{}", info.both());
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    let not_after = v["not_after"].as_str().unwrap().to_string();
    assert!(not_after.ends_with('Z'), "{not_after}");
    Unrecorded {
        pem,
        serial,
        aki,
        not_after,
    }
}

fn add_request(c: &Unrecorded) -> serde_json::Value {
    json!({
        "serial_number": c.serial,
        "authority_key_identifier": c.aki,
        "status": "good",
        "pem": c.pem,
        "expiry": c.not_after,
    })
}

fn with(mut v: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    v[key] = value;
    v
}

/// The request marked revoked on 2026-03-04T05:06:07Z for `reason`.
fn revoked(v: serde_json::Value, reason: i64) -> serde_json::Value {
    let v = with(v, "status", json!("revoked"));
    let v = with(v, "revoked_at", json!("2026-03-04T05:06:07Z"));
    with(v, "reason", json!(reason))
}

#[test]
fn bad_requests_get_cfssl_answers_and_store_nothing() {
    let d = scratch();
    let (cfg, db) = migrated_sqlite(d.path(), "certs");
    let c = unrecorded(d.path());
    let s = Served::start(d.path(), &cfssl_bin(), "serve", &["-db-config", &cfg]);
    let good = add_request(&c);
    let cases: Vec<(String, &str)> = vec![
        ("x".into(), "Unable to parse certificate addition request"),
        ("[]".into(), "Unable to parse certificate addition request"),
        (
            r#"{"serial_number":5}"#.into(),
            "Unable to parse certificate addition request",
        ),
        (
            with(good.clone(), "reason", json!("1")).to_string(),
            "Unable to parse certificate addition request",
        ),
        (
            with(good.clone(), "expiry", json!("2036-01-01")).to_string(),
            "Unable to parse certificate addition request",
        ),
        ("null".into(), "Serial number is required but not provided"),
        (
            with(good.clone(), "authority_key_identifier", json!("")).to_string(),
            "Authority key identifier is required but not provided",
        ),
        (
            with(good.clone(), "status", json!("Good")).to_string(),
            "Invalid certificate status",
        ),
        (
            with(good.clone(), "status", json!("revoked")).to_string(),
            "Revoked certificate should specify when it was revoked",
        ),
        (
            revoked(good.clone(), 7).to_string(),
            "Invalid certificate status reason code",
        ),
        (
            with(good.clone(), "pem", json!("")).to_string(),
            "The provided certificate is empty",
        ),
        (
            with(good.clone(), "expiry", json!("0001-01-01T00:00:00Z")).to_string(),
            "Expiry is required but not provided",
        ),
        (
            with(good.clone(), "pem", json!("not a certificate")).to_string(),
            "Unable to parse PEM encoded certificates",
        ),
        (
            with(good.clone(), "serial_number", json!("12x")).to_string(),
            "Unable to parse serial key of request",
        ),
        (
            with(good.clone(), "serial_number", json!("42")).to_string(),
            "Serial key of request and certificate do not match",
        ),
        (
            with(good.clone(), "authority_key_identifier", json!("abc")).to_string(),
            "Unable to decode authority key identifier",
        ),
        (
            with(good.clone(), "authority_key_identifier", json!("abcd")).to_string(),
            "Authority key identifier of request and certificate do not match",
        ),
        (
            with(good.clone(), "expiry", json!("2020-01-01T00:00:00Z")).to_string(),
            "Expiry of request and certificate do not match",
        ),
    ];
    for (body, message) in &cases {
        let (status, v) = s.api("certadd", body);
        assert_eq!(
            (status, api_error(&v)),
            (400, (400, message.to_string())),
            "{body}"
        );
    }
    assert_eq!(sqlite(&db, "SELECT count(*) FROM certificates"), "0");
    let (status, _) = s.request("GET", "/api/v1/cfssl/certadd", b"");
    assert_eq!(status, 405);
    let (status, _) = s.request("GET", "/api/v1/cfssl/health", b"");
    assert_eq!(status, 200, "the server still serves");
}

#[test]
fn added_rows_are_stored_as_cfssl_stores_them_and_read_back() {
    let d = scratch();
    let (cfg, db) = migrated_sqlite(d.path(), "certs");
    let s = Served::start(d.path(), &cfssl_bin(), "serve", &["-db-config", &cfg]);

    // A good one with every optional field, and a bare revoked one.
    let full = unrecorded(d.path());
    let body = json!({
        "serial_number": format!("00{}", full.serial),
        "authority_key_identifier": full.aki.to_uppercase(),
        "ca_label": "imported",
        "status": "good",
        "reason": 3,
        "pem": full.pem,
        "expiry": full.not_after,
        "issued_at": "2026-01-02T03:04:05.25Z",
        "not_before": "2026-01-02T03:04:05+01:00",
        "metadata": {"owner": ["team", 7]},
        "sans": ["leaf.example.com"],
        "common_name": "leaf",
    });
    // cfssl stores the JSON columns as sent, whitespace included.
    let body = body
        .to_string()
        .replace(r#"{"owner":["team",7]}"#, r#"{"owner": ["team",  7]}"#);
    let (status, v) = s.api("certadd", &body);
    assert_eq!((status, &v["result"]), (200, &json!({})), "{v}");
    let (status, v) = s.api("certadd", &body);
    assert_eq!(status, 400);
    assert_eq!(api_error(&v).0, 11000, "a second insert is refused: {v}");
    let row = sqlite(
        &db,
        &format!("SELECT serial_number, authority_key_identifier, ca_label, status, reason, expiry, revoked_at, issued_at, not_before, CAST(metadata AS TEXT), CAST(sans AS TEXT), common_name FROM certificates WHERE serial_number = '{}'", full.serial),
    );
    let expiry = full.not_after.replace('T', " ").replace('Z', "+00:00");
    assert_eq!(
        row,
        format!(
            "{}|{}|imported|good|3|{expiry}|0001-01-01 00:00:00+00:00|2026-01-02 03:04:05.25+00:00|2026-01-02 02:04:05+00:00|{{\"owner\": [\"team\",  7]}}|[\"leaf.example.com\"]|leaf",
            full.serial, full.aki
        )
    );

    let bare = unrecorded(d.path());
    let body = revoked(add_request(&bare), 1);
    let (status, v) = s.api("certadd", &body.to_string());
    assert_eq!(status, 200, "{v}");
    let row = sqlite(
        &db,
        &format!("SELECT status, reason, revoked_at, quote(issued_at), quote(not_before), CAST(metadata AS TEXT), CAST(sans AS TEXT), quote(common_name), ca_label FROM certificates WHERE serial_number = '{}'", bare.serial),
    );
    assert_eq!(
        row, "revoked|1|2026-03-04 05:06:07+00:00|NULL|NULL|{}|{}|NULL|",
        "absent fields as cfssl stores them"
    );

    // Read back: certinfo by serial, and the CRL lists the revoked one only.
    let info = cfssl(
        d.path(),
        &[
            "certinfo",
            "-db-config",
            &cfg,
            "-serial",
            &full.serial,
            "-aki",
            &full.aki,
        ],
    );
    assert!(info.success(), "{}", info.both());
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["pem"].as_str().unwrap().trim(), full.pem.trim());
    let bins = std::iter::once(cfssl_bin()).chain(std::env::var_os("CFSSL_REF").map(Into::into));
    for bin in bins {
        let text = crl_by(d.path(), &bin, &cfg, &[]);
        assert!(text.contains(&decimal_to_hex(&bare.serial)), "{text}");
        assert!(!text.contains(&decimal_to_hex(&full.serial)), "{text}");
    }
}

#[test]
fn rows_added_here_read_back_in_cfssl() {
    let Some(reference) = cfssl_ref() else {
        return;
    };
    let d = scratch();
    let (cfg, _) = migrated_sqlite(d.path(), "certs");
    let s = Served::start(d.path(), &cfssl_bin(), "serve", &["-db-config", &cfg]);
    let c = unrecorded(d.path());
    let (status, v) = s.api("certadd", &add_request(&c).to_string());
    assert_eq!(status, 200, "{v}");
    let info = run_in(
        d.path(),
        &reference,
        &[
            "certinfo",
            "-db-config",
            &cfg,
            "-serial",
            &c.serial,
            "-aki",
            &c.aki,
        ],
    );
    assert!(info.success(), "cfssl certinfo: {}", info.both());
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["serial_number"], json!(c.serial));
    assert_eq!(v["not_after"], json!(c.not_after));
    let out = run_in(
        d.path(),
        &reference,
        &[
            "revoke",
            "-db-config",
            &cfg,
            "-serial",
            &c.serial,
            "-aki",
            &c.aki,
            "-reason",
            "superseded",
        ],
    );
    assert!(out.success(), "cfssl revokes what we added: {}", out.both());
}

#[test]
fn without_a_database_the_insert_fails_as_in_cfssl() {
    let d = scratch();
    let c = unrecorded(d.path());
    let s = Served::start(d.path(), &cfssl_bin(), "serve", &[]);
    let (status, v) = s.api("certadd", &add_request(&c).to_string());
    assert_eq!(
        (status, api_error(&v)),
        (
            400,
            (11000, "unknown db object, please check SetDB method".into())
        )
    );
    let (status, v) = s.api("certadd", "{}");
    assert_eq!(
        (status, api_error(&v).1.as_str()),
        (400, "Serial number is required but not provided"),
        "the request is checked first"
    );
}
