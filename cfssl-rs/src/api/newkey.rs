//! `POST /newkey`: a new private key and a CSR for it (cfssl's `generator.Handler`).

use super::envelope::Reply;
use super::{decode_body, error::ApiError, App, Request};
use crate::csr;
use crate::gojson::Value;
use crate::log;
use crate::output::pem;

/// cfssl's `Sum`: upper-case hex digests of a DER object.
pub fn sums(der: &[u8]) -> Value {
    use sha1::Digest;
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02X}")).collect::<String>();
    Value::object([
        ("md5", Value::string(hex(&md5::Md5::digest(der)))),
        ("sha-1", Value::string(hex(&sha1::Sha1::digest(der)))),
        ("sha-256", Value::string(hex(&sha2::Sha256::digest(der)))),
    ])
}

/// A CSR request body, decoded as cfssl's `csr.CertificateRequest` (default key
/// ECDSA P-256); the decoder's message is logged and answered with 400.
pub fn decode_request(body: &[u8]) -> Result<csr::Request, ApiError> {
    decode_body(body, |v| {
        csr::Request::from_value(v).map_err(|e| e.message())
    })
    .map_err(|e| {
        log::warning(&format!("failed to unmarshal request: {e}"));
        ApiError::bad_request(e)
    })
}

/// Key and CSR generation with cfssl's refusal of a `ca` section outside init_ca.
pub fn generate(req: &csr::Request) -> Result<(crate::keys::PrivateKey, Vec<u8>), ApiError> {
    if req.ca.is_some() {
        log::warning("request received with CA section");
        return Err(ApiError::bad_request("ca section only permitted in initca"));
    }
    let (key, der) = csr::generate(req).map_err(|e| {
        log::warning(&format!("failed to process CSR: {e}"));
        ApiError::from(e)
    })?;
    Ok((key, der))
}

pub fn process(_: &App, req: &Request) -> Result<Reply, ApiError> {
    log::info("request for CSR");
    let csr_req = decode_request(req.body)?;
    let (key, der) = generate(&csr_req)?;
    Ok(Reply::new(Value::object([
        ("private_key", Value::string(key.to_pem()?)),
        (
            "certificate_request",
            Value::string(pem("CERTIFICATE REQUEST", &der)),
        ),
        ("sums", Value::object([("certificate_request", sums(&der))])),
    ])))
}
