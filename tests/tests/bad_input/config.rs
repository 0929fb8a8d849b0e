//! Signing-config cases.

use super::case::{Case, ErrAll};
use super::fixtures::sign_case;
use super::request::deep;
use super::run::fifo_with_writer;
use super::HUGE;
use std::fs;

pub(super) fn signing_config_cases() -> Vec<Case> {
    let good_default = r#""default":{"expiry":"1h","usages":["signing"]}"#;
    let cases: Vec<(&str, String, Vec<&str>, Option<&'static str>)> = vec![
        ("empty-object", "{}".into(), vec![r#"No "signing" field present"#], None),
        ("empty-file", "".into(), vec!["failed to unmarshal configuration: unexpected end of JSON input"], None),
        ("signing-number", r#"{"signing":1}"#.into(), vec!["failed to unmarshal configuration"], None),
        ("signing-null", r#"{"signing":null}"#.into(), vec![r#"No "signing" field present"#], None),
        ("trailing-garbage", r#"{"signing":{}} x"#.into(), vec!["failed to unmarshal configuration", "invalid character 'x'"], None),
        ("no-expiry", r#"{"signing":{"default":{"usages":["signing"]}}}"#.into(), vec!["empty expiry string"], None),
        ("expiry-1y", r#"{"signing":{"default":{"expiry":"1y","usages":["signing"]}}}"#.into(), vec![r#"time: unknown unit \"y\" in duration \"1y\""#], None),
        ("expiry-zz", r#"{"signing":{"default":{"expiry":"zz","usages":["signing"]}}}"#.into(), vec![r#"time: invalid duration \"zz\""#], None),
        ("expiry-overflow", r#"{"signing":{"default":{"expiry":"99999999999999999h","usages":["signing"]}}}"#.into(), vec!["invalid duration"], None),
        ("expiry-number", r#"{"signing":{"default":{"expiry":3600,"usages":["signing"]}}}"#.into(), vec!["expiry"], None),
        ("Expiry-string-binds-duration", r#"{"signing":{"default":{"Expiry":"1h","usages":["signing"]}}}"#.into(), vec!["Expiry of type time.Duration"], None),
        ("expiry-invalid-utf8", "{\"signing\":{\"default\":{\"expiry\":\"1\u{fffd}h\",\"usages\":[\"signing\"]}}}".into(), vec!["time:"], None),
        ("backdate-no-unit", r#"{"signing":{"default":{"expiry":"1h","backdate":"5","usages":["signing"]}}}"#.into(), vec![r#"time: missing unit in duration \"5\""#], None),
        ("default-expiry-0s", r#"{"signing":{"default":{"expiry":"0s","usages":["signing"]}}}"#.into(), vec!["invalid configuration"], None),
        ("profile-unknown-usage", format!(r#"{{"signing":{{{good_default},"profiles":{{"p":{{"expiry":"1h","usages":["nope"]}}}}}}}}"#), vec!["invalid configuration"], None),
        ("profile-no-usages", format!(r#"{{"signing":{{{good_default},"profiles":{{"p":{{"expiry":"1h"}}}}}}}}"#), vec!["invalid configuration"], None),
        ("usages-string", r#"{"signing":{"default":{"expiry":"1h","usages":"signing"}}}"#.into(), vec!["usages"], None),
        ("usages-number-item", r#"{"signing":{"default":{"expiry":"1h","usages":[1]}}}"#.into(), vec!["usages"], None),
        ("default-only-unknown-usages", r#"{"signing":{"default":{"expiry":"1h","usages":["bogus"]}}}"#.into(), vec!["5100", "no key usage available"], None),
        ("not-before-garbage", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"not_before":"yesterday"}}}"#.into(), vec!["failed to unmarshal configuration"], None),
        ("not-after-before-not-before", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"not_before":"2030-01-01T00:00:00Z","not_after":"2020-01-01T00:00:00Z"}}}"#.into(), vec![], None),
        ("whitelist-bad-regex", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"name_whitelist":"("}}}"#.into(), vec!["failed to compile name whitelist section"], None),
        ("policy-qualifier-type", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"1.2.3","Qualifiers":[{"Type":"bogus","Value":"x"}]}]}}}"#.into(), vec!["invalid policy qualifier type"], None),
        ("policy-id-no-digit", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"abc"}]}}}"#.into(), vec!["Invalid OID"], None),
        ("policy-id-bad-part", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"1.x.3"}]}}}"#.into(), vec!["strconv.Atoi"], None),
        ("policy-id-number", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":123}]}}}"#.into(), vec!["OID JSON string not wrapped in quotes"], None),
        ("unknown-remote", r#"{"signing":{"default":{"remote":"nope"}}}"#.into(), vec!["failed to find remote in remotes section"], None),
        ("missing-auth-key", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"auth_key":"k"}}}"#.into(), vec!["failed to find auth_key in auth_keys section"], None),
        ("auth-key-type", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"auth_key":"k"}},"auth_keys":{"k":{"type":"foo","key":"00"}}}"#.into(), vec!["unknown authentication type"], None),
        ("lint-level-int", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"lint_error_level":5}}}"#.into(), vec!["bad LintStatus JSON value"], None),
        ("lint-source-unknown", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ignored_lint_sources":["X"]}}}"#.into(), vec![r#"unknown source \"X\""#], None),
        ("max-path-len-string", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ca_constraint":{"is_ca":true,"max_path_len":"x"}}}}"#.into(), vec!["max_path_len"], None),
        ("client-serials", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ClientProvidesSerialNumbers":true}}}"#.into(), vec!["1400", "Missing serial number in request"], None),
        ("nul-byte", "{\"signing\":{\"default\":{\"expiry\":\"1h\u{0}\"}}}".into(), vec!["failed to unmarshal configuration", "invalid character"], None),
    ];
    let mut out = Vec::new();
    for (name, body, frags, bug) in cases {
        let mut c = sign_case(
            &format!("config/{name}"),
            br#"{"CN":"leaf","hosts":["a.example"]}"#,
        )
        .file("config.json", body)
        .err_all(&frags);
        if let Some(b) = bug {
            c = c.bug(b);
        }
        out.push(c);
    }
    let sign_cfg = |name: &str| sign_case(&format!("config/{name}"), br#"{"CN":"leaf"}"#);
    out.push(
        sign_cfg("deep-nesting")
            .file("config.json", deep("{\"signing\":", 100_000))
            .err("Failed to load config file")
            .err("depth"),
    );
    out.push(
        sign_cfg("missing-file")
            .err(r#"Failed to load config file: {"code":5200,"message":"could not read configuration file"}"#),
    );
    out.push(
        sign_cfg("directory")
            .setup(|d| fs::create_dir(d.join("config.json")).unwrap())
            .err("Failed to load config file"),
    );
    out.push(
        sign_cfg("fifo")
            .setup(|d| fifo_with_writer(&d.join("config.json"), b"{not json"))
            .err("Failed to load config file"),
    );
    out.push(
        sign_cfg("huge-file")
            .file("config.json", vec![b' '; HUGE])
            .err("Failed to load config file")
            .err("larger than"),
    );
    out
}
