//! `GET /scan`: cfssl's remote TLS scanner. The request is checked as cfssl checks it,
//! then refused: cfssl-rs does not scan other hosts.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::log;

pub fn process(_: &App, req: &Request) -> Result<Reply, ApiError> {
    let form: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect();
    // Go's `Form.Get`: the first value of a key.
    let get = |key: &str| {
        form.iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    let timeout = get("timeout");
    if !timeout.is_empty() {
        let t = crate::duration::parse(timeout).map_err(ApiError::bad_request)?;
        if !(crate::duration::SECOND..=5 * crate::duration::MINUTE).contains(&t) {
            return Err(ApiError::bad_request("invalid timeout given"));
        }
    }
    if get("host").is_empty() {
        log::warning("no host given");
        return Err(ApiError::bad_request("no host given"));
    }
    Err(ApiError::bad_request(
        "scanning hosts is not supported by cfssl-rs",
    ))
}
