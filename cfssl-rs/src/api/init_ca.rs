//! `POST /init_ca`: a new self-signed CA, key and certificate, from a CSR request.

use super::envelope::Reply;
use super::newkey::decode_request;
use super::{error::ApiError, App, Request};
use crate::gojson::Value;
use crate::initca;
use crate::log;
use crate::output::pem;

pub fn process(_: &App, req: &Request) -> Result<Reply, ApiError> {
    log::info("setting up initial CA handler");
    let csr_req = decode_request(req.body)?;
    let (key, _, cert) = initca::new(&csr_req).map_err(|e| {
        log::warning(&format!("failed to initialise new CA: {e}"));
        ApiError::from(e)
    })?;
    Ok(Reply::new(Value::object([
        ("private_key", Value::string(key.to_pem()?)),
        ("certificate", Value::string(pem("CERTIFICATE", &cert))),
    ])))
}
