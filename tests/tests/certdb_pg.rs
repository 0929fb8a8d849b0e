//! The certificate database on a throwaway PostgreSQL: the full flow, cfssl 1.6.5 on the
//! same database (CFSSL_REF), and a server that is down at start and comes back.

mod certdb_support;
mod common;
mod ocsp_support;

use certdb_support::*;
use std::sync::OnceLock;

fn server() -> Option<&'static Postgres> {
    static PG: OnceLock<Option<Postgres>> = OnceLock::new();
    PG.get_or_init(Postgres::start).as_ref()
}

#[test]
fn pg_flow_matches_cfssl() {
    let Some(pg) = server() else { return };
    let d = scratch();
    let dsn = pg.create_db("flow");
    let cfg = write_db_config(d.path(), "db.json", "postgres", &dsn);
    // bytea escape output writes a newline as \012.
    dialect_flow(d.path(), cfg.to_str().unwrap(), &|sql| {
        pg.psql("flow", sql).replace("\\012", "\n")
    });
}

#[test]
fn pg_shared_with_cfssl_1_6_5() {
    let Some(pg) = server() else { return };
    interop_on("postgres", &pg.create_db("interop"), &|sql| {
        pg.psql("interop", sql)
    });
}

#[test]
fn pg_down_then_back() {
    let Some(mut pg) = Postgres::start() else {
        return;
    };
    let d = scratch();
    let dsn = pg.create_db("downup");
    let cfg = write_db_config(d.path(), "db.json", "postgres", &dsn);
    let cfg = cfg.to_str().unwrap();
    migrate(d.path(), cfg);
    pg.stop();
    let out = sign_fails(d.path(), cfg);
    assert!(
        out.stderr
            .contains(r#"{"code":11000,"message":"cannot connect to the certificate database"#),
        "{}",
        out.both()
    );
    let out = revoke_out(d.path(), &common::cfssl_bin(), cfg, "1", "ab", "1");
    assert!(out.stderr.contains("cannot connect"), "{}", out.both());
    pg.start_again();
    let pem = sign(d.path(), cfg);
    let (serial, _) = serial_and_aki(d.path(), &pem);
    assert_eq!(
        pg.psql("downup", "SELECT count(*) FROM certificates")
            .trim(),
        "1"
    );
    assert!(pg
        .psql(
            "downup",
            "SELECT encode(serial_number, 'escape') FROM certificates"
        )
        .contains(&serial));
    // A database without cfssl's tables: the driver's own words, after signing.
    let bare = pg.create_db("bare");
    let cfg = write_db_config(d.path(), "bare.json", "postgres", &bare);
    let out = sign_fails(d.path(), cfg.to_str().unwrap());
    assert!(
        out.stderr
            .contains(r#"{"code":11000,"message":"pq: relation \"certificates\" does not exist"}"#),
        "{}",
        out.both()
    );
}

#[test]
fn pg_db_ocsp_responses_are_answered_by_both_responders() {
    let Some(pg) = server() else { return };
    ocsp_support::db_ocsp_on("postgres", &pg.create_db("ocsp"));
}
