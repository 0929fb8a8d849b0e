//! `cfssl selfsign`: a new key, its CSR, and a certificate signed by that same key under
//! selfsign's own rules (spec §4.7).

use super::{Command, Context};
use crate::config::Profile;
use crate::csr;
use crate::csr::Request;
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::input;
use crate::output::pem;
use crate::signer;

pub static COMMAND: Command = Command {
    name: "selfsign",
    usage: "cfssl selfsign -- generate a new self-signed key and signed certificate

Usage of gencert:
        cfssl selfsign HOSTNAME CSRJSON

WARNING: this should ONLY be used for testing. This should never be
used in production.

WARNING: self-signed certificates are insecure; they do not provide
the authentication required for secure systems. Use these at your own
risk.

Arguments:
        HOSTNAME:   Hostname for the cert
        CSRJSON:    JSON file containing the request, use '-' for reading JSON from stdin

Flags:
",
    own_flags: &["config", "loglevel"],
    run,
};

const WARNING: &str = "*** WARNING ***

Self-signed certificates are dangerous. Use this self-signed
certificate at your own risk.

It is strongly recommended that these certificates NOT be used
in production.

*** WARNING ***

";

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    let mut args = f.positionals();
    // cfssl takes a HOSTNAME argument it never uses, unless -hostname or -initca is set.
    if f.get_str("hostname").is_empty() && !f.get_bool("initca") {
        args = args.get(1..).ok_or_else(not_enough)?;
    }
    let path = match args {
        [] => return Err(not_enough()),
        [path] => path,
        _ => {
            return Err(Error::plain(
                "too many arguments are provided, please check with usage",
            ))
        }
    };
    let req = Request::parse(&input::read_file_or_stdin(path)?)?;
    let (key, csr_der) = csr::generate(&req)?;
    let parsed = csr::view(&csr_der)?;
    let profile = match &ctx.config {
        Some(cfg) => cfg.signing.get(f.get_str("profile")).clone(),
        None => Profile::selfsign_default(),
    };
    // Go rebuilds the name from its typed fields only, so E and OID attributes go.
    let subject = parsed.subject.without_extra();
    let t = signer::selfsign_template(
        &profile,
        chrono::Utc::now(),
        subject.to_der(),
        parsed.spki_der,
        parsed.extensions,
    )?;
    let cert = signer::sign(&t, None, &key)?;
    crate::output::write_stderr(WARNING);
    Ok(string_map_line(&[
        ("cert", &pem("CERTIFICATE", &cert)),
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
        ("key", &key.to_pem()?),
    ]))
}

fn not_enough() -> Error {
    Error::plain("not enough arguments are supplied --- please refer to the usage")
}
