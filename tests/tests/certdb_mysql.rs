//! The certificate database on a throwaway MariaDB: the full flow, cfssl 1.6.5 on the
//! same database (CFSSL_REF), a wrong password, and a server down at start.

mod certdb_support;
mod common;
mod ocsp_support;

use certdb_support::*;
use std::sync::OnceLock;

fn server() -> Option<&'static Mariadb> {
    static DB: OnceLock<Option<Mariadb>> = OnceLock::new();
    DB.get_or_init(Mariadb::start).as_ref()
}

#[test]
fn mysql_flow_matches_cfssl() {
    let Some(m) = server() else { return };
    let d = scratch();
    let dsn = m.create_db("flow");
    let cfg = write_db_config(d.path(), "db.json", "mysql", &dsn);
    dialect_flow(d.path(), cfg.to_str().unwrap(), &|sql| m.sql("flow", sql));
    assert_eq!(
        m.sql(
            "flow",
            "SELECT DISTINCT revoked_at FROM certificates WHERE status = 'good'"
        )
        .trim(),
        "0000-00-00 00:00:00",
        "Go's zero time as MariaDB stores it"
    );
}

#[test]
fn mysql_shared_with_cfssl_1_6_5() {
    let Some(m) = server() else { return };
    interop_on("mysql", &m.create_db("interop"), &|sql| {
        m.sql("interop", sql)
    });
}

#[test]
fn mysql_wrong_password_and_server_down() {
    let Some(m) = server() else { return };
    let d = scratch();
    m.create_db("auth");
    m.sql("", "CREATE USER 'cfssl'@'127.0.0.1' IDENTIFIED BY 'right'; GRANT ALL ON auth.* TO 'cfssl'@'127.0.0.1'");
    let ok = format!("cfssl:right@tcp(127.0.0.1:{})/auth?parseTime=true", m.port);
    let cfg = write_db_config(d.path(), "ok.json", "mysql", &ok);
    migrate(d.path(), cfg.to_str().unwrap());
    sign(d.path(), cfg.to_str().unwrap());

    let bad = format!("cfssl:wrong@tcp(127.0.0.1:{})/auth?parseTime=true", m.port);
    let cfg = write_db_config(d.path(), "bad.json", "mysql", &bad);
    let out = sign_fails(d.path(), cfg.to_str().unwrap());
    assert!(
        out.stderr.contains("Access denied for user 'cfssl'"),
        "{}",
        out.both()
    );
    assert!(
        !out.stderr.contains("wrong"),
        "the password is never printed: {}",
        out.both()
    );

    // Nothing listens on this port.
    let down = format!(
        "root@tcp(127.0.0.1:{})/auth?parseTime=true",
        common::free_ports(1)[0]
    );
    let cfg = write_db_config(d.path(), "down.json", "mysql", &down);
    let out = revoke_out(
        d.path(),
        &common::cfssl_bin(),
        cfg.to_str().unwrap(),
        "1",
        "ab",
        "1",
    );
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{}", out.both());
    assert!(
        out.stderr
            .contains("cannot connect to the certificate database"),
        "{}",
        out.both()
    );
    assert_eq!(
        m.sql("auth", "SELECT count(*) FROM certificates").trim(),
        "1"
    );
}

#[test]
fn mysql_db_ocsp_responses_are_answered_by_both_responders() {
    let Some(m) = server() else { return };
    ocsp_support::db_ocsp_on("mysql", &m.create_db("ocsp"));
}
