//! The MySQL/MariaDB dialect (driver `mysql`, Go's go-sql-driver data sources:
//! `user:password@tcp(host:port)/dbname?parseTime=true` or `@unix(/path/sock)/dbname`).
//! The text columns are `varbinary`, times `timestamp` (Go writes its zero time as
//! `0000-00-00 00:00:00`), the JSON columns MariaDB's `JSON`.

use super::{sql, CertDb, CertificateRecord, OcspRecord, RevokedEntry, SchemaConn};
use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use mysql::prelude::Queryable;
use mysql::{Opts, OptsBuilder, Params, PoolConstraints, PoolOpts, PooledConn, Row, Value};
use std::time::Duration;

const MAX_CONNECTIONS: usize = super::MAX_CONNECTIONS;
const CONNECT_WAIT: Duration = Duration::from_secs(5);

pub struct Mysql {
    pool: mysql::Pool,
}

/// go-sql-driver's wording for server errors (`Error 1146 (42S02): Table ... doesn't exist`).
fn db_err(e: mysql::Error) -> Error {
    match e {
        mysql::Error::MySqlError(m) => {
            super::store_error(format!("Error {} ({}): {}", m.code, m.state, m.message))
        }
        other => super::store_error(other),
    }
}

/// Go's DSN `[user[:password]@][net[(addr)]]/dbname[?params]` as connection options.
/// Parameters other than the address are Go-driver settings (`parseTime`, `loc`, ...)
/// that have no meaning here, except `tls`, which this build cannot honour.
fn parse_dsn(dsn: &str) -> Result<OptsBuilder> {
    let bad = |why: &str| super::store_error(format!("invalid mysql data source: {why}"));
    let (main, query) = dsn.split_once('?').unwrap_or((dsn, ""));
    let slash = main
        .rfind('/')
        .ok_or_else(|| bad("missing the slash before the database name"))?;
    let (prefix, db) = (&main[..slash], &main[slash + 1..]);
    let (creds, addr) = match prefix.rfind('@') {
        Some(at) => (&prefix[..at], &prefix[at + 1..]),
        None => ("", prefix),
    };
    let (user, pass) = match creds.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (creds, None),
    };
    let mut b = OptsBuilder::new()
        .user((!user.is_empty()).then_some(user))
        .pass(pass)
        .db_name((!db.is_empty()).then_some(db))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(CONNECT_WAIT))
        .pool_opts(
            PoolOpts::default()
                .with_constraints(PoolConstraints::new(0, MAX_CONNECTIONS).unwrap_or_default()),
        );
    let (net, target) = match addr.split_once('(') {
        Some((net, rest)) => (
            net,
            rest.strip_suffix(')')
                .ok_or_else(|| bad("unclosed address"))?,
        ),
        None => (addr, ""),
    };
    match net {
        "" | "tcp" => {
            let target = if target.is_empty() {
                "127.0.0.1:3306"
            } else {
                target
            };
            let (host, port) = match target.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
                None => (target, 3306),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            b = b.ip_or_hostname(Some(host)).tcp_port(port);
        }
        "unix" => b = b.socket(Some(target)),
        other => return Err(bad(&format!("unknown network {other:?}"))),
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "tls" && !matches!(v, "false" | "") {
            return Err(bad("tls is not supported by the mysql driver of cfssl-rs"));
        }
    }
    Ok(b)
}

fn date(t: &DateTime<Utc>) -> Value {
    if *t == super::record::zero_time() {
        return Value::Date(0, 0, 0, 0, 0, 0, 0);
    }
    Value::Date(
        t.year() as u16,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        t.timestamp_subsec_micros(),
    )
}

fn text_value(s: &str) -> Value {
    Value::Bytes(s.as_bytes().to_vec())
}

fn opt_text_value(s: Option<&str>) -> Value {
    s.map_or(Value::NULL, text_value)
}

fn value(row: &Row, i: usize) -> &Value {
    row.as_ref(i).unwrap_or(&Value::NULL)
}

fn opt_text(row: &Row, i: usize) -> Option<String> {
    match value(row, i) {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn text(row: &Row, i: usize) -> String {
    opt_text(row, i).unwrap_or_default()
}

fn opt_time(row: &Row, i: usize) -> Result<Option<DateTime<Utc>>> {
    let bad = || super::store_error(format!("unparsable timestamp in column {i}"));
    match value(row, i) {
        Value::NULL => Ok(None),
        Value::Date(0, 0, 0, ..) => Ok(Some(super::record::zero_time())),
        Value::Date(y, mo, d, h, mi, s, us) => {
            NaiveDate::from_ymd_opt((*y).into(), (*mo).into(), (*d).into())
                .and_then(|d| d.and_hms_micro_opt((*h).into(), (*mi).into(), (*s).into(), *us))
                .map(|t| Some(Utc.from_utc_datetime(&t)))
                .ok_or_else(bad)
        }
        Value::Bytes(b) => {
            let s = String::from_utf8_lossy(b);
            if s.starts_with("0000-00-00") {
                return Ok(Some(super::record::zero_time()));
            }
            super::record::parse_sqlite_time(&s).map(Some)
        }
        _ => Err(bad()),
    }
}

fn time(row: &Row, i: usize) -> Result<DateTime<Utc>> {
    Ok(opt_time(row, i)?.unwrap_or_else(super::record::zero_time))
}

fn certificate(row: &Row) -> Result<CertificateRecord> {
    Ok(CertificateRecord {
        serial: text(row, 0),
        aki: text(row, 1),
        ca_label: text(row, 2),
        status: text(row, 3),
        reason: match value(row, 4) {
            Value::Int(n) => *n,
            Value::UInt(n) => i64::try_from(*n).unwrap_or(0),
            Value::Bytes(b) => String::from_utf8_lossy(b).parse().unwrap_or(0),
            _ => 0,
        },
        expiry: time(row, 5)?,
        revoked_at: time(row, 6)?,
        pem: text(row, 7),
        issued_at: opt_time(row, 8)?,
        not_before: opt_time(row, 9)?,
        metadata: opt_text(row, 10),
        sans: opt_text(row, 11),
        common_name: opt_text(row, 12),
    })
}

fn ocsp(row: &Row) -> Result<OcspRecord> {
    Ok(OcspRecord {
        serial: text(row, 0),
        aki: text(row, 1),
        body: match value(row, 2) {
            Value::Bytes(b) => b.clone(),
            _ => Vec::new(),
        },
        expiry: time(row, 3)?,
    })
}

impl Mysql {
    /// Parses the data source; connections are made on first use.
    pub fn open(data_source: &str) -> Result<Mysql> {
        let opts = Opts::from(parse_dsn(data_source)?);
        let pool = mysql::Pool::new(opts).map_err(db_err)?;
        Ok(Mysql { pool })
    }

    fn conn(&self) -> Result<PooledConn> {
        self.pool.try_get_conn(CONNECT_WAIT).map_err(|e| {
            super::store_error(format!("cannot connect to the certificate database: {e}"))
        })
    }

    fn query<T>(
        &self,
        query: &str,
        params: Vec<Value>,
        map: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows: Vec<Row> = self
            .conn()?
            .exec(query, positional(params))
            .map_err(db_err)?;
        rows.iter().map(map).collect()
    }

    fn execute(&self, query: &str, params: Vec<Value>) -> Result<u64> {
        let mut conn = self.conn()?;
        conn.exec_drop(query, positional(params)).map_err(db_err)?;
        Ok(conn.affected_rows())
    }
}

fn positional(params: Vec<Value>) -> Params {
    if params.is_empty() {
        Params::Empty
    } else {
        Params::Positional(params)
    }
}

impl CertDb for Mysql {
    fn insert_certificate(&self, r: &CertificateRecord) -> Result<()> {
        let n = self.execute(
            sql::INSERT,
            vec![
                text_value(&r.serial),
                text_value(&r.aki),
                text_value(&r.ca_label),
                text_value(&r.status),
                Value::Int(r.reason),
                date(&r.expiry),
                date(&r.revoked_at),
                text_value(&r.pem),
                r.issued_at.as_ref().map_or(Value::NULL, date),
                r.not_before.as_ref().map_or(Value::NULL, date),
                opt_text_value(r.metadata.as_deref()),
                opt_text_value(r.sans.as_deref()),
                opt_text_value(r.common_name.as_deref()),
            ],
        )?;
        super::check_one_row(n, "certificate")
    }

    fn get_certificate(&self, serial: &str, aki: &str) -> Result<Vec<CertificateRecord>> {
        self.query(
            sql::SELECT_ONE,
            vec![text_value(serial), text_value(aki)],
            certificate,
        )
    }

    fn unexpired_certificates(&self) -> Result<Vec<CertificateRecord>> {
        self.query(sql::SELECT_UNEXPIRED, Vec::new(), certificate)
    }

    fn for_each_revoked_unexpired(
        &self,
        each: &mut dyn FnMut(RevokedEntry) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn()?;
        // Rows are read off the wire one by one: the CRL never holds them all.
        let result = conn
            .exec_iter(sql::SELECT_REVOKED_UNEXPIRED, Params::Empty)
            .map_err(db_err)?;
        for row in result {
            let row = row.map_err(db_err)?;
            each(RevokedEntry {
                serial: text(&row, 0),
                revoked_at: time(&row, 1)?,
            })?;
        }
        Ok(())
    }

    fn revoke(&self, serial: &str, aki: &str, reason: i64) -> Result<()> {
        let n = self.execute(
            sql::REVOKE,
            vec![Value::Int(reason), text_value(serial), text_value(aki)],
        )?;
        super::check_revoked_rows(n)
    }

    fn insert_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::INSERT_OCSP,
            vec![
                text_value(&r.serial),
                text_value(&r.aki),
                Value::Bytes(r.body.clone()),
                date(&r.expiry),
            ],
        )?;
        super::check_one_row(n, "OCSP")
    }

    fn update_ocsp(&self, r: &OcspRecord) -> Result<()> {
        let n = self.execute(
            sql::UPDATE_OCSP,
            vec![
                Value::Bytes(r.body.clone()),
                date(&r.expiry),
                text_value(&r.serial),
                text_value(&r.aki),
            ],
        )?;
        super::check_updated_ocsp_rows(n)
    }

    fn get_ocsp(&self, serial: &str, aki: &str) -> Result<Vec<OcspRecord>> {
        self.query(
            sql::SELECT_OCSP,
            vec![text_value(serial), text_value(aki)],
            ocsp,
        )
    }

    fn unexpired_ocsps(&self) -> Result<Vec<OcspRecord>> {
        self.query(sql::SELECT_UNEXPIRED_OCSP, Vec::new(), ocsp)
    }

    fn migrate(&self) -> Result<i64> {
        let mut conn = self.conn()?;
        super::run_migrations(&mut Schema(&mut conn), super::MYSQL_MIGRATIONS)
    }
}

struct Schema<'a>(&'a mut PooledConn);

impl SchemaConn for Schema<'_> {
    fn table_exists(&mut self, table: &str) -> Result<bool> {
        let rows: Vec<Row> = self
            .0
            .exec(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                (table,),
            )
            .map_err(db_err)?;
        Ok(!rows.is_empty())
    }

    fn column_exists(&mut self, table: &str, column: &str) -> Result<bool> {
        let rows: Vec<Row> = self
            .0
            .exec(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
                (table, column),
            )
            .map_err(db_err)?;
        Ok(!rows.is_empty())
    }

    fn create_goose_table(&mut self) -> Result<()> {
        self.0
            .query_drop(super::GOOSE_TABLE)
            .and_then(|_| self.0.query_drop(super::GOOSE_VERSION_0))
            .map_err(db_err)
    }

    fn goose_rows(&mut self) -> Result<Vec<(i64, bool)>> {
        let rows: Vec<(i64, bool)> = self
            .0
            .query("SELECT version_id, is_applied FROM goose_db_version ORDER BY id DESC")
            .map_err(db_err)?;
        Ok(rows)
    }

    /// MySQL commits DDL implicitly, so a step is its statements and then its goose row.
    fn apply(&mut self, version: i64, statements: &[String]) -> Result<()> {
        for s in statements {
            self.0.query_drop(s).map_err(db_err)?;
        }
        self.0
            .exec_drop(
                "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, true)",
                (version,),
            )
            .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_data_sources_parse() {
        let o = Opts::from(parse_dsn("root:pw@tcp(127.0.0.1:3307)/certdb?parseTime=true").unwrap());
        assert_eq!(o.get_user(), Some("root"));
        assert_eq!(o.get_pass(), Some("pw"));
        assert_eq!(o.get_tcp_port(), 3307);
        assert_eq!(o.get_db_name(), Some("certdb"));
        let o = Opts::from(parse_dsn("root@unix(/tmp/x.sock)/db").unwrap());
        assert_eq!(o.get_socket(), Some("/tmp/x.sock"));
        assert!(parse_dsn("no-slash").is_err());
        assert!(parse_dsn("root@tcp(h:1)/db?tls=true").is_err());
    }

    #[test]
    fn zero_time_is_mysqls_zero_date() {
        assert_eq!(
            date(&super::super::record::zero_time()),
            Value::Date(0, 0, 0, 0, 0, 0, 0)
        );
    }
}
