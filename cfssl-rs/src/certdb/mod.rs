//! cfssl's certificate store (`-db-config`): the `certificates` and `ocsp_responses`
//! tables on SQLite, PostgreSQL or MySQL/MariaDB, with cfssl 1.6.5's schema and value
//! encodings, so the same database serves both implementations.
//!
//! Everything is synchronous: `sign -db-config` and `revoke` need no runtime, and the
//! server calls it from its blocking pool. Nothing here runs unless `-db-config` is given.
//! Like cfssl, opening a database does not create its tables; `migrate` does, on demand.

pub mod crl;
pub mod mysql;
pub mod postgres;
pub mod record;
pub mod sqlite;

use crate::error::{Error, Result};
use crate::gojson;
use std::sync::Arc;

/// Connections per process in the PostgreSQL and MySQL pools: a `serve` replica rarely
/// has more database work in flight than this (`api` sizes its work slots by it), and
/// PostgreSQL's default limit of 100 leaves room for several replicas.
pub const MAX_CONNECTIONS: usize = 16;

pub use record::{CertificateRecord, OcspRecord, RevokedEntry};

/// cfssl's accessor operations (cfssl:certdb/certdb.go), one implementation per dialect.
/// Every failure of the database itself is an `Error::Coded` in cfssl's 11xxx range.
pub trait CertDb: Send + Sync {
    /// Inserts a new row; an existing (serial, aki) pair is an error.
    fn insert_certificate(&self, record: &CertificateRecord) -> Result<()>;
    /// The rows for (serial, aki): none or one.
    fn get_certificate(&self, serial: &str, aki: &str) -> Result<Vec<CertificateRecord>>;
    /// Rows whose expiry is after the database's current time.
    fn unexpired_certificates(&self) -> Result<Vec<CertificateRecord>>;
    /// Revoked rows that have not expired, handed to `each` one at a time (in table
    /// order) so that a CRL of a million entries never holds the rows in memory.
    fn for_each_revoked_unexpired(
        &self,
        each: &mut dyn FnMut(RevokedEntry) -> Result<()>,
    ) -> Result<()>;
    /// Sets status `revoked`, the reason and `revoked_at` = the database's current time.
    /// No such row → 11200 `failed to revoke the certificate: certificate not found`.
    fn revoke(&self, serial: &str, aki: &str, reason: i64) -> Result<()>;
    fn insert_ocsp(&self, record: &OcspRecord) -> Result<()>;
    /// Replaces body and expiry of an existing response; none → 11200.
    fn update_ocsp(&self, record: &OcspRecord) -> Result<()>;
    /// Update if present, else insert (cfssl's `UpsertOCSP`).
    fn upsert_ocsp(&self, record: &OcspRecord) -> Result<()> {
        match self.update_ocsp(record) {
            Err(Error::Coded { code: 11200, .. }) => self.insert_ocsp(record),
            other => other,
        }
    }
    fn get_ocsp(&self, serial: &str, aki: &str) -> Result<Vec<OcspRecord>>;
    /// `get_ocsp` when it can answer without waiting (a local file that no other
    /// connection holds locked), so that a responder can call it on an async worker;
    /// `None` when it would wait. Networked databases always wait.
    fn get_ocsp_now(&self, _serial: &str, _aki: &str) -> Option<Result<Vec<OcspRecord>>> {
        None
    }
    /// Responses whose expiry is after the database's current time, in table order.
    fn unexpired_ocsps(&self) -> Result<Vec<OcspRecord>>;
    /// Creates or completes cfssl's schema, recording each step in goose's
    /// `goose_db_version` table as goose does; returns the schema version reached.
    fn migrate(&self) -> Result<i64>;
}

/// `{"driver": ..., "data_source": ...}`, read as cfssl's dbconf reads it.
#[derive(Clone, PartialEq)]
pub struct DbConfig {
    pub driver: String,
    pub data_source: String,
}

// The data source can hold a password.
impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConfig")
            .field("driver", &self.driver)
            .field("data_source", &"<redacted>")
            .finish()
    }
}

fn invalid_policy(message: impl Into<String>) -> Error {
    Error::coded(5200, message)
}

impl DbConfig {
    /// cfssl's `dbconf.LoadFile`, with its errors (code 5200).
    pub fn load(path: &str) -> Result<DbConfig> {
        if path.is_empty() {
            return Err(invalid_policy("invalid path"));
        }
        let body = crate::input::read_file(path)
            .map_err(|_| invalid_policy("could not read configuration file"))?;
        DbConfig::parse(&body)
    }

    pub fn parse(body: &[u8]) -> Result<DbConfig> {
        let unmarshal =
            |m: String| invalid_policy(format!("failed to unmarshal configuration: {m}"));
        let v = gojson::parse(body).map_err(unmarshal)?;
        let mut errs = gojson::TypeErrors::default();
        let mut field = |name: &str| {
            v.fields(name)
                .last()
                .and_then(|x| errs.string(x, "dbconf.DBConfig", name))
                .unwrap_or_default()
        };
        let driver = field("driver");
        let data_source = field("data_source");
        if !matches!(v, gojson::Value::Object(_) | gojson::Value::Null) {
            errs.record(&v, "", "", "dbconf.DBConfig");
        }
        errs.into_result().map_err(unmarshal)?;
        if driver.is_empty() || data_source.is_empty() {
            return Err(invalid_policy("invalid db configuration"));
        }
        Ok(DbConfig {
            driver,
            data_source,
        })
    }

    /// The accessor for this configuration. Like Go's `sql.Open`, this does not talk to a
    /// server yet: a database that is down fails the first operation, not the open.
    pub fn open(&self) -> Result<Arc<dyn CertDb>> {
        Ok(match self.driver.as_str() {
            "sqlite3" => Arc::new(sqlite::Sqlite::open(&self.data_source)?),
            "postgres" => Arc::new(postgres::Postgres::open(&self.data_source)?),
            "mysql" => Arc::new(mysql::Mysql::open(&self.data_source)?),
            other => {
                return Err(Error::plain(format!(
                    "sql: unknown driver {} (forgotten import?)",
                    gojson::go_quote(other)
                )))
            }
        })
    }
}

/// Loads `-db-config PATH` and opens it.
pub fn open_config_file(path: &str) -> Result<Arc<dyn CertDb>> {
    DbConfig::load(path)?.open()
}

/// `-db-config` of a signing command: nothing when the flag is empty.
pub fn open_optional(path: &str) -> Result<Option<Arc<dyn CertDb>>> {
    match path {
        "" => Ok(None),
        p => open_config_file(p).map(Some),
    }
}

/// Writes the row of a certificate just signed, as cfssl's local signer does right after
/// signing. The caller must not hand out the certificate when this fails.
pub fn record_issued(
    db: &dyn CertDb,
    der: &[u8],
    ca_label: &str,
    metadata: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let record = CertificateRecord::issued(der, ca_label, metadata, now)?;
    db.insert_certificate(&record)?;
    crate::log::debug(&format!(
        "saved certificate with serial number {}",
        record.serial
    ));
    Ok(())
}

/// A failure reported by the database (cfssl's `CertStoreError`, `Unknown`).
pub(crate) fn store_error(message: impl std::fmt::Display) -> Error {
    Error::coded(11000, message.to_string())
}

pub(crate) fn not_found(what: &str) -> Error {
    Error::coded(11200, format!("failed to {what}: certificate not found"))
}

pub(crate) fn check_one_row(n: u64, insert_what: &str) -> Result<()> {
    match n {
        1 => Ok(()),
        0 => Err(Error::coded(
            11100,
            format!("failed to insert the {insert_what} record"),
        )),
        n => Err(store_error(format!(
            "{n} rows are affected, should be 1 row"
        ))),
    }
}

pub(crate) fn check_revoked_rows(n: u64) -> Result<()> {
    match n {
        1 => Ok(()),
        0 => Err(not_found("revoke the certificate")),
        n => Err(store_error(format!(
            "{n} rows are affected, should be 1 row"
        ))),
    }
}

pub(crate) fn check_updated_ocsp_rows(n: u64) -> Result<()> {
    match n {
        1 => Ok(()),
        0 => Err(Error::coded(11200, "failed to update the OCSP record")),
        n => Err(store_error(format!(
            "{n} rows are affected, should be 1 row"
        ))),
    }
}

/// The statements every dialect shares, with `?` placeholders (PostgreSQL renumbers
/// them). Values only ever reach SQL as bound parameters.
pub(crate) mod sql {
    pub const INSERT: &str = "INSERT INTO certificates (serial_number, authority_key_identifier, ca_label, status, reason, expiry, revoked_at, pem, issued_at, not_before, metadata, sans, common_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    pub const SELECT_ONE: &str = "SELECT serial_number, authority_key_identifier, ca_label, status, reason, expiry, revoked_at, pem, issued_at, not_before, metadata, sans, common_name FROM certificates WHERE (serial_number = ? AND authority_key_identifier = ?)";
    pub const SELECT_UNEXPIRED: &str = "SELECT serial_number, authority_key_identifier, ca_label, status, reason, expiry, revoked_at, pem, issued_at, not_before, metadata, sans, common_name FROM certificates WHERE CURRENT_TIMESTAMP < expiry";
    pub const SELECT_REVOKED_UNEXPIRED: &str = "SELECT serial_number, revoked_at FROM certificates WHERE CURRENT_TIMESTAMP < expiry AND status='revoked'";
    pub const REVOKE: &str = "UPDATE certificates SET status='revoked', revoked_at=CURRENT_TIMESTAMP, reason=? WHERE (serial_number = ? AND authority_key_identifier = ?)";
    pub const INSERT_OCSP: &str = "INSERT INTO ocsp_responses (serial_number, authority_key_identifier, body, expiry) VALUES (?, ?, ?, ?)";
    pub const UPDATE_OCSP: &str = "UPDATE ocsp_responses SET body = ?, expiry = ? WHERE (serial_number = ? AND authority_key_identifier = ?)";
    pub const SELECT_OCSP: &str = "SELECT serial_number, authority_key_identifier, body, expiry FROM ocsp_responses WHERE (serial_number = ? AND authority_key_identifier = ?)";
    pub const SELECT_UNEXPIRED_OCSP: &str = "SELECT serial_number, authority_key_identifier, body, expiry FROM ocsp_responses WHERE CURRENT_TIMESTAMP < expiry";
}

/// goose's version table as its PostgreSQL and MySQL dialects create it.
pub(crate) const GOOSE_TABLE: &str = "CREATE TABLE goose_db_version (
    id serial NOT NULL,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp timestamp NULL default now(),
    PRIMARY KEY(id)
)";
pub(crate) const GOOSE_VERSION_0: &str =
    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)";

/// The schema steps of one dialect, in order: (goose version, SQL).
pub(crate) type Migrations = &'static [(i64, &'static str)];

pub(crate) const SQLITE_MIGRATIONS: Migrations = &[
    (
        1,
        include_str!("migrations/sqlite/001_create_certificates.sql"),
    ),
    (2, include_str!("migrations/sqlite/002_add_metadata.sql")),
];
pub(crate) const PG_MIGRATIONS: Migrations = &[
    (1, include_str!("migrations/pg/001_create_certificates.sql")),
    (2, include_str!("migrations/pg/002_add_metadata.sql")),
];
pub(crate) const MYSQL_MIGRATIONS: Migrations = &[
    (
        1,
        include_str!("migrations/mysql/001_create_certificates.sql"),
    ),
    (2, include_str!("migrations/mysql/002_add_metadata.sql")),
];

/// What `migrate` needs of a connection, so that goose's bookkeeping is written once.
pub(crate) trait SchemaConn {
    fn table_exists(&mut self, table: &str) -> Result<bool>;
    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool>;
    /// goose's `goose_db_version` table in this dialect, with its version-0 row.
    fn create_goose_table(&mut self) -> Result<()>;
    /// (version_id, is_applied) of every goose row, newest first.
    fn goose_rows(&mut self) -> Result<Vec<(i64, bool)>>;
    /// Runs the statements and records `version` as applied, in one transaction where
    /// the dialect allows DDL in one.
    fn apply(&mut self, version: i64, statements: &[String]) -> Result<()>;
}

/// goose's `up`: the version is the highest one whose newest row says applied. A
/// database whose tables were made without goose (by hand from cfssl's files) gets the
/// goose table with the versions its columns show, and nothing else is touched.
pub(crate) fn run_migrations(conn: &mut dyn SchemaConn, migrations: Migrations) -> Result<i64> {
    if !conn.table_exists("goose_db_version")? {
        let found = if !conn.table_exists("certificates")? {
            0
        } else if conn.column_exists("certificates", "common_name")? {
            2
        } else {
            1
        };
        conn.create_goose_table()?;
        for version in 1..=found {
            conn.apply(version, &[])?;
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut current = 0;
    for (version, applied) in conn.goose_rows()? {
        if seen.insert(version) && applied {
            current = current.max(version);
        }
    }
    for (version, sql) in migrations {
        if *version > current {
            conn.apply(*version, &statements(sql))?;
            current = *version;
        }
    }
    Ok(current)
}

/// The statements of a migration file, comments dropped.
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let no_comments: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    no_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_config_errors_are_cfssls() {
        assert_eq!(
            DbConfig::load("/nonexistent/db.json")
                .unwrap_err()
                .to_string(),
            r#"{"code":5200,"message":"could not read configuration file"}"#
        );
        assert_eq!(
            DbConfig::parse(br#"{"driver":"sqlite3"}"#)
                .unwrap_err()
                .to_string(),
            r#"{"code":5200,"message":"invalid db configuration"}"#
        );
        assert!(DbConfig::parse(b"{")
            .unwrap_err()
            .to_string()
            .contains("failed to unmarshal configuration: "));
        let c =
            DbConfig::parse(br#"{"Driver":"postgres","data_source":"password=hunter2"}"#).unwrap();
        assert_eq!(c.driver, "postgres");
        assert!(!format!("{c:?}").contains("hunter2"));
        let unknown = DbConfig {
            driver: "nosuchdriver".into(),
            data_source: "x".into(),
        };
        assert_eq!(
            unknown.open().err().unwrap().to_string(),
            r#"sql: unknown driver "nosuchdriver" (forgotten import?)"#
        );
    }

    #[test]
    fn migration_files_split_into_statements() {
        assert_eq!(statements(SQLITE_MIGRATIONS[0].1).len(), 2);
        assert_eq!(statements(SQLITE_MIGRATIONS[1].1).len(), 5);
        assert_eq!(statements(PG_MIGRATIONS[1].1).len(), 1);
        assert_eq!(statements(MYSQL_MIGRATIONS[0].1).len(), 2);
    }
}
