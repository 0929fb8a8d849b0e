//! `cfssl version`: the cfssl release this is a drop-in for, and the toolchain.

use super::{Command, Context};
use crate::error::Result;

pub static COMMAND: Command = Command {
    name: "version",
    usage: "cfssl version -- print out the version of CF SSL

Usage of version:
\tcfssl version
",
    own_flags: &["loglevel"],
    run,
};

/// Scripts compare the first line against cfssl's release, so it names 1.6.5; the
/// second line stands where Go prints `runtime.Version()`.
fn run(_: &Context) -> Result<String> {
    Ok(text())
}

/// Both binaries print this for their version, as cfssl and cfssljson do.
pub fn text() -> String {
    format!(
        "Version: 1.6.5\nRuntime: rust{}\n",
        env!("CFSSL_RUSTC_VERSION")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_line_is_cfssl_release() {
        let t = super::text();
        assert!(t.starts_with("Version: 1.6.5\nRuntime: rust"));
        assert!(t.ends_with('\n'));
    }
}
