//! Go `time.ParseDuration` grammar.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = cfssl::duration::parse(&s);
});
