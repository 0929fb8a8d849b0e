//! Command-line cases, and output that cannot be written.

use super::case::{Case, Tool};
use super::fixtures::{fixtures, good_config};
use super::run::fifo_with_writer;
use super::HUGE;
use std::fs;

pub(super) fn command_line_cases() -> Vec<Case> {
    let c = |name: &str, args: &[&str]| Case::new(format!("cli/{name}"), Tool::Cfssl, args);
    let req = br#"{"CN":"a"}"#.to_vec();
    vec![
        c("no-command", &[]).err("No command is given."),
        c("unknown-command", &["bogus"]).err("Command bogus is not defined."),
        c("flag-before-command", &["-loglevel", "0", "version"]).err("flag provided but not defined: -loglevel"),
        c("gencert-no-args", &["gencert"]).err("not enough arguments are supplied --- please refer to the usage"),
        // cfssl 1.6.5's wording for commands that take no arguments: info's sentence ends
        // with a period, the others' does not.
        c("info-argument", &["info", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h.\n"),
        c("revoke-argument", &["revoke", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("serve-argument", &["serve", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("ocspserve-argument", &["ocspserve", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("gencert-two-args", &["gencert", "-initca", "a.json", "b.json"]).file("a.json", req.clone()).file("b.json", req.clone())
            .err("only one argument is accepted, please check with usage"),
        c("gencert-flag-after-arg", &["gencert", "a.json", "-initca"]).file("a.json", req.clone())
            .err("only one argument is accepted, please check with usage"),
        c("gencert-double-dash-only", &["gencert", "--"]).err("not enough arguments"),
        c("flag-needs-argument", &["gencert", "-ca"]).err("flag needs an argument: -ca"),
        c("flag-unknown", &["gencert", "-bogus", "x"]).err("flag provided but not defined: -bogus"),
        c("flag-bad-bool", &["gencert", "-initca=maybe", "a.json"]).err(r#"invalid boolean value "maybe" for -initca"#),
        c("flag-bad-int", &["gencert", "-loglevel", "abc", "a.json"]).err(r#"invalid value "abc" for flag -loglevel"#),
        c("flag-int-overflow", &["gencert", "-port", "99999999999999999999999", "a.json"]).err("-port"),
        c("flag-bad-duration", &["gencert", "-expiry", "1y", "a.json"]).err("-expiry"),
        c("request-missing", &["gencert", "-initca", "nope.json"]).err("open nope.json: no such file or directory"),
        c("request-directory", &["gencert", "-initca", "d"]).setup(|d| fs::create_dir(d.join("d")).unwrap()).err("d"),
        c("request-fifo", &["gencert", "-initca", "p"]).setup(|d| fifo_with_writer(&d.join("p"), b"{\"CN\":5}")).err("json: cannot unmarshal number into Go struct field CertificateRequest.CN of type string"),
        c("request-stdin-empty", &["gencert", "-initca", "-"]).err("unexpected end of JSON input"),
        c("request-stdin-huge", &["gencert", "-initca", "-"]).stdin(vec![b' '; HUGE]).err("larger than"),
        c("request-invalid-utf8-path", &["gencert", "-initca", "\u{fffd}x.json"]).err("x.json"),
        c("config-missing", &["gencert", "-initca", "-config", "nope.json", "a.json"]).file("a.json", req.clone())
            .err(r#"Failed to load config file: {"code":5200,"message":"could not read configuration file"}"#),
        c("config-empty-with-key-only", &["gencert", "-ca-key", "k.pem", "-config", "c.json", "a.json"])
            .file("a.json", req.clone())
            .file("c.json", good_config())
            .file("k.pem", fixtures().ca_key.clone())
            .err("open : no such file or directory"),
        c("config-no-ca-key", &["gencert", "-ca", "ca.pem", "-config", "c.json", "a.json"])
            .file("a.json", req.clone())
            .file("c.json", good_config())
            .file("ca.pem", fixtures().ca.clone())
            .err(r#"{"code":2000,"message":"Unknown private key error"}"#),
        c("sign-mode-ca-section", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "a.json"])
            .file("a.json", br#"{"CN":"a","ca":{}}"#.to_vec())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .err("ca section only permitted in initca"),
        c("hostname-non-ascii", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", "ümlaut.example", "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .err("cannot be encoded"),
        c("hostname-100KiB", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", &"h".repeat(100 << 10), "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .either(),
        c("hostname-5000-commas", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", &",".repeat(5000), "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .either(),
        c("cn-non-ascii-flag", &["gencert", "-initca", "-cn", "\u{fffd}\u{0001}", "a.json"]).file("a.json", req.clone()).either(),
    ]
}

/// Output that cannot be written is an error with a message, not a panic or a silent 1.
pub(super) fn stdout_full_cases() -> Vec<Case> {
    let c = |name: &str, tool: Tool, args: &[&str]| {
        Case::new(format!("stdout-full/{name}"), tool, args).stdout_full()
    };
    vec![
        c("cfssl-version", Tool::Cfssl, &["version"]).err("/dev/stdout"),
        c(
            "cfssl-print-defaults",
            Tool::Cfssl,
            &["print-defaults", "csr"],
        )
        .err("/dev/stdout"),
        c(
            "cfssl-gencert-initca",
            Tool::Cfssl,
            &["gencert", "-initca", "r.json"],
        )
        .file("r.json", r#"{"CN":"a"}"#)
        .err("/dev/stdout"),
        c("cfssljson-version", Tool::Cfssljson, &["-version"]).err("/dev/stdout"),
        c("cfssljson-stdout", Tool::Cfssljson, &["-bare", "-stdout"])
            .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
            .err("/dev/stdout"),
    ]
}
