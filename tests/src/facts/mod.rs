//! Facts about PEM objects (certificates, CSRs, private and public keys, CRLs; OCSP
//! responses are in `ocsp`),
//! in the structure of the golden expectations (`tests/golden/FORMAT.md`):
//! `facts` compare with ==, `random` by shape, `time` by the time rules.

mod blocks;
mod cert;
mod crl;
mod csr;
mod extensions;
mod key;
mod pem;
mod signature;

pub use blocks::oid_name;
pub(crate) use blocks::{alg_id, name_rdns, sha1};
pub use cert::{cert_facts, certinfo_values, CertParts};
pub use crl::{crl_facts, looks_like_crl};
pub use csr::csr_facts;
pub(crate) use extensions::{extensions_list, ExtContext};
pub use key::{key_facts, pubkey_facts};
pub use pem::{b64_value_object, pem_objects, text_objects};
pub(crate) use signature::verify_parts;
pub use signature::{issuer_relation, verify_signed, IssuerRelation};

use serde_json::{json, Map, Value};

/// One object found in a text, with the raw parts the relations need.
#[derive(Debug, Clone)]
pub struct Object {
    /// byte range in the text it was found in (the `<PEM#K>` replacement)
    pub span: (usize, usize),
    pub kind: String,
    pub facts: Value,
    pub random: Value,
    /// certificates and CRLs only; the run-relative fields are added later
    pub time: Option<Map<String, Value>>,
    pub der: Option<Vec<u8>>,
    /// SubjectPublicKeyInfo DER (a private key's derived public key)
    pub spki: Option<Vec<u8>>,
    /// certificate notBefore or CRL thisUpdate, unix seconds
    pub reference_time: Option<i64>,
}

impl Object {
    pub(crate) fn new(kind: &str, facts: Value, random: Value) -> Object {
        Object {
            span: (0, 0),
            kind: kind.into(),
            facts,
            random,
            time: None,
            der: None,
            spki: None,
            reference_time: None,
        }
    }

    fn invalid(error: String) -> Object {
        Object::new(
            "invalid",
            json!({"type": "invalid", "error": error}),
            json!({}),
        )
    }
}
