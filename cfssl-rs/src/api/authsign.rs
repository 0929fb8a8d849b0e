//! `POST /authsign`: `sign` for profiles with an `auth_key`; the body carries the sign
//! request (base64) and an HMAC token over its exact bytes (cfssl's `AuthHandler`).

use super::envelope::Reply;
use super::sign::{self, sign_and_reply};
use super::{decode_body, error::ApiError, App, Request};
use crate::gojson::{TypeErrors, Value};
use crate::log;

/// cfssl's `auth.AuthenticatedRequest`; `timestamp` and `remote_address` are read
/// (and type-checked) but the standard provider does not use them.
pub struct AuthenticatedRequest {
    pub token: Vec<u8>,
    pub request: Vec<u8>,
}

/// A Go `[]byte` field: a base64 string, or null.
fn bytes_field(te: &mut TypeErrors, v: &Value, field: &str) -> Vec<u8> {
    match v {
        Value::String(s) => match crate::gobase64::decode(s.as_bytes()) {
            Ok(b) => b,
            Err(at) => {
                te.other(format!("illegal base64 data at input byte {at}"));
                Vec::new()
            }
        },
        Value::Null => Vec::new(),
        other => {
            te.record(other, "AuthenticatedRequest", field, "[]uint8");
            Vec::new()
        }
    }
}

pub fn decode(v: &Value) -> Result<AuthenticatedRequest, String> {
    const ST: &str = "AuthenticatedRequest";
    let mut te = TypeErrors::default();
    let mut out = AuthenticatedRequest {
        token: Vec::new(),
        request: Vec::new(),
    };
    let Some(fields) = v.as_object() else {
        if *v != Value::Null {
            te.record(v, "", "", "auth.AuthenticatedRequest");
        }
        return te.into_result().map(|()| out);
    };
    for (k, val) in fields {
        let is = |name: &str| crate::gojson::go_equal_fold(k, name);
        if is("timestamp") {
            te.int(val, ST, "timestamp");
        } else if is("remote_address") {
            te.string(val, ST, "remote_address");
        } else if is("token") {
            out.token = bytes_field(&mut te, val, "token");
        } else if is("request") {
            out.request = bytes_field(&mut te, val, "request");
        }
    }
    te.into_result().map(|()| out)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    log::info("signature request received");
    let auth_req = decode_body(req.body, decode).map_err(|e| {
        log::error(&format!("failed to unmarshal authenticated request: {e}"));
        ApiError::bad_request(e)
    })?;
    let sign_req = decode_body(&auth_req.request, sign::decode).map_err(|e| {
        log::error(&format!(
            "failed to unmarshal request from authenticated request: {e}"
        ));
        ApiError::bad_request("Unable to parse authenticated sign request")
    })?;
    let signer = app.signer(&sign_req.sign.label)?;
    let profile = signer.policy().get(&sign_req.sign.profile);
    let Some(key) = &profile.auth else {
        log::error("profile has no authentication provider");
        return Err(ApiError::bad_request("no authentication provider"));
    };
    if !profile.token_valid(key, &auth_req.request, &auth_req.token) {
        log::warning("received authenticated request with invalid token");
        return Err(ApiError::bad_request("invalid token"));
    }
    if sign_req.sign.request.is_empty() {
        return Err(ApiError::bad_request(
            "missing parameter 'certificate_request'",
        ));
    }
    sign_and_reply(app, &sign_req, req.now, |e| {
        log::error(&format!("signature failed: {e}"))
    })
}
