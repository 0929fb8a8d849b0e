//! `cfssl gencert`: a new key, its CSR and a certificate, either a new CA (`-initca`),
//! a CA re-issued for an existing key (`-initca -ca-key`), a renewed CA (`-renewca`), or
//! a leaf signed by a CA (`-ca`/`-ca-key`, `-config`, `-profile`).

use super::{Command, Context};
use crate::config::Profile;
use crate::csr::{self, Request};
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::initca;
use crate::input;
use crate::keys;
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

fn initca_new_key(req: &Request) -> Result<String> {
    log::info("generating a new CA key and certificate from CSR");
    new_ca(req)
}

/// A new CA key, its CSR and self-signed certificate (`gencert -initca`, `genkey -initca`).
pub fn new_ca(req: &Request) -> Result<String> {
    let (key, csr_der, cert) = initca::new(req)?;
    Ok(string_map_line(&[
        ("cert", &pem("CERTIFICATE", &cert)),
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
        ("key", &key.to_pem()?),
    ]))
}

fn initca_existing_key(req: &Request, key_arg: &str) -> Result<String> {
    log::info("re-generate a CA certificate from CSR and CA key");
    initca::note_pathlenzero(req);
    // cfssl logs every failure of this path as an [ERROR] line before printing it.
    reissue_with_key(req, key_arg).inspect_err(|e| log::error(&e.to_string()))
}

fn reissue_with_key(req: &Request, key_arg: &str) -> Result<String> {
    let key_bytes = input::read_value_or_location(key_arg)?;
    let key = keys::parse_pem(&key_bytes)?;
    // Only the CA lifetime and path length apply here; backdate and crl_url do not.
    let profile = Profile {
        backdate: Profile::initca().backdate,
        ..initca::ca_profile(req, "")?
    };
    let csr_der = csr::build(req, &key)?;
    log::info("encoded CSR");
    // cfssl signs the CSR it just built, so what Go cannot read back fails here.
    csr::view(&csr_der)?;
    let cert = initca::issue_ca(req, &profile, &key)?;
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
    if ctx.config.is_none() && f.get_str("remote").is_empty() {
        if f.get_str("ca").is_empty() {
            log::error("need a CA certificate (provide one with -ca)");
            return Err(Error::Reported);
        }
        if f.get_str("ca-key").is_empty() {
            log::error("need a CA key (provide one with -ca-key)");
            return Err(Error::Reported);
        }
    }
    let (key, csr_der) = csr::generate(&req)?;
    let csr_pem = pem("CERTIFICATE REQUEST", &csr_der);
    let request = signer::SignRequest {
        request: csr_pem.clone().into_bytes(),
        // cfssl sends only -hostname; without it the CSR's own names apply.
        hosts: split_hosts(hostname),
        crl_override: f.get_str("crl").to_string(),
        ..ctx.sign_request()
    };
    let cert = ctx.signer()?.sign(&request, chrono::Utc::now())?;
    if req.hosts.is_empty() {
        log::warning(csr::NO_HOSTS_WARNING);
    }
    Ok(string_map_line(&[
        ("cert", &cert),
        ("csr", &csr_pem),
        ("key", &key.to_pem()?),
    ]))
}

/// cfssl's `SplitHosts`: no list at all for an empty flag.
pub fn split_hosts(list: &str) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.split(',').map(String::from).collect())
}
