//! `POST /sign`: a certificate for a PEM CSR, signed under a profile that needs no
//! authentication (cfssl's `signhandler.Handler`).

use super::envelope::Reply;
use super::{decode_body, error::ApiError, App, Request};
use crate::csr;
use crate::gojson::{TypeErrors, Value};
use crate::log;
use crate::signer::SignRequest;

/// cfssl's message when a request asks for a bundle the server cannot build.
pub const NO_BUNDLER_MESSAGE: &str =
    "This request requires a bundler, but one is not initialized for the API server.";

/// cfssl's `jsonSignRequest`: the body of `sign` and the `request` of `authsign`.
#[derive(Debug, Default)]
pub struct JsonSignRequest {
    pub sign: SignRequest,
    pub bundle: bool,
}

/// Decodes a sign request as Go would into `jsonSignRequest`; a non-empty `hostname`
/// (comma-separated) replaces `hosts`.
pub fn decode(v: &Value) -> Result<JsonSignRequest, String> {
    const ST: &str = "jsonSignRequest";
    let mut te = TypeErrors::default();
    let mut out = JsonSignRequest::default();
    let mut hostname = String::new();
    let Some(fields) = v.as_object() else {
        if *v != Value::Null {
            te.record(v, "", "", "signhandler.jsonSignRequest");
        }
        return te.into_result().map(|()| out);
    };
    for (k, val) in fields {
        let is = |name: &str| crate::gojson::go_equal_fold(k, name);
        let r = &mut out.sign;
        if is("hostname") {
            set(&mut hostname, te.string(val, ST, "hostname"));
        } else if is("hosts") {
            r.hosts = te.strings(val, ST, "hosts");
        } else if is("certificate_request") {
            set(
                &mut r.request,
                te.string(val, ST, "certificate_request")
                    .map(String::into_bytes),
            );
        } else if is("subject") {
            r.subject = match val {
                Value::Null => None,
                Value::Object(_) => {
                    Some(csr::Request::subject_from_value(val).map_err(|e| e.message())?)
                }
                other => {
                    te.record(other, ST, "subject", "signer.Subject");
                    None
                }
            };
        } else if is("profile") {
            set(&mut r.profile, te.string(val, ST, "profile"));
        } else if is("label") {
            set(&mut r.label, te.string(val, ST, "label"));
        } else if is("serial") {
            if !matches!(val, Value::Number(_) | Value::Null) {
                te.record(val, ST, "serial", "big.Int");
            }
        } else if is("bundle") {
            set(&mut out.bundle, te.bool(val, ST, "bundle"));
        }
    }
    if !hostname.is_empty() {
        out.sign.hosts = Some(hostname.split(',').map(String::from).collect());
    }
    te.into_result().map(|()| out)
}

/// Go's json leaves a plain field as it was for a `null` (or a value of the wrong
/// type, which is recorded as an error), so a repeated key's `null` keeps the value
/// before it.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// The part `sign` and `authsign` share once the request is decoded (and, for
/// `authsign`, authenticated): sign, then answer with the certificate.
pub fn sign_and_reply(
    app: &App,
    req: &JsonSignRequest,
    now: chrono::DateTime<chrono::Utc>,
    failure_log: fn(&str),
) -> Result<Reply, ApiError> {
    let signer = app.signer(&req.sign.label)?;
    let cert = signer.sign(&req.sign, now).map_err(|e| {
        failure_log(&e.to_string());
        ApiError::from(e)
    })?;
    let result = Value::object([("certificate", Value::string(cert))]);
    if req.bundle {
        return Ok(Reply::with_message(result, 5300, NO_BUNDLER_MESSAGE));
    }
    log::info("wrote response");
    Ok(Reply::new(result))
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    log::info("signature request received");
    let sign_req = decode_body(req.body, decode)
        .map_err(|_| ApiError::bad_request("Unable to parse sign request"))?;
    if sign_req.sign.request.is_empty() {
        return Err(ApiError::bad_request(
            "missing parameter 'certificate_request'",
        ));
    }
    let signer = app.signer(&sign_req.sign.label)?;
    if signer.policy().get(&sign_req.sign.profile).auth.is_some() {
        log::error("profile requires authentication");
        return Err(ApiError::bad_request("authentication required"));
    }
    sign_and_reply(app, &sign_req, req.now, |e| {
        log::warning(&format!("failed to sign request: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(json: &str) -> Result<JsonSignRequest, String> {
        decode(&crate::gojson::parse(json.as_bytes()).expect("test JSON"))
    }

    #[test]
    fn a_null_leaves_a_field_as_go_does() {
        let r = decoded(
            r#"{"certificate_request":"csr","profile":"p","label":"l","bundle":true,
                "hostname":"a.example,b.example",
                "CERTIFICATE_REQUEST":null,"profile":null,"label":null,"bundle":null,
                "hostname":null}"#,
        )
        .unwrap();
        assert_eq!(r.sign.request, b"csr");
        assert_eq!((r.sign.profile.as_str(), r.sign.label.as_str()), ("p", "l"));
        assert!(r.bundle);
        assert_eq!(
            r.sign.hosts,
            Some(vec!["a.example".to_string(), "b.example".to_string()])
        );
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_the_field() {
        let e = decoded(r#"{"certificate_request":"csr","profile":7}"#).unwrap_err();
        assert!(e.contains("profile") && e.contains("string"), "{e}");
    }
}
