//! `cfssl gencert`: a new key, its CSR and a certificate, either a new CA (`-initca`),
//! a CA re-issued for an existing key (`-initca -ca-key`), a renewed CA (`-renewca`), or
//! a leaf signed by a CA (`-ca`/`-ca-key`, `-config`, `-profile`).

use super::{Command, Context};
use crate::config::Profile;
use crate::csr::{self, Request};
use crate::duration;
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::input;
use crate::keys::{self, PrivateKey};
use crate::log;
use crate::output::pem;
use crate::signer;

pub static COMMAND: Command = Command {
    name: "gencert",
    usage: "cfssl gencert -- generate a new key and signed certificate

Usage of gencert:
    Generate a new key and cert from CSR:
        cfssl gencert -initca CSRJSON
        cfssl gencert -ca cert -ca-key key [-config config] [-profile profile] [-hostname hostname] CSRJSON
        cfssl gencert -remote remote_host [-config config] [-profile profile] [-label label] [-hostname hostname] CSRJSON

    Re-generate a CA cert with the CA key and CSR:
        cfssl gencert -initca -ca-key key CSRJSON

    Re-generate a CA cert with the CA key and certificate:
        cfssl gencert -renewca -ca cert -ca-key key

Arguments:
        CSRJSON:    JSON file containing the request, use '-' for reading JSON from stdin

Flags:
",
    own_flags: &["initca", "remote", "ca", "ca-key", "config", "cn", "hostname", "profile", "label", "loglevel"],
    run,
};

const HOSTS_WARNING: &str = "This certificate lacks a \"hosts\" field. This makes it unsuitable for
websites. For more information see the Baseline Requirements for the Issuance and Management
of Publicly-Trusted Certificates, v.1.1.6, from the CA/Browser Forum (https://cabforum.org);
specifically, section 10.2.3 (\"Information Requirements\").";

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    if f.get_bool("renewca") {
        return super::renewca::run(ctx);
    }
    let mut req = read_request(f.positionals())?;
    if !f.get_str("cn").is_empty() {
        req.cn = f.get_str("cn").to_string();
    }
    if f.get_bool("initca") {
        return match f.get_str("ca-key") {
            "" => initca_new_key(&req),
            key => initca_existing_key(&req, key),
        };
    }
    if req.ca.is_some() {
        return Err(Error::plain("ca section only permitted in initca"));
    }
    sign_leaf(ctx, req)
}

/// The one CSR JSON positional (`-` = stdin), decoded.
pub fn read_request(positionals: &[String]) -> Result<Request> {
    match positionals {
        [] => Err(Error::plain(
            "not enough arguments are supplied --- please refer to the usage",
        )),
        [path] => Request::parse(&input::read_file_or_stdin(path)?),
        _ => Err(Error::plain(
            "only one argument is accepted, please check with usage",
        )),
    }
}

fn log_failure<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| {
        log::error(&format!("failed to process request: {e}"));
        e
    })
}

/// The CA profile a request's `ca` section describes (lifetime default 43800h = 5 years,
/// backdate default 5m).
fn ca_profile(req: &Request, crl_url: &str) -> Result<Profile> {
    let mut p = Profile::initca();
    if let Some(ca) = &req.ca {
        if !ca.expiry.is_empty() {
            p.expiry = duration::parse(&ca.expiry).map_err(Error::plain)?;
        }
        if !ca.backdate.is_empty() {
            p.backdate = duration::parse(&ca.backdate).map_err(Error::plain)?;
        }
        p.ca_constraint.max_path_len = ca.pathlen;
        p.ca_constraint.max_path_len_zero = ca.pathlenzero;
    }
    p.crl_url = crl_url.to_string();
    Ok(p)
}

fn initca_new_key(req: &Request) -> Result<String> {
    log::info("generating a new CA key and certificate from CSR");
    new_ca(req)
}

/// A new CA key, its CSR and self-signed certificate (`gencert -initca`, `genkey -initca`).
pub fn new_ca(req: &Request) -> Result<String> {
    let profile = ca_profile(req, &req.crl_url)?;
    note_pathlenzero(req);
    if !req.has_subject_information() {
        let e = Error::coded(5300, "missing subject information");
        log::warning(&format!("invalid request: {e}"));
        log::error(&format!("failed to process request: {e}"));
        return Err(e);
    }
    let (key, csr_der, _) = log_failure(csr::generate(req))?;
    let cert = issue_ca(req, &profile, &key)?;
    Ok(string_map_line(&[
        ("cert", &pem("CERTIFICATE", &cert)),
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
        ("key", &key.to_pem()?),
    ]))
}

fn note_pathlenzero(req: &Request) {
    if let Some(ca) = &req.ca {
        if ca.pathlen != 0 && ca.pathlenzero {
            log::info("ignore invalid 'pathlenzero' value");
        }
    }
}

fn initca_existing_key(req: &Request, key_arg: &str) -> Result<String> {
    log::info("re-generate a CA certificate from CSR and CA key");
    note_pathlenzero(req);
    let logged = |e: Error| {
        log::error(&e.to_string());
        e
    };
    let key_bytes = input::read_value_or_location(key_arg).map_err(logged)?;
    let key = keys::parse_pem(&key_bytes).map_err(logged)?;
    // Only the CA lifetime and path length apply here; backdate and crl_url do not.
    let profile = Profile {
        backdate: Profile::initca().backdate,
        ..ca_profile(req, "")?
    };
    let (csr_der, _) = csr::build(req, &key)?;
    log::info("encoded CSR");
    let cert = issue_ca(req, &profile, &key)?;
    Ok(string_map_line(&[
        ("cert", &pem("CERTIFICATE", &cert)),
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
    ]))
}

fn sign_leaf(ctx: &Context, mut req: Request) -> Result<String> {
    let f = ctx.flags;
    let hostname = f.get_str("hostname");
    if !hostname.is_empty() {
        req.hosts = hostname.split(',').map(String::from).collect();
    }
    ctx.refuse_remote()?;
    if ctx.config.is_none() {
        if f.get_str("ca").is_empty() {
            log::error("need a CA certificate (provide one with -ca)");
            return Err(Error::Reported);
        }
        if f.get_str("ca-key").is_empty() {
            log::error("need a CA key (provide one with -ca-key)");
            return Err(Error::Reported);
        }
    }
    let (key, csr_der, _) = csr::generate(&req)?;
    let csr_pem = pem("CERTIFICATE REQUEST", &csr_der);
    let request = signer::SignRequest {
        request: csr_pem.clone().into_bytes(),
        hosts: (!req.hosts.is_empty()).then(|| req.hosts.clone()),
        crl_override: f.get_str("crl").to_string(),
        ..ctx.sign_request()
    };
    let cert = ctx.signer()?.sign(&request, chrono::Utc::now())?;
    if req.hosts.is_empty() {
        log::warning(HOSTS_WARNING);
    }
    Ok(string_map_line(&[
        ("cert", &cert),
        ("csr", &csr_pem),
        ("key", &key.to_pem()?),
    ]))
}

/// A self-signed CA certificate for the request's subject and hosts; like cfssl's
/// initca signer it copies only the CSR's DelegationUsage extension.
fn issue_ca(req: &Request, profile: &Profile, key: &PrivateKey) -> Result<Vec<u8>> {
    let extra = if req.delegation_enabled {
        vec![csr::delegation_usage()]
    } else {
        Vec::new()
    };
    let sans = crate::hosts::sans_in_go_order(&req.hosts);
    let t = signer::template(
        profile,
        chrono::Utc::now(),
        req.subject()?.to_der(),
        key.spki_der(),
        sans,
        extra,
    )?;
    signer::sign_logged(&t, None, key)
}
