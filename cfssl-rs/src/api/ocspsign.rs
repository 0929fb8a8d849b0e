//! `POST /ocspsign` (needs `-responder`): `{"certificate", "status", "reason",
//! "revoked_at", "issuer_hash"}` → `{"ocspResponse": base64 DER}` (spec §1.2).

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::gojson::{self, go_equal_fold, TypeErrors, Value};
use crate::log;
use crate::ocsp::{IssuerHash, SignRequest};
use base64::Engine as _;

/// cfssl's `jsonSignRequest`; `status` defaults to `good`, as on the command line.
#[derive(Debug, Default)]
struct OcspSignRequest {
    certificate: String,
    status: String,
    reason: i64,
    revoked_at: String,
    issuer_hash: String,
}

/// Go's `json.Unmarshal` into `jsonSignRequest` (hand-written: serde matches keys
/// case-sensitively and refuses repeated keys and `null` strings, which Go accepts).
fn decode(body: &[u8]) -> Result<OcspSignRequest, String> {
    const ST: &str = "jsonSignRequest";
    let v = gojson::parse(body)?;
    let mut te = TypeErrors::default();
    let mut req = OcspSignRequest {
        status: "good".into(),
        ..OcspSignRequest::default()
    };
    for (k, val) in te.struct_fields(&v, "ocsp.jsonSignRequest") {
        let is = |name: &str| go_equal_fold(k, name);
        if is("reason") {
            if let Some(r) = te.int(val, ST, "reason") {
                req.reason = r;
            }
            continue;
        }
        let (slot, name) = match () {
            _ if is("certificate") => (&mut req.certificate, "certificate"),
            _ if is("status") => (&mut req.status, "status"),
            _ if is("revoked_at") => (&mut req.revoked_at, "revoked_at"),
            _ if is("issuer_hash") => (&mut req.issuer_hash, "issuer_hash"),
            _ => continue,
        };
        if let Some(s) = te.string(val, ST, name) {
            *slot = s;
        }
    }
    te.into_result().map(|()| req)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let r = decode(req.body).map_err(|_| ApiError::bad_request("Unable to parse sign request"))?;
    let cert = crate::ca::parse_cert_pem(r.certificate.as_bytes()).map_err(|e| {
        // cfssl's log.Error joins its two arguments without a space.
        log::error(&format!("Error from ParseCertificatePEM{e}"));
        ApiError::bad_request("Malformed certificate")
    })?;
    let now = chrono::Utc::now();
    let mut sign = SignRequest::new(&cert.der, &r.status);
    if r.status == "revoked" {
        sign.reason = r.reason;
        sign.revoked_at = match r.revoked_at.as_str() {
            "" | "now" => now,
            date => crate::ocsp::parse_date(date)
                .map_err(|_| ApiError::bad_request("Malformed revocation time"))?,
        };
    }
    if !r.issuer_hash.is_empty() {
        sign.issuer_hash = IssuerHash::from_name(&r.issuer_hash)
            .ok_or_else(|| ApiError::bad_request("Unsupported hash algorithm in request"))?;
    }
    let signer = app
        .ocsp
        .as_deref()
        .ok_or_else(|| ApiError::Other("signer not initialized".into()))?;
    let der = signer.sign(&sign, now)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    Ok(Reply::new(Value::Object(vec![(
        "ocspResponse".into(),
        Value::String(b64),
    )])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_decode_as_go_does() {
        let r = decode(br#"{"CERTIFICATE":"c","status":null,"Reason":4,"revoked_at":"now","revoked_at":null,"issuer_hash":"SHA256","other":[1]}"#).unwrap();
        assert_eq!(r.certificate, "c");
        assert_eq!(r.status, "good");
        assert_eq!(r.reason, 4);
        assert_eq!(r.revoked_at, "now");
        assert_eq!(r.issuer_hash, "SHA256");
        assert_eq!(decode(b"null").unwrap().status, "good");
        for bad in [
            &b"[]"[..],
            b"",
            b"{} x",
            br#"{"reason":"1"}"#,
            br#"{"reason":1.0}"#,
            br#"{"status":1}"#,
            br#"{"certificate":{}}"#,
        ] {
            assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
