//! `POST /gencrl`: a CRL for a certificate, its key and a list of serials, as base64
//! DER (cfssl's `gencrl` handler, whose checks and statuses differ from the CLI's).

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::crl;
use crate::gojson::{self, go_equal_fold, TypeErrors, Value};
use crate::log;
use base64::Engine;

/// cfssl's `jsonCRLRequest`.
#[derive(Default)]
struct CrlRequest {
    certificate: String,
    serials: Vec<String>,
    key: String,
    expiry: String,
}

/// Go's `json.Unmarshal` into the struct: fields it could read are kept even when a
/// type error is reported (the handler goes on after logging it).
fn decode(body: &[u8]) -> (CrlRequest, Option<String>) {
    const ST: &str = "jsonCRLRequest";
    let mut req = CrlRequest::default();
    let v = match gojson::parse(body) {
        Ok(v) => v,
        Err(e) => return (req, Some(e)),
    };
    let mut te = TypeErrors::default();
    for (k, val) in te.struct_fields(&v, "gencrl.jsonCRLRequest") {
        let is = |name: &str| go_equal_fold(k, name);
        if is("serialNumber") {
            req.serials = te.strings(val, ST, "serialNumber").unwrap_or_default();
            continue;
        }
        // `null`, or a value of the wrong type, leaves a string field as it was.
        let (slot, name) = match () {
            _ if is("certificate") => (&mut req.certificate, "certificate"),
            _ if is("issuingKey") => (&mut req.key, "issuingKey"),
            _ if is("expireTime") => (&mut req.expiry, "expireTime"),
            _ => continue,
        };
        if let Some(s) = te.string(val, ST, name) {
            *slot = s;
        }
    }
    (req, te.into_result().err())
}

pub fn process(_: &App, req: &Request) -> Result<Reply, ApiError> {
    let (crl_req, json_error) = decode(req.body);
    if let Some(e) = &json_error {
        log::error(e);
    }
    let next_update = match crl_req.expiry.as_str() {
        "" => req.now + chrono::Duration::weeks(1),
        text => {
            let seconds = crate::crl::file::parse_int32(text.trim())?;
            req.now + chrono::Duration::seconds(seconds)
        }
    };
    if let Some(e) = json_error {
        return Err(ApiError::Other(e));
    }
    let issuer = crate::ca::parse_cert_pem(crl_req.certificate.as_bytes()).map_err(|e| {
        log::error(&format!("error from ParseCertificatePEM{e}"));
        ApiError::bad_request("malformed certificate")
    })?;
    let key = crate::keys::parse_pem(crl_req.key.as_bytes())
        .map_err(|_| ApiError::bad_request("malformed Private Key"))?;
    let mut revoked = crl::RevokedList::new();
    for serial in &crl_req.serials {
        revoked.push(
            &crl::Serial::parse_decimal(serial.as_bytes()),
            req.now,
            None,
        );
    }
    let issuer = crl::Issuer::from_cert(&issuer)?;
    let list = crl::sign(revoked, &issuer, &key, req.now, next_update)?;
    Ok(Reply::new(Value::string(
        base64::engine::general_purpose::STANDARD.encode(list.to_der()),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_decode_as_go_does() {
        let (r, e) = decode(br#"{"Certificate":"c","certificate":5,"issuingKey":"k","issuingKey":null,"expireTime":"60","serialNumber":["1","2"]}"#);
        assert_eq!((r.certificate.as_str(), r.key.as_str()), ("c", "k"));
        assert_eq!(
            (r.expiry.as_str(), r.serials),
            ("60", vec!["1".to_string(), "2".to_string()])
        );
        assert_eq!(
            e.as_deref(),
            Some("json: cannot unmarshal number into Go struct field jsonCRLRequest.certificate of type string")
        );
        assert_eq!(decode(b"null").1, None);
        assert!(decode(b"[]").1.is_some());
    }
}
