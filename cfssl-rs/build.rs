//! Records the compiler version for `cfssl version`'s `Runtime:` line, the counterpart
//! of Go's `runtime.Version()` (the same approach as cfssljson-rs).

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    println!("cargo:rustc-env=CFSSL_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
}
