//! Helpers shared by the config unit tests.

use chrono::{DateTime, Utc};

use super::{load, parse, Config};
use crate::duration::HOUR;
use crate::Error;

pub(super) const H: i64 = HOUR;

pub(super) fn golden(case: &str, file: &str) -> String {
    format!(
        "{}/../tests/golden/cases/{case}/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub(super) fn load_golden(case: &str, file: &str) -> Config {
    load(&golden(case, file)).unwrap_or_else(|e| panic!("{case}/{file}: {e}"))
}

pub(super) fn err(json: &str) -> String {
    parse(json.as_bytes()).unwrap_err().to_string()
}

pub(super) fn coded(msg: &str) -> String {
    Error::coded(5200, msg).to_string()
}

/// A valid config around one default profile body.
pub(super) fn with_default(body: &str) -> String {
    format!(r#"{{"signing":{{"default":{{{body}}}}}}}"#)
}

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(super) const SERVER: &str = "1.3.6.1.5.5.7.3.1";
pub(super) const CLIENT: &str = "1.3.6.1.5.5.7.3.2";
