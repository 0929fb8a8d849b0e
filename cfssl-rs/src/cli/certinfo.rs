//! `cfssl certinfo`: show a certificate or a CSR as JSON (spec §8.4).

use super::{Command, Context};
use crate::certinfo;
use crate::error::{Error, Result};
use crate::input;

pub static COMMAND: Command = Command {
    name: "certinfo",
    usage: "cfssl certinfo -- output certinfo about the given cert

Usage of certinfo:
\t- Data from local certificate files
        cfssl certinfo -cert file
\t- Data from local CSR file
        cfssl certinfo -csr file
\t- Data from certificate from remote server.
        cfssl certinfo -domain domain_name
\t- Data from CA storage
        cfssl certinfo -sn serial (requires -db-config and -aki)

Flags:
",
    own_flags: &[
        "aki",
        "cert",
        "csr",
        "db-config",
        "domain",
        "serial",
        "loglevel",
    ],
    run,
};

// The usage text above is cfssl's, byte for byte, because scripts and the golden corpus
// compare it.
fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    if !f.get_str("cert").is_empty() {
        let data = input::read_file_or_stdin(f.get_str("cert"))?;
        return certinfo::certificate(&data);
    }
    if !f.get_str("csr").is_empty() {
        let data = input::read_file_or_stdin(f.get_str("csr"))?;
        return certinfo::certificate_request(&data);
    }
    if !f.get_str("domain").is_empty() {
        return Ok(certinfo::to_indented_json(&certinfo::domain(
            f.get_str("domain"),
        )?));
    }
    if !f.get_str("serial").is_empty() && !f.get_str("aki").is_empty() {
        if f.get_str("db-config").is_empty() {
            return Err(Error::plain(
                "need DB config file (provide with -db-config)",
            ));
        }
        return from_db(
            f.get_str("db-config"),
            f.get_str("serial"),
            f.get_str("aki"),
        );
    }
    Err(Error::plain(
        "Must specify certinfo target through -cert, -csr, -domain or -serial + -aki",
    ))
}

/// The stored certificate of (serial, aki); the key id may be given in any case and
/// with colons, as cfssl normalizes it.
fn from_db(db_config: &str, serial: &str, aki: &str) -> Result<String> {
    let db = crate::certdb::open_config_file(db_config)?;
    let aki = aki.to_lowercase().replace(':', "");
    crate::certdb::record::check_serial(serial)?;
    crate::certdb::record::check_aki(&aki)?;
    let rows = db.get_certificate(serial, &aki)?;
    match rows.as_slice() {
        [] => Err(Error::plain("no certificate found")),
        [one] => certinfo::certificate(one.pem.as_bytes()),
        _ => Err(Error::plain("more than one certificate found")),
    }
}
