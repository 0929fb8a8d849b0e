//! `POST /bundle`: cfssl's bundle of a PEM certificate (and key), as `cfssl bundle`
//! prints it (spec §6).

use super::envelope::Reply;
use super::{certinfo::string_map, decode_body, error::ApiError, App, Request};
use crate::bundler::Flavor;
use crate::log;

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let blob = decode_body(req.body, string_map).map_err(|e| {
        log::warning(&format!("invalid request: {e}"));
        ApiError::Other(e)
    })?;
    let get = |key: &str| blob.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let flavor = match get("flavor").unwrap_or_default() {
        "" => "ubiquitous",
        f => f,
    };
    if get("certificate").is_none() && get("domain").is_none() {
        log::warning("invalid request: no valid parameter sets found");
        return Err(ApiError::bad_request("no valid parameter sets found"));
    }
    log::info(&format!("request for flavor {flavor}"));
    let Some(cert) = get("certificate") else {
        return Err(ApiError::Other(
            "bundling the chain of a remote server (domain) is not supported by cfssl-rs".into(),
        ));
    };
    let bundler = app
        .bundler
        .as_deref()
        .ok_or_else(|| ApiError::Other(app.bundler_error.clone()))?;
    let now = chrono::Utc::now().timestamp();
    let key = get("private_key").unwrap_or_default();
    let bundle = bundler
        .bundle_from_pem_or_der(cert.as_bytes(), key.as_bytes(), &Flavor::parse(flavor), now)
        .map_err(|e| {
            log::warning("bad PEM certificate or private key");
            ApiError::from(e)
        })?;
    let result = crate::gojson::parse(bundle.to_json().as_bytes()).map_err(ApiError::Other)?;
    log::info("wrote response");
    Ok(Reply::new(result))
}
