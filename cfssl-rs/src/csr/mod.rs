//! The CSR request JSON (`{"CN": ..., "names": [...], "hosts": [...], "key": ...}`),
//! decoded as Go's json decodes it; the subject it describes (`subject`), the PKCS#10
//! request cfssl emits for it (`build`), and reading a PKCS#10 request as the signer
//! does (`parse`).

use crate::asn1;
use crate::error::{Error, Result};
use crate::gojson::{self, go_equal_fold, join_path, TypeErrors, Value};
use crate::hosts;
use crate::keys::PrivateKey;

mod build;
mod parse;
mod subject;

pub use build::*;
pub use parse::*;
pub use subject::*;

pub const OID_EMAIL: &str = "1.2.840.113549.1.9.1";
const OID_SAN: &str = "2.5.29.17";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
/// cfssl's DelegationUsage extension (for TLS delegated credentials).
const OID_DELEGATION_USAGE: &str = "1.3.6.1.4.1.44363.44";
const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";

/// One entry of `names`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Name {
    pub c: String,
    pub st: String,
    pub l: String,
    pub o: String,
    pub ou: String,
    pub e: String,
    /// `{"<dotted OID>": "<value>"}` pairs, in input order.
    pub oid: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRequest {
    pub algo: String,
    pub size: i64,
}

/// The `ca` section of an initca request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaConfig {
    pub pathlen: i64,
    pub pathlenzero: bool,
    pub expiry: String,
    pub backdate: String,
}

/// An extension as the request JSON gives it (`{"id": [..], "critical": .., "value": "<b64>"}`);
/// the id is checked only when the CSR is built, where Go's encoder checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionRequest {
    pub id: Vec<i64>,
    pub critical: bool,
    pub value: Vec<u8>,
}

/// An extension ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct RawExtension {
    pub oid_der: Vec<u8>,
    pub critical: bool,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub cn: String,
    pub names: Vec<Name>,
    pub hosts: Vec<String>,
    pub key: KeyRequest,
    pub ca: Option<CaConfig>,
    pub serial_number: String,
    pub crl_url: String,
    pub delegation_enabled: bool,
    pub extensions: Vec<ExtensionRequest>,
}

/// The Go struct a request document is decoded into: cfssl reads gencert's request as
/// a `csr.CertificateRequest`, and `sign`'s SUBJECT file as a `signer.Subject`, which
/// has only `CN`, `names` and `SerialNumber` (other keys are ignored). Go's type errors
/// name the struct, so the shape decides the wording too.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    CertificateRequest,
    Subject,
}

impl Shape {
    fn root(self) -> &'static str {
        match self {
            Shape::CertificateRequest => "CertificateRequest",
            Shape::Subject => "Subject",
        }
    }

    fn go_type(self) -> &'static str {
        match self {
            Shape::CertificateRequest => "csr.CertificateRequest",
            Shape::Subject => "signer.Subject",
        }
    }
}

impl Request {
    /// Decodes request JSON with Go's rules: keys match case-insensitively, the last
    /// duplicate wins, unknown keys are ignored, and the first type mismatch is reported
    /// in Go's words once the whole document has been read.
    pub fn parse(data: &[u8]) -> Result<Request> {
        Self::parse_as(data, Shape::CertificateRequest)
    }

    /// Decodes `sign`'s SUBJECT file: only the subject fields count.
    pub fn parse_subject(data: &[u8]) -> Result<Request> {
        Self::parse_as(data, Shape::Subject)
    }

    /// [`Request::parse`] for a value already parsed (a request nested in an API body).
    pub fn from_value(v: &Value) -> Result<Request> {
        Self::from_value_as(v, Shape::CertificateRequest)
    }

    /// [`Request::parse_subject`] for a value already parsed (the API's `subject`).
    pub fn subject_from_value(v: &Value) -> Result<Request> {
        Self::from_value_as(v, Shape::Subject)
    }

    fn parse_as(data: &[u8], shape: Shape) -> Result<Request> {
        Self::from_value_as(&gojson::parse(data).map_err(Error::plain)?, shape)
    }

    fn from_value_as(v: &Value, shape: Shape) -> Result<Request> {
        let mut te = TypeErrors::default();
        let mut req = Request {
            cn: String::new(),
            names: Vec::new(),
            hosts: Vec::new(),
            key: KeyRequest {
                algo: "ecdsa".into(),
                size: 256,
            },
            ca: None,
            serial_number: String::new(),
            crl_url: String::new(),
            delegation_enabled: false,
            extensions: Vec::new(),
        };
        let Some(fields) = v.as_object() else {
            if *v != Value::Null {
                te.record(v, "", "", shape.go_type());
            }
            te.into_result().map_err(Error::plain)?;
            return Ok(req);
        };
        let st = shape.root();
        let full = shape == Shape::CertificateRequest;
        for (k, val) in fields {
            let is = |name: &str| go_equal_fold(k, name);
            if is("CN") {
                if let Some(s) = te.string(val, st, k) {
                    req.cn = s;
                }
            } else if is("serialnumber") {
                if let Some(s) = te.string(val, st, k) {
                    req.serial_number = s;
                }
            } else if is("names") {
                req.names = decode_names(val, st, k, &mut te);
            } else if !full {
            } else if is("hosts") {
                req.hosts = te.strings(val, st, k).unwrap_or_default();
            } else if is("crl_url") {
                if let Some(s) = te.string(val, st, k) {
                    req.crl_url = s;
                }
            } else if is("delegation_enabled") {
                if let Some(b) = te.bool(val, st, k) {
                    req.delegation_enabled = b;
                }
            } else if is("key") {
                decode_key(val, k, &mut req.key, &mut te);
            } else if is("ca") {
                match val {
                    Value::Null => {}
                    Value::Object(_) => {
                        req.ca = Some(decode_ca(
                            val,
                            k,
                            req.ca.take().unwrap_or_default(),
                            &mut te,
                        ))
                    }
                    other => te.record(other, st, k, "csr.CAConfig"),
                }
            } else if is("extensions") {
                req.extensions = decode_extensions(val, k, &mut te);
            }
        }
        te.into_result().map_err(Error::plain)?;
        Ok(req)
    }

    /// cfssl's initca subject check: a CN, or names that each carry a C/ST/L/O/OU.
    pub fn has_subject_information(&self) -> bool {
        if !self.cn.is_empty() {
            return true;
        }
        !self.names.is_empty()
            && self.names.iter().all(|n| {
                [&n.c, &n.st, &n.l, &n.o, &n.ou]
                    .iter()
                    .any(|v| !v.trim().is_empty())
            })
    }

    pub fn subject(&self) -> Result<Subject> {
        let mut s = Subject {
            cn: self.cn.clone(),
            serial_number: self.serial_number.clone(),
            ..Subject::default()
        };
        for n in &self.names {
            let push = |list: &mut Vec<String>, v: &String| {
                if !v.is_empty() {
                    list.push(v.clone())
                }
            };
            push(&mut s.country, &n.c);
            push(&mut s.province, &n.st);
            push(&mut s.locality, &n.l);
            push(&mut s.organization, &n.o);
            push(&mut s.organizational_unit, &n.ou);
            for (oid, value) in &n.oid {
                if let Some(part) = oid.split('.').find(|p| p.parse::<i64>().is_err()) {
                    return Err(Error::coded(9300, format!("invalid OID part {part}")));
                }
                if asn1::oid(oid).is_none() {
                    return Err(Error::abort(format!(
                        "names[].OID key {oid:?} is not a valid object identifier (at least two non-negative arcs, the first 0, 1 or 2)"
                    )));
                }
                s.extra.push((oid.clone(), value.clone()));
            }
            if !n.e.is_empty() {
                s.extra.push((OID_EMAIL.into(), n.e.clone()));
            }
        }
        Ok(s)
    }
}

fn decode_names(v: &Value, st: &str, path: &str, te: &mut TypeErrors) -> Vec<Name> {
    let items = match v {
        Value::Array(items) => items,
        Value::Null => return Vec::new(),
        other => {
            te.record(other, st, path, "[]csr.Name");
            return Vec::new();
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut n = Name::default();
            let item_path = format!("{path}.{i}");
            match item {
                Value::Object(fields) => {
                    for (k, val) in fields {
                        let is = |name: &str| go_equal_fold(k, name);
                        let fp = join_path(&item_path, k);
                        let slot = if is("C") {
                            Some(&mut n.c)
                        } else if is("ST") {
                            Some(&mut n.st)
                        } else if is("L") {
                            Some(&mut n.l)
                        } else if is("O") {
                            Some(&mut n.o)
                        } else if is("OU") {
                            Some(&mut n.ou)
                        } else if is("E") {
                            Some(&mut n.e)
                        } else {
                            None
                        };
                        if let Some(slot) = slot {
                            if let Some(s) = te.string(val, st, &fp) {
                                *slot = s;
                            }
                        } else if is("SerialNumber") {
                            te.string(val, st, &fp);
                        } else if is("OID") {
                            match val {
                                Value::Object(pairs) => {
                                    for (oid, value) in pairs {
                                        let vp = join_path(&fp, oid);
                                        if let Some(s) = te.string(value, st, &vp) {
                                            n.oid.retain(|(o, _)| o != oid);
                                            n.oid.push((oid.clone(), s));
                                        }
                                    }
                                }
                                Value::Null => {}
                                other => te.record(other, st, &fp, "map[string]string"),
                            }
                        }
                    }
                }
                Value::Null => {}
                other => te.record(other, st, &item_path, "csr.Name"),
            }
            n
        })
        .collect()
}

const ST: &str = "CertificateRequest";

fn decode_key(v: &Value, path: &str, key: &mut KeyRequest, te: &mut TypeErrors) {
    match v {
        Value::Object(fields) => {
            for (k, val) in fields {
                let fp = join_path(path, k);
                if go_equal_fold(k, "algo") {
                    if let Some(s) = te.string(val, ST, &fp) {
                        key.algo = s;
                    }
                } else if go_equal_fold(k, "size") {
                    if let Some(i) = te.int(val, ST, &fp) {
                        key.size = i;
                    }
                }
            }
        }
        Value::Null => {}
        other => te.record(other, ST, path, "csr.KeyRequest"),
    }
}

fn decode_ca(v: &Value, path: &str, mut ca: CaConfig, te: &mut TypeErrors) -> CaConfig {
    for (k, val) in v.as_object().unwrap_or(&[]) {
        let is = |name: &str| go_equal_fold(k, name);
        let fp = join_path(path, k);
        if is("pathlen") {
            if let Some(i) = te.int(val, ST, &fp) {
                ca.pathlen = i;
            }
        } else if is("pathlenzero") {
            if let Some(b) = te.bool(val, ST, &fp) {
                ca.pathlenzero = b;
            }
        } else if is("expiry") {
            if let Some(s) = te.string(val, ST, &fp) {
                ca.expiry = s;
            }
        } else if is("backdate") {
            if let Some(s) = te.string(val, ST, &fp) {
                ca.backdate = s;
            }
        }
    }
    ca
}

fn decode_extensions(v: &Value, path: &str, te: &mut TypeErrors) -> Vec<ExtensionRequest> {
    let items = match v {
        Value::Array(items) => items,
        Value::Null => return Vec::new(),
        other => {
            te.record(other, ST, path, "[]pkix.Extension");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}.{i}");
        let mut ext = ExtensionRequest {
            id: Vec::new(),
            critical: false,
            value: Vec::new(),
        };
        match item {
            Value::Object(_) | Value::Null => {}
            other => te.record(other, ST, &item_path, "pkix.Extension"),
        }
        for (k, val) in item.as_object().unwrap_or(&[]) {
            let fp = join_path(&item_path, k);
            if go_equal_fold(k, "id") {
                match val {
                    Value::Array(ids) => {
                        ext.id = ids
                            .iter()
                            .enumerate()
                            .filter_map(|(j, id)| te.int(id, ST, &format!("{fp}.{j}")))
                            .collect()
                    }
                    Value::Null => {}
                    other => te.record(other, ST, &fp, "asn1.ObjectIdentifier"),
                }
            } else if go_equal_fold(k, "critical") {
                ext.critical = te.bool(val, ST, &fp).unwrap_or(false);
            } else if go_equal_fold(k, "value") {
                if let Some(bytes) = decode_bytes(val, &fp, te) {
                    ext.value = bytes;
                }
            }
        }
        out.push(ext);
    }
    out
}

/// A Go `[]byte` field: base64 text, or (as Go also accepts) an array of byte values.
fn decode_bytes(v: &Value, path: &str, te: &mut TypeErrors) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => match crate::gobase64::decode(s.as_bytes()) {
            Ok(b) => Some(b),
            Err(at) => {
                let e = gojson::TypeError {
                    value: "string".into(),
                    struct_name: ST.into(),
                    field: path.into(),
                    go_type: "[]uint8".into(),
                };
                te.other(format!("{e}: illegal base64 data at input byte {at}"));
                None
            }
        },
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let ip = format!("{path}.{i}");
                match item {
                    Value::Number(n) => match n.parse::<u8>() {
                        Ok(b) => out.push(b),
                        Err(_) => te.record_number(n, ST, &ip, "uint8"),
                    },
                    Value::Null => out.push(0),
                    other => te.record(other, ST, &ip, "uint8"),
                }
            }
            Some(out)
        }
        Value::Null => None,
        other => {
            te.record(other, ST, path, "[]uint8");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_case_insensitive_and_last_wins() {
        let r =
            Request::parse(br#"{"cn":"a","CN":"b","HOSTS":["x"],"Key":{"ALGO":"rsa"}}"#).unwrap();
        assert_eq!(r.cn, "b");
        assert_eq!(r.hosts, vec!["x"]);
        assert_eq!(
            r.key,
            KeyRequest {
                algo: "rsa".into(),
                size: 256
            }
        );
    }

    #[test]
    fn keys_fold_like_go_including_the_kelvin_sign() {
        let r =
            Request::parse("{\"\u{212A}EY\":{\"algo\":\"rsa\",\"size\":2048}}".as_bytes()).unwrap();
        assert_eq!(
            r.key,
            KeyRequest {
                algo: "rsa".into(),
                size: 2048
            }
        );
    }

    #[test]
    fn type_errors_read_like_go() {
        let e = Request::parse(br#"{"hosts":"x"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "json: cannot unmarshal string into Go struct field CertificateRequest.hosts of type []string"
        );
        let e = Request::parse(br#"{"key":{"size":"2048"}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "json: cannot unmarshal string into Go struct field CertificateRequest.key.size of type int"
        );
        let e = |j: &str| Request::parse(j.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            e(r#"{"Names":[{"C":"a"},{"c":5}]}"#),
            "json: cannot unmarshal number into Go struct field CertificateRequest.Names.1.c of type string"
        );
        assert_eq!(
            e(r#"{"names":[{"OID":{"1.2.3":5}}]}"#),
            "json: cannot unmarshal number into CertificateRequest.names.0.OID.1.2.3 of type string"
        );
        assert_eq!(
            e(r#"{"extensions":[{"id":[1,"x"]}]}"#),
            "json: cannot unmarshal string into CertificateRequest.extensions.0.id.1 of type int"
        );
        assert_eq!(
            e(r#"{"extensions":[{"Value":"!!"}]}"#),
            "json: cannot unmarshal string into Go struct field CertificateRequest.extensions.0.Value of type []uint8: illegal base64 data at input byte 0"
        );
        assert_eq!(
            e(r#"{"ca":{"PathLen":"x"}}"#),
            "json: cannot unmarshal string into Go struct field CertificateRequest.ca.PathLen of type int"
        );
        let s = |j: &str| {
            Request::parse_subject(j.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            s(r#"{"CN":5}"#),
            "json: cannot unmarshal number into Go struct field Subject.CN of type string"
        );
        assert_eq!(
            s("[1]"),
            "json: cannot unmarshal array into Go value of type signer.Subject"
        );
        assert!(Request::parse_subject(br#"{"CN":"x","hosts":5,"key":1}"#).is_ok());
    }
}
