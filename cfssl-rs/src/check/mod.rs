//! `cfssl check`: predicts, connection by connection, whether a real etcd 3.4 accepts
//! a certificate tree, and says which file is at fault and why, in the words etcd and
//! etcdctl log (Go's crypto/tls and crypto/x509 texts).
//!
//! `etcdconf` reads the members' YAML, `keys` loads files as etcd does, `chain`,
//! `signature`, `usage` and `names` are Go's verifier, `model` plays every connection
//! through them, `report` prints the result.

pub mod chain;
pub mod etcdconf;
pub mod keys;
pub mod model;
pub mod names;
pub mod report;
pub mod signature;
pub mod usage;
pub mod yaml11;

use std::path::{Path, PathBuf};

/// A client identity as etcdctl uses it (`--cert`, `--key`, `--cacert`).
#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
}

impl Client {
    /// `CERT,KEY[,CA]`; the name is the certificate's base name without `.pem`.
    pub fn parse(spec: &str) -> Result<Client, String> {
        let parts: Vec<&str> = spec.split(',').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "-client {}: expected CERT,KEY[,CA]",
                crate::gojson::go_quote(spec)
            ));
        }
        let cert = PathBuf::from(parts[0]);
        let base = cert
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = base.strip_suffix(".pem").unwrap_or(&base).to_string();
        Ok(Client {
            name,
            cert,
            key: PathBuf::from(parts[1]),
            ca: parts.get(2).map(PathBuf::from),
        })
    }
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub members: Vec<etcdconf::Member>,
    pub clients: Vec<Client>,
    /// `None`: CN-to-user mapping is not judged.
    pub users: Option<Vec<String>>,
    pub run_as: Option<keys::RunAs>,
    /// Unix seconds at which validity is judged.
    pub at: i64,
    /// Also warn about what expires before `at + within` (seconds).
    pub within: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Fail,
    Warn,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
        }
    }
}

/// Why something fails: the files at fault, etcd's words, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub files: Vec<String>,
    pub reason: String,
    pub fix: String,
}

impl Fault {
    pub fn new(files: &[&Path], reason: String, fix: &str) -> Fault {
        Fault {
            files: files.iter().map(|p| p.display().to_string()).collect(),
            reason,
            fix: fix.to_string(),
        }
    }
}

/// The predicted outcome of one connection attempt (or member start / health).
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub files: Vec<String>,
    pub fix: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub connections: Vec<Connection>,
    /// Members with `client-cert-auth` on: `nocert@NAME` must fail there.
    must_refuse_nocert: Vec<String>,
}

impl Report {
    /// Every member starts and is healthy, every peer and client connection succeeds,
    /// and a client without a certificate is refused wherever client-cert-auth is on.
    pub fn works(&self) -> bool {
        self.connections.iter().all(|c| {
            if let Some(member) = c.id.strip_prefix("nocert@") {
                !self.must_refuse_nocert.iter().any(|m| m == member) || c.verdict == Verdict::Fail
            } else {
                c.verdict != Verdict::Fail
            }
        })
    }
}

/// Runs every judgement.
pub fn check(opts: &Options) -> Report {
    model::run(opts)
}
