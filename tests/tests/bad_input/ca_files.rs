//! CA certificate and key file cases.

use super::case::{Case, Tool};
use super::fixtures::{fixtures, good_config, sign_case, with};
use super::run::fifo_with_writer;
use super::HUGE;
use std::fs;

const EC_PARAMETERS_ONLY: &str =
    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
const X25519_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIIBOJwvm5mC1GmRHVyNOHnk1XOCPl7ibr3qZoQoF6IxG\n-----END PRIVATE KEY-----\n";
const SECP256K1_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHQCAQEEIF0y9LD/5GcbKUnGmcVmLoFtH6PfcecDv1bPlOHsKwQJoAcGBSuBBAAK\noUQDQgAEIRecfOcGI813H5ddo886A1RculTvexL99fSnyx498h0Q7rBKCQc4oZoN\nj50V3Zqn0mxicf7+OYXArR5OND1C0Q==\n-----END EC PRIVATE KEY-----\n";
const EXPLICIT_PARAMS_EC_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMIIBaAIBAQQgKdaHcOLQdjAswDhZBdFQLFu822VI4CxncW57Ufe1t+WggfowgfcC\nAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAAAAAAAAAAAAAA////////////////\nMFsEIP////8AAAABAAAAAAAAAAAAAAAA///////////////8BCBaxjXYqjqT57Pr\nvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSdNgiG5wSTamZ44ROdJreBn36QBEEE\naxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54W\nK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA//////////+85vqtpxeehPO5ysL8\nYyVRAgEBoUQDQgAEsKacK4pTOpyzVzQNHEklC9Lgqm3jPjx9Zbk6cyD16a74Bk7U\n62dy1CGUZLCjvuoTcuSXD+XikOnt8wt2KU+iIw==\n-----END EC PRIVATE KEY-----\n";

pub(super) fn ca_file_cases() -> Vec<Case> {
    let f = fixtures();
    let sc = |name: &str| {
        sign_case(
            &format!("ca-files/{name}"),
            br#"{"CN":"leaf","hosts":["a.example"]}"#,
        )
        .file("config.json", good_config())
    };
    let cert_der = pem_der(&f.ca);
    let key_der = pem_der(&f.ca_key);
    let half = |s: &str| s[..s.len() / 2].to_string();
    let legacy_encrypted = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ\n-----END EC PRIVATE KEY-----\n";
    let pem = |label: &str, der: &[u8]| {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    };
    let mut truncated_cert_der = cert_der.clone();
    truncated_cert_der.truncate(cert_der.len() / 2);
    let mut truncated_key_der = key_der.clone();
    truncated_key_der.truncate(key_der.len() / 2);
    let mut flipped_cert = cert_der.clone();
    flipped_cert[0] = 0x31;
    vec![
        sc("ca-missing").setup(|d| fs::remove_file(d.join("ca.pem")).unwrap()).err("open ca.pem: no such file or directory"),
        with(sc("ca-der"), "ca.pem", cert_der.clone()).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-json"), "ca.pem", "{}").err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-empty"), "ca.pem", "").err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-truncated-pem"), "ca.pem", half(&f.ca)).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-bad-base64"), "ca.pem", f.ca.replacen("MII", "M!I", 1)).err("1002"),
        with(sc("ca-is-a-key"), "ca.pem", f.ca_key.clone()).err(r#"{"code":1003,"message":"Failed to parse certificate"}"#),
        with(sc("ca-is-a-csr"), "ca.pem", f.leaf_csr.clone()).err(r#"{"code":1003,"message":"Failed to parse certificate"}"#),
        with(sc("ca-truncated-der"), "ca.pem", pem("CERTIFICATE", &truncated_cert_der)).err(r#""code":1003"#),
        with(sc("ca-corrupt-der"), "ca.pem", pem("CERTIFICATE", &flipped_cert)).err(r#""code":1003"#),
        with(sc("ca-empty-pem"), "ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n").err(r#""code":1003"#),
        with(sc("ca-two-certs"), "ca.pem", format!("{}{}", f.ca, f.ca)).err("the PEM file should contain only one object"),
        with(sc("ca-trailing-text"), "ca.pem", format!("{}garbage\n", f.ca)).err("the PEM file should contain only one object"),
        with(sc("ca-nul-bytes"), "ca.pem", vec![0u8; 4096]).err("1002"),
        with(sc("ca-huge"), "ca.pem", vec![b'\n'; HUGE]).err("larger than"),
        sc("ca-env-unset")
            .tap_args(|a| a[2] = "env:CFSSL_BAD_INPUT_SURELY_UNSET".into())
            .err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        sc("ca-unknown-prefix").tap_args(|a| a[2] = "foo:ca.pem".into()).err("unknown prefix: foo"),
        sc("ca-directory").setup(|d| {
            fs::remove_file(d.join("ca.pem")).unwrap();
            fs::create_dir(d.join("ca.pem")).unwrap();
        }).err("ca.pem"),
        sc("ca-fifo").setup(|d| {
            fs::remove_file(d.join("ca.pem")).unwrap();
            fifo_with_writer(&d.join("ca.pem"), b"not a certificate\n");
        }).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        sc("key-missing").setup(|d| fs::remove_file(d.join("ca-key.pem")).unwrap())
            .err(r#"{"code":1001,"message":"open ca-key.pem: no such file or directory"}"#),
        sc("key-unknown-prefix").tap_args(|a| a[4] = "foo:k.pem".into()).err(r#"{"code":1001,"message":"unknown prefix: foo"}"#),
        with(sc("key-garbage"), "ca-key.pem", "not a key at all\n").err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-empty"), "ca-key.pem", "").err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-der"), "ca-key.pem", key_der.clone()).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-truncated-pem"), "ca-key.pem", half(&f.ca_key)).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-is-a-cert"), "ca-key.pem", f.ca.clone()).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-truncated-der"), "ca-key.pem", pem("EC PRIVATE KEY", &truncated_key_der)).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-random-der"), "ca-key.pem", pem("PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00])).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-empty-pem"), "ca-key.pem", "-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----\n").err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-encrypted-pkcs8"), "ca-key.pem", pem("ENCRYPTED PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00])).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-legacy-encrypted"), "ca-key.pem", legacy_encrypted).err(r#"{"code":2100,"message":"Private key is encrypted."}"#),
        with(sc("key-legacy-encrypted-wrong-password"), "ca-key.pem", legacy_encrypted)
            .env("CFSSL_CA_PK_PASSWORD", "wrong")
            .err("x509: decryption password incorrect"),
        with(sc("key-mismatched"), "ca-key.pem", f.other_key.clone())
            .err(r#"{"code":1000,"message":"x509: provided PrivateKey doesn't match parent's PublicKey"}"#),
        with(sc("key-nul-bytes"), "ca-key.pem", vec![0u8; 4096]).err("2002"),
        with(sc("key-huge"), "ca-key.pem", vec![b'\n'; HUGE]).err("larger than"),
        sc("key-directory").setup(|d| {
            fs::remove_file(d.join("ca-key.pem")).unwrap();
            fs::create_dir(d.join("ca-key.pem")).unwrap();
        }).err("ca-key.pem"),
        sc("key-fifo").setup(|d| {
            fs::remove_file(d.join("ca-key.pem")).unwrap();
            fifo_with_writer(&d.join("ca-key.pem"), b"not a key\n");
        }).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-ec-parameters-only"), "ca-key.pem", EC_PARAMETERS_ONLY).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-x25519"), "ca-key.pem", X25519_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-secp256k1"), "ca-key.pem", SECP256K1_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-explicit-params"), "ca-key.pem", EXPLICIT_PARAMS_EC_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        Case::new("ca-files/initca-key-x25519", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", X25519_KEY).err("2003"),
        Case::new("ca-files/renewca-key-secp256k1", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", f.ca.clone()).file("k.pem", SECP256K1_KEY).err("2003"),
        // -initca with an existing key.
        Case::new("ca-files/initca-key-garbage", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", "garbage").err("2002"),
        Case::new("ca-files/initca-key-encrypted", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", legacy_encrypted).err("2100"),
        Case::new("ca-files/initca-key-missing", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).err("k.pem"),
        Case::new("ca-files/initca-key-is-cert", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", f.ca.clone()).err("2003"),
        // -renewca.
        Case::new("ca-files/renewca-mismatched", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", f.ca.clone()).file("k.pem", f.other_key.clone())
            .err(r#"{"code":2300,"message":"Private key does not match public key"}"#),
        Case::new("ca-files/renewca-ca-garbage", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", "garbage").file("k.pem", f.ca_key.clone()).err("1002"),
        Case::new("ca-files/renewca-no-flags", Tool::Cfssl, &["gencert", "-renewca"]).err("open : no such file or directory"),
    ]
}

trait TapArgs {
    fn tap_args(self, f: impl FnOnce(&mut Vec<String>)) -> Self;
}
impl TapArgs for Case {
    fn tap_args(mut self, f: impl FnOnce(&mut Vec<String>)) -> Self {
        f(&mut self.args);
        self
    }
}

fn pem_der(pem_text: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = pem_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}
