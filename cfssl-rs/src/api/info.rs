//! `POST /info`: the signer's CA certificate and a profile's usages and expiry.

use super::envelope::Reply;
use super::{decode_body, error::ApiError, App, Request};
use crate::gojson::{TypeErrors, Value};
use crate::log;
use crate::signer::InfoRequest;

/// cfssl's `info.Req`.
pub fn decode(v: &Value) -> Result<InfoRequest, String> {
    let mut te = TypeErrors::default();
    let mut req = InfoRequest::default();
    if let Some(label) = v.field("label") {
        req.label = te.string(label, "Req", "label").unwrap_or_default();
    }
    if let Some(profile) = v.field("profile") {
        req.profile = te.string(profile, "Req", "profile").unwrap_or_default();
    }
    if !matches!(v, Value::Object(_) | Value::Null) {
        te.record(v, "", "", "info.Req");
    }
    te.into_result().map(|()| req)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let info_req = decode_body(req.body, decode).map_err(|e| {
        log::warning(&format!("failed to unmarshal request: {e}"));
        ApiError::bad_request(e)
    })?;
    let info = app.signer(&info_req.label)?.info(&info_req)?;
    Ok(Reply::new(info_value(&info)))
}

/// cfssl's `info.Resp` as JSON.
pub fn info_value(info: &crate::signer::Info) -> Value {
    Value::object([
        ("certificate", Value::string(&info.certificate)),
        ("usages", Value::strings(&info.usages)),
        ("expiry", Value::string(&info.expiry)),
    ])
}
