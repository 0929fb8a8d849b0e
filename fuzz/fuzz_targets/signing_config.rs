//! Signing configuration (`-config`): load and validate, then ask each profile what a
//! signer would.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cfg) = cfssl::config::parse(data) {
        let p = cfg.signing.get("");
        let _ = p.key_usage();
        let _ = p.check_key_usage();
        let _ = p.check_policies();
        let _ = p.ca_constraint.path_len();
        let _ = p.validity(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        let _ = cfg.signing.profile("x");
    }
});
