//! `mkbundle`: every certificate found in the given files and directories, checked
//! (validity period, revocation), written to one PEM bundle (spec §6).
//!
//! cfssl reads the files with concurrent workers, so its output order and log order
//! are random; here they follow the walk (directories in lexical order), which is one
//! of cfssl's possible orders. `-nw` is accepted and has no effect.

use crate::bundler::cert::Cert;
use crate::cli::flags::{self, Flag};
use crate::error::Error;
use crate::log;
use std::path::Path;

const FLAGS: &[Flag] = &[
    Flag::string("f", "cert-bundle.crt", "path to store certificate bundle"),
    Flag::int("nw", "4", "number of workers"),
    Flag::int("loglevel", "1", "Log level (0 = DEBUG, 5 = FATAL)"),
];

/// `filepath.Walk`: the path itself, then (for a directory) its entries in lexical
/// order, symlinks not followed; regular files are collected. The first error stops
/// the walk, as in Go.
fn walk(path: &Path, files: &mut Vec<String>) -> Result<(), Error> {
    let shown = path.to_string_lossy().into_owned();
    log::info(&format!("Found {shown}"));
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("lstat", &shown, &e))?;
    if meta.is_file() {
        files.push(shown);
        return Ok(());
    }
    if !meta.is_dir() {
        return Ok(());
    }
    let mut names: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| Error::io("open", &shown, &e))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    for name in names {
        walk(&path.join(name), files)?;
    }
    Ok(())
}

/// cfssl's `revoke.VerifyCertificate` as far as it goes offline: a certificate outside
/// its validity period counts as revoked; one that names a CRL or an OCSP responder
/// cannot be checked here and is left out, as cfssl leaves it out when the check fails.
fn usable(cert: &Cert, now: i64) -> bool {
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
            .unwrap_or_default()
    };
    if now >= cert.not_after {
        log::info(&format!("Certificate expired {}\n", when(cert.not_after)));
        log::info("Skipping revoked certificate");
        return false;
    }
    if now <= cert.not_before {
        log::info(&format!(
            "Certificate isn't valid until {}\n",
            when(cert.not_before)
        ));
        log::info("Skipping revoked certificate");
        return false;
    }
    let crls: Vec<&String> = cert
        .crl_distribution_points
        .iter()
        .filter(|u| !u.to_ascii_lowercase().starts_with("ldap://"))
        .collect();
    if !crls.is_empty() || !cert.ocsp_servers.is_empty() {
        log::warning(&format!(
            "revocation of {} not checked: cfssl-rs does not fetch CRLs or OCSP responses",
            cert.subject_string()
        ));
        log::warning("Failed to verify certificate.");
        return false;
    }
    true
}

/// The certificates of one file that pass the checks, logging as cfssl's workers do.
fn load(path: &str, now: i64, out: &mut String) -> usize {
    log::info(&format!("Loading {path}"));
    let data = match crate::input::read_file(path) {
        Ok(d) => d,
        Err(e) => {
            log::warning(&e.to_string());
            return 0;
        }
    };
    let mut rest: &[u8] = &data;
    let mut count = 0;
    while !rest.is_empty() {
        let Some((block, after)) = crate::pemfile::decode(rest) else {
            log::warning(&format!("{path}: no PEM data found"));
            break;
        };
        rest = after;
        if block.label != "CERTIFICATE" {
            log::info("Skipping non-certificate");
            continue;
        }
        let cert = match Cert::parse(&block.der) {
            Ok(c) => c,
            Err(e) => {
                log::warning(&format!("Invalid certificate: {e}"));
                continue;
            }
        };
        log::info(&format!("Validating {}", cert.subject_string()));
        if usable(&cert, now) {
            out.push_str(&crate::output::pem("CERTIFICATE", &cert.raw));
            count += 1;
        }
    }
    count
}

/// Runs mkbundle with `args` (program name first) and returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let program = args.first().map_or("mkbundle", String::as_str);
    let usage = || format!("Usage of {program}:\n{}", flags::go_print_defaults(FLAGS));
    let parsed = match flags::parse_program(FLAGS, args.get(1..).unwrap_or_default(), usage) {
        Ok(p) => p,
        Err(status) => return status,
    };
    log::set_level(parsed.get_int("loglevel"));
    let mut files = Vec::new();
    for root in parsed.positionals() {
        if let Err(e) = walk(Path::new(root), &mut files) {
            log::error(&format!("Walk failed: {e}"));
        }
    }
    let now = chrono::Utc::now().timestamp();
    let mut pem = String::new();
    let total: usize = files.iter().map(|f| load(f, now, &mut pem)).sum();
    // cfssl truncates the output first and logs a failure to write it but exits 0; the
    // bundle here appears whole or not at all, and a failure is an exit status.
    if let Err(e) = crate::output::write_file(parsed.get_str("f"), pem.as_bytes(), 0o644) {
        log::error(&e.to_string());
        return 1;
    }
    log::info(&format!("Wrote {total} certificates."));
    0
}
