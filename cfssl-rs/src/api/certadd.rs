//! `POST /certadd`: stores a certificate issued elsewhere in the database, after checking
//! that the request's serial, authority key id and expiry are the certificate's own
//! (cfssl's `api/certadd`). The result is `{}`; with `serve -db-ocsp` the response the
//! OCSP signer made for it is stored too and returned as `{"ocsp_response": base64}`.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::certdb::record::{self, CertificateRecord};
use crate::gojson::{self, go_equal_fold, TypeErrors, Value};
use base64::Engine as _;
use chrono::{DateTime, Utc};

/// cfssl's `AddRequest`. Absent times are Go's zero time; `metadata` and `sans` are the
/// JSON values as sent (Go's `types.JSONText`, stored as `{}` when absent).
#[derive(Default)]
struct AddRequest {
    serial: String,
    aki: String,
    ca_label: String,
    status: String,
    reason: i64,
    expiry: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    pem: String,
    issued_at: Option<DateTime<Utc>>,
    not_before: Option<DateTime<Utc>>,
    metadata: Option<String>,
    sans: Option<String>,
    common_name: String,
}

/// Go's `json.Unmarshal` into `AddRequest`: any mismatch fails the whole request.
/// Hand-written: serde matches keys case-sensitively and refuses repeated keys and
/// `null` strings, which Go accepts.
fn decode(body: &[u8]) -> Result<AddRequest, String> {
    const ST: &str = "AddRequest";
    let (v, raw) = gojson::parse_with_raw_fields(body)?;
    let mut te = TypeErrors::default();
    let mut req = AddRequest::default();
    // time.Time's own decoder, whose failure ends decoding at once. cfssl answers every
    // decoding failure with one message, so the texts here are never shown.
    let time = |val: &Value| -> Option<Option<DateTime<Utc>>> {
        match val {
            Value::Null => Some(None),
            Value::String(s) => crate::config::parse_rfc3339(s).ok().map(Some),
            _ => None,
        }
    };
    let fields = te.struct_fields(&v, "certadd.AddRequest");
    for ((k, val), raw) in fields.iter().zip(raw) {
        let key = |name: &str| go_equal_fold(k, name);
        if key("reason") {
            if let Some(r) = te.int(val, ST, "reason") {
                req.reason = r;
            }
        } else if key("expiry") || key("revoked_at") || key("issued_at") || key("not_before") {
            let t = time(val).ok_or_else(|| format!("{k}: not an RFC 3339 time"))?;
            let slot = match () {
                _ if key("expiry") => &mut req.expiry,
                _ if key("revoked_at") => &mut req.revoked_at,
                _ if key("issued_at") => &mut req.issued_at,
                _ => &mut req.not_before,
            };
            // `null` leaves a time.Time as it was, and sets a *time.Time to nil.
            if t.is_some() || key("issued_at") || key("not_before") {
                *slot = t;
            }
        } else if key("metadata") || key("sans") {
            // sqlx's JSONText keeps the value exactly as sent.
            let text = String::from_utf8_lossy(raw).into_owned();
            match key("metadata") {
                true => req.metadata = Some(text),
                false => req.sans = Some(text),
            }
        } else {
            let (slot, name) = match () {
                _ if key("serial_number") => (&mut req.serial, "serial_number"),
                _ if key("authority_key_identifier") => (&mut req.aki, "authority_key_identifier"),
                _ if key("ca_label") => (&mut req.ca_label, "ca_label"),
                _ if key("status") => (&mut req.status, "status"),
                _ if key("pem") => (&mut req.pem, "pem"),
                _ if key("common_name") => (&mut req.common_name, "common_name"),
                _ => continue,
            };
            if let Some(s) = te.string(val, ST, name) {
                *slot = s;
            }
        }
    }
    te.into_result().map(|()| req)
}

/// The CRLReason values x/crypto/ocsp names (7 is unassigned).
fn valid_reason(reason: i64) -> bool {
    matches!(reason, 0..=6 | 8..=10)
}

/// A time that is Go's zero `time.Time` (absent or written as year 1).
fn is_zero(t: Option<DateTime<Utc>>) -> bool {
    t.is_none_or(|t| t == record::zero_time())
}

/// `big.Int.SetString(s, 10)`'s syntax: an optional sign, then decimal digits. The value
/// is returned without leading zeros (`None` for text that is not a number).
fn canonical_decimal(s: &str) -> Option<(bool, String)> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let value = if trimmed.is_empty() { "0" } else { trimmed };
    Some((negative && value != "0", value.to_string()))
}

/// Go's `hex.DecodeString` accepts exactly this: pairs of hex digits, either case.
fn hex_lower(s: &str) -> Option<String> {
    (s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| s.to_ascii_lowercase())
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let bad = ApiError::bad_request;
    let r = decode(req.body).map_err(|_| bad("Unable to parse certificate addition request"))?;
    if r.serial.is_empty() {
        return Err(bad("Serial number is required but not provided"));
    }
    if r.aki.is_empty() {
        return Err(bad("Authority key identifier is required but not provided"));
    }
    if crate::ocsp::CertStatus::from_name(&r.status).is_err() {
        return Err(bad("Invalid certificate status"));
    }
    if r.status == record::STATUS_REVOKED {
        if is_zero(r.revoked_at) {
            return Err(bad(
                "Revoked certificate should specify when it was revoked",
            ));
        }
        if !valid_reason(r.reason) {
            return Err(bad("Invalid certificate status reason code"));
        }
    }
    if r.pem.is_empty() {
        return Err(bad("The provided certificate is empty"));
    }
    let expiry = match r.expiry {
        Some(t) if !is_zero(Some(t)) => t,
        _ => return Err(bad("Expiry is required but not provided")),
    };
    let unparsable = || bad("Unable to parse PEM encoded certificates");
    let cert = crate::ca::parse_cert_pem(r.pem.as_bytes()).map_err(|_| unparsable())?;
    // The certificate's own serial, AKI and notAfter, read as the signer records them.
    let own = CertificateRecord::issued(&cert.der, &r.ca_label, None, req.now)
        .map_err(|_| unparsable())?;
    let (negative, serial) =
        canonical_decimal(&r.serial).ok_or_else(|| bad("Unable to parse serial key of request"))?;
    if negative || serial != own.serial {
        return Err(bad("Serial key of request and certificate do not match"));
    }
    let aki = hex_lower(&r.aki).ok_or_else(|| bad("Unable to decode authority key identifier"))?;
    if aki != own.aki {
        return Err(bad(
            "Authority key identifier of request and certificate do not match",
        ));
    }
    if expiry != own.expiry {
        return Err(bad("Expiry of request and certificate do not match"));
    }

    let row = CertificateRecord {
        status: r.status.clone(),
        reason: r.reason,
        revoked_at: r.revoked_at.unwrap_or_else(record::zero_time),
        pem: r.pem.clone(),
        issued_at: r.issued_at,
        not_before: r.not_before,
        metadata: Some(r.metadata.unwrap_or_else(|| "{}".into())),
        sans: Some(r.sans.unwrap_or_else(|| "{}".into())),
        common_name: (!r.common_name.is_empty()).then_some(r.common_name),
        ..own
    };
    let db = app.db.as_deref().ok_or_else(|| {
        ApiError::from(crate::certdb::store_error(
            "unknown db object, please check SetDB method",
        ))
    })?;
    db.insert_certificate(&row)?;
    let mut result = Vec::new();
    if let (true, Some(ocsp)) = (app.db_ocsp, app.ocsp.as_deref()) {
        let mut sign = crate::ocsp::SignRequest::new(&cert.der, &row.status);
        sign.reason = row.reason;
        sign.revoked_at = row.revoked_at;
        let body = ocsp.sign_into(db, &sign, req.now)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(body);
        result.push(("ocsp_response".to_string(), Value::String(b64)));
    }
    Ok(Reply::new(Value::Object(result)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_decode_as_go_does() {
        let r = decode(br#"{"SERIAL_NUMBER":"1","reason":4,"expiry":"2030-01-02T03:04:05Z","issued_at":null,"metadata":{"a": [1, "x"]},"common_name":null}"#).unwrap();
        assert_eq!(r.serial, "1");
        assert_eq!(r.reason, 4);
        assert_eq!(r.expiry.unwrap().to_rfc3339(), "2030-01-02T03:04:05+00:00");
        assert_eq!(r.issued_at, None);
        assert_eq!(r.metadata.as_deref(), Some(r#"{"a": [1, "x"]}"#));
        assert_eq!(r.sans, None);
        assert!(decode(b"null").is_ok());
        for bad in [
            &b"[]"[..],
            b"x",
            br#"{"reason":"1"}"#,
            br#"{"reason":1.5}"#,
            br#"{"serial_number":5}"#,
            br#"{"expiry":"2030-01-02"}"#,
            br#"{"revoked_at":17}"#,
        ] {
            assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn serials_and_key_ids_follow_go_syntax() {
        assert_eq!(canonical_decimal("0042"), Some((false, "42".into())));
        assert_eq!(canonical_decimal("+7"), Some((false, "7".into())));
        assert_eq!(canonical_decimal("-7"), Some((true, "7".into())));
        assert_eq!(canonical_decimal("-0"), Some((false, "0".into())));
        for bad in ["", "+", "x1", "1 ", "0x10", "1_0"] {
            assert_eq!(canonical_decimal(bad), None, "{bad}");
        }
        assert_eq!(hex_lower("ABcd").as_deref(), Some("abcd"));
        assert_eq!(hex_lower("abc"), None);
        assert_eq!(hex_lower("zz"), None);
        assert!(valid_reason(0) && valid_reason(10) && valid_reason(8));
        assert!(!valid_reason(7) && !valid_reason(11) && !valid_reason(-1));
    }
}
