//! The signing configuration (`-config`, spec §3): loading with cfssl's validation order and
//! error texts, the built-in policies, profile selection, usage mapping and validity.

mod decode;
mod populate;
mod profile;
mod rfc3339;
mod signing;
#[cfg(test)]
mod test_support;
mod usage;

pub use profile::{CaConstraint, CertificatePolicy, CsrWhitelist, Oid, PolicyQualifier, Profile};
pub(crate) use rfc3339::parse_rfc3339;
pub use signing::Signing;
pub use usage::*;

use crate::gojson;
use crate::Error;
use decode::decode_config;
use populate::{populate, valid_profile};

/// cfssl's PolicyError/InvalidPolicy: every load-time configuration error carries it.
const INVALID_POLICY: u32 = 5200;

fn invalid(message: impl Into<String>) -> Error {
    Error::coded(INVALID_POLICY, message)
}

/// A loaded and validated `-config` file.
#[derive(Debug, Clone)]
pub struct Config {
    pub signing: Signing,
}

/// Reads and validates a `-config` file (spec §3.4). The error's Display is what cfssl
/// prints after `Failed to load config file: `.
pub fn load(path: &str) -> Result<Config, Error> {
    if path.is_empty() {
        return Err(invalid("invalid path"));
    }
    // cfssl's text for a missing file is kept; other failures (a directory, a FIFO,
    // an oversized file) say what went wrong.
    let body =
        crate::input::read_file(path).map_err(|e| match std::path::Path::new(path).exists() {
            true => invalid(format!(
                "could not read configuration file: {}",
                e.message()
            )),
            false => invalid("could not read configuration file"),
        })?;
    parse(&body)
}

/// [`load`] for bytes already read.
pub fn parse(body: &[u8]) -> Result<Config, Error> {
    let unmarshal = |e: String| invalid(format!("failed to unmarshal configuration: {e}"));
    let value = gojson::parse(body).map_err(unmarshal)?;
    let raw = decode_config(&value).map_err(unmarshal)?;
    let signing = raw
        .signing
        .as_ref()
        .ok_or_else(|| Error::plain("No \"signing\" field present"))?;

    let default = match &signing.default {
        None => None,
        Some(p) => Some(populate(p, &raw)?),
    };
    let mut profiles = Vec::new();
    for (name, p) in signing.profiles.iter().flatten() {
        let p = p
            .as_ref()
            .ok_or_else(|| invalid("can't parse nil profile"))?;
        profiles.push((name.clone(), p, populate(p, &raw)?));
    }

    let default_ok = match (&signing.default, &default) {
        (Some(r), Some(p)) => valid_profile(r, p, true),
        _ => true,
    };
    if !default_ok || !profiles.iter().all(|(_, r, p)| valid_profile(r, p, false)) {
        return Err(invalid("invalid configuration"));
    }
    let signing = Signing {
        default: default.unwrap_or_else(Profile::default_signing),
        profiles: profiles.into_iter().map(|(n, _, p)| (n, p)).collect(),
    };
    signing.warn_skipped_settings();
    Ok(Config { signing })
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;

    #[test]
    fn golden_error_config_stderr() {
        let mut stderr = String::new();
        for file in ["no-signing.json", "not-json.json", "no-expiry.json"] {
            let e = load(&golden("error-config", file)).unwrap_err();
            stderr.push_str(&format!("Failed to load config file: {e}"));
        }
        let want = std::fs::read_to_string(golden("error-config", "expected/stderr")).unwrap();
        assert_eq!(stderr, want);
    }

    #[test]
    fn missing_file() {
        assert_eq!(
            load("/nonexistent/cfg.json").unwrap_err().to_string(),
            r#"{"code":5200,"message":"could not read configuration file"}"#
        );
    }

    #[test]
    fn signing_section_errors() {
        assert_eq!(err("{}"), r#"No "signing" field present"#);
        assert_eq!(err(r#"{"signing":null}"#), r#"No "signing" field present"#);
        let s = parse(br#"{"signing":{}}"#).unwrap().signing;
        assert_eq!(s.default.expiry, 8760 * H);
        assert_eq!(s.default.usages, Profile::default_signing().usages);
        assert_eq!(
            err(""),
            coded("failed to unmarshal configuration: unexpected end of JSON input")
        );
        assert_eq!(
            err(r#"{"signing":"x"}"#),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing of type config.Signing")
        );
        assert_eq!(
            err("[]"),
            coded("failed to unmarshal configuration: json: cannot unmarshal array into Go value of type config.Config")
        );
    }
}
