//! Decoding walks the JSON keys in input order the way Go's `encoding/json` fills the
//! `config.Config` structs, because the observable quirks come from there: exact key match
//! before case-insensitive match (`"Expiry"` is the integer field, `"EXPIRY"` the string),
//! last key wins, type mismatches reported at the end, custom decoders (OIDs, times, lint
//! levels) failing at once.

use chrono::{DateTime, TimeZone, Utc};

use super::rfc3339::parse_rfc3339;
use super::{CaConstraint, CertificatePolicy, CsrWhitelist, Oid, PolicyQualifier};
use crate::gojson::{go_equal_fold, join_path as join, TypeErrors, Value};

#[derive(Default)]
pub(super) struct RawConfig {
    pub(super) signing: Option<RawSigning>,
    pub(super) auth_keys: Vec<(String, AuthKey)>,
    pub(super) remotes: Vec<(String, String)>,
}

#[derive(Default)]
pub(super) struct RawSigning {
    pub(super) profiles: Option<Vec<(String, Option<RawProfile>)>>,
    pub(super) default: Option<RawProfile>,
}

#[derive(Default)]
pub(super) struct AuthKey {
    pub(super) kind: String,
    pub(super) key: String,
}

#[derive(Default)]
pub(super) struct AuthRemote {
    pub(super) remote: String,
    pub(super) auth_key: String,
}

#[derive(Default)]
pub(super) struct RawProfile {
    pub(super) usages: Vec<String>,
    pub(super) issuer_urls: Option<Vec<String>>,
    pub(super) ocsp_url: String,
    pub(super) crl_url: String,
    pub(super) ca_constraint: CaConstraint,
    pub(super) ocsp_no_check: bool,
    pub(super) expiry_string: String,
    pub(super) backdate_string: String,
    pub(super) auth_key: String,
    pub(super) copy_extensions: bool,
    pub(super) prev_auth_key: String,
    pub(super) remote: String,
    pub(super) not_before: Option<DateTime<Utc>>,
    pub(super) not_after: Option<DateTime<Utc>>,
    pub(super) name_whitelist: String,
    pub(super) auth_remote: AuthRemote,
    pub(super) allowed_extensions: Vec<Oid>,
    pub(super) lint_error_level: u8,
    pub(super) ignored_lint_sources: Vec<String>,
    pub(super) policies: Vec<CertificatePolicy>,
    pub(super) expiry: i64,
    pub(super) backdate: i64,
    pub(super) csr_whitelist: Option<CsrWhitelist>,
    pub(super) client_provides_serial_numbers: bool,
}

/// A custom decoder's error: Go stops decoding and reports it, ahead of any type mismatch.
type Fatal = String;

/// Go's field lookup: an exact name first, else the first field in struct order that
/// folds equal. `fields` must be in the Go struct's order.
fn match_field(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| go_equal_fold(f, key)))
        .copied()
}

/// Decodes each known key of object `v` (at `path`) in input order; `f` gets the Go
/// field name, and the value's path as the input spells it (for Go's type errors).
fn for_fields<'v>(
    v: &'v [(String, Value)],
    path: &str,
    fields: &[&'static str],
    mut f: impl FnMut(&'static str, String, &'v Value) -> Result<(), Fatal>,
) -> Result<(), Fatal> {
    for (key, value) in v {
        if let Some(name) = match_field(key, fields) {
            f(name, join(path, key), value)?;
        }
    }
    Ok(())
}

/// Inserts into a Go map: a repeated key replaces the value in place.
fn map_insert<T>(map: &mut Vec<(String, T)>, key: &str, value: T) {
    match map.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => map.push((key.to_string(), value)),
    }
}

/// The whole `Config` decode; `Err` is the Go error text (syntax is checked before).
pub(super) fn decode_config(v: &Value) -> Result<RawConfig, String> {
    let mut te = TypeErrors::default();
    let mut cfg = RawConfig::default();
    match v {
        // Go would crash on a `null` document; "no signing" is the honest answer.
        Value::Null => {}
        Value::Object(o) => decode_config_fields(&mut te, o, &mut cfg)?,
        other => te.record(other, "", "", "config.Config"),
    }
    te.into_result()?;
    Ok(cfg)
}

fn decode_config_fields(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    cfg: &mut RawConfig,
) -> Result<(), Fatal> {
    for_fields(
        o,
        "",
        &["signing", "ocsp", "auth_keys", "remotes"],
        |name, fp, v| {
            match (name, v) {
                ("signing", Value::Null) => cfg.signing = None,
                ("signing", Value::Object(o)) => {
                    let s = cfg.signing.get_or_insert_with(RawSigning::default);
                    decode_signing(te, o, &fp, s)?;
                }
                ("signing", other) => te.record(other, "", &fp, "config.Signing"),
                // The OCSP responder settings don't matter to the CLI; only the shape does.
                ("ocsp", Value::Null | Value::Object(_)) => {}
                ("ocsp", other) => te.record(other, "", &fp, "config.Config"),
                ("auth_keys", Value::Null) => cfg.auth_keys.clear(),
                ("auth_keys", Value::Object(entries)) => {
                    for (k, entry) in entries {
                        let path = join(&fp, k);
                        let mut key = AuthKey::default();
                        match entry {
                            Value::Object(o) => {
                                for_fields(o, &path, &["type", "key"], |f, fp, v| {
                                    let target = if f == "type" {
                                        &mut key.kind
                                    } else {
                                        &mut key.key
                                    };
                                    set_string(te, v, &fp, target);
                                    Ok(())
                                })?
                            }
                            Value::Null => {}
                            other => te.record(other, "", &path, "config.AuthKey"),
                        }
                        map_insert(&mut cfg.auth_keys, k, key);
                    }
                }
                ("auth_keys", other) => te.record(other, "", &fp, "map[string]config.AuthKey"),
                ("remotes", Value::Null) => cfg.remotes.clear(),
                ("remotes", Value::Object(entries)) => {
                    for (k, entry) in entries {
                        let mut addr = String::new();
                        set_string(te, entry, &join(&fp, k), &mut addr);
                        map_insert(&mut cfg.remotes, k, addr);
                    }
                }
                (_, other) => te.record(other, "", &fp, "map[string]string"),
            }
            Ok(())
        },
    )
}

fn decode_signing(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    s: &mut RawSigning,
) -> Result<(), Fatal> {
    for_fields(o, path, &["profiles", "default"], |name, path, v| {
        match (name, v) {
            ("profiles", Value::Null) => s.profiles = None,
            ("profiles", Value::Object(entries)) => {
                let map = s.profiles.get_or_insert_with(Vec::new);
                for (k, entry) in entries {
                    let entry_path = join(&path, k);
                    let profile = match entry {
                        Value::Object(o) => {
                            let mut p = RawProfile::default();
                            decode_profile(te, o, &entry_path, &mut p)?;
                            Some(p)
                        }
                        Value::Null => None,
                        other => {
                            te.record(other, "", &entry_path, "config.SigningProfile");
                            None
                        }
                    };
                    map_insert(map, k, profile);
                }
            }
            ("profiles", other) => te.record(other, "", &path, "map[string]*config.SigningProfile"),
            (_, Value::Null) => s.default = None,
            (_, Value::Object(o)) => {
                let p = s.default.get_or_insert_with(RawProfile::default);
                decode_profile(te, o, &path, p)?;
            }
            (_, other) => te.record(other, "", &path, "config.SigningProfile"),
        }
        Ok(())
    })
}

/// `SigningProfile`'s decodable fields in Go struct order; the order matters for
/// `"EXPIRY"` (string) vs the exact `"Expiry"` (integer nanoseconds).
const PROFILE_FIELDS: &[&str] = &[
    "usages",
    "issuer_urls",
    "ocsp_url",
    "crl_url",
    "ca_constraint",
    "ocsp_no_check",
    "expiry",
    "backdate",
    "auth_key",
    "copy_extensions",
    "prev_auth_key",
    "remote",
    "not_before",
    "not_after",
    "name_whitelist",
    "auth_remote",
    "ct_log_servers",
    "allowed_extensions",
    "cert_store",
    "lint_error_level",
    "ignored_lints",
    "ignored_lint_sources",
    "Policies",
    "Expiry",
    "Backdate",
    "CSRWhitelist",
    "ClientProvidesSerialNumbers",
];

fn decode_profile(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    p: &mut RawProfile,
) -> Result<(), Fatal> {
    for_fields(o, path, PROFILE_FIELDS, |name, fp, v| {
        match name {
            "usages" => set_strings(te, v, &fp, &mut p.usages),
            "issuer_urls" => match v {
                Value::Null => p.issuer_urls = None,
                _ => {
                    if let Some(list) = te.strings(v, "", &fp) {
                        p.issuer_urls = Some(list);
                    }
                }
            },
            "ocsp_url" => set_string(te, v, &fp, &mut p.ocsp_url),
            "crl_url" => set_string(te, v, &fp, &mut p.crl_url),
            "ca_constraint" => match v {
                Value::Object(o) => {
                    let c = &mut p.ca_constraint;
                    for_fields(
                        o,
                        &fp,
                        &["is_ca", "max_path_len", "max_path_len_zero"],
                        |f, fp, v| {
                            match f {
                                "is_ca" => set_bool(te, v, &fp, &mut c.is_ca),
                                "max_path_len_zero" => {
                                    set_bool(te, v, &fp, &mut c.max_path_len_zero)
                                }
                                _ => {
                                    if let Some(n) = te.int(v, "", &fp) {
                                        c.max_path_len = n;
                                    }
                                }
                            }
                            Ok(())
                        },
                    )?
                }
                Value::Null => {}
                other => te.record(other, "", &fp, "config.CAConstraint"),
            },
            "ocsp_no_check" => set_bool(te, v, &fp, &mut p.ocsp_no_check),
            "expiry" => set_string(te, v, &fp, &mut p.expiry_string),
            "backdate" => set_string(te, v, &fp, &mut p.backdate_string),
            "auth_key" => set_string(te, v, &fp, &mut p.auth_key),
            "copy_extensions" => set_bool(te, v, &fp, &mut p.copy_extensions),
            "prev_auth_key" => set_string(te, v, &fp, &mut p.prev_auth_key),
            "remote" => set_string(te, v, &fp, &mut p.remote),
            "not_before" => decode_time(te, v, &fp, &mut p.not_before)?,
            "not_after" => decode_time(te, v, &fp, &mut p.not_after)?,
            "name_whitelist" => set_string(te, v, &fp, &mut p.name_whitelist),
            "auth_remote" => match v {
                Value::Object(o) => {
                    let r = &mut p.auth_remote;
                    for_fields(o, &fp, &["remote", "auth_key"], |f, fp, v| {
                        let target = if f == "remote" {
                            &mut r.remote
                        } else {
                            &mut r.auth_key
                        };
                        set_string(te, v, &fp, target);
                        Ok(())
                    })?
                }
                Value::Null => {}
                other => te.record(other, "", &fp, "config.AuthRemote"),
            },
            // Parsed only for their type errors: CT submission and zlint aren't reachable.
            "ct_log_servers" | "ignored_lints" => {
                te.strings(v, "", &fp);
            }
            "allowed_extensions" => match v {
                Value::Null => p.allowed_extensions.clear(),
                Value::Array(items) => {
                    p.allowed_extensions = items.iter().map(decode_oid).collect::<Result<_, _>>()?
                }
                other => te.record(other, "", &fp, "[]config.OID"),
            },
            "cert_store" => {
                te.string(v, "", &fp);
            }
            "lint_error_level" => p.lint_error_level = decode_lint_level(v)?,
            "ignored_lint_sources" => set_strings(te, v, &fp, &mut p.ignored_lint_sources),
            "Policies" => match v {
                Value::Null => p.policies.clear(),
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let mut pol = CertificatePolicy::default();
                        let ip = format!("{fp}.{i}");
                        match item {
                            Value::Object(o) => decode_policy(te, o, &ip, &mut pol)?,
                            Value::Null => {}
                            other => te.record(other, "", &ip, "config.CertificatePolicy"),
                        }
                        out.push(pol);
                    }
                    p.policies = out;
                }
                other => te.record(other, "", &fp, "[]config.CertificatePolicy"),
            },
            "Expiry" => set_nanos(te, v, &fp, &mut p.expiry),
            "Backdate" => set_nanos(te, v, &fp, &mut p.backdate),
            "CSRWhitelist" => match v {
                Value::Null => p.csr_whitelist = None,
                Value::Object(o) => {
                    let w = p.csr_whitelist.get_or_insert_with(CsrWhitelist::default);
                    decode_csr_whitelist(te, o, &fp, w)?;
                }
                other => te.record(other, "", &fp, "config.CSRWhitelist"),
            },
            _ => set_bool(te, v, &fp, &mut p.client_provides_serial_numbers),
        }
        Ok(())
    })
}

fn decode_policy(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    pol: &mut CertificatePolicy,
) -> Result<(), Fatal> {
    for_fields(o, path, &["ID", "Qualifiers"], |name, fp, v| {
        match (name, v) {
            ("ID", v) => pol.id = decode_oid(v)?,
            (_, Value::Null) => pol.qualifiers.clear(),
            (_, Value::Array(items)) => {
                pol.qualifiers = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let mut q = PolicyQualifier::default();
                    let ip = format!("{fp}.{i}");
                    match item {
                        Value::Object(o) => for_fields(o, &ip, &["Type", "Value"], |f, fp, v| {
                            let target = if f == "Type" {
                                &mut q.kind
                            } else {
                                &mut q.value
                            };
                            set_string(te, v, &fp, target);
                            Ok(())
                        })?,
                        Value::Null => {}
                        other => te.record(other, "", &ip, "config.CertificatePolicyQualifier"),
                    }
                    pol.qualifiers.push(q);
                }
            }
            (_, other) => te.record(other, "", &fp, "[]config.CertificatePolicyQualifier"),
        }
        Ok(())
    })
}

fn decode_csr_whitelist(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    w: &mut CsrWhitelist,
) -> Result<(), Fatal> {
    const FIELDS: &[&str] = &[
        "Subject",
        "PublicKeyAlgorithm",
        "PublicKey",
        "SignatureAlgorithm",
        "DNSNames",
        "IPAddresses",
        "EmailAddresses",
        "URIs",
    ];
    for_fields(o, path, FIELDS, |name, fp, v| {
        let target = match name {
            "Subject" => &mut w.subject,
            "PublicKeyAlgorithm" => &mut w.public_key_algorithm,
            "PublicKey" => &mut w.public_key,
            "SignatureAlgorithm" => &mut w.signature_algorithm,
            "DNSNames" => &mut w.dns_names,
            "IPAddresses" => &mut w.ip_addresses,
            "EmailAddresses" => &mut w.email_addresses,
            _ => &mut w.uris,
        };
        set_bool(te, v, &fp, target);
        Ok(())
    })
}

fn set_string(te: &mut TypeErrors, v: &Value, path: &str, target: &mut String) {
    if let Some(s) = te.string(v, "", path) {
        *target = s;
    }
}

fn set_bool(te: &mut TypeErrors, v: &Value, path: &str, target: &mut bool) {
    if let Some(b) = te.bool(v, "", path) {
        *target = b;
    }
}

/// A `[]string`: `null` empties it, as Go sets the slice to nil.
fn set_strings(te: &mut TypeErrors, v: &Value, path: &str, target: &mut Vec<String>) {
    match v {
        Value::Null => target.clear(),
        _ => {
            if let Some(list) = te.strings(v, "", path) {
                *target = list;
            }
        }
    }
}

/// A `time.Duration` field: Go reads it as integer nanoseconds.
fn set_nanos(te: &mut TypeErrors, v: &Value, path: &str, target: &mut i64) {
    match v {
        Value::Null => {}
        Value::Number(n) => match n.parse::<i64>() {
            Ok(n) => *target = n,
            Err(_) => te.record(v, "", path, "time.Duration"),
        },
        other => te.record(other, "", path, "time.Duration"),
    }
}

/// The value's JSON text, for decoders that quote what they were given.
fn raw_json(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.clone(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(raw_json).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("\"{k}\":{}", raw_json(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

/// cfssl's `OID.UnmarshalJSON` (even `null` is refused).
fn decode_oid(v: &Value) -> Result<Oid, Fatal> {
    let Value::String(s) = v else {
        return Err(format!(
            "OID JSON string not wrapped in quotes.{}",
            raw_json(v)
        ));
    };
    // cfssl's check is the unanchored regexp `\d(\.\d+)*`, i.e. "contains a digit".
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return Err("Invalid OID".into());
    }
    s.split('.').map(go_atoi).collect::<Result<_, _>>().map(Oid)
}

/// `strconv.Atoi` with its error texts.
fn go_atoi(s: &str) -> Result<i64, String> {
    use std::num::IntErrorKind::*;
    s.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            PosOverflow | NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        format!(
            "strconv.Atoi: parsing {}: {why}",
            crate::gojson::go_quote(s)
        )
    })
}

/// zlint's `LintStatus.UnmarshalJSON`: the raw JSON with every `"` removed must be a label.
fn decode_lint_level(v: &Value) -> Result<u8, Fatal> {
    let raw = raw_json(v);
    const LABELS: [&str; 8] = [
        "reserved", "NA", "NE", "pass", "info", "warn", "error", "fatal",
    ];
    let key = raw.replace('"', "");
    LABELS
        .iter()
        .position(|l| *l == key)
        .map(|i| i as u8)
        .ok_or_else(|| format!("bad LintStatus JSON value: {raw}"))
}

/// `time.Time.UnmarshalJSON`: `null` leaves the field unset, the zero time counts as unset.
fn decode_time(
    te: &mut TypeErrors,
    v: &Value,
    path: &str,
    target: &mut Option<DateTime<Utc>>,
) -> Result<(), Fatal> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            let t = parse_rfc3339(s)?;
            let zero = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
            *target = if Some(t) == zero { None } else { Some(t) };
            Ok(())
        }
        other => {
            te.record(other, "", path, "time.Time");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;
    use crate::duration::MINUTE;

    #[test]
    fn go_field_matching() {
        // The exact key "Expiry" is the integer field; other spellings are the string.
        assert_eq!(
            err(&with_default(r#""Expiry":"1h""#)),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing.default.Expiry of type time.Duration")
        );
        let s =
            parse(with_default(r#""EXPIRY":"2h","Usages":["signing"],"expiry":"3h""#).as_bytes())
                .unwrap()
                .signing;
        assert_eq!(s.default.expiry, 3 * H);
        let s = parse(with_default(r#""expiry":"2h","Backdate":60000000000"#).as_bytes())
            .unwrap()
            .signing;
        assert_eq!(s.default.backdate, MINUTE);
        // Type errors are reported after decoding, so a later syntax-valid custom
        // decoder failure wins over an earlier mismatch.
        assert_eq!(
            err(&with_default(
                r#""usages":"signing","lint_error_level":"loud""#
            )),
            coded(r#"failed to unmarshal configuration: bad LintStatus JSON value: "loud""#)
        );
        assert_eq!(
            err(r#"{"signing":{"profiles":{"p":{"ocsp_no_check":"yes"}}}}"#),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing.profiles.p.ocsp_no_check of type bool")
        );
    }

    #[test]
    fn profile_fields() {
        let body = r#""expiry":"1h","backdate":"1m","issuer_urls":[],"copy_extensions":true,
            "not_before":"2024-05-01T12:00:00+02:00","not_after":"2025-05-01T00:00:00.5Z",
            "name_whitelist":"\\.example\\.com$","lint_error_level":"warn",
            "policies":[{"ID":"2.23.140.1.2.1","Qualifiers":[{"type":"id-qt-cps","value":"http://cps"}]}],
            "allowed_extensions":["1.2.3"],
            "CSRWhitelist":{"PublicKey":true,"dnsnames":true},"ClientProvidesSerialNumbers":true"#;
        let s = parse(with_default(body).as_bytes()).unwrap().signing;
        let p = s.profile("").unwrap();
        assert_eq!(p.backdate, MINUTE);
        assert_eq!(p.issuer_urls, Some(vec![]));
        assert!(p.copy_extensions);
        assert_eq!(p.not_before, Some(at("2024-05-01T10:00:00Z")));
        assert_eq!(p.not_after, Some(at("2025-05-01T00:00:00.5Z")));
        assert!(p.name_whitelist.as_ref().unwrap().is_match("a.example.com"));
        assert_eq!(p.lint_error_level, 5);
        assert_eq!(p.policies[0].id.to_string(), "2.23.140.1.2.1");
        assert_eq!(p.policies[0].qualifiers[0].kind, "id-qt-cps");
        assert_eq!(p.allowed_extensions, [Oid(vec![1, 2, 3])]);
        assert!(p.check_policies().is_ok());
        let w = p.csr_whitelist.unwrap();
        assert!(w.public_key && w.dns_names && !w.subject);
        assert!(p.client_provides_serial_numbers);
        assert_eq!(
            s.check_lint(&p).unwrap_err().to_string(),
            r#"{"code":2500,"message":"Private key is unavailable"}"#
        );

        let s = parse(
            with_default(r#""expiry":"1h","policies":[{"ID":"1.2","Qualifiers":[{"Value":"v"}]}]"#)
                .as_bytes(),
        )
        .unwrap()
        .signing;
        assert_eq!(
            s.profile("")
                .unwrap()
                .check_policies()
                .unwrap_err()
                .to_string(),
            coded("Invalid qualifier type in Policies ")
        );
    }
}
