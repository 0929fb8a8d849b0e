//! `CFSSL_CA_PK_PASSWORD` (spec §6.2): a legacy OpenSSL-encrypted CA key
//! (`Proc-Type: 4,ENCRYPTED`) is decrypted by the signer (`gencert`/`sign` with
//! `-ca-key`) and by `gencrl`, and by nothing else. The keys are the OpenSSL-made
//! fixtures of the library's unit tests, all encrypted with the password `secret`.

mod common;

use base64::Engine as _;
use cfssl_tests::facts::verify_signed;
use common::*;
use std::fs;
use std::path::Path;
use std::time::Duration;

const FIXTURES: &str = "cfssl-rs/tests/data/encrypted-keys";
const ENCRYPTED_EC: [&str; 5] = [
    "ec-aes128.pem",
    "ec-aes192.pem",
    "ec-aes256.pem",
    "ec-des3.pem",
    "ec-des.pem",
];
const CSR_JSON: &str =
    r#"{"CN":"leaf.example","hosts":["leaf.example"],"key":{"algo":"ecdsa","size":256}}"#;
const CA_CSR_JSON: &str = r#"{"CN":"Encrypted Key Test CA","key":{"algo":"ecdsa","size":256}}"#;

fn cfssl(dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(dir)
        .args(args)
        .env_remove("CFSSL_CA_PK_PASSWORD");
    if let Some(p) = password {
        cmd.env("CFSSL_CA_PK_PASSWORD", p);
    }
    run_bounded(cmd, None, Duration::from_secs(60))
}

fn last_line(s: &str) -> &str {
    s.trim_end().lines().last().unwrap_or("")
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn json_field(out: &Output, field: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"));
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field:?} in {out}"))
        .to_string()
}

/// A scratch dir with the fixture keys, a CA certificate `ca.pem` for the fixture EC
/// key (made with `-initca -ca-key` from the plain copy) and the request files.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for entry in fs::read_dir(workspace_root().join(FIXTURES)).unwrap() {
        let p = entry.unwrap().path();
        fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    fs::write(d.join("csr.json"), CSR_JSON).unwrap();
    fs::write(d.join("ca-csr.json"), CA_CSR_JSON).unwrap();
    fs::write(d.join("serials"), "1\n2\n").unwrap();
    let out = cfssl(
        d,
        &["gencert", "-initca", "-ca-key=ec.pem", "ca-csr.json"],
        None,
    );
    assert!(out.success(), "initca with the plain key: {out}");
    fs::write(d.join("ca.pem"), json_field(&out, "cert")).unwrap();
    dir
}

fn ca_der(d: &Path) -> Vec<u8> {
    pem_der(&fs::read_to_string(d.join("ca.pem")).unwrap())
}

#[test]
fn gencert_decrypts_every_cipher_with_the_password() {
    let dir = setup();
    let d = dir.path();
    for key in ENCRYPTED_EC {
        let out = cfssl(
            d,
            &[
                "gencert",
                "-ca=ca.pem",
                &format!("-ca-key={key}"),
                "csr.json",
            ],
            Some("secret"),
        );
        assert!(out.success(), "{key}: {out}");
        let cert = pem_der(&json_field(&out, "cert"));
        assert_eq!(
            verify_signed(&cert, &ca_der(d)),
            Some(true),
            "{key}: certificate does not verify against the CA"
        );
    }
}

#[test]
fn sign_decrypts_with_the_password() {
    let dir = setup();
    let d = dir.path();
    let out = cfssl(d, &["genkey", "csr.json"], None);
    assert!(out.success(), "genkey: {out}");
    fs::write(d.join("leaf.csr"), json_field(&out, "csr")).unwrap();
    let out = cfssl(
        d,
        &["sign", "-ca=ca.pem", "-ca-key=ec-aes256.pem", "leaf.csr"],
        Some("secret"),
    );
    assert!(out.success(), "sign: {out}");
    let cert = pem_der(&json_field(&out, "cert"));
    assert_eq!(verify_signed(&cert, &ca_der(d)), Some(true));
}

#[test]
fn gencrl_decrypts_with_the_password() {
    let dir = setup();
    let d = dir.path();
    for key in ["ec-aes128.pem", "ec-des3.pem"] {
        let out = cfssl(d, &["gencrl", "serials", "ca.pem", key], Some("secret"));
        assert!(out.success(), "{key}: {out}");
        let crl = base64::engine::general_purpose::STANDARD
            .decode(out.stdout.trim())
            .unwrap();
        assert!(cfssl_tests::facts::looks_like_crl(&crl), "{key}: {out}");
        assert_eq!(verify_signed(&crl, &ca_der(d)), Some(true), "{key}");
    }
}

#[test]
fn wrong_password_is_refused_by_signer_and_gencrl() {
    let dir = setup();
    let d = dir.path();
    let runs: [&[&str]; 2] = [
        &["gencert", "-ca=ca.pem", "-ca-key=ec-aes128.pem", "csr.json"],
        &["gencrl", "serials", "ca.pem", "rsa-aes256.pem"],
    ];
    for args in runs {
        let out = cfssl(d, args, Some("not-secret"));
        assert_eq!(
            out.status.and_then(|s| s.code()),
            Some(1),
            "{args:?}: {out}"
        );
        assert_eq!(
            last_line(&out.stderr),
            "x509: decryption password incorrect",
            "{args:?}: {out}"
        );
    }
}

#[test]
fn empty_or_missing_password_means_encrypted() {
    let dir = setup();
    let d = dir.path();
    for password in [None, Some("")] {
        let out = cfssl(
            d,
            &["gencert", "-ca=ca.pem", "-ca-key=ec-aes128.pem", "csr.json"],
            password,
        );
        assert!(!out.success(), "{password:?}: {out}");
        assert_eq!(
            last_line(&out.stderr),
            r#"{"code":2100,"message":"Private key is encrypted."}"#,
            "{password:?}: {out}"
        );
        let out = cfssl(
            d,
            &["gencrl", "serials", "ca.pem", "ec-aes128.pem"],
            password,
        );
        assert_eq!(
            last_line(&out.stderr),
            r#"{"code":2100,"message":"Private key is encrypted."}"#,
            "{password:?}: {out}"
        );
    }
}

/// Only the signer and gencrl read the password: `-initca -ca-key`, `-renewca` and
/// `gencsr -key` still report the key as encrypted.
#[test]
fn password_is_not_honored_elsewhere() {
    let dir = setup();
    let d = dir.path();
    let runs: [&[&str]; 3] = [
        &["gencert", "-initca", "-ca-key=ec-aes128.pem", "ca-csr.json"],
        &["gencert", "-renewca", "-ca=ca.pem", "-ca-key=ec-aes128.pem"],
        &["gencsr", "-key=ec-aes128.pem", "csr.json"],
    ];
    for args in runs {
        let out = cfssl(d, args, Some("secret"));
        assert!(!out.success(), "{args:?}: {out}");
        assert_eq!(
            last_line(&out.stderr),
            r#"{"code":2100,"message":"Private key is encrypted."}"#,
            "{args:?}: {out}"
        );
    }
}
