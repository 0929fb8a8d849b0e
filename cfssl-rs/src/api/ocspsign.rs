//! `POST /ocspsign` (needs `-responder`): `{"certificate", "status", "reason",
//! "revoked_at", "issuer_hash"}` → `{"ocspResponse": base64 DER}` (spec §1.2).

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::gojson::{self, go_equal_fold, TypeErrors, Value};
use crate::log;
use crate::ocsp::{IssuerHash, SignRequest};
use base64::Engine as _;

/// cfssl's `jsonSignRequest`; `status` defaults to `good`, as on the command line.
struct OcspSignRequest {
    certificate: String,
    status: String,
    reason: i64,
    revoked_at: String,
    issuer_hash: String,
}

fn decode(body: &[u8]) -> Option<OcspSignRequest> {
    const ST: &str = "ocsp.jsonSignRequest";
    let v = gojson::parse(body).ok()?;
    let mut te = TypeErrors::default();
    let mut req = OcspSignRequest {
        certificate: String::new(),
        status: "good".into(),
        reason: 0,
        revoked_at: String::new(),
        issuer_hash: String::new(),
    };
    match &v {
        Value::Object(fields) => {
            for (k, val) in fields {
                if go_equal_fold(k, "reason") {
                    if let Some(r) = te.int(val, ST, k) {
                        req.reason = r;
                    }
                    continue;
                }
                let slot = if go_equal_fold(k, "certificate") {
                    &mut req.certificate
                } else if go_equal_fold(k, "status") {
                    &mut req.status
                } else if go_equal_fold(k, "revoked_at") {
                    &mut req.revoked_at
                } else if go_equal_fold(k, "issuer_hash") {
                    &mut req.issuer_hash
                } else {
                    continue;
                };
                if let Some(s) = te.string(val, ST, k) {
                    *slot = s;
                }
            }
        }
        Value::Null => {}
        _ => return None,
    }
    te.into_result().ok().map(|()| req)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let r =
        decode(req.body).ok_or_else(|| ApiError::bad_request("Unable to parse sign request"))?;
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
