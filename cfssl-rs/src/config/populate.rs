use super::decode::{RawConfig, RawProfile};
use super::usage::{ext_key_usage_oid, key_usage_bit};
use super::{invalid, Profile};
use crate::duration;
use crate::Error;

/// cfssl's `SigningProfile.populate`: turns the decoded strings into durations, regexes
/// and remote/auth references, failing with the first problem in cfssl's order.
pub(super) fn populate(raw: &RawProfile, cfg: &RawConfig) -> Result<Profile, Error> {
    let mut p = Profile {
        usages: raw.usages.clone(),
        issuer_urls: raw.issuer_urls.clone(),
        ocsp_url: raw.ocsp_url.clone(),
        crl_url: raw.crl_url.clone(),
        ca_constraint: raw.ca_constraint,
        ocsp_no_check: raw.ocsp_no_check,
        expiry: raw.expiry,
        expiry_string: raw.expiry_string.clone(),
        backdate: raw.backdate,
        not_before: raw.not_before,
        not_after: raw.not_after,
        name_whitelist: None,
        copy_extensions: raw.copy_extensions,
        allowed_extensions: raw.allowed_extensions.clone(),
        policies: raw.policies.clone(),
        csr_whitelist: raw.csr_whitelist,
        client_provides_serial_numbers: raw.client_provides_serial_numbers,
        lint_error_level: raw.lint_error_level,
        remote: String::new(),
        remote_server: String::new(),
        auth: None,
        prev_auth: None,
        remote_auth: None,
        skips_local_settings: false,
    };
    let find_remote = |name: &str| match cfg.remotes.iter().rev().find(|(n, _)| n == name) {
        Some((_, addr)) if !addr.is_empty() => Ok(addr.clone()),
        _ => Err(invalid("failed to find remote in remotes section")),
    };

    if raw.remote.is_empty() && raw.auth_remote.remote.is_empty() {
        if raw.expiry_string.is_empty() {
            return Err(invalid("empty expiry string"));
        }
        p.expiry = duration::parse(&raw.expiry_string).map_err(invalid)?;
        if !raw.backdate_string.is_empty() {
            p.backdate = duration::parse(&raw.backdate_string).map_err(invalid)?;
        }
        if let (Some(nb), Some(na)) = (p.not_before, p.not_after) {
            // cfssl crashes here (it wraps a nil error, exit 2); a message is kinder,
            // and the status stays.
            if na < nb {
                return Err(Error::abort(format!(
                    "invalid configuration: not_after ({}) is before not_before ({})",
                    na.to_rfc3339(),
                    nb.to_rfc3339()
                )));
            }
        }
        for q in raw.policies.iter().flat_map(|pol| &pol.qualifiers) {
            if !matches!(q.kind.as_str(), "" | "id-qt-unotice" | "id-qt-cps") {
                return Err(invalid("invalid policy qualifier type"));
            }
        }
    } else if !raw.remote.is_empty() {
        if !raw.auth_remote.remote.is_empty() {
            return Err(invalid("Invalid or unknown policy"));
        }
        p.remote_server = find_remote(&raw.remote)?;
        p.remote = raw.remote.clone();
    } else {
        p.remote_server = find_remote(&raw.auth_remote.remote)?;
        p.remote = raw.auth_remote.remote.clone();
    }
    p.skips_local_settings = !p.remote.is_empty() && has_local_config(raw);

    let checks = [
        (
            &raw.auth_key,
            "failed to find auth_key in auth_keys section",
        ),
        (
            &raw.prev_auth_key,
            "failed to find prev_auth_key in auth_keys section",
        ),
        (
            &raw.auth_remote.auth_key,
            "failed to find auth_remote's auth_key in auth_keys section",
        ),
    ];
    let mut keys: [Option<crate::auth::Key>; 3] = Default::default();
    for (slot, (name, missing)) in keys.iter_mut().zip(checks) {
        if name.is_empty() {
            continue;
        }
        let Some((_, key)) = cfg.auth_keys.iter().rev().find(|(n, _)| n == name) else {
            return Err(invalid(missing));
        };
        if key.kind != "standard" {
            return Err(invalid("unknown authentication type"));
        }
        let key = crate::auth::Key::parse(&key.key)
            .map_err(|_| invalid("failed to create new standard auth provider"))?;
        *slot = Some(key);
    }
    [p.auth, p.prev_auth, p.remote_auth] = keys;

    if !raw.name_whitelist.is_empty() {
        p.name_whitelist = Some(
            regex::Regex::new(&raw.name_whitelist)
                .map_err(|_| invalid("failed to compile name whitelist section"))?,
        );
    }

    for source in &raw.ignored_lint_sources {
        if !LINT_SOURCES.contains(&source.trim()) {
            return Err(invalid(format!(
                "failed to build excluded lint source list: unknown source {}",
                crate::gojson::go_quote(source)
            )));
        }
    }
    Ok(p)
}

const LINT_SOURCES: &[&str] = &[
    "RFC5280",
    "RFC5480",
    "RFC5891",
    "CABF_BR",
    "CABF_EV",
    "Mozilla",
    "Apple",
    "Community",
    "ETSI_ESI",
];

/// cfssl's `hasLocalConfig`: values only a local signer uses.
fn has_local_config(raw: &RawProfile) -> bool {
    !raw.usages.is_empty()
        || raw.issuer_urls.is_some()
        || !raw.ocsp_url.is_empty()
        || !raw.expiry_string.is_empty()
        || !raw.backdate_string.is_empty()
        || raw.ca_constraint.is_ca
        || raw.not_before.is_some()
        || raw.not_after.is_some()
        || !raw.name_whitelist.is_empty()
}

/// cfssl's `validProfile`, the load-time step after every profile populated.
pub(super) fn valid_profile(raw: &RawProfile, p: &Profile, is_default: bool) -> bool {
    if !raw.remote.is_empty() {
        return true;
    }
    if !raw.auth_remote.remote.is_empty() {
        return !raw.auth_remote.auth_key.is_empty();
    }
    if !raw.auth_remote.auth_key.is_empty() {
        return false;
    }
    if is_default {
        p.expiry != 0
    } else {
        p.usages
            .iter()
            .any(|u| key_usage_bit(u).is_some() || ext_key_usage_oid(u).is_some())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;

    #[test]
    fn populate_errors_in_order() {
        let cases: &[(&str, &str)] = &[
            (r#""usages":["signing"]"#, "empty expiry string"),
            (
                r#""expiry":"1y""#,
                r#"time: unknown unit \"y\" in duration \"1y\""#,
            ),
            (
                r#""expiry":"10""#,
                r#"time: missing unit in duration \"10\""#,
            ),
            (
                r#""expiry":"1h","backdate":"x""#,
                r#"time: invalid duration \"x\""#,
            ),
            (
                r#""expiry":"1h","policies":[{"ID":"1.2.3","Qualifiers":[{"Type":"bogus"}]}]"#,
                "invalid policy qualifier type",
            ),
            (
                r#""remote":"nowhere""#,
                "failed to find remote in remotes section",
            ),
            (
                r#""auth_remote":{"remote":"nowhere"}"#,
                "failed to find remote in remotes section",
            ),
            (
                r#""expiry":"1h","auth_key":"k""#,
                "failed to find auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","prev_auth_key":"k""#,
                "failed to find prev_auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","auth_remote":{"auth_key":"k"}"#,
                "failed to find auth_remote's auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","name_whitelist":"a(""#,
                "failed to compile name whitelist section",
            ),
            (
                r#""expiry":"1h","ignored_lint_sources":["RFC3279"]"#,
                r#"failed to build excluded lint source list: unknown source \"RFC3279\""#,
            ),
            (
                r#""expiry":"0s","usages":["signing"]"#,
                "invalid configuration",
            ),
            (
                r#""expiry":"1h","Policies":[{"ID":"abc"}]"#,
                "failed to unmarshal configuration: Invalid OID",
            ),
            (
                r#""expiry":"1h","policies":[{"ID":"1.x.3"}]"#,
                r#"failed to unmarshal configuration: strconv.Atoi: parsing \"x\": invalid syntax"#,
            ),
            (
                r#""expiry":"1h","allowed_extensions":[1.2]"#,
                "failed to unmarshal configuration: OID JSON string not wrapped in quotes.1.2",
            ),
            (
                r#""expiry":"1h","lint_error_level":5"#,
                "failed to unmarshal configuration: bad LintStatus JSON value: 5",
            ),
        ];
        for (body, want) in cases {
            let got = err(&with_default(body));
            let want_json = format!(r#"{{"code":5200,"message":"{want}"}}"#);
            assert_eq!(got, want_json, "{body}");
        }
        let e = parse(
            with_default(r#""expiry":"1h","not_before":"2024-01-02T00:00:00Z","not_after":"2024-01-01T00:00:00Z""#)
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2, "cfssl panics here");
        assert_eq!(
            e.to_string(),
            "invalid configuration: not_after (2024-01-01T00:00:00+00:00) is before not_before (2024-01-02T00:00:00+00:00)"
        );
        // Both kinds of remote: the bare policy error.
        let both = r#"{"remotes":{"r":"127.0.0.1:8888"},"signing":{"default":{"remote":"r","auth_remote":{"remote":"r"}}}}"#;
        assert_eq!(err(both), coded("Invalid or unknown policy"));
    }

    #[test]
    fn auth_keys() {
        let cfg = |kind: &str, key: &str, profile: &str| {
            format!(
                r#"{{"auth_keys":{{"k":{{"type":"{kind}","key":"{key}"}}}},"remotes":{{"r":"h:1"}},"signing":{{"default":{{"expiry":"1h"}},"profiles":{{"p":{{{profile}}}}}}}}}"#
            )
        };
        let local = r#""expiry":"1h","usages":["signing"],"auth_key":"k""#;
        assert!(parse(cfg("standard", "0123abcd", local).as_bytes()).is_ok());
        assert_eq!(
            err(&cfg("hmac", "00", local)),
            coded("unknown authentication type")
        );
        assert_eq!(
            err(&cfg("standard", "xyz", local)),
            coded("failed to create new standard auth provider")
        );
        let authremote = r#""auth_remote":{"remote":"r","auth_key":"k"}"#;
        let p = parse(cfg("standard", "00", authremote).as_bytes()).unwrap();
        let far = &p.signing.profiles[0].1;
        assert_eq!(far.remote_server, "h:1");
        assert_eq!(
            far.remote_auth,
            Some(crate::auth::Key::parse("00").unwrap())
        );
        assert!(far.auth.is_none() && !far.skips_local_settings);
        let p = parse(cfg("standard", "0123abcd", local).as_bytes()).unwrap();
        let key = p.signing.profiles[0].1.auth.as_ref().unwrap();
        assert!(key.verify(
            b"x",
            &crate::auth::Key::parse("0123abcd").unwrap().token(b"x")
        ));
        // An auth remote needs its key; a local profile mustn't have one.
        assert_eq!(
            err(&cfg("standard", "00", r#""auth_remote":{"remote":"r"}"#)),
            coded("invalid configuration")
        );
        assert_eq!(
            err(&cfg(
                "standard",
                "00",
                r#""expiry":"1h","usages":["signing"],"auth_remote":{"auth_key":"k"}"#
            )),
            coded("invalid configuration")
        );
    }

    #[test]
    fn named_profiles_need_a_known_usage() {
        let cfg = |usages: &str| {
            format!(
                r#"{{"signing":{{"default":{{"expiry":"1h"}},"profiles":{{"p":{{"expiry":"1h","usages":{usages}}}}}}}}}"#
            )
        };
        assert_eq!(err(&cfg("[]")), coded("invalid configuration"));
        assert_eq!(err(&cfg(r#"["Signing"]"#)), coded("invalid configuration"));
        let s = parse(cfg(r#"["bogus","server auth"]"#).as_bytes())
            .unwrap()
            .signing;
        assert_eq!(s.profile("p").unwrap().key_usage(), (0, vec![SERVER]));
        // The default may lack usages: that only fails when signing with it.
        assert_eq!(
            s.profile("")
                .unwrap()
                .check_key_usage()
                .unwrap_err()
                .to_string(),
            r#"{"code":5100,"message":"Invalid policy: no key usage available"}"#
        );
        assert!(s.profile("p").unwrap().check_key_usage().is_ok());
        assert_eq!(
            err(r#"{"signing":{"profiles":{"p":null}}}"#),
            coded("can't parse nil profile")
        );
    }
}
