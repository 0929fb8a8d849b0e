//! `POST /newcert`: a new key, its CSR and a certificate signed by the server's CA
//! (cfssl's `generator.CertGeneratorHandler`).
//!
//! One difference, on purpose: a profile that requires authentication is refused here
//! (cfssl signs without checking, cfssl#250), since it would bypass `authsign`.

use super::envelope::Reply;
use super::newkey::{generate, sums};
use super::sign::NO_BUNDLER_MESSAGE;
use super::{decode_body, error::ApiError, App, Request};
use crate::csr;
use crate::gojson::{go_equal_fold, TypeErrors, Value};
use crate::log;
use crate::output::pem;
use crate::signer::SignRequest;

/// cfssl's `genSignRequest`. An absent `request` is an empty CSR request; an explicit
/// `null` is none at all.
struct GenSignRequest {
    request: Option<csr::Request>,
    profile: String,
    label: String,
    bundle: bool,
}

fn decode(v: &Value) -> Result<GenSignRequest, String> {
    const ST: &str = "genSignRequest";
    let mut te = TypeErrors::default();
    let mut out = GenSignRequest {
        request: Some(csr::Request::from_value(&Value::Null).map_err(|e| e.message())?),
        profile: String::new(),
        label: String::new(),
        bundle: false,
    };
    let Some(fields) = v.as_object() else {
        if *v != Value::Null {
            te.record(v, "", "", "generator.genSignRequest");
        }
        return te.into_result().map(|()| out);
    };
    for (k, val) in fields {
        let is = |name: &str| go_equal_fold(k, name);
        if is("request") {
            out.request = match val {
                Value::Null => None,
                _ => Some(csr::Request::from_value(val).map_err(|e| e.message())?),
            };
        } else if is("profile") {
            out.profile = te.string(val, ST, "profile").unwrap_or_default();
        } else if is("label") {
            out.label = te.string(val, ST, "label").unwrap_or_default();
        } else if is("bundle") {
            out.bundle = te.bool(val, ST, "bundle").unwrap_or_default();
        }
    }
    te.into_result().map(|()| out)
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    log::info("request for CSR");
    let gen = decode_body(req.body, decode).map_err(|e| {
        log::warning(&format!("failed to unmarshal request: {e}"));
        ApiError::bad_request(e)
    })?;
    let Some(request) = &gen.request else {
        log::warning("empty request received");
        return Err(ApiError::bad_request("missing request section"));
    };
    let signer = app.signer(&gen.label)?;
    if signer.policy().get(&gen.profile).auth.is_some() {
        log::error("profile requires authentication");
        return Err(ApiError::bad_request("authentication required"));
    }
    let (key, csr_der) = generate(request)?;
    let csr_pem = pem("CERTIFICATE REQUEST", &csr_der);
    let sign_req = SignRequest {
        request: csr_pem.clone().into_bytes(),
        profile: gen.profile.clone(),
        label: gen.label.clone(),
        ..SignRequest::default()
    };
    let cert = signer.sign(&sign_req, req.now).map_err(|e| {
        log::warning(&format!("failed to sign request: {e}"));
        ApiError::from(e)
    })?;
    let cert_der = crate::pemfile::decode(cert.as_bytes())
        .map(|(block, _)| block.der)
        .ok_or_else(|| ApiError::bad_request("not a CSR or certificate"))?;
    let result = Value::object([
        ("certificate", Value::string(&cert)),
        ("certificate_request", Value::string(csr_pem)),
        ("private_key", Value::string(key.to_pem()?)),
        (
            "sums",
            Value::object([
                ("certificate", sums(&cert_der)),
                ("certificate_request", sums(&csr_der)),
            ]),
        ),
    ]);
    if gen.bundle {
        return Ok(Reply::with_message(result, 5300, NO_BUNDLER_MESSAGE));
    }
    if request.hosts.is_empty() {
        return Ok(Reply::with_message(result, 5300, csr::NO_HOSTS_WARNING));
    }
    Ok(Reply::new(result))
}
