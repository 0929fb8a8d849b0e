//! `cfssl gencrl SERIALS CERT KEY [SECONDS]`: a CRL signed by CERT's key, printed as
//! one line of base64 DER (spec §8.9).

use super::{Command, Context};
use crate::crl;
use crate::error::{Error, Result};
use crate::input;

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
    let now = chrono::Utc::now();
    // Each input is read before the next argument is checked, as cfssl does, so a
    // missing file is reported before missing arguments.
    let mut args = ctx.flags.positionals().iter();
    let mut next_path = || {
        args.next().ok_or_else(|| {
            Error::plain("not enough arguments are supplied --- please refer to the usage")
        })
    };
    let mut revoked = crl::RevokedList::new();
    crl::file::read_serial_list(&mut input::open(next_path()?)?, now, &mut revoked)?;
    let cert = input::read_file_or_stdin(next_path()?)?;
    let key = input::read_file_or_stdin(next_path()?)?;
    let seconds = ctx.flags.positionals().get(3).map_or("0", String::as_str);
    let password = super::ca_key_password();
    let crl = crl::file::sign_serial_list(revoked, &cert, &key, password.as_deref(), seconds, now)?;
    super::print_crl_line(&crl)?;
    Ok(String::new())
}
