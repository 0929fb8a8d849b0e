//! `POST /bundle`: cfssl's bundle of a PEM certificate (and key) or of the chain a
//! server sends (`domain`, `ip`), as `cfssl bundle` prints it (spec §6).

use super::envelope::Reply;
use super::{certinfo::string_map, decode_body, error::ApiError, App, Request};
use crate::bundler::Flavor;
use crate::error::Error;
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
    let bundler = app
        .bundler
        .as_deref()
        .ok_or_else(|| ApiError::Other(app.bundler_error.clone()))?;
    let now = chrono::Utc::now().timestamp();
    let flavor = Flavor::parse(flavor);
    let domain = get("domain").unwrap_or_default();
    let ip = get("ip").unwrap_or_default();
    let bundle = match get("certificate") {
        None => bundler
            .bundle_from_remote(domain, ip, &flavor, now)
            .map_err(|e| {
                log::warning(&format!("couldn't bundle from remote: {e}"));
                ApiError::from(e)
            })?,
        Some(cert) => {
            let key = get("private_key").unwrap_or_default();
            let bundle = bundler
                .bundle_from_pem_or_der(cert.as_bytes(), key.as_bytes(), &flavor, now)
                .map_err(|e| {
                    log::warning("bad PEM certificate or private key");
                    ApiError::from(e)
                })?;
            // The names the caller means to serve the certificate under.
            for name in [domain, ip].into_iter().filter(|n| !n.is_empty()) {
                bundle
                    .cert
                    .verify_hostname(name)
                    .map_err(|e| ApiError::from(Error::coded(1200, e)))?;
            }
            bundle
        }
    };
    let result = crate::gojson::parse(bundle.to_json().as_bytes()).map_err(ApiError::Other)?;
    log::info("wrote response");
    Ok(Reply::new(result))
}
