//! cfssljson input: the binary's own splitting code (bare and enveloped), compiled in
//! from its source since cfssljson-rs has no library target.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../cfssljson-rs/src/split.rs"]
mod split;

fuzz_target!(|data: &[u8]| {
    for bare in [true, false] {
        if let Ok(map) = split::input_map(data, bare) {
            let _ = split::outputs(&map, "out");
        }
    }
});
