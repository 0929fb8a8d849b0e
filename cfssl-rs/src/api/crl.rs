//! `GET /crl[?expiry=DURATION]` (needs `-db-config` and a signer): a CRL of the
//! database's revoked, unexpired certificates, base64 DER, next update in 7 days unless
//! `expiry` says otherwise.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::gojson::Value;
use crate::log;
use base64::Engine;

fn query_value(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let (Some(db), Some(local)) = (app.db.as_deref(), app.local.as_deref()) else {
        return Err(ApiError::Other(
            "cert db not configured (missing -db-config)".into(),
        ));
    };
    let mut lifetime = chrono::Duration::days(7);
    if let Some(text) = query_value(req.query, "expiry").filter(|t| !t.is_empty()) {
        log::info(&format!("requested expiry time of {text}"));
        lifetime =
            chrono::Duration::nanoseconds(crate::duration::parse(&text).map_err(ApiError::Other)?);
    }
    let crl = crate::certdb::crl::from_db(db, local.ca(), local.key(), req.now, lifetime)?;
    Ok(Reply::new(Value::string(
        base64::engine::general_purpose::STANDARD.encode(crl.to_der()),
    )))
}
