//! Commands cfssl registers that cfssl-rs does not provide (servers, bundling, OCSP,
//! scanning, the certificate database). They are listed in the top-level usage, as cfssl
//! lists them, so that scripts probing for them get a clear refusal instead of
//! "not defined".

use crate::error::Error;

pub const NAMES: &[&str] = &["info", "scan"];

pub fn error(name: &str) -> Error {
    Error::plain(format!(
        "cfssl {name} is not implemented in cfssl-rs (it is a cfssl 1.6.5 command)"
    ))
}
