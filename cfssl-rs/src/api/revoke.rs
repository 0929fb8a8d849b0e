//! `POST /revoke` (needs `-db-config`): `{"serial", "authority_key_id", "reason"}` marks
//! a stored certificate revoked; the result is `{}`.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::certdb::record;
use crate::gojson::{self, go_equal_fold, TypeErrors, Value};

/// cfssl's `jsonRevokeRequest`.
#[derive(Debug, Default)]
struct RevokeRequest {
    serial: String,
    aki: String,
    reason: String,
}

/// Go's `json.Unmarshal` into `jsonRevokeRequest` (hand-written: serde matches keys
/// case-sensitively and refuses repeated keys and `null` strings, which Go accepts).
fn decode(body: &[u8]) -> Result<RevokeRequest, String> {
    const ST: &str = "jsonRevokeRequest";
    let v = gojson::parse(body)?;
    let mut te = TypeErrors::default();
    let mut req = RevokeRequest::default();
    for (k, val) in te.struct_fields(&v, "revoke.jsonRevokeRequest") {
        let is = |name: &str| go_equal_fold(k, name);
        let (slot, name) = match () {
            _ if is("serial") => (&mut req.serial, "serial"),
            _ if is("authority_key_id") => (&mut req.aki, "authority_key_id"),
            _ if is("reason") => (&mut req.reason, "reason"),
            _ => continue,
        };
        if let Some(s) = te.string(val, ST, name) {
            *slot = s;
        }
    }
    te.into_result().map(|()| req)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let r = decode(req.body)
        .map_err(|_| ApiError::bad_request("Unable to parse revocation request"))?;
    if r.serial.is_empty() {
        return Err(ApiError::bad_request(
            "serial number is required but not provided",
        ));
    }
    let reason =
        record::reason_code(&r.reason).map_err(|_| ApiError::bad_request("Invalid reason code"))?;
    let bad = |e: crate::Error| ApiError::bad_request(e.message());
    record::check_serial(&r.serial).map_err(bad)?;
    // An empty key id matches no row: cfssl's "certificate not found".
    if !r.aki.is_empty() {
        record::check_aki(&r.aki).map_err(bad)?;
    }
    let db = app
        .db
        .as_deref()
        .ok_or_else(|| ApiError::Other("cert db not configured (missing -db-config)".into()))?;
    db.revoke(&r.serial, &r.aki, reason)?;
    if let (true, Some(ocsp)) = (app.db_ocsp, app.ocsp.as_deref()) {
        store_revoked(db, ocsp, &r.serial, &r.aki, req.now)?;
    }
    Ok(Reply::new(Value::Object(Vec::new())))
}

/// `serve -db-ocsp`: the revoked row's response (its reason and the revocation time the
/// database recorded) replaces the stored one. A certificate of another issuer has no
/// response from this responder, and keeps whatever it had.
fn store_revoked(
    db: &dyn crate::certdb::CertDb,
    ocsp: &crate::ocsp::Signer,
    serial: &str,
    aki: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    for row in db.get_certificate(serial, aki)? {
        let cert = crate::ca::parse_cert_pem(row.pem.as_bytes())?;
        let mut sign = crate::ocsp::SignRequest::new(&cert.der, &row.status);
        sign.reason = row.reason;
        sign.revoked_at = row.revoked_at;
        match ocsp.sign_into(db, &sign, now) {
            Err(crate::Error::Coded { code: 8100, .. }) => crate::log::warning(&format!(
                "no OCSP response stored for revoked serial {serial}: not issued by the responder's CA"
            )),
            other => {
                other?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_decode_as_go_does() {
        let r = decode(br#"{"Serial":"1","serial":null,"AUTHORITY_KEY_ID":"ab","reason":"keyCompromise","x":2}"#).unwrap();
        assert_eq!(r.serial, "1", "null leaves a string field as it was");
        assert_eq!(r.aki, "ab");
        assert_eq!(r.reason, "keyCompromise");
        assert_eq!(decode(b"null").unwrap().serial, "");
        for bad in [
            &b"[]"[..],
            b"\"s\"",
            b"{",
            br#"{"serial":1}"#,
            br#"{"reason":1}"#,
            br#"{"authority_key_id":["ab"]}"#,
        ] {
            assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
