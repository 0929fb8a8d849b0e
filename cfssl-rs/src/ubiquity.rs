//! cfssl's chain ranking (package `ubiquity`): how widely a chain is accepted (platform
//! root stores from `-metadata`, hash and key algorithms), how modern its crypto is,
//! how long it lasts, and which platforms reject it for SHA-1.

use crate::bundler::cert::{Cert, KeyAlgo, SigHash};
use crate::error::{Error, Result};
use crate::keys::Curve;
use sha1::{Digest as _, Sha1};
use std::collections::HashSet;
use std::sync::Arc;

pub type Chain = Vec<Arc<Cert>>;

pub const SHA2_UBIQUITY: i64 = 70;
const SHA1_UBIQUITY: i64 = 100;
pub const ECDSA256_UBIQUITY: i64 = 70;

fn hash_ubiquity(c: &Cert) -> i64 {
    match c.signature_hash() {
        SigHash::Sha1 => SHA1_UBIQUITY,
        SigHash::Sha2 => SHA2_UBIQUITY,
        SigHash::Md | SigHash::Other => 0,
    }
}

fn key_algo_ubiquity(c: &Cert) -> i64 {
    match c.key {
        KeyAlgo::Ec { curve } => match curve {
            Some(Curve::P256) | Some(Curve::P384) => 70,
            Some(Curve::P521) => 30,
            None => 0,
        },
        KeyAlgo::Rsa { bits } if bits >= 1024 => 100,
        KeyAlgo::Dsa => 100,
        _ => 0,
    }
}

/// The lowest hash ubiquity in the chain.
pub fn chain_hash_ubiquity(chain: &[Arc<Cert>]) -> i64 {
    chain
        .iter()
        .map(|c| hash_ubiquity(c))
        .min()
        .unwrap_or(i64::from(i32::MAX))
}

/// The lowest key-algorithm ubiquity in the chain.
pub fn chain_key_algo_ubiquity(chain: &[Arc<Cert>]) -> i64 {
    chain
        .iter()
        .map(|c| key_algo_ubiquity(c))
        .min()
        .unwrap_or(i64::from(i32::MAX))
}

/// One client platform of the `-metadata` file: its root store and what it accepts.
#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    weight: i64,
    hash_ubiquity: i64,
    key_algo_ubiquity: i64,
    /// SHA-1 (hex) of each root's SubjectPublicKeyInfo; empty = trusts any root.
    key_store: HashSet<String>,
}

fn spki_sha1(c: &Cert) -> String {
    Sha1::digest(&c.raw_spki)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Platform {
    pub fn trusts(&self, root: &Cert) -> bool {
        self.key_store.is_empty() || self.key_store.contains(&spki_sha1(root))
    }
}

/// Reads cfssl's platform metadata: a JSON list of `{name, weight, hash_algo,
/// key_algo, keystore}`, keystore paths relative to the metadata file. Certificates of
/// a keystore that do not parse are skipped, as cfssl does.
pub fn load_platforms(path: &str) -> Result<Vec<Platform>> {
    let data = crate::input::read_file(path)
        .map_err(|e| Error::plain(format!("platform metadata failed to load: {e}")))?;
    let value = crate::gojson::parse(&data)
        .map_err(|e| Error::plain(format!("platform metadata failed to parse: {e}")))?;
    let crate::gojson::Value::Array(items) = value else {
        return Err(Error::plain(
            "platform metadata failed to parse: not a JSON list of platforms",
        ));
    };
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let mut out = Vec::new();
    for item in &items {
        let text = |k: &str| match item.field(k) {
            Some(crate::gojson::Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let name = text("name");
        let weight = match item.field("weight") {
            Some(crate::gojson::Value::Number(n)) => n.parse::<i64>().unwrap_or(0),
            _ => 0,
        };
        let hash_ubiquity = match text("hash_algo").as_str() {
            "SHA1" => SHA1_UBIQUITY,
            "SHA2" => SHA2_UBIQUITY,
            _ => 0,
        };
        let key_algo_ubiquity = match text("key_algo").as_str() {
            "RSA" => 100,
            "ECDSA256" | "ECDSA384" => 70,
            "ECDSA521" => 30,
            _ => 0,
        };
        let mut key_store = HashSet::new();
        let keystore = text("keystore");
        if !keystore.is_empty() {
            let file = dir.join(&keystore).to_string_lossy().into_owned();
            let pem = crate::input::read_file(&file)?;
            for block in crate::pemfile::blocks(&pem) {
                if let Ok(c) = Cert::from_der(&block.der) {
                    key_store.insert(spki_sha1(&c));
                }
            }
        }
        if hash_ubiquity == 0 || key_algo_ubiquity == 0 {
            return Err(Error::plain(format!(
                "fail to finalize the parsing of platform metadata: platform {name:?} needs hash_algo SHA1|SHA2 and key_algo RSA|ECDSA256|ECDSA384|ECDSA521"
            )));
        }
        crate::log::info(&format!(
            "Platform metadata is loaded: {name} {}",
            key_store.len()
        ));
        out.push(Platform {
            name,
            weight,
            hash_ubiquity,
            key_algo_ubiquity,
            key_store,
        });
    }
    Ok(out)
}

/// The platforms whose root store lacks `root`.
pub fn untrusted_platforms(platforms: &[Platform], root: &Cert) -> Vec<String> {
    platforms
        .iter()
        .filter(|p| !p.trusts(root))
        .map(|p| p.name.clone())
        .collect()
}

/// The summed weight of the platforms that accept the chain.
fn cross_platform_ubiquity(platforms: &[Platform], chain: &[Arc<Cert>]) -> i64 {
    let Some(root) = chain.last() else {
        return 0;
    };
    let (hash, key) = (chain_hash_ubiquity(chain), chain_key_algo_ubiquity(chain));
    platforms
        .iter()
        .filter(|p| p.trusts(root) && p.hash_ubiquity <= hash && p.key_algo_ubiquity <= key)
        .map(|p| p.weight)
        .sum()
}

/// 1 when every certificate but the root is signed with SHA-2.
fn sha2_homogeneity(chain: &[Arc<Cert>]) -> i64 {
    let below_root = &chain[..chain.len().saturating_sub(1)];
    i64::from(below_root.iter().all(|c| hash_ubiquity(c) == SHA2_UBIQUITY))
}

fn hash_priority(c: &Cert) -> f64 {
    match c.signature_hash() {
        SigHash::Sha1 => 10.0,
        SigHash::Sha2 => 100.0,
        _ => 0.0,
    }
}

fn key_algo_priority(c: &Cert) -> f64 {
    match c.key {
        KeyAlgo::Ec { curve } => match curve {
            Some(Curve::P384) => 120.0,
            Some(Curve::P521) => 140.0,
            _ => 100.0,
        },
        KeyAlgo::Rsa { bits: 4096 } => 70.0,
        KeyAlgo::Rsa { bits: 3072 } => 50.0,
        KeyAlgo::Rsa { bits: 2048 } => 30.0,
        _ => 0.0,
    }
}

/// cfssl's running average over the chain, truncated as Go's `int()` does.
fn running_average(chain: &[Arc<Cert>], score: fn(&Cert) -> f64) -> i64 {
    let mut ret = 0.0;
    for (i, c) in chain.iter().enumerate() {
        let f1 = 1.0 / (i as f64 + 1.0);
        ret = ret * (1.0 - f1) + score(c) * f1;
    }
    ret as i64
}

/// The earliest notAfter of the chain (`helpers.ExpiryTime`).
pub fn expiry_time(chain: &[Arc<Cert>]) -> i64 {
    chain.iter().map(|c| c.not_after).min().unwrap_or(0)
}

/// `helpers.MonthsValid` <= the CA/B Forum limit for when the certificate was issued.
fn valid_expiry(c: &Cert) -> bool {
    const APR_2015: i64 = 1_427_846_400;
    const JUL_2012: i64 = 1_341_100_800;
    let max_months = if c.not_before > APR_2015 {
        39
    } else if c.not_before > JUL_2012 {
        60
    } else {
        120
    };
    months_valid(c) <= max_months
}

/// Go's `helpers.MonthsValid`: whole calendar months from notBefore to notAfter, plus
/// one when the day of month moves forward.
fn months_valid(c: &Cert) -> i64 {
    use chrono::Datelike;
    let (Some(nb), Some(na)) = (
        chrono::DateTime::from_timestamp(c.not_before, 0),
        chrono::DateTime::from_timestamp(c.not_after, 0),
    ) else {
        return 0;
    };
    let mut months = i64::from(na.year() - nb.year()) * 12;
    months += i64::from(na.month()) - i64::from(nb.month());
    if na.day() > nb.day() {
        months += 1;
    }
    months
}

type Rank = fn(&[Platform], &[Arc<Cert>], &[Arc<Cert>]) -> i64;

fn cmp(a: i64, b: i64) -> i64 {
    (a > b) as i64 - (a < b) as i64
}

fn by_platform(p: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    cross_platform_ubiquity(p, a) - cross_platform_ubiquity(p, b)
}
fn by_sha2_homogeneity(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    sha2_homogeneity(a) - sha2_homogeneity(b)
}
fn by_length(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    b.len() as i64 - a.len() as i64
}
fn by_hash_ubiquity(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    chain_hash_ubiquity(a) - chain_hash_ubiquity(b)
}
fn by_key_algo_ubiquity(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    chain_key_algo_ubiquity(a) - chain_key_algo_ubiquity(b)
}
/// Later-expiring intermediates and roots win, compared from the root down.
fn by_expiry_ubiquity(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    for (c1, c2) in a.iter().rev().zip(b.iter().rev()) {
        match (valid_expiry(c1), valid_expiry(c2)) {
            (true, false) => return 1,
            (false, true) => return -1,
            _ => {}
        }
        let r = cmp(c1.not_after, c2.not_after);
        if r != 0 {
            return r;
        }
    }
    0
}
fn by_chain_expiry(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    cmp(expiry_time(a), expiry_time(b))
}
fn by_crypto_suite(_: &[Platform], a: &[Arc<Cert>], b: &[Arc<Cert>]) -> i64 {
    let score =
        |c: &[Arc<Cert>]| running_average(c, hash_priority) + running_average(c, key_algo_priority);
    score(a) - score(b)
}

/// cfssl's `ubiquity.Filter`: the chains that rank highest, in their original order.
fn filter(platforms: &[Platform], chains: Vec<Chain>, rank: Rank) -> Vec<Chain> {
    if chains.len() <= 1 {
        return chains;
    }
    let mut best = chains[0].clone();
    let mut out: Vec<Chain> = Vec::new();
    for chain in chains {
        let r = rank(platforms, &best, &chain);
        if r < 0 {
            best = chain.clone();
            out = vec![chain];
        } else if r == 0 {
            out.push(chain);
        }
    }
    out
}

/// The shortest chains, then the longest-lasting, then the most modern crypto.
pub fn optimal_chains(platforms: &[Platform], chains: Vec<Chain>) -> Vec<Chain> {
    let mut chains = chains;
    for rank in [by_length as Rank, by_chain_expiry, by_crypto_suite] {
        chains = filter(platforms, chains, rank);
    }
    chains
}

/// The chains accepted by the most platforms, ties broken as cfssl does and finally
/// by [`optimal_chains`].
pub fn ubiquitous_chains(platforms: &[Platform], chains: Vec<Chain>) -> Vec<Chain> {
    let mut chains = chains;
    for rank in [
        by_platform as Rank,
        by_sha2_homogeneity,
        by_length,
        by_hash_ubiquity,
        by_key_algo_ubiquity,
        by_expiry_ubiquity,
    ] {
        chains = filter(platforms, chains, rank);
    }
    optimal_chains(platforms, chains)
}

struct Sha1Policy {
    platform: &'static str,
    description: &'static str,
    severity: u8,
    effective: i64,
    expiry_deadline: i64,
    never_issue_after: i64,
}

const JAN_2016: i64 = 1_451_606_400;
const JAN_2017: i64 = 1_483_228_800;

/// cfssl's SHA-1 deprecation policies of the big browsers and Windows (0 = unset).
const SHA1_POLICIES: &[Sha1Policy] = &[
    Sha1Policy {
        platform: "Google Chrome",
        description: "shows the SSL connection has minor problems",
        severity: 2,
        effective: 0,
        expiry_deadline: JAN_2016,
        never_issue_after: 0,
    },
    Sha1Policy {
        platform: "Google Chrome",
        description: "shows the SSL connection is untrusted",
        severity: 3,
        effective: 0,
        expiry_deadline: JAN_2017,
        never_issue_after: 0,
    },
    Sha1Policy {
        platform: "Mozilla Firefox",
        description: "gives warning in the developer console",
        severity: 1,
        effective: 0,
        expiry_deadline: JAN_2017,
        never_issue_after: 0,
    },
    Sha1Policy {
        platform: "Mozilla Firefox",
        description: "shows the SSL connection is untrusted",
        severity: 2,
        effective: JAN_2016,
        expiry_deadline: 0,
        never_issue_after: JAN_2016,
    },
    Sha1Policy {
        platform: "Mozilla Firefox",
        description: "shows the SSL connection is untrusted",
        severity: 3,
        effective: JAN_2017,
        expiry_deadline: JAN_2017,
        never_issue_after: 0,
    },
    Sha1Policy {
        platform: "Microsoft Windows Vista and later",
        description: "shows the SSL connection is untrusted",
        severity: 3,
        effective: JAN_2017,
        expiry_deadline: JAN_2017,
        never_issue_after: 0,
    },
];

impl Sha1Policy {
    fn flags(&self, chain: &[Arc<Cert>], now: i64) -> bool {
        let Some(leaf) = chain.first() else {
            return false;
        };
        // Go's zero time.Time lies before every real date.
        if now <= self.effective && self.effective != 0 {
            return false;
        }
        let is_sha1 = |c: &Cert| {
            matches!(
                c.signature_name(),
                "SHA1WithRSA" | "DSAWithSHA1" | "ECDSAWithSHA1"
            )
        };
        if self.never_issue_after != 0
            && leaf.not_before > self.never_issue_after
            && chain.len() > 1
            && is_sha1(leaf)
        {
            return true;
        }
        self.expiry_deadline != 0
            && leaf.not_after > self.expiry_deadline
            && chain[..chain.len() - 1].iter().any(|c| is_sha1(c))
    }
}

/// One message per platform that rejects the chain for SHA-1 (its most severe policy).
pub fn sha1_deprecation_messages(chain: &[Arc<Cert>], now: i64) -> Vec<String> {
    let mut worst: Vec<&Sha1Policy> = Vec::new();
    for p in SHA1_POLICIES.iter().filter(|p| p.flags(chain, now)) {
        match worst.iter_mut().find(|w| w.platform == p.platform) {
            Some(w) if w.severity < p.severity => *w = p,
            Some(_) => {}
            None => worst.push(p),
        }
    }
    worst
        .iter()
        .map(|p| format!("{} {} due to SHA-1 deprecation", p.platform, p.description))
        .collect()
}
