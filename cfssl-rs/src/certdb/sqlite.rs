//! The SQLite dialect (driver `sqlite3`), embedded through rusqlite's bundled SQLite.
//! Values are stored with the storage classes Go's sqlite3 driver gives them (text for
//! strings and times, blob for the JSON columns, text for OCSP bodies), so that
//! `typeof()` agrees column by column with a database cfssl wrote.

use super::record::{parse_sqlite_time, sqlite_time};
use super::{sql, CertDb, CertificateRecord, OcspRecord, RevokedEntry, SchemaConn};
use crate::error::Result;
use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, ToSql};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a statement waits for another process's lock before failing with
/// "database is locked" (Go's sqlite3 driver waits 5 s too).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection writes: SQLite runs one writer at a time anyway, and a single
/// connection keeps `sign` and `revoke` from racing each other for the lock inside one
/// process. Lookups run on read-only connections of their own, so that concurrent
/// readers (an `ocspserve` under load) neither queue behind each other nor behind a
/// commit in this process.
pub struct Sqlite {
    conn: Mutex<Connection>,
    /// The file the readers open; `None` for an in-memory database, which only `conn`
    /// can see.
    file: Option<String>,
    /// Idle readers, opened on demand and kept (up to `MAX_CONNECTIONS`) with their
    /// prepared statements.
    readers: Mutex<Vec<Connection>>,
    /// Certificate rows waiting for the connection (group commit, see
    /// [`Sqlite::insert_queued`]).
    queued: Mutex<Vec<Arc<Queued>>>,
}

/// A certificate row some thread wants stored, and, once a commit is over, how that
/// went for it.
struct Queued {
    record: CertificateRecord,
    outcome: Mutex<Option<Result<()>>>,
}

impl Queued {
    fn finish(&self, outcome: Result<()>) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
    }

    fn take(&self) -> Option<Result<()>> {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

fn db_err(e: rusqlite::Error) -> crate::Error {
    match &e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => super::store_error(msg),
        _ => super::store_error(e),
    }
}

/// A string stored as SQLite text even when it is not UTF-8, as Go binds `string`.
struct Text<'a>(&'a [u8]);

impl ToSql for Text<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0)))
    }
}

/// Go's `[]byte` (the JSON columns): a blob.
struct Blob<'a>(&'a [u8]);

impl ToSql for Blob<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self.0)))
    }
}

fn opt_bytes(row: &Row, i: usize) -> rusqlite::Result<Option<Vec<u8>>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(b.to_vec()),
        ValueRef::Integer(n) => Some(n.to_string().into_bytes()),
        ValueRef::Real(f) => Some(f.to_string().into_bytes()),
    })
}

fn opt_text(row: &Row, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(opt_bytes(row, i)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn text(row: &Row, i: usize) -> rusqlite::Result<String> {
    Ok(opt_text(row, i)?.unwrap_or_default())
}

/// A time column: text in any of Go's layouts, or unix seconds.
fn opt_time(row: &Row, i: usize) -> Result<Option<DateTime<Utc>>> {
    match row.get_ref(i).map_err(db_err)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => DateTime::from_timestamp(n, 0)
            .map(Some)
            .ok_or_else(|| super::store_error(format!("timestamp {n} out of range"))),
        v => {
            parse_sqlite_time(&String::from_utf8_lossy(v.as_bytes().unwrap_or_default())).map(Some)
        }
    }
}

fn time(row: &Row, i: usize) -> Result<DateTime<Utc>> {
    Ok(opt_time(row, i)?.unwrap_or_else(super::record::zero_time))
}

fn certificate(row: &Row) -> Result<CertificateRecord> {
    let t = |i| text(row, i).map_err(db_err);
    let o = |i| opt_text(row, i).map_err(db_err);
    Ok(CertificateRecord {
        serial: t(0)?,
        aki: t(1)?,
        ca_label: t(2)?,
        status: t(3)?,
        reason: row.get::<_, Option<i64>>(4).map_err(db_err)?.unwrap_or(0),
        expiry: time(row, 5)?,
        revoked_at: time(row, 6)?,
        pem: t(7)?,
        issued_at: opt_time(row, 8)?,
        not_before: opt_time(row, 9)?,
        metadata: o(10)?,
        sans: o(11)?,
        common_name: o(12)?,
    })
}

fn ocsp(row: &Row) -> Result<OcspRecord> {
    Ok(OcspRecord {
        serial: text(row, 0).map_err(db_err)?,
        aki: text(row, 1).map_err(db_err)?,
        body: opt_bytes(row, 2).map_err(db_err)?.unwrap_or_default(),
        expiry: time(row, 3)?,
    })
}

impl Sqlite {
    /// Opens (creating an empty file if there is none, as Go's driver does) without
    /// touching the schema.
    pub fn open(data_source: &str) -> Result<Sqlite> {
        let conn = Connection::open(data_source).map_err(db_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        let file = conn.path().filter(|p| !p.is_empty()).map(String::from);
        Ok(Sqlite {
            conn: Mutex::new(conn),
            file,
            readers: Mutex::new(Vec::new()),
            queued: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolls
        // back any statement that was not finished.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.lock())
    }

    /// Group commit: a commit costs a few fsyncs whatever it holds, so while one thread
    /// commits, the rows other threads want stored queue up, and whoever gets the
    /// connection next stores every queued row in one transaction and hands each
    /// thread its own outcome. A row is reported stored only once its transaction is
    /// committed. Alone, a row is one autocommit INSERT, as before.
    fn insert_queued(&self, record: &CertificateRecord) -> Result<()> {
        let me = Arc::new(Queued {
            record: record.clone(),
            outcome: Mutex::new(None),
        });
        self.queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(me.clone());
        let conn = self.lock();
        if let Some(done) = me.take() {
            return done;
        }
        let batch = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|p| p.into_inner()));
        match batch.as_slice() {
            [] => {}
            [one] => one.finish(insert_row(&conn, &one.record)),
            _ => insert_batch(&conn, &batch),
        }
        drop(conn);
        me.take()
            .unwrap_or_else(|| Err(super::store_error("certificate insert was not attempted")))
    }

    /// A SELECT on a reader that waits at most `timeout` for another connection's lock.
    /// The outer error is the database's, the inner one a row that does not decode.
    fn read<T>(
        &self,
        timeout: Duration,
        sql: &str,
        params: &[&dyn ToSql],
        map: impl Fn(&Row) -> Result<T>,
    ) -> rusqlite::Result<Result<Vec<T>>> {
        self.with_reader(timeout, |c| select(c, sql, params, map))
    }

    /// Runs `f` on a read-only connection that waits at most `timeout` for another
    /// connection's lock (on the writer for an in-memory database, the only one that
    /// sees it).
    fn with_reader<T>(
        &self,
        timeout: Duration,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let Some(file) = &self.file else {
            return f(&self.lock());
        };
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => Connection::open_with_flags(
                file,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
        };
        conn.busy_timeout(timeout)?;
        let out = f(&conn);
        // A reader that failed for any reason but a lock held elsewhere is dropped, so
        // that a database that went away and came back gets fresh connections.
        if out.as_ref().err().is_none_or(is_busy) {
            let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < super::MAX_CONNECTIONS {
                idle.push(conn);
            }
        }
        out
    }

    fn query<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        map: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.read(BUSY_TIMEOUT, sql, params, map).map_err(db_err)?
    }

    fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> Result<u64> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(sql).map_err(db_err)?;
            stmt.execute(params).map(|n| n as u64).map_err(db_err)
        })
    }
}

fn select<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    map: impl Fn(&Row) -> Result<T>,
) -> rusqlite::Result<Result<Vec<T>>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        match map(row) {
            Ok(v) => out.push(v),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(out))
}

/// Another connection (or process) holds a lock this statement needs.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// One certificate row, in whatever transaction `c` is in.
fn insert_row(c: &Connection, r: &CertificateRecord) -> Result<()> {
    let expiry = sqlite_time(&r.expiry);
    let revoked_at = sqlite_time(&r.revoked_at);
    let issued_at = r.issued_at.as_ref().map(sqlite_time);
    let not_before = r.not_before.as_ref().map(sqlite_time);
    let mut stmt = c.prepare_cached(sql::INSERT).map_err(db_err)?;
    let n = stmt
        .execute(params![
            Text(r.serial.as_bytes()),
            Text(r.aki.as_bytes()),
            Text(r.ca_label.as_bytes()),
            Text(r.status.as_bytes()),
            r.reason,
            expiry,
            revoked_at,
            Text(r.pem.as_bytes()),
            issued_at,
            not_before,
            r.metadata.as_deref().map(|m| Blob(m.as_bytes())),
            r.sans.as_deref().map(|s| Blob(s.as_bytes())),
            r.common_name.as_deref().map(|c| Text(c.as_bytes())),
        ])
        .map_err(db_err)?;
    super::check_one_row(n as u64, "certificate")
}

/// Several queued rows in one transaction. A row that fails (a duplicate key) fails
/// alone; a failure that ends the transaction, or a failed commit, fails them all.
fn insert_batch(c: &Connection, batch: &[Arc<Queued>]) {
    let fail_all = |e: crate::Error| batch.iter().for_each(|q| q.finish(Err(e.clone())));
    if let Err(e) = c.execute_batch("BEGIN IMMEDIATE") {
        return fail_all(db_err(e));
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for q in batch {
        let outcome = insert_row(c, &q.record);
        if let Err(e) = &outcome {
            if c.is_autocommit() {
                // SQLite rolled the whole transaction back (I/O error, full disk).
                return fail_all(e.clone());
            }
        }
        outcomes.push(outcome);
    }
    if let Err(e) = c.execute_batch("COMMIT") {
        let _ = c.execute_batch("ROLLBACK");
        return fail_all(db_err(e));
    }
    for (q, outcome) in batch.iter().zip(outcomes) {
        q.finish(outcome);
    }
}

impl CertDb for Sqlite {
    fn insert_certificate(&self, r: &CertificateRecord) -> Result<()> {
        self.insert_queued(r)
    }

    fn get_certificate(&self, serial: &str, aki: &str) -> Result<Vec<CertificateRecord>> {
        self.query(sql::SELECT_ONE, params![serial, aki], certificate)
    }

    fn unexpired_certificates(&self) -> Result<Vec<CertificateRecord>> {
        self.query(sql::SELECT_UNEXPIRED, params![], certificate)
    }

    fn for_each_revoked_unexpired(
        &self,
        each: &mut dyn FnMut(RevokedEntry) -> Result<()>,
    ) -> Result<()> {
        self.with_reader(BUSY_TIMEOUT, |c| {
            let mut stmt = c.prepare_cached(sql::SELECT_REVOKED_UNEXPIRED)?;
            let mut rows = stmt.query(params![])?;
            let entry = |row: &Row| -> Result<RevokedEntry> {
                Ok(RevokedEntry {
                    serial: text(row, 0).map_err(db_err)?,
                    revoked_at: time(row, 1)?,
                })
            };
            while let Some(row) = rows.next()? {
                if let Err(e) = entry(row).and_then(&mut *each) {
                    return Ok(Err(e));
                }
            }
            Ok(Ok(()))
        })
        .map_err(db_err)?
    }

    fn revoke(&self, serial: &str, aki: &str, reason: i64) -> Result<()> {
        let n = self.execute(sql::REVOKE, params![reason, serial, aki])?;
        super::check_revoked_rows(n)
    }

    fn insert_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::INSERT_OCSP,
            params![
                Text(r.serial.as_bytes()),
                Text(r.aki.as_bytes()),
                Text(&r.body),
                sqlite_time(&r.expiry)
            ],
        )?;
        super::check_one_row(n, "OCSP")
    }

    fn update_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::UPDATE_OCSP,
            params![Text(&r.body), sqlite_time(&r.expiry), r.serial, r.aki],
        )?;
        super::check_updated_ocsp_rows(n)
    }

    fn get_ocsp(&self, serial: &str, aki: &str) -> Result<Vec<OcspRecord>> {
        self.query(sql::SELECT_OCSP, params![serial, aki], ocsp)
    }

    fn get_ocsp_now(&self, serial: &str, aki: &str) -> Option<Result<Vec<OcspRecord>>> {
        match self.read(Duration::ZERO, sql::SELECT_OCSP, params![serial, aki], ocsp) {
            Err(e) if is_busy(&e) => None,
            found => Some(found.map_err(db_err).and_then(|rows| rows)),
        }
    }

    fn unexpired_ocsps(&self) -> Result<Vec<OcspRecord>> {
        self.query(sql::SELECT_UNEXPIRED_OCSP, params![], ocsp)
    }

    fn migrate(&self) -> Result<i64> {
        self.with(|c| super::run_migrations(&mut Schema(c), super::SQLITE_MIGRATIONS))
    }
}

struct Schema<'a>(&'a Connection);

impl SchemaConn for Schema<'_> {
    fn table_exists(&mut self, table: &str) -> Result<bool> {
        self.0
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                params![table],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db_err)
    }

    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool> {
        self.0
            .query_row(
                "SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                params![table, column],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db_err)
    }

    fn create_goose_table(&mut self) -> Result<()> {
        self.0
            .execute_batch(
                "CREATE TABLE goose_db_version (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    version_id INTEGER NOT NULL,
                    is_applied INTEGER NOT NULL,
                    tstamp TIMESTAMP DEFAULT (datetime('now'))
                );
                INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);",
            )
            .map_err(db_err)
    }

    fn goose_rows(&mut self) -> Result<Vec<(i64, bool)>> {
        let mut stmt = self
            .0
            .prepare("SELECT version_id, is_applied FROM goose_db_version ORDER BY id DESC")
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
            })
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn apply(&mut self, version: i64, statements: &[String]) -> Result<()> {
        let tx = self.0.unchecked_transaction().map_err(db_err)?;
        for s in statements {
            tx.execute_batch(s).map_err(db_err)?;
        }
        tx.execute(
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)",
            params![version],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(serial: u32) -> CertificateRecord {
        let t = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        CertificateRecord {
            serial: serial.to_string(),
            aki: "00aa".into(),
            ca_label: String::new(),
            status: "good".into(),
            reason: 0,
            expiry: t,
            revoked_at: super::super::record::zero_time(),
            pem: format!("pem {serial}"),
            issued_at: Some(t),
            not_before: Some(t),
            metadata: None,
            sans: None,
            common_name: Some(format!("cn{serial}")),
        }
    }

    fn count(db: &Sqlite) -> i64 {
        db.lock()
            .query_row("SELECT count(*) FROM certificates", [], |r| r.get(0))
            .unwrap()
    }

    /// A migrated database in a file of its own, under a directory named by `tag`.
    fn fresh_file_db(tag: &str) -> (std::path::PathBuf, Sqlite) {
        let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("certs.db");
        let _ = std::fs::remove_file(&path);
        let db = Sqlite::open(path.to_str().unwrap()).unwrap();
        db.migrate().unwrap();
        (dir, db)
    }

    /// Many threads storing at once (the group commit): every row that is reported
    /// stored is there, each exactly once, and a duplicate fails alone.
    #[test]
    fn concurrent_inserts_each_get_their_own_outcome() {
        let (dir, db) = fresh_file_db("cfssl-sqlite");
        let db = Arc::new(db);
        db.insert_certificate(&record(0)).unwrap();
        let threads: Vec<_> = (0..16u32)
            .map(|t| {
                let db = db.clone();
                std::thread::spawn(move || {
                    (0..25u32)
                        .map(|i| db.insert_certificate(&record(1 + t * 25 + i)).is_ok())
                        .filter(|ok| *ok)
                        .count()
                        + usize::from(db.insert_certificate(&record(0)).is_ok())
                })
            })
            .collect();
        let stored: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(
            stored,
            16 * 25,
            "every new row stored, every duplicate refused"
        );
        assert_eq!(count(&db), 1 + 16 * 25);
        let dup = db.insert_certificate(&record(7)).unwrap_err().to_string();
        assert!(dup.contains("UNIQUE constraint failed"), "{dup}");
        let got = db.get_certificate("399", "00aa").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].pem, "pem 399");
        assert_eq!(got[0].common_name.as_deref(), Some("cn399"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Lookups run on readers of their own: while another connection holds the
    /// database locked, the lookup that must not wait says so; once the lock is gone it
    /// answers again. An in-memory database is read through its one connection.
    #[test]
    fn lookups_say_when_they_would_wait() {
        let (dir, db) = fresh_file_db("cfssl-sqlite-ro");
        let row = OcspRecord {
            serial: "7".into(),
            aki: "00aa".into(),
            body: b"response".to_vec(),
            expiry: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
        };
        db.insert_certificate(&record(7)).unwrap();
        db.insert_ocsp(&row).unwrap();
        let found = |got: Option<Result<Vec<OcspRecord>>>| got.map(|r| r.unwrap());
        assert_eq!(found(db.get_ocsp_now("7", "00aa")), Some(vec![row.clone()]));
        let other = Connection::open(dir.join("certs.db")).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        assert_eq!(found(db.get_ocsp_now("7", "00aa")), None);
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(found(db.get_ocsp_now("7", "00aa")), Some(vec![row.clone()]));
        assert_eq!(db.get_ocsp("7", "00aa").unwrap(), vec![row.clone()]);
        assert_eq!(found(db.get_ocsp_now("8", "00aa")), Some(vec![]));

        let mem = Sqlite::open(":memory:").unwrap();
        mem.migrate().unwrap();
        mem.insert_certificate(&record(7)).unwrap();
        mem.insert_ocsp(&row).unwrap();
        assert_eq!(mem.get_ocsp("7", "00aa").unwrap(), vec![row.clone()]);
        assert_eq!(found(mem.get_ocsp_now("7", "00aa")), Some(vec![row]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The CRL's rows (gencrl, the crl endpoint) come through a reader, not the writer,
    /// in the table's order; a failing callback stops the walk with its error.
    #[test]
    fn revoked_rows_are_read_through_a_reader() {
        let (dir, db) = fresh_file_db("cfssl-sqlite-crl");
        for serial in [5, 3, 9, 4] {
            db.insert_certificate(&record(serial)).unwrap();
        }
        for serial in ["9", "5", "3"] {
            db.revoke(serial, "00aa", 1).unwrap();
        }
        let idle_readers = || db.readers.lock().unwrap().len();
        assert_eq!(idle_readers(), 0);
        let mut seen = Vec::new();
        db.for_each_revoked_unexpired(&mut |e| {
            seen.push(e.serial);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["5", "3", "9"]);
        assert_eq!(idle_readers(), 1, "the walk used (and kept) a reader");
        let mut calls = 0;
        let err = db
            .for_each_revoked_unexpired(&mut |_| {
                calls += 1;
                Err(crate::Error::plain("stop"))
            })
            .unwrap_err();
        assert_eq!((calls, err.message()), (1, "stop".to_string()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
