//! OCSP as cfssl does it (spec §5): the signer that turns a certificate and a status
//! into a signed response (`signer`), the DER of requests and responses (`message`), and
//! the responder's lookup logic behind `cfssl ocspserve` (`responder`).
//!
//! Sync like the rest of the library: `ocspserve` and `serve` put HTTP around it.

pub mod message;
pub mod responder;
pub mod signer;

pub use message::{parse_request, parse_response, ParsedResponse, Request};
pub use responder::{Answer, Method, Source};
pub use signer::{SignRequest, Signer};

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};

/// A certificate's status in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked,
    Unknown,
}

impl CertStatus {
    /// cfssl's `StatusCode` map: exactly these three lower-case names.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "good" => Ok(Self::Good),
            "revoked" => Ok(Self::Revoked),
            "unknown" => Ok(Self::Unknown),
            _ => Err(invalid_status()),
        }
    }
}

/// The hash of the CertID (issuer name and key hashes). MD5 is accepted by the API's
/// `issuer_hash` name table but refused when signing, as in cfssl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssuerHash {
    Md5,
    #[default]
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl IssuerHash {
    /// The `issuer_hash` names of the `ocspsign` endpoint (upper case, exact).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "MD5" => Some(Self::Md5),
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA384" => Some(Self::Sha384),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn oid(self) -> Option<&'static str> {
        match self {
            Self::Md5 => None,
            Self::Sha1 => Some("1.3.14.3.2.26"),
            Self::Sha256 => Some("2.16.840.1.101.3.4.2.1"),
            Self::Sha384 => Some("2.16.840.1.101.3.4.2.2"),
            Self::Sha512 => Some("2.16.840.1.101.3.4.2.3"),
        }
    }

    fn from_oid(oid: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.oid() == Some(oid))
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Self::Md5 => md5::Md5::digest(data).to_vec(),
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

fn invalid_status() -> Error {
    Error::coded(8200, "Invalid revocation status")
}

/// cfssl's `ReasonStringToCode`: empty is 0; a CRLReason name (any case); otherwise a
/// number, which must lie strictly between 0 and 10 (so `0`, `10` and `7` as a number
/// differ from their names: cfssl's range check, kept for the same answers).
pub fn reason_code(reason: &str) -> Result<i64> {
    if reason.is_empty() {
        return Ok(0);
    }
    let named = match reason.to_lowercase().as_str() {
        "unspecified" => Some(0),
        "keycompromise" => Some(1),
        "cacompromise" => Some(2),
        "affiliationchanged" => Some(3),
        "superseded" => Some(4),
        "cessationofoperation" => Some(5),
        "certificatehold" => Some(6),
        "removefromcrl" => Some(8),
        "privilegewithdrawn" => Some(9),
        "aacompromise" => Some(10),
        _ => None,
    };
    if let Some(code) = named {
        return Ok(code);
    }
    let code = go_atoi(reason)?;
    if code >= 10 || code <= 0 {
        return Err(invalid_status());
    }
    Ok(code)
}

/// `strconv.Atoi` with its error text.
fn go_atoi(s: &str) -> Result<i64> {
    let quoted = crate::gojson::go_quote(s);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::plain(format!(
            "strconv.Atoi: parsing {quoted}: invalid syntax"
        )));
    }
    s.parse::<i64>().map_err(|_| {
        Error::plain(format!(
            "strconv.Atoi: parsing {quoted}: value out of range"
        ))
    })
}

/// Go's `time.Parse("2006-01-02", s)` (midnight UTC), with its error texts.
pub fn parse_date(s: &str) -> Result<DateTime<Utc>> {
    let quoted = crate::gojson::go_quote(s);
    let cannot = |rest: &str, elem: &str| {
        Error::plain(format!(
            "parsing time {quoted} as \"2006-01-02\": cannot parse {} as \"{elem}\"",
            crate::gojson::go_quote(rest)
        ))
    };
    let digits = |at: usize, n: usize, elem: &str| -> Result<u32> {
        let part = s
            .get(at..at + n)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        part.and_then(|p| p.parse().ok())
            .ok_or_else(|| cannot(s.get(at..).unwrap_or(""), elem))
    };
    let dash = |at: usize| -> Result<()> {
        match s.get(at..at + 1) {
            Some("-") => Ok(()),
            _ => Err(cannot(s.get(at..).unwrap_or(""), "-")),
        }
    };
    let year = digits(0, 4, "2006")?;
    dash(4)?;
    let month = digits(5, 2, "01")?;
    dash(7)?;
    let day = digits(8, 2, "02")?;
    if s.len() > 10 {
        return Err(Error::plain(format!(
            "parsing time {quoted}: extra text: {}",
            crate::gojson::go_quote(&s[10..])
        )));
    }
    if !(1..=12).contains(&month) {
        return Err(Error::plain(format!(
            "parsing time {quoted}: month out of range"
        )));
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| Error::plain(format!("parsing time {quoted}: day out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_like_go() {
        assert_eq!(
            parse_date("2025-02-03").unwrap().to_rfc3339(),
            "2025-02-03T00:00:00+00:00"
        );
        let e = |s: &str| parse_date(s).unwrap_err().to_string();
        assert_eq!(
            e("yesterday"),
            r#"parsing time "yesterday" as "2006-01-02": cannot parse "yesterday" as "2006""#
        );
        assert_eq!(
            e("2025/02/03"),
            r#"parsing time "2025/02/03" as "2006-01-02": cannot parse "/02/03" as "-""#
        );
        assert_eq!(
            e("2025-13-01"),
            r#"parsing time "2025-13-01": month out of range"#
        );
        assert_eq!(
            e("2025-02-30"),
            r#"parsing time "2025-02-30": day out of range"#
        );
        assert_eq!(
            e("2025-02-03T00"),
            r#"parsing time "2025-02-03T00": extra text: "T00""#
        );
    }

    #[test]
    fn reasons_parse_like_cfssl() {
        assert_eq!(reason_code("").unwrap(), 0);
        assert_eq!(reason_code("keyCompromise").unwrap(), 1);
        assert_eq!(reason_code("AACompromise").unwrap(), 10);
        assert_eq!(reason_code("unspecified").unwrap(), 0);
        assert_eq!(reason_code("3").unwrap(), 3);
        assert_eq!(reason_code("+3").unwrap(), 3);
        assert_eq!(reason_code("7").unwrap(), 7);
        for bad in ["0", "10", "-1", "11"] {
            assert_eq!(
                reason_code(bad).unwrap_err().to_string(),
                r#"{"code":8200,"message":"Invalid revocation status"}"#
            );
        }
        assert_eq!(
            reason_code("bogus").unwrap_err().to_string(),
            r#"strconv.Atoi: parsing "bogus": invalid syntax"#
        );
        assert_eq!(
            reason_code("99999999999999999999").unwrap_err().to_string(),
            r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#
        );
    }

    #[test]
    fn statuses_and_hash_names() {
        assert_eq!(
            CertStatus::from_name("revoked").unwrap(),
            CertStatus::Revoked
        );
        assert!(CertStatus::from_name("Good").is_err());
        assert_eq!(IssuerHash::from_name("SHA256"), Some(IssuerHash::Sha256));
        assert_eq!(IssuerHash::from_name("sha256"), None);
        assert_eq!(
            IssuerHash::from_oid("1.3.14.3.2.26"),
            Some(IssuerHash::Sha1)
        );
    }
}
