//! `cfssl revoke -db-config F -serial S -aki A -reason R`: marks a certificate revoked in
//! the certificate database (spec §4).

use super::{Command, Context};
use crate::certdb::{self, record};
use crate::error::{Error, Result};
use crate::log;

pub static COMMAND: Command = Command {
    name: "revoke",
    usage: "cfssl revoke -- revoke a certificate in the certificate store

Usage:

Revoke a certificate:
\t   cfssl revoke -db-config config_file -serial serial -aki authority_key_id [-reason reason]

Reason can be an integer code or a string in ReasonFlags in RFC 5280

Flags:
",
    own_flags: &["serial", "reason"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    super::refuse_arguments(f, "")?;
    let (serial, aki) = (f.get_str("serial"), f.get_str("aki"));
    if serial.is_empty() {
        return Err(Error::plain("serial number is required but not provided"));
    }
    if aki.is_empty() {
        return Err(Error::plain(
            "authority key id is required but not provided",
        ));
    }
    if f.get_str("db-config").is_empty() {
        return Err(Error::plain(
            "need DB config file (provide with -db-config)",
        ));
    }
    let db = certdb::open_config_file(f.get_str("db-config"))?;
    let reason = record::reason_code(f.get_str("reason")).map_err(|e| {
        log::error(&format!("Invalid reason code: {e}"));
        Error::from(e)
    })?;
    record::check_serial(serial)?;
    record::check_aki(aki)?;
    db.revoke(serial, aki, reason)?;
    Ok(String::new())
}
