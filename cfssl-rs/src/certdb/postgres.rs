//! The PostgreSQL dialect (driver `postgres`, lib/pq's data sources: `host=... port=...`
//! key/value strings or `postgres://` URLs). cfssl's schema keeps the text columns as
//! `bytea`, so strings are bound as bytes, the way lib/pq sends a Go string to a bytea
//! parameter; times are `timestamptz`, the JSON columns `jsonb`.

use super::{sql, CertDb, CertificateRecord, OcspRecord, RevokedEntry, SchemaConn};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::{NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

const MAX_CONNECTIONS: u32 = super::MAX_CONNECTIONS as u32;
/// How long an operation waits for a connection (e.g. while the server is down) before
/// it fails with the connection error.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

pub struct Postgres {
    pool: Pool,
}

/// lib/pq's wording for server errors (`pq: relation "certificates" does not exist`).
fn db_err(e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => super::store_error(format!("pq: {}", db.message())),
        None => super::store_error(e),
    }
}

fn pool_err(e: r2d2::Error) -> Error {
    super::store_error(format!("cannot connect to the certificate database: {e}"))
}

/// `?` placeholders renumbered as `$1, $2, ...` (sqlx's Rebind).
fn rebind(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 16);
    let mut n = 0;
    for c in query.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn bytes_text(row: &Row, i: usize) -> Result<String> {
    let b: Option<Vec<u8>> = row.try_get(i).map_err(db_err)?;
    Ok(String::from_utf8_lossy(&b.unwrap_or_default()).into_owned())
}

fn time(row: &Row, i: usize) -> Result<DateTime<Utc>> {
    let t: Option<DateTime<Utc>> = row.try_get(i).map_err(db_err)?;
    Ok(t.unwrap_or_else(super::record::zero_time))
}

fn json_text(row: &Row, i: usize) -> Result<Option<String>> {
    let v: Option<serde_json::Value> = row.try_get(i).map_err(db_err)?;
    Ok(v.map(|v| v.to_string()))
}

fn certificate(row: &Row) -> Result<CertificateRecord> {
    Ok(CertificateRecord {
        serial: bytes_text(row, 0)?,
        aki: bytes_text(row, 1)?,
        ca_label: bytes_text(row, 2)?,
        status: bytes_text(row, 3)?,
        reason: row
            .try_get::<_, Option<i32>>(4)
            .map_err(db_err)?
            .unwrap_or(0)
            .into(),
        expiry: time(row, 5)?,
        revoked_at: time(row, 6)?,
        pem: bytes_text(row, 7)?,
        issued_at: row.try_get(8).map_err(db_err)?,
        not_before: row.try_get(9).map_err(db_err)?,
        metadata: json_text(row, 10)?,
        sans: json_text(row, 11)?,
        common_name: row.try_get(12).map_err(db_err)?,
    })
}

fn ocsp(row: &Row) -> Result<OcspRecord> {
    Ok(OcspRecord {
        serial: bytes_text(row, 0)?,
        aki: bytes_text(row, 1)?,
        body: row
            .try_get::<_, Option<Vec<u8>>>(2)
            .map_err(db_err)?
            .unwrap_or_default(),
        expiry: time(row, 3)?,
    })
}

fn json_param(text: Option<&str>) -> Result<Option<serde_json::Value>> {
    text.map(|t| {
        serde_json::from_str(t).map_err(|e| super::store_error(format!("invalid JSON value: {e}")))
    })
    .transpose()
}

impl Postgres {
    /// Parses the data source and sets up the pool; no connection is made until the
    /// first operation, so a server that is down now can come up later.
    pub fn open(data_source: &str) -> Result<Postgres> {
        let config: postgres::Config = data_source.parse().map_err(|e: postgres::Error| {
            super::store_error(format!("invalid postgres data source: {e}"))
        })?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(MAX_CONNECTIONS)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_WAIT)
            // A broken connection is noticed by the operation that hits it (and dropped);
            // a liveness query on every checkout would double the round trips.
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Postgres { pool })
    }

    fn conn(&self) -> Result<Conn> {
        self.pool.get().map_err(pool_err)
    }

    fn query<T>(
        &self,
        query: &str,
        params: &[&(dyn ToSql + Sync)],
        map: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows = self
            .conn()?
            .query(rebind(query).as_str(), params)
            .map_err(db_err)?;
        rows.iter().map(map).collect()
    }

    fn execute(&self, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.conn()?
            .execute(rebind(query).as_str(), params)
            .map_err(db_err)
    }
}

impl CertDb for Postgres {
    fn insert_certificate(&self, r: &CertificateRecord) -> Result<()> {
        let reason = i32::try_from(r.reason)
            .map_err(|_| super::store_error(format!("reason {} out of range", r.reason)))?;
        let n = self.execute(
            sql::INSERT,
            &[
                &r.serial.as_bytes(),
                &r.aki.as_bytes(),
                &r.ca_label.as_bytes(),
                &r.status.as_bytes(),
                &reason,
                &r.expiry,
                &r.revoked_at,
                &r.pem.as_bytes(),
                &r.issued_at,
                &r.not_before,
                &json_param(r.metadata.as_deref())?,
                &json_param(r.sans.as_deref())?,
                &r.common_name,
            ],
        )?;
        super::check_one_row(n, "certificate")
    }

    fn get_certificate(&self, serial: &str, aki: &str) -> Result<Vec<CertificateRecord>> {
        self.query(
            sql::SELECT_ONE,
            &[&serial.as_bytes(), &aki.as_bytes()],
            certificate,
        )
    }

    fn unexpired_certificates(&self) -> Result<Vec<CertificateRecord>> {
        self.query(sql::SELECT_UNEXPIRED, &[], certificate)
    }

    fn for_each_revoked_unexpired(
        &self,
        each: &mut dyn FnMut(RevokedEntry) -> Result<()>,
    ) -> Result<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut conn = self.conn()?;
        let params: [&(dyn ToSql + Sync); 0] = [];
        // Rows arrive as the server sends them: the CRL never holds them all.
        let mut rows = conn
            .query_raw(sql::SELECT_REVOKED_UNEXPIRED, params)
            .map_err(db_err)?;
        while let Some(row) = rows.next().map_err(db_err)? {
            each(RevokedEntry {
                serial: bytes_text(&row, 0)?,
                revoked_at: time(&row, 1)?,
            })?;
        }
        Ok(())
    }

    fn revoke(&self, serial: &str, aki: &str, reason: i64) -> Result<()> {
        let reason =
            i32::try_from(reason).map_err(|_| super::store_error("reason out of range"))?;
        let n = self.execute(sql::REVOKE, &[&reason, &serial.as_bytes(), &aki.as_bytes()])?;
        super::check_revoked_rows(n)
    }

    fn insert_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::INSERT_OCSP,
            &[&r.serial.as_bytes(), &r.aki.as_bytes(), &r.body, &r.expiry],
        )?;
        super::check_one_row(n, "OCSP")
    }

    fn update_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::UPDATE_OCSP,
            &[&r.body, &r.expiry, &r.serial.as_bytes(), &r.aki.as_bytes()],
        )?;
        super::check_updated_ocsp_rows(n)
    }

    fn get_ocsp(&self, serial: &str, aki: &str) -> Result<Vec<OcspRecord>> {
        self.query(
            sql::SELECT_OCSP,
            &[&serial.as_bytes(), &aki.as_bytes()],
            ocsp,
        )
    }

    fn unexpired_ocsps(&self) -> Result<Vec<OcspRecord>> {
        self.query(sql::SELECT_UNEXPIRED_OCSP, &[], ocsp)
    }

    fn migrate(&self) -> Result<i64> {
        let mut conn = self.conn()?;
        super::run_migrations(&mut Schema(&mut conn), super::PG_MIGRATIONS)
    }
}

struct Schema<'a>(&'a mut Conn);

impl SchemaConn for Schema<'_> {
    fn table_exists(&mut self, table: &str) -> Result<bool> {
        let rows = self
            .0
            .query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
                &[&table],
            )
            .map_err(db_err)?;
        Ok(!rows.is_empty())
    }

    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool> {
        let rows = self
            .0
            .query(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
                &[&table, &column],
            )
            .map_err(db_err)?;
        Ok(!rows.is_empty())
    }

    fn create_goose_table(&mut self) -> Result<()> {
        self.0
            .batch_execute(super::GOOSE_TABLE)
            .and_then(|_| self.0.batch_execute(super::GOOSE_VERSION_0))
            .map_err(db_err)
    }

    fn goose_rows(&mut self) -> Result<Vec<(i64, bool)>> {
        let rows = self
            .0
            .query(
                "SELECT version_id, is_applied FROM goose_db_version ORDER BY id DESC",
                &[],
            )
            .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(db_err)?, r.try_get(1).map_err(db_err)?)))
            .collect()
    }

    fn apply(&mut self, version: i64, statements: &[String]) -> Result<()> {
        let mut tx = self.0.transaction().map_err(db_err)?;
        for s in statements {
            tx.batch_execute(s).map_err(db_err)?;
        }
        tx.execute(
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)",
            &[&version],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_renumbered() {
        assert_eq!(
            super::rebind("UPDATE t SET a = ? WHERE (b = ? AND c = ?)"),
            "UPDATE t SET a = $1 WHERE (b = $2 AND c = $3)"
        );
    }
}
