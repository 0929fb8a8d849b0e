//! `cfssl gencert -renewca`: a new self-signed certificate for an existing CA key, with
//! the old certificate's subject, hosts, lifetime and path length.

use super::Context;
use crate::ca;
use crate::config::Profile;
use crate::csr::Subject;
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::hosts::San;
use crate::input;
use crate::keys;
use crate::log;
use crate::output::pem;
use crate::signer;
use x509_parser::prelude::*;

pub fn run(ctx: &Context) -> Result<String> {
    log::info("re-generate a CA certificate from CA cert and key");
    renew(ctx.flags.get_str("ca"), ctx.flags.get_str("ca-key"))
        .inspect_err(|e| log::error(&e.to_string()))
}

fn renew(cert_arg: &str, key_arg: &str) -> Result<String> {
    let cert_bytes = input::read_value_or_location(cert_arg)?;
    let key_bytes = input::read_value_or_location(key_arg)?;
    let ca_cert = ca::parse_cert_pem(&cert_bytes)?;
    if !ca_cert.is_ca {
        return Err(Error::plain("input certificate is not a CA cert"));
    }
    let key = keys::parse_pem(&key_bytes)?;
    if key.spki_der() != ca_cert.spki_der {
        return Err(Error::coded(2300, "Private key does not match public key"));
    }
    let (_, cert) = X509Certificate::from_der(&ca_cert.der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    let subject = subject_of(cert.subject());
    let sans = sans_of(&cert);
    let v = cert.validity();
    let mut profile = Profile::initca();
    profile.expiry =
        (v.not_after.timestamp() - v.not_before.timestamp()).saturating_mul(1_000_000_000);
    if let Some(n) = ca_cert.max_path_len {
        profile.ca_constraint.max_path_len = i64::from(n);
        profile.ca_constraint.max_path_len_zero = n == 0;
    }
    let subject_der = subject.to_der();
    // cfssl encodes a CSR here and discards it; only its log line is observable.
    log::info("encoded CSR");
    let t = signer::template(
        &profile,
        chrono::Utc::now(),
        subject_der,
        key.spki_der(),
        sans,
        Vec::new(),
    )?;
    let der = signer::sign_logged(&t, None, &key)?;
    Ok(string_map_line(&[("cert", &pem("CERTIFICATE", &der))]))
}

/// The subject cfssl rebuilds a request from: CN, serialNumber and C/ST/L/O/OU only.
pub fn subject_of(name: &X509Name) -> Subject {
    Subject {
        street_address: Vec::new(),
        postal_code: Vec::new(),
        ..Subject::from_name(name).without_extra()
    }
}

/// A certificate's SANs in Go's order.
pub fn sans_of(cert: &X509Certificate) -> Vec<San> {
    let mut out = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for gn in &san.value.general_names {
            out.push(match gn {
                GeneralName::DNSName(d) => San::Dns(d.to_string()),
                GeneralName::RFC822Name(e) => San::Email(e.to_string()),
                GeneralName::IPAddress(ip) => San::Ip(ip.to_vec()),
                GeneralName::URI(u) => San::Uri(u.to_string()),
                _ => continue,
            });
        }
    }
    crate::hosts::sort_go_order(&mut out);
    out
}
