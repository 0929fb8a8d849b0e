//! cfssljson input cases.

use super::case::{Case, Tool};
use super::request::deep;
use super::run::fifo_with_writer;
use super::HUGE;
use std::fs;

pub(super) fn cfssljson_cases() -> Vec<Case> {
    let bare = |name: &str, input: &[u8]| {
        Case::new(
            format!("cfssljson/{name}"),
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(input.to_vec())
    };
    let env = |name: &str, input: &[u8]| {
        Case::new(format!("cfssljson/{name}"), Tool::Cfssljson, &["out"]).stdin(input.to_vec())
    };
    let mut v = vec![
        bare("empty", b"").err("Failed to parse input: unexpected end of JSON input"),
        bare("open-brace", b"{").err("Failed to parse input: unexpected end of JSON input"),
        bare("array", b"[]").err("Failed to parse input"),
        bare("string", br#""x""#).err("Failed to parse input"),
        bare("number", b"1").err("Failed to parse input"),
        bare("trailing", br#"{"cert":"C"} x"#).err("Failed to parse input"),
        bare("invalid-utf8", b"\xff\xfe").err("Failed to parse input"),
        bare("nul-byte", b"{\"cert\":\"C\x00\"}").err("Failed to parse input"),
        bare("nul-leading", b"\x00").err("Failed to parse input"),
        bare("deep-arrays", &deep("[", 100_000)).err("Failed to parse input"),
        bare("deep-objects", &deep("{\"a\":", 100_000)).err("Failed to parse input"),
        bare("huge", &vec![b' '; 4 * HUGE]).err("larger than"),
        bare("ocsp-bad-base64", br#"{"ocspResponse":"!!!"}"#)
            .err("Failed to parse ocspResponse: illegal base64 data at input byte 0"),
        bare(
            "ocsp-bad-base64-after-cert",
            br#"{"cert":"C","key":"K","ocspResponse":"!!!"}"#,
        )
        .err("illegal base64 data"),
        bare(
            "bundle-missing-inner",
            br#"{"cert":"C","result":{"bundle":{"root":"R"}}}"#,
        )
        .err("inner bundle parsing failed!"),
        bare(
            "bundle-missing-root",
            br#"{"cert":"C","result":{"bundle":{"bundle":"B"}}}"#,
        )
        .err("root parsing failed!"),
        bare(
            "bundle-inner-number",
            br#"{"result":{"bundle":{"bundle":1,"root":"R"}}}"#,
        )
        .err("inner bundle parsing failed!"),
        env("envelope-missing-success", br#"{"cert":"C"}"#).err("Request failed"),
        env(
            "envelope-success-false",
            br#"{"success":false,"errors":[{"code":1,"message":"boom"}]}"#,
        )
        .err("Request failed")
        .err("boom"),
        env("envelope-invalid-json", b"{")
            .err("Failed to parse input: unexpected end of JSON input"),
        env("envelope-result-array", br#"{"success":true,"result":[]}"#)
            .err("Failed to parse input"),
        env(
            "envelope-success-string",
            br#"{"success":"yes","result":{}}"#,
        )
        .err("Failed to parse input: json: cannot unmarshal string into Go struct field Response.success of type bool"),
        env(
            "envelope-result-cert-number",
            br#"{"success":true,"result":{"cert":1}}"#,
        )
        .err("cert"),
        Case::new(
            "cfssljson/input-missing",
            Tool::Cfssljson,
            &["-bare", "-f", "nope.json", "out"],
        )
        .err("Failed to read input: open nope.json: no such file or directory"),
        Case::new(
            "cfssljson/input-directory",
            Tool::Cfssljson,
            &["-bare", "-f", "d", "out"],
        )
        .setup(|d| fs::create_dir(d.join("d")).unwrap())
        .err("Failed to read input")
        .err("d"),
        Case::new(
            "cfssljson/input-fifo",
            Tool::Cfssljson,
            &["-bare", "-f", "p", "out"],
        )
        .setup(|d| fifo_with_writer(&d.join("p"), b"[1]"))
        .err("Failed to parse input: json: cannot unmarshal array into Go value of type map[string]interface {}"),
        Case::new(
            "cfssljson/input-huge-file",
            Tool::Cfssljson,
            &["-bare", "-f", "big.json", "out"],
        )
        // cfssljson reads up to four times cfssl's input limit (what gencert can print).
        .file("big.json", vec![b' '; 4 * HUGE])
        .err("larger than"),
        Case::new(
            "cfssljson/output-dir-missing",
            Tool::Cfssljson,
            &["-bare", "nodir/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("open nodir/out.pem: no such file or directory"),
        Case::new(
            "cfssljson/output-under-a-file",
            Tool::Cfssljson,
            &["-bare", "f/out"],
        )
        .file("f", "x")
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("f/out.pem"),
        Case::new(
            "cfssljson/output-unwritable-dir",
            Tool::Cfssljson,
            &["-bare", "/proc/cfssl-bad-input/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("/proc/cfssl-bad-input/out.pem"),
        Case::new(
            "cfssljson/output-readonly-fs",
            Tool::Cfssljson,
            &["-bare", "/proc/self/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("/proc/self/out.pem"),
        // The cert could be written, the key cannot: neither may be left behind.
        Case::new(
            "cfssljson/key-path-is-directory",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| fs::create_dir(d.join("out-key.pem")).unwrap())
        .stdin(br#"{"cert":"C","key":"K","csr":"R"}"#.to_vec())
        .err("out-key.pem"),
        Case::new(
            "cfssljson/csr-path-is-directory",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| fs::create_dir(d.join("out.csr")).unwrap())
        .stdin(br#"{"cert":"C","key":"K","csr":"R"}"#.to_vec())
        .err("out.csr"),
        Case::new("cfssljson/flag-needs-argument", Tool::Cfssljson, &["-f"])
            .err("flag needs an argument: -f"),
        Case::new("cfssljson/flag-unknown", Tool::Cfssljson, &["-bogus"])
            .err("flag provided but not defined: -bogus"),
        Case::new("cfssljson/flag-bad-bool", Tool::Cfssljson, &["-bare=maybe"])
            .err("invalid boolean value \"maybe\" for -bare"),
    ];
    for key in [
        "cert",
        "certificate",
        "key",
        "private_key",
        "encrypted_key",
        "csr",
        "certificate_request",
        "ocspResponse",
    ] {
        for (kind, val) in [
            ("number", "1"),
            ("null", "null"),
            ("object", "{}"),
            ("array", r#"["a"]"#),
            ("bool", "true"),
        ] {
            if kind != "number" && !matches!(key, "cert" | "key") {
                continue;
            }
            v.push(
                bare(
                    &format!("non-string-{key}-{kind}"),
                    format!(r#"{{"{key}":{val}}}"#).as_bytes(),
                )
                .err(key),
            );
        }
    }
    // A later non-string value must stop the earlier, valid ones from being written.
    v.push(
        bare(
            "valid-cert-then-bad-csr",
            br#"{"cert":"C","key":"K","csr":7}"#,
        )
        .err("csr"),
    );
    v
}
