//! Finding the objects of a text: PEM blocks and one-line base64 CRLs and OCSP responses.

use super::cert::cert_facts;
use super::crl::{crl_facts, looks_like_crl};
use super::csr::csr_facts;
use super::key::{key_facts, pubkey_facts};
use super::Object;
use crate::der;
use serde_json::json;

fn label_kind(label: &str) -> Option<&'static str> {
    Some(match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" => "certificate",
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => "csr",
        "RSA PRIVATE KEY"
        | "EC PRIVATE KEY"
        | "PRIVATE KEY"
        | "ENCRYPTED PRIVATE KEY"
        | "Ed25519 PRIVATE KEY"
        | "ED25519 PRIVATE KEY" => "private_key",
        "PUBLIC KEY" => "public_key",
        "X509 CRL" => "crl",
        _ => return None,
    })
}

fn facts_for_der(label: &str, der_bytes: &[u8]) -> Object {
    let result = match label_kind(label) {
        Some("certificate") => cert_facts(der_bytes),
        Some("csr") => csr_facts(der_bytes),
        Some("private_key") => key_facts(der_bytes),
        Some("public_key") => pubkey_facts(der_bytes),
        Some(_) => crl_facts(der_bytes),
        None => {
            let by_structure = cert_facts(der_bytes)
                .or_else(|_| csr_facts(der_bytes))
                .or_else(|_| key_facts(der_bytes));
            Ok(by_structure.unwrap_or_else(|_| {
                Object::new(
                    "unknown",
                    json!({"type": "unknown", "der_bytes": der_bytes.len()}),
                    json!({}),
                )
            }))
        }
    };
    let mut o = result.unwrap_or_else(|e| Object::invalid(e.0));
    o.der = Some(der_bytes.to_vec());
    o
}

fn pem_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?s)-----BEGIN ([^\r\n]*?)-----(\r?\n)(.*?)-----END ([^\r\n]*?)-----(\r?\n)?",
        )
        .expect("PEM regex")
    })
}

fn b64_line_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?m)^([A-Za-z0-9+/]{60,}={0,2})(\r?\n|$)").expect("base64 line regex")
    })
}

/// Strict base64 as the reference decodes it: the alphabet plus at most two
/// `=`, correct padding, non-zero trailing bits tolerated.
fn b64_decode(s: &str) -> std::result::Result<Vec<u8>, String> {
    use base64::engine::{general_purpose::GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return Err("Non-base64 digit found".into());
    }
    ENGINE.decode(s).map_err(|e| e.to_string())
}

/// PEM blocks of a text, in order.
pub fn pem_objects(text: &str) -> Vec<Object> {
    let mut out = Vec::new();
    for m in pem_regex().captures_iter(text) {
        let whole = m.get(0).expect("match");
        let label = &m[1];
        let nl = &m[2];
        let mut lines: Vec<&str> = m[3].split(nl).collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        let mut headers: Vec<&str> = Vec::new();
        let mut b64lines = &lines[..];
        if lines.iter().any(|l| l.contains(':')) {
            if let Some(k) = lines.iter().position(|l| l.is_empty()) {
                headers = lines[..k]
                    .iter()
                    .map(|l| l.split(':').next().unwrap_or(""))
                    .collect();
                b64lines = &lines[k + 1..];
            }
        }
        let first_len = b64lines.first().map_or(0, |l| l.chars().count());
        let layout = json!({
            "label": label,
            "end_label_matches": &m[4] == label,
            "line_ending": if nl == "\r\n" { "CRLF" } else { "LF" },
            "headers": headers,
            "max_line": b64lines.iter().map(|l| l.chars().count()).max().unwrap_or(0),
            "short_lines_before_last": b64lines[..b64lines.len().saturating_sub(1)]
                .iter()
                .filter(|l| l.chars().count() != first_len)
                .count(),
            "newline_after_end": m.get(5).is_some(),
        });
        let mut o = match b64_decode(&b64lines.concat()) {
            Ok(der_bytes) => facts_for_der(label, &der_bytes),
            Err(e) => Object::invalid(format!("base64: {e}")),
        };
        o.facts["pem"] = layout;
        o.span = (whole.start(), whole.end());
        out.push(o);
    }
    out
}

/// CRLs and OCSP responses written as one line of base64 DER, outside the given PEM spans.
fn b64_line_objects(text: &str, skip: &[(usize, usize)]) -> Vec<Object> {
    let mut out = Vec::new();
    for m in b64_line_regex().captures_iter(text) {
        let whole = m.get(0).expect("match");
        if skip
            .iter()
            .any(|&(a, b)| a <= whole.start() && whole.start() < b)
        {
            continue;
        }
        let Ok(der_bytes) = b64_decode(&m[1]) else {
            continue;
        };
        let Some(mut o) = b64_der_object(der_bytes) else {
            continue;
        };
        o.facts["pem"] = json!({
            "label": null,
            "encoding": "base64 line",
            "newline_after_end": !m[2].is_empty(),
        });
        o.span = (whole.start(), whole.end());
        out.push(o);
    }
    out
}

/// The object of base64-decoded DER that is a CRL or an OCSP response.
fn b64_der_object(der_bytes: Vec<u8>) -> Option<Object> {
    der::parse(&der_bytes).ok()?;
    let facts = if crate::ocsp::looks_like_ocsp(&der_bytes) {
        crate::ocsp::ocsp_facts(&der_bytes)
    } else if looks_like_crl(&der_bytes) {
        crl_facts(&der_bytes)
    } else {
        return None;
    };
    let mut o = facts.unwrap_or_else(|e| Object::invalid(e.0));
    o.der = Some(der_bytes);
    Some(o)
}

/// The object of a JSON string value that is nothing but the base64 of a DER CRL or
/// OCSP response (the `result` of the crl/gencrl endpoints, `ocspResponse`).
pub fn b64_value_object(value: &str) -> Option<Object> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^[A-Za-z0-9+/]{60,}={0,2}$").expect("regex"));
    if !re.is_match(value) {
        return None;
    }
    let mut o = b64_der_object(b64_decode(value).ok()?)?;
    o.facts["pem"] = json!({"label": null, "encoding": "base64 value"});
    Some(o)
}

/// PEM blocks and base64-line CRLs and OCSP responses of a text, in order of appearance.
pub fn text_objects(text: &str) -> Vec<Object> {
    let mut objs = pem_objects(text);
    let spans: Vec<(usize, usize)> = objs.iter().map(|o| o.span).collect();
    objs.extend(b64_line_objects(text, &spans));
    objs.sort_by_key(|o| o.span.0);
    objs
}
