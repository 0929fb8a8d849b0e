//! `cfssl gencrl SERIALS CERT KEY [SECONDS]`: a CRL signed by CERT's key, printed as
//! one line of base64 DER (spec §8.9).

use super::{Command, Context};
use crate::crl;
use crate::error::{Error, Result};
use crate::input;
use base64::Engine as _;

pub static COMMAND: Command = Command {
    name: "gencrl",
    usage: "cfssl gencrl -- generate a new Certificate Revocation List

Usage of gencrl:
        cfssl gencrl INPUTFILE CERT KEY TIME

Arguments:
        INPUTFILE:               Text file with one serial number per line, use '-' for reading text from stdin
        CERT:                    The certificate that is signing this CRL, use '-' for reading text from stdin
        KEY:                     The private key of the certificate that is signing the CRL, use '-' for reading text from stdin
        TIME (OPTIONAL):         The desired expiration from now, in seconds

Flags:
",
    own_flags: &["loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    // Each input is read before the next argument is checked, as cfssl does, so a
    // missing file is reported before missing arguments.
    let mut args = ctx.flags.positionals().iter();
    let mut next_input = || -> Result<Vec<u8>> {
        let path = args.next().ok_or_else(|| {
            Error::plain("not enough arguments are supplied --- please refer to the usage")
        })?;
        input::read_file_or_stdin(path)
    };
    let serials = next_input()?;
    let cert = next_input()?;
    let key = next_input()?;
    let seconds = ctx.flags.positionals().get(3).map_or("0", String::as_str);
    let password = super::ca_key_password();
    let der = crl::from_files(
        &serials,
        &cert,
        &key,
        password.as_deref(),
        seconds,
        chrono::Utc::now(),
    )?;
    Ok(format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    ))
}
