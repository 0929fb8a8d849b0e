//! `POST /certinfo`: the certinfo view of a PEM certificate, of the certificate a TLS
//! server presents, or (with a certificate database) of a stored one.

use super::envelope::Reply;
use super::{decode_body, error::ApiError, App, Request};
use crate::certinfo;
use crate::gojson::Value;
use crate::log;

/// cfssl's `readRequestBlob`: a JSON object of strings (`null` reads as empty).
pub fn string_map(v: &Value) -> Result<Vec<(String, String)>, String> {
    let Some(fields) = v.as_object() else {
        return match v {
            Value::Null => Ok(Vec::new()),
            other => Err(format!(
                "json: cannot unmarshal {} into Go value of type map[string]string",
                other.go_kind()
            )),
        };
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut error = None;
    for (k, val) in fields {
        let s = match val {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => {
                error.get_or_insert_with(|| {
                    format!(
                        "json: cannot unmarshal {} into Go value of type string",
                        other.go_kind()
                    )
                });
                continue;
            }
        };
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(entry) => entry.1 = s,
            None => out.push((k.clone(), s)),
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

pub fn process(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let blob = decode_body(req.body, string_map).map_err(|e| {
        log::warning(&format!("invalid request: {e}"));
        ApiError::Other(e)
    })?;
    let get = |key: &str| blob.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let cert = if let Some(pem) = get("certificate") {
        certinfo::certificate_value(pem.as_bytes()).map_err(|e| {
            log::warning(&format!("bad PEM certificate: {e}"));
            ApiError::from(e)
        })?
    } else if let Some(domain) = get("domain") {
        certinfo::domain(domain).map_err(|e| {
            log::warning(&format!("couldn't parse remote certificate: {e}"));
            ApiError::from(e)
        })?
    } else if let (Some(serial), Some(aki)) = (get("serial"), get("authority_key_id")) {
        let Some(db) = app.db.as_deref() else {
            log::warning("could not find certificates with db access");
            return Err(ApiError::Other(
                "cannot lookup certificate from serial without db access".into(),
            ));
        };
        stored(db, serial, aki).map_err(|e| {
            log::warning(&format!("couldn't find certificate: {e}"));
            e
        })?
    } else {
        log::warning("invalid request: no valid parameter sets found");
        return Err(ApiError::bad_request("no valid parameter sets found"));
    };
    Ok(Reply::new(cert))
}

/// cfssl's `ParseSerialNumber`: the key id in any case and with colons.
fn stored(db: &dyn crate::certdb::CertDb, serial: &str, aki: &str) -> Result<Value, ApiError> {
    use crate::certdb::record;
    let aki = aki.to_lowercase().replace(':', "");
    let bad = |e: crate::Error| ApiError::bad_request(e.message());
    record::check_serial(serial).map_err(bad)?;
    record::check_aki(&aki).map_err(bad)?;
    let rows = db.get_certificate(serial, &aki)?;
    match rows.as_slice() {
        [] => Err(ApiError::Other("no certificate found".into())),
        [one] => Ok(certinfo::certificate_value(one.pem.as_bytes())?),
        _ => Err(ApiError::Other("more than one certificate found".into())),
    }
}
