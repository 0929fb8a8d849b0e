//! `cfssl sign`: a certificate for an existing CSR, signed by a local CA under a signing
//! profile, optionally with the subject replaced from a SUBJECT file.

use super::{Command, Context};
use crate::csr::Request;
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::input;
use crate::log;
use crate::signer::SignRequest;

pub static COMMAND: Command = Command {
    name: "sign",
    usage: "cfssl sign -- signs a client cert with a host name by a given CA and CA key

Usage of sign:
        cfssl sign -ca cert -ca-key key [mutual-tls-cert cert] [mutual-tls-key key] [-config config] [-profile profile] [-hostname hostname] [-db-config db-config] CSR [SUBJECT]
        cfssl sign -remote remote_host [mutual-tls-cert cert] [mutual-tls-key key] [-config config] [-profile profile] [-label label] [-hostname hostname] CSR [SUBJECT]

Arguments:
        CSR:        PEM file for certificate request, use '-' for reading PEM from stdin.

Note: CSR can also be supplied via flag values; flag value will take precedence over the argument.

SUBJECT is an optional file containing subject information to use for the certificate instead of the subject information in the CSR.

Flags:
",
    own_flags: &[
        "hostname",
        "csr",
        "ca",
        "ca-key",
        "config",
        "profile",
        "label",
        "remote",
        "db-config",
        "loglevel",
    ],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    let mut args = f.positionals();
    let csr_path = match f.get_str("csr") {
        "" => {
            let (first, rest) = args.split_first().ok_or_else(|| {
                Error::plain("not enough arguments are supplied --- please refer to the usage")
            })?;
            args = rest;
            first.as_str()
        }
        path => path,
    };
    let replacement = match args {
        [] => None,
        [path] => Some(Request::parse_subject(&input::read_file(path)?)?),
        _ => {
            return Err(Error::plain(
                "too many arguments are provided, please check with usage",
            ))
        }
    };
    let csr_bytes = input::read_file_or_stdin(csr_path)?;
    ctx.refuse_remote()?;
    // cfssl logs these but then signs nothing and exits 0.
    if ctx.config.is_none() {
        if f.get_str("ca").is_empty() {
            log::error("need CA certificate (provide one with -ca)");
            return Ok(String::new());
        }
        if f.get_str("ca-key").is_empty() {
            log::error("need CA key (provide one with -ca-key)");
            return Ok(String::new());
        }
    }
    let signer = ctx.signer()?;
    let hosts = match f.get_str("hostname") {
        "" => None,
        h => Some(h.split(',').map(String::from).collect()),
    };
    let request = SignRequest {
        request: csr_bytes.clone(),
        hosts,
        subject: replacement,
        ..ctx.sign_request()
    };
    let cert = signer.sign(&request, chrono::Utc::now())?;
    // The CSR goes back out exactly as read, not re-encoded.
    Ok(string_map_line(&[
        ("cert", &cert),
        ("csr", &String::from_utf8_lossy(&csr_bytes)),
    ]))
}
