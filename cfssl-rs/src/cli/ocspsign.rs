//! `cfssl ocspsign`: one signed OCSP response for one certificate, printed as
//! `{"ocspResponse":"<base64 DER>"}` (spec §5).

use super::flags::Parsed;
use super::{Command, Context};
use crate::error::{Error, Result};
use crate::log::{self, Level};
use crate::ocsp::{self, SignRequest, Signer};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};

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
            date => parse_date(date).inspect_err(|_| {
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

/// Go's `time.Parse("2006-01-02", s)` (midnight UTC), with its error texts.
pub fn parse_date(s: &str) -> Result<DateTime<Utc>> {
    let quoted = crate::gojson::go_quote(s);
    let cannot = |rest: &str, elem: &str| {
        Error::plain(format!(
            "parsing time {quoted} as \"2006-01-02\": cannot parse {} as \"{elem}\"",
            crate::gojson::go_quote(rest)
        ))
    };
    let digits = |at: usize, n: usize, elem: &str| -> Result<u32> {
        let part = s
            .get(at..at + n)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        part.and_then(|p| p.parse().ok())
            .ok_or_else(|| cannot(s.get(at..).unwrap_or(""), elem))
    };
    let dash = |at: usize| -> Result<()> {
        match s.get(at..at + 1) {
            Some("-") => Ok(()),
            _ => Err(cannot(s.get(at..).unwrap_or(""), "-")),
        }
    };
    let year = digits(0, 4, "2006")?;
    dash(4)?;
    let month = digits(5, 2, "01")?;
    dash(7)?;
    let day = digits(8, 2, "02")?;
    if s.len() > 10 {
        return Err(Error::plain(format!(
            "parsing time {quoted}: extra text: {}",
            crate::gojson::go_quote(&s[10..])
        )));
    }
    if !(1..=12).contains(&month) {
        return Err(Error::plain(format!(
            "parsing time {quoted}: month out of range"
        )));
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| Error::plain(format!("parsing time {quoted}: day out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_like_go() {
        assert_eq!(
            parse_date("2025-02-03").unwrap().to_rfc3339(),
            "2025-02-03T00:00:00+00:00"
        );
        let e = |s: &str| parse_date(s).unwrap_err().to_string();
        assert_eq!(
            e("yesterday"),
            r#"parsing time "yesterday" as "2006-01-02": cannot parse "yesterday" as "2006""#
        );
        assert_eq!(
            e("2025/02/03"),
            r#"parsing time "2025/02/03" as "2006-01-02": cannot parse "/02/03" as "-""#
        );
        assert_eq!(
            e("2025-13-01"),
            r#"parsing time "2025-13-01": month out of range"#
        );
        assert_eq!(
            e("2025-02-30"),
            r#"parsing time "2025-02-30": day out of range"#
        );
        assert_eq!(
            e("2025-02-03T00"),
            r#"parsing time "2025-02-03T00": extra text: "T00""#
        );
    }
}
