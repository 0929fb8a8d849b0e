//! `cfssl genkey`: a new key and its CSR, or with `-initca` a new CA exactly as
//! `gencert -initca` makes it.

use super::gencert::{new_ca, read_request};
use super::{Command, Context};
use crate::csr;
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::output::pem;

pub static COMMAND: Command = Command {
    name: "genkey",
    usage: "cfssl genkey -- generate a new key and CSR

Usage of genkey:
        cfssl genkey CSRJSON

Arguments:
        CSRJSON:    JSON file containing the request, use '-' for reading JSON from stdin

Flags:
",
    own_flags: &["initca", "config", "loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let req = read_request(ctx.flags.positionals())?;
    if ctx.flags.get_bool("initca") {
        return new_ca(&req);
    }
    if req.ca.is_some() {
        return Err(Error::plain("ca section only permitted in initca"));
    }
    let (key, csr_der) = csr::generate(&req)?;
    Ok(string_map_line(&[
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
        ("key", &key.to_pem()?),
    ]))
}
