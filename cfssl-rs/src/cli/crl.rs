//! `cfssl crl -db-config F -ca C -ca-key K [-expiry D]`: a CRL of the revoked, unexpired
//! certificates in the database, printed as one line of base64 DER (spec §4).

use super::{Command, Context};
use crate::error::{Error, Result};
use crate::log;

pub static COMMAND: Command = Command {
    name: "crl",
    usage: "cfssl crl -- generate a new Certificate Revocation List from Database

Usage of crl:
        cfssl crl

Flags:
",
    own_flags: &["db-config", "ca", "ca-key", "expiry"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    // cfssl logs these three and prints an empty CRL line, exit status 0.
    if f.get_str("ca").is_empty() {
        log::error("need CA certificate (provide one with -ca)");
        return Ok("\n".into());
    }
    if f.get_str("ca-key").is_empty() {
        log::error("need CA key (provide one with -ca-key)");
        return Ok("\n".into());
    }
    if f.get_str("db-config").is_empty() {
        log::error("no Database specified!");
        return Ok("\n".into());
    }
    let db = crate::certdb::open_config_file(f.get_str("db-config"))?;
    let password = super::ca_key_password();
    let (ca, key) = crate::ca::load(f.get_str("ca"), f.get_str("ca-key"), password.as_deref())?;
    let lifetime = crate::duration::parse(f.get_str("expiry")).map_err(Error::plain)?;
    let now = chrono::Utc::now();
    let crl = crate::certdb::crl::from_db(
        db.as_ref(),
        &ca,
        &key,
        now,
        chrono::Duration::nanoseconds(lifetime),
    )?;
    super::print_crl_line(&crl)?;
    Ok(String::new())
}
