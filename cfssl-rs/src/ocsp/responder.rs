//! The responder's logic (cfssl's `ocsp.Responder`, RFC 5019): decode the request
//! from a GET path or a POST body, look the response up in a `Source`, and answer with
//! cfssl's statuses, bodies and caching headers. No HTTP types here: `ocspserve` maps
//! an [`Answer`] onto its server.

use super::message::{parse_request, parse_response, Request};
use crate::error::{Error, Result};
use crate::log;
use base64::Engine as _;
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Utc};
use sha2::Digest as _;
use std::collections::HashMap;

const MALFORMED: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x01];
const INTERNAL_ERROR: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x02];
const UNAUTHORIZED: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x06];

/// What a lookup in a `Source` gives: the stored response, `Ok(None)` when there is
/// none, or an `Err` when the source itself failed (the database is down).
pub type Found = std::result::Result<Option<Vec<u8>>, String>;

/// Where responses come from.
pub trait Source: Send + Sync {
    /// The stored response for `req`; may wait (for a database).
    fn response(&self, req: &Request) -> Found;
    /// The same, when it can be had without waiting; `None` means call `response` off
    /// the async workers.
    fn response_now(&self, req: &Request) -> Option<Found>;
}

/// cfssl's `InMemorySource`: responses keyed by serial alone (decimal), whatever
/// issuer the request names.
#[derive(Debug, Default)]
pub struct InMemory {
    by_serial: HashMap<String, Vec<u8>>,
}

impl InMemory {
    /// `NewSourceFromFile`: base64 DER responses separated by white space; one that
    /// does not decode or parse is logged and skipped. A later response for the same
    /// serial replaces an earlier one.
    pub fn from_file(path: &str) -> Result<InMemory> {
        let contents = crate::input::read_file(path)?;
        let text = String::from_utf8_lossy(&contents);
        let mut src = InMemory::default();
        for b64 in text.split(|c: char| c.is_ascii_whitespace()) {
            if b64.is_empty() {
                continue;
            }
            let der = match crate::gobase64::decode(b64.as_bytes()) {
                Ok(der) => der,
                Err(at) => {
                    log::error(&format!(
                        "Base64 decode error illegal base64 data at input byte {at} on: {b64}"
                    ));
                    continue;
                }
            };
            match parse_response(&der) {
                Ok(parsed) => {
                    src.by_serial.insert(parsed.serial.to_string(), der);
                }
                Err(e) => log::error(&format!("OCSP decode error {e} on: {b64}")),
            }
        }
        log::info(&format!("Read {} OCSP responses", src.by_serial.len()));
        Ok(src)
    }
}

impl Source for InMemory {
    fn response(&self, req: &Request) -> Found {
        Ok(self.by_serial.get(&req.serial.to_string()).cloned())
    }

    fn response_now(&self, req: &Request) -> Option<Found> {
        Some(self.response(req))
    }
}

/// cfssl's `DBSource`: the `ocsp_responses` row for the request's serial (decimal) and
/// issuer key hash (hex, which equals the AKI when the CA's SKI is the SHA-1 of its
/// key, as cfssl makes them); of several, the one that expires last.
pub struct DbSource {
    db: std::sync::Arc<dyn crate::certdb::CertDb>,
}

impl DbSource {
    pub fn new(db: std::sync::Arc<dyn crate::certdb::CertDb>) -> DbSource {
        DbSource { db }
    }
}

/// The row key of `req`: serial (decimal) and issuer key hash (hex).
fn row_key(req: &Request) -> (String, String) {
    (
        req.serial.to_string(),
        crate::certdb::record::hex_lower(&req.issuer_key_hash),
    )
}

/// Of the rows found, the one that expires last.
fn latest(rows: Result<Vec<crate::certdb::OcspRecord>>) -> Found {
    match rows {
        Ok(rows) => Ok(rows
            .into_iter()
            .reduce(|best, r| if r.expiry > best.expiry { r } else { best })
            .map(|r| r.body)),
        Err(e) => {
            log::error(&format!("Error obtaining OCSP response: {e}"));
            Err(format!("failed to obtain OCSP response: {e}"))
        }
    }
}

impl Source for DbSource {
    fn response(&self, req: &Request) -> Found {
        let (serial, aki) = row_key(req);
        latest(self.db.get_ocsp(&serial, &aki))
    }

    fn response_now(&self, req: &Request) -> Option<Found> {
        let (serial, aki) = row_key(req);
        self.db.get_ocsp_now(&serial, &aki).map(latest)
    }
}

/// The request as the HTTP layer hands it over.
#[derive(Debug, Clone, Copy)]
pub enum Method<'a> {
    /// The path after the responder's prefix, still percent-encoded.
    Get(&'a str),
    Post(&'a [u8]),
    Other,
}

/// Status, headers (in the order cfssl sets them) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: vec![("Cache-Control", "max-age=0, no-cache".into())],
            body: Vec::new(),
        }
    }

    fn ocsp(mut self, status: u16, body: impl Into<Vec<u8>>) -> Answer {
        self.status = status;
        self.headers
            .push(("Content-Type", "application/ocsp-response".into()));
        self.body = body.into();
        self
    }

    fn set(&mut self, name: &'static str, value: String) {
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(h) => h.1 = value,
            None => self.headers.push((name, value)),
        }
    }
}

/// A request read from its method, path or body, waiting for its lookup.
#[derive(Debug)]
pub struct Decoded {
    /// The DER request, for the log lines of a failed lookup.
    body: Vec<u8>,
    pub req: Request,
}

/// Reads the request; what cannot be looked up is answered right away.
pub fn decode(method: Method) -> std::result::Result<Decoded, Answer> {
    let body = match method {
        Method::Get(path) => get_request_bytes(path).ok_or_else(|| Answer::new(400))?,
        Method::Post(body) => body.to_vec(),
        Method::Other => return Err(Answer::new(405)),
    };
    match parse_request(&body) {
        Ok(req) => Ok(Decoded { body, req }),
        Err(_) => Err(Answer::new(200).ocsp(400, MALFORMED)),
    }
}

/// The answer at `now` to a decoded request whose lookup gave `found`. `if_none_match`
/// is the request's `If-None-Match`.
pub fn respond(
    decoded: &Decoded,
    found: Found,
    if_none_match: Option<&str>,
    now: DateTime<Utc>,
) -> Answer {
    let req = &decoded.req;
    // Only the log lines of a failed lookup show the request, so it is encoded there.
    let b64 = || base64::engine::general_purpose::STANDARD.encode(&decoded.body);
    let pending = Answer::new(200);
    let response = match found {
        Ok(Some(r)) => r,
        Ok(None) => {
            log::info(&format!(
                "No response found for request: serial {:x}, request body {}",
                req.serial,
                b64()
            ));
            return pending.ocsp(200, UNAUTHORIZED);
        }
        Err(e) => {
            log::info(&format!(
                "Error retrieving response for request: serial {:x}, request body {}, error: {e}",
                req.serial,
                b64()
            ));
            return pending.ocsp(500, INTERNAL_ERROR);
        }
    };
    let parsed = match parse_response(&response) {
        Ok(p) => p,
        Err(e) => {
            log::error(&format!(
                "Error parsing response for serial {:x}: {e}",
                req.serial
            ));
            return pending.ocsp(200, INTERNAL_ERROR);
        }
    };
    let etag = format!("\"{:X}\"", sha2::Sha256::digest(&response));
    let mut out = pending.ocsp(200, response);
    // Go formats a missing nextUpdate as its zero time, and max-age is then 0.
    let next = parsed.next_update;
    out.set("Last-Modified", rfc1123(Some(parsed.this_update)));
    out.set("Expires", rfc1123(next));
    let max_age = next.map_or(0, |n| (n - now).num_seconds().max(0));
    out.set(
        "Cache-Control",
        format!("max-age={max_age}, public, no-transform, must-revalidate"),
    );
    let not_modified = if_none_match == Some(etag.as_str());
    out.set("ETag", etag);
    if not_modified {
        out.status = 304;
        out.body.clear();
    }
    out
}

/// Go's `time.RFC1123` layout, parsed once: every answer formats two times with it, and
/// parsing the pattern cost more than the formatting.
static RFC1123: std::sync::LazyLock<Vec<Item<'static>>> = std::sync::LazyLock::new(|| {
    StrftimeItems::new("%a, %d %b %Y %H:%M:%S UTC")
        .parse()
        .expect("a valid strftime pattern")
});

/// Go's `time.RFC1123` of a UTC time.
fn rfc1123(t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => t.format_with_items(RFC1123.iter()).to_string(),
        None => "Mon, 01 Jan 0001 00:00:00 UTC".into(),
    }
}

/// The DER request of a GET: the path is percent-decoded twice (Go's URL parser, then
/// cfssl's `QueryUnescape`, whose `+`-to-space is undone), one leading `/` dropped,
/// then base64 with Go's strict decoder.
fn get_request_bytes(path: &str) -> Option<Vec<u8>> {
    let once = unescape(path.as_bytes())?;
    let mut twice = unescape(&once)?;
    if twice.first() == Some(&b'/') {
        twice.remove(0);
    }
    crate::gobase64::decode(&twice).ok()
}

/// `%XX` decoding; a malformed escape is an error, as in Go's `net/url`.
fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Loads the `-responses` file, with cfssl's error text for an unreadable one.
pub fn load_responses_file(path: &str) -> Result<InMemory> {
    InMemory::from_file(path).map_err(|_| Error::plain("unable to read response file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_like_go_rfc1123() {
        let t = DateTime::from_timestamp(1_796_115_903, 0).unwrap();
        assert_eq!(rfc1123(Some(t)), "Tue, 01 Dec 2026 09:05:03 UTC");
        assert_eq!(rfc1123(None), "Mon, 01 Jan 0001 00:00:00 UTC");
    }

    #[test]
    fn get_paths_decode_like_go() {
        assert_eq!(get_request_bytes("/MAMKAQE%3D").unwrap(), MALFORMED);
        assert_eq!(get_request_bytes("MAMKAQE%253D").unwrap(), MALFORMED);
        // '+' survives both unescapes (as '+', or as "%2B")
        assert_eq!(get_request_bytes("/+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(get_request_bytes("/%2B/8=").unwrap(), vec![0xfb, 0xff]);
        assert!(get_request_bytes("/garbage").is_none());
        assert!(get_request_bytes("/%zz").is_none());
    }

    struct Empty;
    impl Source for Empty {
        fn response(&self, _: &Request) -> Found {
            Ok(None)
        }
        fn response_now(&self, _: &Request) -> Option<Found> {
            None
        }
    }

    #[test]
    fn statuses_without_a_response() {
        let status = |m| decode(m).map(|_| ()).unwrap_err();
        assert_eq!(status(Method::Other).status, 405);
        let bad = status(Method::Post(b"xyz"));
        assert_eq!((bad.status, bad.body.as_slice()), (400, MALFORMED));
        let get = status(Method::Get("/garbage"));
        assert_eq!((get.status, get.body.len()), (400, 0));
        assert_eq!(get.headers.len(), 1);
    }

    #[test]
    fn lookups_that_find_nothing_or_fail() {
        // openssl ocsp -issuer root-ca.pem -cert gamma.pem -no_nonce -reqout (golden case)
        let der = crate::gobase64::decode(b"MFUwUzBRME8wTTAJBgUrDgMCGgUABBREUa/zNYQnatYPTAHFHCJvuP3s+wQUyAXVxozPXCzFkBfsOUCHXoxH2BwCFBukFzOuMxXIH0BamGMgwPZvgmWG").unwrap();
        let decoded = decode(Method::Post(&der)).unwrap();
        assert_eq!(Empty.response_now(&decoded.req), None);
        let none = respond(&decoded, Empty.response(&decoded.req), None, Utc::now());
        assert_eq!((none.status, none.body.as_slice()), (200, UNAUTHORIZED));
        let failed = respond(&decoded, Err("down".into()), None, Utc::now());
        assert_eq!(
            (failed.status, failed.body.as_slice()),
            (500, INTERNAL_ERROR)
        );
        let garbage = respond(&decoded, Ok(Some(b"xyz".to_vec())), None, Utc::now());
        assert_eq!(
            (garbage.status, garbage.body.as_slice()),
            (200, INTERNAL_ERROR)
        );
    }
}
