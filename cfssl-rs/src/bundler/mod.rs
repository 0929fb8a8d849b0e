//! cfssl's bundler: from a certificate (and the intermediates that came with it) to
//! the chain a server should send, chosen among every chain that reaches a trusted
//! root (spec §6). Shared by `cfssl bundle` and the server's `bundle` endpoint.

pub mod bundle;
pub mod cert;
pub mod verify;

use crate::error::{Error, Result};
use crate::keys::{KeyType, PrivateKey};
use crate::log;
use crate::ubiquity::{self, Chain, Platform};
use bundle::{Bundle, Status};
use cert::{Cert, KeyAlgo};
use std::collections::HashSet;
use std::sync::Arc;
use verify::{Pool, VerifyError};

/// How the chain is chosen (`-flavor`). cfssl treats any other name as ubiquitous,
/// without the "no metadata" warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavor {
    Ubiquitous,
    Optimal,
    Force,
    Other(String),
}

impl Flavor {
    pub fn parse(s: &str) -> Flavor {
        match s {
            "ubiquitous" => Flavor::Ubiquitous,
            "optimal" => Flavor::Optimal,
            "force" => Flavor::Force,
            other => Flavor::Other(other.to_string()),
        }
    }
}

const SHA2_WARNING: &str = "The bundle contains certificates signed with advanced hash functions such as SHA2, which are problematic for certain operating systems, e.g. Windows XP SP2.";
const ECDSA_WARNING: &str = "The bundle contains ECDSA signatures, which are problematic for certain operating systems, e.g. Windows XP, Android 2.2 and Android 2.3.";
const EXPIRING_WARNING: &str = "The bundle is expiring within 30 days.";
const UNTRUSTED_WARNING: &str = "The bundle may not be trusted by the following platform(s):";
const UBIQUITY_WARNING: &str = "Unable to measure bundle ubiquity: No platform metadata present.";

/// cfssl's dialer timeout for a remote bundle: connect and handshake together.
const REMOTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Status bits of a successful bundle (`errors.BundleExpiringBit`, `...NotUbiquitousBit`).
const EXPIRING_BIT: u32 = 1;
const NOT_UBIQUITOUS_BIT: u32 = 2;

/// Where Go looks for the system roots on Linux when no `-ca-bundle` is given.
const SYSTEM_ROOT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The trust anchors, the known intermediates and the platform metadata.
#[derive(Debug, Clone, Default)]
pub struct Bundler {
    roots: Pool,
    intermediates: Pool,
    /// Signatures of every pooled certificate (cfssl's `KnownIssuers`).
    known: HashSet<Vec<u8>>,
    platforms: Vec<Platform>,
    /// `-int-dir`: where intermediates learnt from an input chain are saved.
    stash: Option<String>,
    /// The `-flavor force` bundler has no pools; like cfssl's, it trusts the system
    /// roots when it verifies a server's handshake.
    force_only: bool,
}

/// What `cfssl bundle` and `serve` are given to build a bundler from.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub ca_bundle: String,
    pub int_bundle: String,
    pub int_dir: String,
    pub metadata: String,
}

fn system_roots() -> Result<Vec<u8>> {
    let env = std::env::var("SSL_CERT_FILE")
        .ok()
        .filter(|s| !s.is_empty());
    let candidates = env
        .iter()
        .map(String::as_str)
        .chain(SYSTEM_ROOT_FILES.iter().copied());
    for path in candidates {
        if let Ok(data) = crate::input::read_file(path) {
            return Ok(data);
        }
    }
    Err(Error::coded(
        1200,
        "x509: failed to load system roots and no roots provided",
    ))
}

fn make_stash(dir: &str) -> Result<()> {
    if std::path::Path::new(dir).exists() {
        return Ok(());
    }
    log::info(&format!(
        "intermediate stash directory {dir} doesn't exist, creating"
    ));
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| {
            let err = Error::io("mkdir", dir, &e);
            log::error(&format!(
                "failed to create intermediate stash directory {dir}: {err}"
            ));
            err
        })?;
    log::info(&format!("intermediate stash directory {dir} created"));
    Ok(())
}

/// cfssl's file name for a stashed intermediate: CN without dots and spaces, SKI and
/// serial in hex.
fn stash_name(c: &Cert) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let cn: String = c
        .common_name()
        .chars()
        .filter(|ch| *ch != '.' && *ch != ' ')
        .collect();
    format!("{cn}_{}_{}.crt", hex(&c.subject_key_id), hex(&c.serial))
}

/// Every certificate makes every certificate before it: `certs[i]` is signed by
/// `certs[i+1]`.
fn partial_verify(certs: &[Arc<Cert>]) -> bool {
    !certs.is_empty()
        && certs
            .windows(2)
            .all(|w| w[0].check_signature_from(&w[1]).is_ok())
}

/// Whether the private key belongs to the certificate, compared as cfssl does (RSA
/// modulus, EC X coordinate, Ed25519 bytes).
fn check_key(cert: &Cert, key: &PrivateKey) -> Result<()> {
    let mismatch = || Error::coded(2300, "Private key does not match public key");
    let public = |spki: &[u8]| -> Option<Vec<u8>> {
        use x509_parser::prelude::FromDer as _;
        let (_, s) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
        match s.parsed().ok()? {
            x509_parser::public_key::PublicKey::RSA(r) => {
                let m = r.modulus;
                let first = m.iter().position(|b| *b != 0).unwrap_or(m.len());
                Some(m[first..].to_vec())
            }
            x509_parser::public_key::PublicKey::EC(p) => {
                let d = p.data();
                let half = d.len().saturating_sub(1) / 2;
                d.get(1..1 + half).map(<[u8]>::to_vec)
            }
            _ => Some(s.subject_public_key.data.to_vec()),
        }
    };
    let same_type = matches!(
        (cert.key, key.key_type),
        (KeyAlgo::Rsa { .. }, KeyType::Rsa { .. })
            | (KeyAlgo::Ec { .. }, KeyType::Ec(_))
            | (KeyAlgo::Ed25519, KeyType::Ed25519)
    );
    if !same_type {
        return Err(mismatch());
    }
    match (public(&cert.raw_spki), public(&key.spki_der())) {
        (Some(a), Some(b)) if a == b => Ok(()),
        _ => Err(mismatch()),
    }
}

fn unsupported_key() -> Error {
    Error::coded(2200, "Private key algorithm is not RSA or ECC or Ed25519")
}

impl Bundler {
    /// `bundler.NewBundler`: roots from `-ca-bundle` (the system roots when empty),
    /// intermediates from `-int-bundle`, platforms from `-metadata`.
    pub fn new(opts: &Options) -> Result<Bundler> {
        let read = |path: &str, what: &str, code: u32| -> Result<Vec<u8>> {
            crate::input::read_file(path).map_err(|e| {
                log::error(&format!("{what} bundle failed to load: {e}"));
                Error::coded(code, e.message())
            })
        };
        let roots_pem = match opts.ca_bundle.as_str() {
            "" => system_roots()?,
            path => read(path, "root", 4001)?,
        };
        let ints_pem = match opts.int_bundle.as_str() {
            "" => Vec::new(),
            path => read(path, "intermediate", 3001)?,
        };
        let stash = Some(opts.int_dir.clone()).filter(|d| !d.is_empty());
        if let Some(dir) = &stash {
            make_stash(dir)?;
        }
        let roots = cert::parse_pem_chain(&roots_pem).map_err(|e| {
            log::error(&format!("failed to parse root bundle: {e}"));
            Error::coded(4003, "Failed to parse root certificate")
        })?;
        let ints = cert::parse_pem_chain(&ints_pem).map_err(|e| {
            log::error(&format!("failed to parse intermediate bundle: {e}"));
            Error::coded(3003, "Failed to parse intermediate certificate")
        })?;
        let mut b = Bundler {
            stash,
            ..Bundler::default()
        };
        for c in roots {
            b.known.insert(c.signature.clone());
            b.roots.add(Arc::new(c));
        }
        for c in ints {
            b.known.insert(c.signature.clone());
            b.intermediates.add(Arc::new(c));
        }
        // cfssl ignores a bad metadata file; say why it has no effect.
        if !opts.metadata.is_empty() {
            match ubiquity::load_platforms(&opts.metadata) {
                Ok(p) => b.platforms = p,
                Err(e) => log::warning(&e.to_string()),
            }
        }
        Ok(b)
    }

    /// The bundler of `-flavor force`, which checks the given chain only.
    pub fn force_only() -> Bundler {
        Bundler {
            force_only: true,
            ..Bundler::default()
        }
    }

    /// `BundleFromRemote`: the chain `server_name` sends from `ip` (or its own name) on
    /// port 443, bundled. cfssl first tries a verifying handshake and, when it fails,
    /// a second one without verification, then asks the connection to verify the host
    /// name, which can only succeed on a verified connection: so a peer whose chain
    /// does not verify is always 1200 "handshake did not verify". Here one unverified
    /// handshake fetches the chain and Go's verification is applied to it afterwards,
    /// which gives the same answers with one connection (and half of cfssl's wait when
    /// the peer stalls).
    pub fn bundle_from_remote(
        &self,
        server_name: &str,
        ip: &str,
        flavor: &Flavor,
        now: i64,
    ) -> Result<Bundle> {
        let dial_name = match ip {
            "" => format!("{server_name}:443"),
            ip => format!("{ip}:443"),
        };
        log::debug(&format!("bundling from remote {dial_name}"));
        let dial_error = |m: String| Error::coded(6000, m);
        let (host, port) = crate::gourl::split_host_port(&dial_name)
            .map_err(|e| dial_error(format!("dial tcp: {e}")))?;
        let ders = crate::tls::peer_chain(&host, &port, server_name, REMOTE_TIMEOUT)
            .map_err(|e| dial_error(e.message()))?;
        let certs = ders
            .iter()
            .map(|d| Cert::parse(d).map(Arc::new))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|e| {
                dial_error(format!("tls: failed to parse certificate from server: {e}"))
            })?;
        if let Err(why) = self.verify_server(&certs, server_name, now) {
            log::debug(&format!(
                "Failed rigid TLS handshake with {dial_name}: {why}"
            ));
            return Err(Error::coded(
                1200,
                "tls: handshake did not verify certificate chain",
            ));
        }
        self.bundle(certs, None, flavor, now)
    }

    /// What Go's TLS client checks of a server's chain: the host name, then a chain
    /// from the leaf through the certificates sent to a root, fit for serverAuth.
    fn verify_server(
        &self,
        certs: &[Arc<Cert>],
        server_name: &str,
        now: i64,
    ) -> std::result::Result<(), String> {
        let leaf = &certs[0];
        leaf.verify_hostname(server_name)?;
        let mut system;
        let roots = match self.force_only {
            false => &self.roots,
            true => {
                // As Go's `AppendCertsFromPEM`: a block that does not parse is skipped.
                let pem = system_roots().map_err(|e| e.message())?;
                system = Pool::default();
                let blocks = crate::pemfile::blocks(&pem).into_iter();
                for block in blocks.filter(|b| b.label == "CERTIFICATE" && b.headers.is_empty()) {
                    if let Ok(c) = Cert::from_der(&block.der) {
                        system.add(Arc::new(c));
                    }
                }
                &system
            }
        };
        let mut sent = Pool::default();
        for c in &certs[1..] {
            sent.add(Arc::clone(c));
        }
        let chains = verify::verify(leaf, roots, &sent, now).map_err(|e| e.to_string())?;
        if chains.iter().any(|c| c.iter().all(|x| x.server_auth)) {
            Ok(())
        } else {
            Err("x509: certificate specifies an incompatible key usage".into())
        }
    }

    /// `BundleFromPEMorDER`: the key (if any) first, then the certificates, as PEM or
    /// back-to-back DER.
    pub fn bundle_from_pem_or_der(
        &self,
        certs: &[u8],
        key_pem: &[u8],
        flavor: &Flavor,
        now: i64,
    ) -> Result<Bundle> {
        let key = match key_pem.is_empty() {
            true => None,
            false => Some(crate::keys::parse_pem(key_pem)?),
        };
        let parsed = match cert::parse_pem_chain(certs) {
            Ok(c) => c,
            Err(pem_err) => cert::parse_der_chain(certs).map_err(|_| pem_err)?,
        };
        if parsed.is_empty() {
            return Err(Error::coded(1002, "Failed to decode certificate"));
        }
        let certs: Vec<Arc<Cert>> = parsed.into_iter().map(Arc::new).collect();
        self.bundle(certs, key, flavor, now)
    }

    /// `Bundler.Bundle`.
    pub fn bundle(
        &self,
        certs: Vec<Arc<Cert>>,
        key: Option<PrivateKey>,
        flavor: &Flavor,
        now: i64,
    ) -> Result<Bundle> {
        let Some(first) = certs.first() else {
            return Err(Error::coded(1002, "Failed to decode certificate"));
        };
        log::info(&format!(
            "bundling certificate for {}",
            first.subject_string()
        ));
        let mut certs = certs;
        if certs.len() > 1 && !partial_verify(&certs) {
            let reversed: Vec<_> = certs.iter().rev().cloned().collect();
            if partial_verify(&reversed) {
                certs = reversed;
            }
        }
        let cert = certs[0].clone();
        match (&key, cert.key) {
            (_, KeyAlgo::Dsa | KeyAlgo::Unknown) => return Err(unsupported_key()),
            (Some(k), _) => check_key(&cert, k)?,
            (None, _) => {}
        }

        let mut chain: Chain = if *flavor == Flavor::Force {
            if !partial_verify(&certs) {
                return Err(Error::coded(1200, "Unable to verify the certificate chain"));
            }
            certs.clone()
        } else {
            if cert.is_self_signed() {
                return Err(Error::coded(1100, "Certificate is self signed"));
            }
            let chains = self.chains(&certs, now)?;
            let best = match flavor {
                Flavor::Optimal => ubiquity::optimal_chains(&self.platforms, chains),
                Flavor::Ubiquitous => {
                    if self.platforms.is_empty() {
                        log::warning("No metadata, Ubiquitous falls back to Optimal.");
                    }
                    ubiquity::ubiquitous_chains(&self.platforms, chains)
                }
                _ => ubiquity::ubiquitous_chains(&self.platforms, chains),
            };
            best.into_iter().next().ok_or_else(|| {
                Error::coded(1220, "x509: certificate signed by unknown authority")
            })?
        };

        let mut code = 0;
        let mut messages = Vec::new();
        let expiring: Vec<usize> = (0..chain.len())
            .filter(|&i| chain[i].not_after - now < 720 * 3600)
            .collect();
        if !expiring.is_empty() {
            code |= EXPIRING_BIT;
            let mut m = String::from(EXPIRING_WARNING);
            m.push_str(if expiring.len() > 1 {
                "The expiring certs are"
            } else {
                "The expiring cert is"
            });
            for i in &expiring {
                m.push_str(&format!(" #{}", i + 1));
            }
            m.push_str(" in the chain.");
            messages.push(m);
        }
        if ubiquity::chain_hash_ubiquity(&chain) <= ubiquity::SHA2_UBIQUITY {
            code |= NOT_UBIQUITOUS_BIT;
            messages.push(SHA2_WARNING.to_string());
        }
        if ubiquity::chain_key_algo_ubiquity(&chain) <= ubiquity::ECDSA256_UBIQUITY {
            code |= NOT_UBIQUITOUS_BIT;
            messages.push(ECDSA_WARNING.to_string());
        }
        let mut root = None;
        let mut untrusted = None;
        if *flavor != Flavor::Force {
            let anchor = chain[chain.len() - 1].clone();
            log::info(&format!(
                "the anchoring root is {}",
                anchor.subject_string()
            ));
            let names = ubiquity::untrusted_platforms(&self.platforms, &anchor);
            let warning = if self.platforms.is_empty() {
                UBIQUITY_WARNING.to_string()
            } else if names.is_empty() {
                String::new()
            } else {
                format!("{UNTRUSTED_WARNING} {}.", names.join(", "))
            };
            if !warning.is_empty() {
                code |= NOT_UBIQUITOUS_BIT;
                messages.push(warning);
            }
            untrusted = Some(names);
            root = Some(anchor);
        }
        let sha1 = ubiquity::sha1_deprecation_messages(&chain, now);
        if !sha1.is_empty() {
            code |= NOT_UBIQUITOUS_BIT;
            messages.extend(sha1);
        }
        let expiring_skis = Some(
            expiring
                .iter()
                .map(|&i| {
                    chain[i]
                        .subject_key_id
                        .iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<String>()
                })
                .collect::<Vec<_>>(),
        )
        .filter(|v| !v.is_empty());

        if *flavor != Flavor::Force {
            // A leaf with OCSP keeps one issuer above it so stapling works.
            let keep_root = !cert.ocsp_servers.is_empty() && !cert.is_ca && chain.len() <= 2;
            if !keep_root {
                chain.pop();
            }
        }
        let rebundled = chain.len() != certs.len()
            || chain
                .iter()
                .zip(&certs)
                .any(|(a, b)| a.signature != b.signature);
        Ok(Bundle {
            expires: ubiquity::expiry_time(&chain),
            leaf_expires: chain.first().map_or(0, |c| c.not_after),
            hostnames: bundle::hostnames(&cert),
            chain,
            cert,
            root,
            key,
            status: Status {
                rebundled,
                expiring_skis,
                untrusted_root_stores: untrusted,
                messages,
                code,
            },
        })
    }

    /// Every chain for the leaf. When the pools do not reach a root, cfssl walks the
    /// input chain from the top and adds each certificate that verifies to the
    /// intermediates (saving it in `-int-dir`), then tries again. cfssl would also fetch
    /// AIA issuers over HTTP; cfssl-rs does not go online for that. The learnt
    /// intermediates serve this request only.
    fn chains(&self, certs: &[Arc<Cert>], now: i64) -> Result<Vec<Chain>> {
        let wrap = |e: VerifyError| Error::coded(e.code(), e.to_string());
        let leaf = &certs[0];
        let first = match verify::verify(leaf, &self.roots, &self.intermediates, now) {
            Ok(chains) => return Ok(chains),
            Err(e) if e.is_unknown_authority() => e,
            Err(e) => return Err(wrap(e)),
        };
        let mut ints = self.intermediates.clone();
        let mut known = self.known.clone();
        let mut found = 0;
        // Top of the input chain first; the leaf (index 0) is never stored.
        let walk: Vec<(usize, &Arc<Cert>)> = certs.iter().enumerate().rev().collect();
        for start in 0..walk.len() {
            if self.learn(&walk[start..], &mut ints, &mut known, now) {
                found += 1;
            }
        }
        if found == 0 {
            return Err(wrap(first));
        }
        verify::verify(leaf, &self.roots, &ints, now).map_err(wrap)
    }

    /// cfssl's `verifyChain` over one suffix of the reversed input chain.
    fn learn(
        &self,
        chain: &[(usize, &Arc<Cert>)],
        ints: &mut Pool,
        known: &mut HashSet<Vec<u8>>,
        now: i64,
    ) -> bool {
        for (pos, (index, c)) in chain.iter().enumerate() {
            if known.contains(&c.signature) {
                continue;
            }
            if verify::verify(c, &self.roots, ints, now).is_err() {
                return false;
            }
            // The top of the chain is not stored when it is a root; the leaf never is.
            if (pos == 0 && c.is_self_signed()) || *index == 0 {
                continue;
            }
            ints.add(Arc::clone(c));
            known.insert(c.signature.clone());
            if let Some(dir) = &self.stash {
                let name = stash_name(c);
                let path = std::path::Path::new(dir).join(&name);
                let pem = crate::output::pem("CERTIFICATE", &c.raw);
                match crate::output::write_file(&path.to_string_lossy(), pem.as_bytes(), 0o644) {
                    Ok(()) => log::info(&format!("stashed new intermediate {name}")),
                    Err(e) => log::error(&format!("failed to write new intermediate: {e}")),
                }
            }
        }
        true
    }
}
