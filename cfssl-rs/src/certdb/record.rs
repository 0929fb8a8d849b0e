//! The rows of cfssl's certificate store and every value encoding in them, so that a
//! database written by cfssl 1.6.5 reads back here and the reverse: serials in decimal,
//! authority key ids in lower-case hex, `good`/`revoked`, the zero time for "never",
//! `null` metadata, DNS names only in `sans`, and SQLite's text timestamps as Go's
//! sqlite3 driver writes and parses them.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use x509_parser::prelude::*;

pub const STATUS_GOOD: &str = "good";
pub const STATUS_REVOKED: &str = "revoked";

/// One row of `certificates`. Columns that version 1 of the schema lacks, or that a
/// foreign writer left NULL, are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRecord {
    pub serial: String,
    pub aki: String,
    pub ca_label: String,
    pub status: String,
    pub reason: i64,
    pub expiry: DateTime<Utc>,
    pub revoked_at: DateTime<Utc>,
    pub pem: String,
    pub issued_at: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    /// JSON text, as stored (`null` when the request had none).
    pub metadata: Option<String>,
    /// JSON list of the certificate's DNS names (`null` when it has none).
    pub sans: Option<String>,
    pub common_name: Option<String>,
}

/// One row of `ocsp_responses`: a DER OCSP response for a certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct OcspRecord {
    pub serial: String,
    pub aki: String,
    pub body: Vec<u8>,
    pub expiry: DateTime<Utc>,
}

/// What a CRL needs of a revoked row.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokedEntry {
    pub serial: String,
    pub revoked_at: DateTime<Utc>,
}

/// Go's zero `time.Time` (0001-01-01 00:00:00 UTC): cfssl's "not revoked".
pub fn zero_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl CertificateRecord {
    /// The row cfssl's local signer writes for a certificate it just issued: status
    /// good, reason 0, never revoked, issued now. `metadata` is the sign request's
    /// metadata object as JSON (`None` = absent, stored as `null`).
    pub fn issued(
        der: &[u8],
        ca_label: &str,
        metadata: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CertificateRecord> {
        let failed = || Error::coded(1003, "Failed to parse certificate");
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| failed())?;
        let aki = cert
            .extensions()
            .iter()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| hex_lower(k.0))
                }
                _ => None,
            })
            .unwrap_or_default();
        let mut dns: Vec<String> = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for gn in &san.value.general_names {
                if let GeneralName::DNSName(d) = gn {
                    dns.push((*d).to_string());
                }
            }
        }
        // Go keeps the last CN of the subject in pkix.Name.CommonName.
        let common_name = cert
            .subject()
            .iter_common_name()
            .last()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_string();
        let sans = if dns.is_empty() {
            "null".to_string()
        } else {
            serde_json::to_string(&dns).map_err(|e| Error::plain(e.to_string()))?
        };
        Ok(CertificateRecord {
            serial: crate::signer::serial_decimal(cert.raw_serial()),
            aki,
            ca_label: ca_label.to_string(),
            status: STATUS_GOOD.to_string(),
            reason: 0,
            expiry: asn1_time(cert.validity().not_after),
            revoked_at: zero_time(),
            pem: crate::output::pem("CERTIFICATE", der),
            issued_at: Some(now),
            not_before: Some(asn1_time(cert.validity().not_before)),
            metadata: Some(metadata.unwrap_or("null").to_string()),
            sans: Some(sans),
            common_name: Some(common_name),
        })
    }
}

fn asn1_time(t: ASN1Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or_else(zero_time)
}

pub fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A serial as a client hands it to `revoke`, `certinfo` or the API: decimal digits
/// only. Anything else is refused before it reaches SQL, with a message naming it.
pub fn check_serial(serial: &str) -> Result<()> {
    if serial.is_empty() || serial.len() > 128 || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::plain(format!(
            "serial number {} is not a decimal number",
            crate::gojson::go_quote(&truncated(serial))
        )));
    }
    Ok(())
}

/// An authority key id as cfssl stores it: hex digits, an even number of them.
pub fn check_aki(aki: &str) -> Result<()> {
    if aki.is_empty()
        || aki.len() > 128
        || !aki.len().is_multiple_of(2)
        || !aki.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(Error::plain(format!(
            "authority key id {} is not a hex string",
            crate::gojson::go_quote(&truncated(aki))
        )));
    }
    Ok(())
}

fn truncated(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// A timestamp as Go's sqlite3 driver writes it: `2006-01-02 15:04:05.999999999-07:00`
/// in UTC, fraction without trailing zeros (none at all on whole seconds).
pub fn sqlite_time(t: &DateTime<Utc>) -> String {
    let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str("+00:00");
    s
}

/// Reads a SQLite text timestamp in any layout Go's sqlite3 driver accepts (its own
/// output, SQLite's `CURRENT_TIMESTAMP`, ISO 8601 with `T` and `Z`).
pub fn parse_sqlite_time(text: &str) -> Result<DateTime<Utc>> {
    let s = text.trim().trim_end_matches('Z');
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%:z"))
    {
        return Ok(t.with_timezone(&Utc));
    }
    for layout in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, layout) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    Err(Error::coded(
        11000,
        format!(
            "unparsable timestamp {} in the certificate database",
            crate::gojson::go_quote(text)
        ),
    ))
}

/// cfssl's revocation reasons (RFC 5280 CRLReason), as `revoke` and `/revoke` accept
/// them: a name in any case, or a number from 1 to 9. An empty reason is 0.
pub fn reason_code(reason: &str) -> std::result::Result<i64, ReasonError> {
    const NAMES: [&str; 11] = [
        "unspecified",
        "keycompromise",
        "cacompromise",
        "affiliationchanged",
        "superseded",
        "cessationofoperation",
        "certificatehold",
        "",
        "removefromcrl",
        "privilegewithdrawn",
        "aacompromise",
    ];
    if reason.is_empty() {
        return Ok(0);
    }
    let lower = reason.to_lowercase();
    if let Some(i) = NAMES.iter().position(|n| !n.is_empty() && *n == lower) {
        return Ok(i as i64);
    }
    let n = go_atoi(reason)?;
    if n <= 0 || n >= 10 {
        return Err(ReasonError::OutOfRange);
    }
    Ok(n)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReasonError {
    /// Not a name and not a number: Go's `strconv.Atoi` text.
    #[error("{0}")]
    Syntax(String),
    #[error("{}", Error::coded(8200, "Invalid revocation status"))]
    OutOfRange,
}

impl From<ReasonError> for Error {
    fn from(e: ReasonError) -> Error {
        match e {
            ReasonError::Syntax(m) => Error::Plain(m),
            ReasonError::OutOfRange => Error::coded(8200, "Invalid revocation status"),
        }
    }
}

/// `strconv.Atoi`: optional sign, decimal digits, 64-bit range.
fn go_atoi(s: &str) -> std::result::Result<i64, ReasonError> {
    let quoted = crate::gojson::go_quote(s);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReasonError::Syntax(format!(
            "strconv.Atoi: parsing {quoted}: invalid syntax"
        )));
    }
    s.parse::<i64>().map_err(|_| {
        ReasonError::Syntax(format!(
            "strconv.Atoi: parsing {quoted}: value out of range"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_round_trip_in_go_layout() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 9, 54, 44).unwrap();
        assert_eq!(sqlite_time(&t), "2026-12-01 09:54:44+00:00");
        let t2 = t + chrono::Duration::nanoseconds(743_494_930);
        assert_eq!(sqlite_time(&t2), "2026-12-01 09:54:44.74349493+00:00");
        assert_eq!(parse_sqlite_time(&sqlite_time(&t2)).unwrap(), t2);
        assert_eq!(parse_sqlite_time("2026-12-01 09:54:44").unwrap(), t);
        assert_eq!(parse_sqlite_time("2026-12-01T09:54:44Z").unwrap(), t);
        assert_eq!(
            sqlite_time(&zero_time()),
            "0001-01-01 00:00:00+00:00",
            "cfssl's never-revoked value"
        );
        assert!(parse_sqlite_time("yesterday").is_err());
    }

    #[test]
    fn reasons_follow_cfssl() {
        assert_eq!(reason_code("keyCompromise"), Ok(1));
        assert_eq!(reason_code("SUPERSEDED"), Ok(4));
        assert_eq!(reason_code("aacompromise"), Ok(10));
        assert_eq!(reason_code(""), Ok(0));
        assert_eq!(reason_code("9"), Ok(9));
        assert_eq!(reason_code("7"), Ok(7));
        assert_eq!(reason_code("0"), Err(ReasonError::OutOfRange));
        assert_eq!(reason_code("10"), Err(ReasonError::OutOfRange));
        assert_eq!(
            reason_code("nonsense").unwrap_err().to_string(),
            "strconv.Atoi: parsing \"nonsense\": invalid syntax"
        );
        assert_eq!(
            ReasonError::OutOfRange.to_string(),
            r#"{"code":8200,"message":"Invalid revocation status"}"#
        );
    }

    #[test]
    fn serials_and_key_ids_are_checked() {
        assert!(check_serial("257150434161570414632724938478945186404166232775").is_ok());
        assert!(check_serial("1; DROP TABLE certificates").is_err());
        assert!(check_serial("").is_err());
        assert!(check_serial("-5").is_err());
        assert!(check_aki("c805d5c68ccf5c2cc59017ec3940875e8c47d81c").is_ok());
        assert!(check_aki("c805' OR '1'='1").is_err());
        assert!(check_aki("abc").is_err());
    }
}
