//! cfssl's `initca`: self-signed CA certificates from a CSR request, for a new key
//! (`gencert -initca`, the `init_ca` endpoint) or an existing one.

use crate::config::Profile;
use crate::csr::{self, Request};
use crate::duration;
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::log;
use crate::signer;

fn log_failure<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| {
        log::error(&format!("failed to process request: {e}"));
        e
    })
}

/// The CA profile a request's `ca` section describes (lifetime default 43800h = 5 years,
/// backdate default 5m).
pub fn ca_profile(req: &Request, crl_url: &str) -> Result<Profile> {
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

/// cfssl's `initca.New`: a new CA key, its CSR (DER) and self-signed certificate (DER).
pub fn new(req: &Request) -> Result<(PrivateKey, Vec<u8>, Vec<u8>)> {
    let profile = ca_profile(req, &req.crl_url)?;
    note_pathlenzero(req);
    let has_subject = |r: &Request| match r.has_subject_information() {
        true => Ok(()),
        false => Err(Error::coded(5300, "missing subject information")),
    };
    let (key, csr_der) = log_failure(csr::generate_validated(req, has_subject))?;
    // cfssl signs the CSR it just built, so what Go cannot read back fails here.
    csr::view(&csr_der)?;
    let cert = issue_ca(req, &profile, &key)?;
    Ok((key, csr_der, cert))
}

pub fn note_pathlenzero(req: &Request) {
    if let Some(ca) = &req.ca {
        if ca.pathlen != 0 && ca.pathlenzero {
            log::info("ignore invalid 'pathlenzero' value");
        }
    }
}

/// A self-signed CA certificate for the request's subject and hosts; like cfssl's
/// initca signer it copies only the CSR's DelegationUsage extension.
pub fn issue_ca(req: &Request, profile: &Profile, key: &PrivateKey) -> Result<Vec<u8>> {
    let extra = if req.delegation_enabled {
        vec![csr::delegation_usage()]
    } else {
        Vec::new()
    };
    let sans = crate::hosts::sans_in_go_order(&req.hosts);
    let t = signer::template(
        profile,
        chrono::Utc::now(),
        req.subject()?.regrouped().to_der(),
        key.spki_der(),
        sans,
        extra,
    )?;
    signer::sign_logged(&t, None, key)
}
