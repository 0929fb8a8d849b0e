//! `cfssl ocsprefresh`: signs a fresh OCSP response for every unexpired certificate in
//! the database (status, reason and revocation time from its row) and upserts it into
//! `ocsp_responses` with expiry = now + `-interval` (spec §5).

use super::ocspsign::{critical, signer_from_flags};
use super::{Command, Context};
use crate::error::{Error, Result};
use crate::ocsp::SignRequest;
use chrono::{TimeDelta, Utc};

pub static COMMAND: Command = Command {
    name: "ocsprefresh",
    usage: "cfssl ocsprefresh -- refreshes the ocsp_responses table
with new OCSP responses for all known unexpired certificates

Usage of ocsprefresh:
        cfssl ocsprefresh -db-config db-config -ca cert -responder cert -responder-key key [-interval 96h]

Flags:
",
    own_flags: &[
        "ca",
        "responder",
        "responder-key",
        "db-config",
        "interval",
        "loglevel",
    ],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    for (flag, what) in [
        ("db-config", "need DB config file (provide with -db-config)"),
        (
            "responder",
            "need responder certificate (provide with -responder)",
        ),
        (
            "responder-key",
            "need responder key (provide with -responder-key)",
        ),
        ("ca", "need CA certificate (provide with -ca)"),
    ] {
        if f.get_str(flag).is_empty() {
            return Err(Error::plain(what));
        }
    }
    let signer = signer_from_flags(f).map_err(critical("Unable to create OCSP signer"))?;
    let db = crate::certdb::open_config_file(f.get_str("db-config"))?;
    let certs = db.unexpired_certificates()?;
    let now = Utc::now();
    let interval = crate::duration::parse(f.get_str("interval")).map_err(Error::plain)?;
    let expiry = now + TimeDelta::nanoseconds(interval);
    for record in certs {
        let cert = crate::ca::parse_cert_pem(record.pem.as_bytes())
            .map_err(critical("Unable to parse certificate"))?;
        let mut req = SignRequest::new(&cert.der, &record.status);
        if record.status == "revoked" {
            req.reason = record.reason;
            req.revoked_at = record.revoked_at;
        }
        let body = signer
            .sign(&req, now)
            .map_err(critical("Unable to sign OCSP response"))?;
        let (serial, aki) = crate::ocsp::signer::row_key(&cert.der)?;
        db.upsert_ocsp(&crate::certdb::OcspRecord {
            serial,
            aki,
            body,
            expiry,
        })
        .map_err(critical("Unable to save OCSP response"))?;
    }
    Ok(String::new())
}
