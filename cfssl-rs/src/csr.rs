//! The CSR request JSON (`{"CN": ..., "names": [...], "hosts": [...], "key": ...}`), the
//! subject it describes, and the PKCS#10 request cfssl emits for it.

use crate::asn1;
use crate::error::{Error, Result};
use crate::gojson::{self, go_equal_fold, join_path, TypeErrors, Value};
use crate::hosts;
use crate::keys::PrivateKey;

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

/// A distinguished name in the shape of Go's `pkix.Name`, which fixes the RDN order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub country: Vec<String>,
    pub province: Vec<String>,
    pub locality: Vec<String>,
    pub street_address: Vec<String>,
    pub postal_code: Vec<String>,
    pub organization: Vec<String>,
    pub organizational_unit: Vec<String>,
    pub cn: String,
    pub serial_number: String,
    /// Other attributes (emailAddress, custom OIDs), each its own RDN, in order.
    pub extra: Vec<(String, String)>,
}

impl Subject {
    /// cfssl's `PopulateSubjectFromCSR`: the SUBJECT file's CN, per-type lists and serial
    /// number win where non-empty; the CSR's non-standard attributes are dropped.
    pub fn overridden_by(self, r: &Request) -> Subject {
        let csr_subject = self;
        let mut from_file = Subject {
            cn: r.cn.clone(),
            serial_number: r.serial_number.clone(),
            ..Subject::default()
        };
        for n in &r.names {
            let lists = [
                (&mut from_file.country, &n.c),
                (&mut from_file.province, &n.st),
                (&mut from_file.locality, &n.l),
                (&mut from_file.organization, &n.o),
                (&mut from_file.organizational_unit, &n.ou),
            ];
            for (list, v) in lists {
                if !v.is_empty() {
                    list.push(v.clone());
                }
            }
        }
        let pick =
            |mine: Vec<String>, theirs: Vec<String>| if mine.is_empty() { theirs } else { mine };
        let pick_one = |mine: String, theirs: String| if mine.is_empty() { theirs } else { mine };
        Subject {
            country: pick(from_file.country, csr_subject.country),
            province: pick(from_file.province, csr_subject.province),
            locality: pick(from_file.locality, csr_subject.locality),
            street_address: csr_subject.street_address,
            postal_code: csr_subject.postal_code,
            organization: pick(from_file.organization, csr_subject.organization),
            organizational_unit: pick(
                from_file.organizational_unit,
                csr_subject.organizational_unit,
            ),
            cn: pick_one(from_file.cn, csr_subject.cn),
            serial_number: pick_one(from_file.serial_number, csr_subject.serial_number),
            extra: Vec::new(),
        }
    }

    /// A parsed name regrouped as Go's `pkix.Name` holds it: the standard types collected
    /// per type (CN and serialNumber: the last one wins), every other attribute kept in
    /// order among the extras.
    pub fn from_name(name: &x509_parser::x509::X509Name) -> Subject {
        let mut s = Subject::default();
        for attr in name.iter().flat_map(|rdn| rdn.iter()) {
            let value = match attr.as_str() {
                Ok(v) => v.to_string(),
                Err(_) => String::from_utf8_lossy(attr.attr_value().data).into_owned(),
            };
            let oid = attr.attr_type().to_id_string();
            match oid.as_str() {
                "2.5.4.6" => s.country.push(value),
                "2.5.4.8" => s.province.push(value),
                "2.5.4.7" => s.locality.push(value),
                "2.5.4.9" => s.street_address.push(value),
                "2.5.4.17" => s.postal_code.push(value),
                "2.5.4.10" => s.organization.push(value),
                "2.5.4.11" => s.organizational_unit.push(value),
                "2.5.4.3" => s.cn = value,
                "2.5.4.5" => s.serial_number = value,
                _ => s.extra.push((oid, value)),
            }
        }
        s
    }

    /// The subject as Go holds it after a round trip through DER: cfssl's initca signs
    /// the CSR it just built, so `names[].OID` entries of standard types (2.5.4.17
    /// postalCode, 2.5.4.9 street, ...) land in their slots of Go's subject order, as
    /// they do for `sign` and `gencert -ca`.
    pub fn regrouped(self) -> Subject {
        let der = self.to_der();
        use x509_parser::prelude::FromDer as _;
        match x509_parser::x509::X509Name::from_der(&der) {
            Ok((_, name)) => Subject::from_name(&name),
            Err(_) => self,
        }
    }

    /// Only the attributes Go's `pkix.Name` has typed fields for, which is what Go writes
    /// back when it re-encodes a parsed name (the CRL issuer, selfsign's subject).
    pub fn without_extra(mut self) -> Subject {
        self.extra.clear();
        self
    }

    /// The Name DER: C, ST, L, street, postalCode, O, OU, CN, serialNumber, then the extra
    /// attributes. Several values of one type share one RDN; a type that also appears
    /// among the extras is left to the extras (Go's rule).
    pub fn to_der(&self) -> Vec<u8> {
        let cn = if self.cn.is_empty() {
            vec![]
        } else {
            vec![self.cn.clone()]
        };
        let serial = if self.serial_number.is_empty() {
            vec![]
        } else {
            vec![self.serial_number.clone()]
        };
        let standard: [(&str, &Vec<String>); 9] = [
            ("2.5.4.6", &self.country),
            ("2.5.4.8", &self.province),
            ("2.5.4.7", &self.locality),
            ("2.5.4.9", &self.street_address),
            ("2.5.4.17", &self.postal_code),
            ("2.5.4.10", &self.organization),
            ("2.5.4.11", &self.organizational_unit),
            ("2.5.4.3", &cn),
            ("2.5.4.5", &serial),
        ];
        let mut rdns = Vec::new();
        for (oid, values) in standard {
            if values.is_empty() || self.extra.iter().any(|(o, _)| o == oid) {
                continue;
            }
            let oid_der = asn1::oid(oid).unwrap_or_default();
            rdns.push(asn1::set_of(
                values.iter().map(|v| attribute(&oid_der, v)).collect(),
            ));
        }
        for (oid, value) in &self.extra {
            if let Some(oid_der) = asn1::oid(oid) {
                rdns.push(asn1::set_of(vec![attribute(&oid_der, value)]));
            }
        }
        asn1::tlv(asn1::SEQUENCE, &rdns.concat())
    }
}

/// Go marshals a string as PrintableString when every character allows it, else UTF8String.
fn attribute(oid_der: &[u8], value: &str) -> Vec<u8> {
    let printable = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    let tag = if printable {
        asn1::PRINTABLE_STRING
    } else {
        asn1::UTF8_STRING
    };
    asn1::seq(&[oid_der, &asn1::tlv(tag, value.as_bytes())])
}

/// cfssl's pathlen rules (spec §2.6), the same as a profile's CA constraint: `None` =
/// unlimited.
pub fn ca_path_len(pathlen: i64, pathlenzero: bool) -> Result<Option<u64>> {
    let c = crate::config::CaConstraint {
        is_ca: true,
        max_path_len: pathlen,
        max_path_len_zero: pathlenzero,
    };
    Ok(c.path_len()?.map(|n| n as u64))
}

/// The basicConstraints value of a CA: `SEQUENCE { TRUE [, pathlen] }`.
pub fn ca_basic_constraints(path_len: Option<u64>) -> Vec<u8> {
    match path_len {
        Some(n) => asn1::seq(&[&asn1::bool_true(), &asn1::int(n as i64)]),
        None => asn1::seq(&[&asn1::bool_true()]),
    }
}

/// The first `hosts` entry Go's x509 cannot write as an IA5String (non-ASCII, also after
/// a URI's percent-encoding), unless the request's own subjectAltName replaces them.
pub fn unencodable_host(req: &Request) -> Option<String> {
    let san_oid = asn1::oid(OID_SAN).unwrap_or_default();
    let custom_san = req
        .extensions
        .iter()
        .any(|e| asn1::oid_from_arcs(&e.id).as_ref() == Some(&san_oid));
    match custom_san {
        true => None,
        false => hosts::general_names(&hosts::sans_in_go_order(&req.hosts)).err(),
    }
}

/// The extensions cfssl requests in the CSR (spec §5), in order.
pub fn requested_extensions(req: &Request, sans: &[hosts::San]) -> Result<Vec<RawExtension>> {
    let mut out = Vec::new();
    let san_oid = asn1::oid(OID_SAN).unwrap_or_default();
    let mut custom = Vec::with_capacity(req.extensions.len());
    for (i, e) in req.extensions.iter().enumerate() {
        let oid_der = asn1::oid_from_arcs(&e.id).ok_or_else(|| {
            Error::abort(format!(
                "extensions[{i}].id {:?} is not a valid object identifier (at least two non-negative arcs, the first 0, 1 or 2)",
                e.id
            ))
        })?;
        custom.push(RawExtension {
            oid_der,
            critical: e.critical,
            value: e.value.clone(),
        });
    }
    let custom_san = custom.iter().any(|e| e.oid_der == san_oid);
    if !sans.is_empty() && !custom_san {
        let value = hosts::general_names(sans).map_err(|name| {
            Error::abort(format!(
                "host {name:?} in \"hosts\" cannot be encoded: DNS names, emails and URIs must be ASCII (use the punycode form)"
            ))
        })?;
        out.push(RawExtension {
            oid_der: san_oid,
            critical: false,
            value,
        });
    }
    if req.delegation_enabled {
        out.push(delegation_usage());
    } else if let Some(ca) = &req.ca {
        let value = ca_basic_constraints(ca_path_len(ca.pathlen, ca.pathlenzero)?);
        out.push(RawExtension {
            oid_der: asn1::oid(OID_BASIC_CONSTRAINTS).unwrap_or_default(),
            critical: true,
            value,
        });
    }
    out.extend(custom);
    Ok(out)
}

/// cfssl's DelegationUsage marker (a non-critical NULL), which the signer always copies.
pub fn delegation_usage() -> RawExtension {
    RawExtension {
        oid_der: asn1::oid(OID_DELEGATION_USAGE).unwrap_or_default(),
        critical: false,
        value: vec![asn1::NULL, 0],
    }
}

/// The CSR for a request, signed by `key` (DER). cfssl does not read it back here, so
/// a CSR that Go's x509 cannot parse (a URI SAN with a percent-encoded non-ASCII host)
/// is still written; [`view`] is where it fails, as cfssl's signer fails.
pub fn build(req: &Request, key: &PrivateKey) -> Result<Vec<u8>> {
    let sans = hosts::sans_in_go_order(&req.hosts);
    let extensions = requested_extensions(req, &sans)?;
    encode(&req.subject()?.to_der(), key, &extensions)
}

/// What cfssl says about a certificate issued without SANs.
pub const NO_HOSTS_WARNING: &str =
    "This certificate lacks a \"hosts\" field. This makes it unsuitable for
websites. For more information see the Baseline Requirements for the Issuance and Management
of Publicly-Trusted Certificates, v.1.1.6, from the CA/Browser Forum (https://cabforum.org);
specifically, section 10.2.3 (\"Information Requirements\").";

/// cfssl's key and CSR generator, with its log lines: a new key for the request's
/// `key` section and the CSR it signs (DER).
pub fn generate(req: &Request) -> Result<(PrivateKey, Vec<u8>)> {
    generate_validated(req, |_| Ok(()))
}

/// [`generate`] with a check of the request first (cfssl's generator `Validator`).
pub fn generate_validated(
    req: &Request,
    validate: impl FnOnce(&Request) -> Result<()>,
) -> Result<(PrivateKey, Vec<u8>)> {
    crate::log::info("generate received request");
    if let Err(e) = validate(req) {
        crate::log::warning(&format!("invalid request: {e}"));
        return Err(e);
    }
    crate::log::info("received CSR");
    crate::log::info(&format!(
        "generating key: {}-{}",
        req.key.algo, req.key.size
    ));
    crate::log::debug(&format!(
        "generate key from request: algo={}, size={}",
        req.key.algo, req.key.size
    ));
    let key = crate::keys::validate_request(&req.key.algo, req.key.size)
        .and_then(crate::keys::generate)?;
    let der = build(req, &key)?;
    crate::log::info("encoded CSR");
    Ok((key, der))
}

/// A signed PKCS#10 request (DER) for `subject` and `key` asking for `extensions`.
pub fn encode(
    subject_der: &[u8],
    key: &PrivateKey,
    extensions: &[RawExtension],
) -> Result<Vec<u8>> {
    let attributes = if extensions.is_empty() {
        asn1::tlv(0xa0, &[])
    } else {
        let elements: Vec<Vec<u8>> = extensions
            .iter()
            .map(|e| asn1::extension(&e.oid_der, e.critical, &e.value))
            .collect();
        let ext_seq = asn1::tlv(asn1::SEQUENCE, &elements.concat());
        let attr = asn1::seq(&[
            &asn1::oid(OID_EXTENSION_REQUEST).unwrap_or_default(),
            &asn1::tlv(asn1::SET, &ext_seq),
        ]);
        asn1::tlv(0xa0, &attr)
    };
    let info = asn1::seq(&[&asn1::int(0), subject_der, &key.spki_der(), &attributes]);
    let signature = key.sign(&info)?;
    Ok(asn1::seq(&[
        &info,
        &key.signature_algorithm_der(),
        &asn1::bit_string(&signature),
    ]))
}

/// A PKCS#10 request as the signer reads it: signature verified, subject regrouped the
/// way Go's `pkix.Name` holds it, and the requested extensions kept raw.
#[derive(Debug, Clone)]
pub struct ParsedCsr {
    pub subject: Subject,
    pub spki_der: Vec<u8>,
    /// Every requested extension, in request order.
    pub extensions: Vec<RawExtension>,
    /// The requested subjectAltName entries, in Go's order.
    pub sans: Vec<hosts::San>,
    /// `Some(path_len)` when basicConstraints asks for CA:TRUE.
    pub ca: Option<Option<u32>>,
}

impl ParsedCsr {
    pub fn has_extension(&self, dotted: &str) -> bool {
        let oid = asn1::oid(dotted).unwrap_or_default();
        self.extensions.iter().any(|e| e.oid_der == oid)
    }
}

/// Reads a CSR the way cfssl's signer does: the first PEM block must be a (NEW)
/// CERTIFICATE REQUEST (9002 / 9300), its DER must parse (9003) and its signature verify
/// (9300).
pub fn parse_pem(data: &[u8]) -> Result<ParsedCsr> {
    let Some((block, _)) = crate::pemfile::decode(data) else {
        return Err(Error::coded(9002, "CSR Decode failed"));
    };
    if block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST" {
        return Err(Error::coded(9300, "not a csr"));
    }
    parse_der(&block.der)
}

/// Parses a CSR and checks its self-signature, as cfssl's signer does.
pub fn parse_der(der: &[u8]) -> Result<ParsedCsr> {
    let (rest, csr) = decode(der)?;
    // Go parses the whole request (SAN rules included) before checking its signature.
    let parsed = view_of(rest, &csr)?;
    let info = &csr.certification_request_info;
    verify_signature(
        9300,
        &csr.signature_algorithm.algorithm.to_id_string(),
        &info.subject_pki,
        info.raw,
        &csr.signature_value.data,
    )?;
    Ok(parsed)
}

/// What the signer takes from a CSR: subject, key, requested extensions, SANs, CA flag;
/// the signature is not checked. Fails (9003) where Go's `ParseCertificateRequest` does.
pub fn view(der: &[u8]) -> Result<ParsedCsr> {
    let (rest, csr) = decode(der)?;
    view_of(rest, &csr)
}

fn decode(
    der: &[u8],
) -> Result<(
    &[u8],
    x509_parser::certification_request::X509CertificationRequest<'_>,
)> {
    use x509_parser::prelude::FromDer;
    x509_parser::certification_request::X509CertificationRequest::from_der(der)
        .map_err(|e| Error::coded(9003, format!("asn1: syntax error: {e}")))
}

/// [`view`] of a request already decoded, `rest` being what followed it.
fn view_of(
    rest: &[u8],
    csr: &x509_parser::certification_request::X509CertificationRequest,
) -> Result<ParsedCsr> {
    use x509_parser::prelude::*;
    if !rest.is_empty() {
        return Err(Error::coded(
            9003,
            "asn1: syntax error: trailing data after ASN.1 of type x509.certificateRequest",
        ));
    }
    let info = &csr.certification_request_info;
    let mut out = ParsedCsr {
        subject: Subject::from_name(&info.subject),
        spki_der: info.subject_pki.raw.to_vec(),
        extensions: Vec::new(),
        sans: Vec::new(),
        ca: None,
    };
    for attr in info.attributes() {
        let ParsedCriAttribute::ExtensionRequest(req) = attr.parsed_attribute() else {
            continue;
        };
        for ext in &req.extensions {
            // Arcs past an i64 (Go's int) make no OID, as they do in Go.
            let arcs = ext.oid.iter().into_iter().flatten();
            let oid_der = asn1::oid_from(arcs.map(|a| i64::try_from(a).ok())).unwrap_or_default();
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    hosts::go_readable(&san.general_names).map_err(|e| Error::coded(9003, e))?;
                    out.sans
                        .extend(san.general_names.iter().filter_map(|gn| match gn {
                            GeneralName::DNSName(d) => Some(hosts::San::Dns(d.to_string())),
                            GeneralName::RFC822Name(e) => Some(hosts::San::Email(e.to_string())),
                            GeneralName::IPAddress(ip) => Some(hosts::San::Ip(ip.to_vec())),
                            GeneralName::URI(u) => Some(hosts::San::Uri(u.to_string())),
                            _ => None,
                        }))
                }
                ParsedExtension::BasicConstraints(bc) if bc.ca => {
                    out.ca = Some(bc.path_len_constraint)
                }
                _ => {}
            }
            out.extensions.push(RawExtension {
                oid_der,
                critical: ext.critical,
                value: ext.value.to_vec(),
            });
        }
    }
    hosts::sort_go_order(&mut out.sans);
    Ok(out)
}

/// Checks a signature with the algorithms Go's x509 accepts for CSRs (SHA-1 still
/// allowed); a failure is Go's text under `code` (the OCSP signer checks certificates
/// with it too).
pub(crate) fn verify_signature(
    code: u32,
    sig_alg: &str,
    spki: &x509_parser::x509::SubjectPublicKeyInfo,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    crate::keys::check_signature(sig_alg, spki, message, signature, true)
        .map_err(|e| Error::coded(code, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_file_overrides_only_what_it_sets() {
        let csr_subject = Subject {
            country: vec!["US".into()],
            organization: vec!["Csr Org".into()],
            cn: "csr.example".into(),
            extra: vec![(OID_EMAIL.into(), "a@b.example".into())],
            ..Subject::default()
        };
        let r = Request::parse(br#"{"names":[{"O":"File Org"},{"OU":"Ops"}]}"#).unwrap();
        let s = csr_subject.overridden_by(&r);
        assert_eq!(s.country, vec!["US"]);
        assert_eq!(s.organization, vec!["File Org"]);
        assert_eq!(s.organizational_unit, vec!["Ops"]);
        assert_eq!(s.cn, "csr.example");
        assert!(s.extra.is_empty());
    }
    use x509_parser::prelude::FromDer;

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

    #[test]
    fn dn_order_types_and_multi_valued_rdns() {
        let r = Request::parse(
            br#"{"CN":"*.x","names":[{"O":"Alphabet Company","C":"US"},{"O":"Zeta","C":"DE"},{"O":"Beta","E":"a@b.c"}]}"#,
        )
        .unwrap();
        let der = r.subject().unwrap().to_der();
        let (_, name) = x509_parser::x509::X509Name::from_der(&der).unwrap();
        let rdns: Vec<Vec<String>> = name
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|a| format!("{}={}", a.attr_type(), a.as_str().unwrap_or("?")))
                    .collect()
            })
            .collect();
        assert_eq!(rdns[0], vec!["2.5.4.6=DE", "2.5.4.6=US"]);
        assert_eq!(
            rdns[1],
            vec![
                "2.5.4.10=Beta",
                "2.5.4.10=Zeta",
                "2.5.4.10=Alphabet Company"
            ]
        );
        assert_eq!(rdns[2], vec!["2.5.4.3=*.x"]);
        assert_eq!(rdns[3], vec!["1.2.840.113549.1.9.1=a@b.c"]);
        let cn_tag = name.iter_common_name().next().unwrap().attr_value().tag();
        assert_eq!(cn_tag.0, asn1::UTF8_STRING as u32);
    }

    #[test]
    fn extra_oid_replaces_standard_attribute() {
        let r = Request::parse(br#"{"CN":"a","names":[{"OID":{"2.5.4.3":"dup"}}]}"#).unwrap();
        let der = r.subject().unwrap().to_der();
        let (_, name) = x509_parser::x509::X509Name::from_der(&der).unwrap();
        assert_eq!(name.to_string(), "CN=dup");
    }

    #[test]
    fn bad_oid_is_cfssl_error() {
        let r = Request::parse(br#"{"names":[{"OID":{"1.2.abc":"x"}}]}"#).unwrap();
        assert_eq!(
            r.subject().unwrap_err().to_string(),
            r#"{"code":9300,"message":"invalid OID part abc"}"#
        );
    }

    #[test]
    fn pathlen_rules() {
        assert_eq!(ca_path_len(0, false).unwrap(), None);
        assert_eq!(ca_path_len(0, true).unwrap(), Some(0));
        assert_eq!(ca_path_len(3, true).unwrap(), Some(3));
        assert_eq!(ca_path_len(-1, true).unwrap(), None);
        assert!(ca_path_len(-2, false).is_err());
    }
}
