//! PEM/DER loading of CA keys and certificates (`-ca`, `-ca-key`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cfssl::pemfile::decode(data);
    let _ = cfssl::pemfile::blocks(data);
    let _ = cfssl::keys::parse_pem(data);
    let _ = cfssl::keys::parse_der(data);
    let _ = cfssl::ca::parse_cert_pem(data);
    let _ = cfssl::ca::parse_cert_der(data);
});
