//! `cfssl ocspsign`: one signed OCSP response for one certificate, printed as
//! `{"ocspResponse":"<base64 DER>"}` (spec §5).

use super::flags::Parsed;
use super::{Command, Context};
use crate::error::{Error, Result};
use crate::log::{self, Level};
use crate::ocsp::{self, SignRequest, Signer};
use base64::Engine as _;
use chrono::Utc;

pub static COMMAND: Command = Command {
    name: "ocspsign",
    usage: "cfssl ocspsign -- signs an OCSP response for a given CA, cert, and status.
Returns a base64-encoded OCSP response.

Usage of ocspsign:
        cfssl ocspsign -ca cert -responder cert -responder-key key -cert cert [-status status] [-reason code] [-revoked-at YYYY-MM-DD] [-interval 96h]

Flags:
",
    own_flags: &[
        "ca",
        "responder",
        "responder-key",
        "reason",
        "status",
        "revoked-at",
        "interval",
        "loglevel",
    ],
    run,
};

/// Logs `[CRITICAL] <what>: <error>` and hands the error on, as cfssl's OCSP commands do.
pub(super) fn critical(what: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        log::log(Level::Critical, &format!("{what}: {e}"));
        e
    }
}

/// The signer of `ocspsign` and `ocsprefresh`: `-ca`, `-responder`, and
/// `-responder-key` (falling back to `-key`), `-interval`.
pub(super) fn signer_from_flags(f: &Parsed) -> Result<Signer> {
    let key = match f.get_str("responder-key") {
        "" => f.get_str("key"),
        k => k,
    };
    let interval = crate::duration::parse(f.get_str("interval")).map_err(Error::plain)?;
    Signer::from_files(f.get_str("ca"), f.get_str("responder"), key, interval)
}

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    let pem = crate::input::read_file(f.get_str("cert"))
        .map_err(critical("Unable to read certificate"))?;
    let cert = crate::ca::parse_cert_pem(&pem).map_err(critical("Unable to parse certificate"))?;
    let now = Utc::now();
    let mut req = SignRequest::new(&cert.der, f.get_str("status"));
    if req.status == "revoked" {
        req.reason =
            ocsp::reason_code(f.get_str("reason")).map_err(critical("Invalid reason code"))?;
        req.revoked_at = match f.get_str("revoked-at") {
            "now" => now,
            date => ocsp::parse_date(date).inspect_err(|_| {
                log::log(
                    Level::Critical,
                    &format!("Malformed revocation time: {date}"),
                )
            })?,
        };
    }
    let signer = signer_from_flags(f).map_err(critical("Unable to create OCSP signer"))?;
    let der = signer
        .sign(&req, now)
        .map_err(critical("Unable to sign OCSP response"))?;
    Ok(response_line(&der))
}

/// `{"ocspResponse":"<base64>"}` and a newline (cfssl's `PrintOCSPResponse`).
fn response_line(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    crate::gojson::string_map_line(&[("ocspResponse", &b64)])
}
