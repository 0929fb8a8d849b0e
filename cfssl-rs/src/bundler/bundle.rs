//! A finished bundle and the JSON cfssl prints for it (`bundler.Bundle.MarshalJSON`).

use super::cert::{self, Cert, KeyAlgo};
use crate::gojson::write_string;
use crate::keys::PrivateKey;
use std::fmt::Write as _;
use std::sync::Arc;

/// `bundler.BundleStatus`.
#[derive(Debug, Clone)]
pub struct Status {
    pub rebundled: bool,
    /// SKIs (upper-case hex) of the certificates expiring within 30 days; `None` = null.
    pub expiring_skis: Option<Vec<String>>,
    /// `None` for a forced bundle (cfssl prints null), else the platforms that do not
    /// trust the root.
    pub untrusted_root_stores: Option<Vec<String>>,
    pub messages: Vec<String>,
    pub code: u32,
}

#[derive(Debug)]
pub struct Bundle {
    /// The chain as served: leaf first, usually without the root.
    pub chain: Vec<Arc<Cert>>,
    pub cert: Arc<Cert>,
    pub root: Option<Arc<Cert>>,
    pub key: Option<PrivateKey>,
    /// Unix seconds: the chain's earliest notAfter, and the leaf's.
    pub expires: i64,
    pub leaf_expires: i64,
    pub hostnames: Vec<String>,
    pub status: Status,
}

/// cfssl's hostnames: the CN and the DNS names, each once.
pub fn hostnames(c: &Cert) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let cn = c.common_name();
    for h in std::iter::once(cn)
        .filter(|h| !h.is_empty())
        .chain(c.dns_names.iter().map(String::as_str))
    {
        if !out.iter().any(|x| x == h) {
            out.push(h.to_string());
        }
    }
    out
}

fn pem_trimmed(der: &[u8]) -> String {
    crate::output::pem("CERTIFICATE", der)
        .trim_end()
        .to_string()
}

/// Go's `time.Time` JSON for a whole-second UTC time.
fn go_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn string_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, s);
    }
    out.push(']');
}

fn optional_list(out: &mut String, items: Option<&[String]>) {
    match items {
        Some(items) => string_list(out, items),
        None => out.push_str("null"),
    }
}

impl Bundle {
    /// The JSON object, keys sorted as Go's map encoding sorts them, no newline.
    pub fn to_json(&self) -> String {
        let c = &self.cert;
        let key_size = c.key_length();
        let key_type = match c.key {
            KeyAlgo::Ec { .. } => format!("{key_size}-bit ECDSA"),
            KeyAlgo::Rsa { .. } => format!("{key_size}-bit RSA"),
            KeyAlgo::Dsa => "DSA".into(),
            KeyAlgo::Ed25519 => "Ed25519".into(),
            KeyAlgo::Unknown => "Unknown".into(),
        };
        let key = self
            .key
            .as_ref()
            .and_then(|k| k.to_pem().ok())
            .map(|p| p.trim_end().to_string())
            .unwrap_or_default();
        let chain = self
            .chain
            .iter()
            .map(|x| pem_trimmed(&x.raw))
            .collect::<Vec<_>>()
            .join("\n");
        let root = self
            .root
            .as_ref()
            .map(|r| pem_trimmed(&r.raw))
            .unwrap_or_default();

        let mut o = String::from("{\"bundle\":");
        write_string(&mut o, &chain);
        let _ = write!(
            o,
            ",\"crl_support\":{},\"crt\":",
            !c.crl_distribution_points.is_empty()
        );
        write_string(&mut o, &pem_trimmed(&c.raw));
        o.push_str(",\"expires\":");
        write_string(&mut o, &go_time(self.expires));
        o.push_str(",\"hostnames\":");
        string_list(&mut o, &self.hostnames);
        o.push_str(",\"issuer\":");
        write_string(&mut o, &cert::slash_names(&c.issuer_attrs));
        o.push_str(",\"key\":");
        write_string(&mut o, &key);
        let _ = write!(o, ",\"key_size\":{key_size},\"key_type\":");
        write_string(&mut o, &key_type);
        o.push_str(",\"leaf_expires\":");
        write_string(&mut o, &go_time(self.leaf_expires));
        o.push_str(",\"ocsp\":");
        optional_list(
            &mut o,
            Some(c.ocsp_servers.as_slice()).filter(|l| !l.is_empty()),
        );
        let _ = write!(
            o,
            ",\"ocsp_support\":{},\"root\":",
            !c.ocsp_servers.is_empty()
        );
        write_string(&mut o, &root);
        o.push_str(",\"signature\":");
        write_string(&mut o, c.signature_name());
        let s = &self.status;
        let _ = write!(
            o,
            ",\"status\":{{\"rebundled\":{},\"expiring_SKIs\":",
            s.rebundled
        );
        optional_list(&mut o, s.expiring_skis.as_deref());
        o.push_str(",\"untrusted_root_stores\":");
        optional_list(&mut o, s.untrusted_root_stores.as_deref());
        o.push_str(",\"messages\":");
        // Go leaves the list nil (null) when nothing was said.
        optional_list(
            &mut o,
            Some(s.messages.as_slice()).filter(|l| !l.is_empty()),
        );
        let _ = write!(o, ",\"code\":{}}},\"subject\":", s.code);
        write_string(&mut o, &cert::slash_names(&c.subject_attrs));
        o.push('}');
        o
    }
}
