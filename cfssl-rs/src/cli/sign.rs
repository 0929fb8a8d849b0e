//! `cfssl sign`: a certificate for an existing CSR, signed by a local CA under a signing
//! profile, optionally with the subject replaced from a SUBJECT file.

use super::gencert::{load_local_ca, sign_logged};
use super::{input, Command, Context};
use crate::config::Profile;
use crate::csr::{self, ParsedCsr, Request, Subject};
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::hosts::{self, San};
use crate::log;
use crate::output::pem;
use crate::signer::{self, Issuer};

pub static COMMAND: Command = Command {
    name: "sign",
    usage: "cfssl sign -- signs a client cert with a host name by a given CA and CA key

Usage of sign:
        cfssl sign -ca cert -ca-key key [mutual-tls-cert cert] [mutual-tls-key key] [-config config] [-profile profile] [-hostname hostname] [-db-config db-config] CSR [SUBJECT]
        cfssl sign -remote remote_host [mutual-tls-cert cert] [mutual-tls-key key] [-config config] [-profile profile] [-label label] [-hostname hostname] CSR [SUBJECT]

Arguments:
        CSR:        PEM file for certificate request, use '-' for reading PEM from stdin.

Note: CSR can also be supplied via flag values; flag value will take precedence over the argument.

SUBJECT is an optional file containing subject information to use for the certificate instead of the subject information in the CSR.

Flags:
",
    own_flags: &[
        "hostname",
        "csr",
        "ca",
        "ca-key",
        "config",
        "profile",
        "label",
        "remote",
        "db-config",
        "loglevel",
    ],
    run,
};

const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_DELEGATION_USAGE: &str = "1.3.6.1.4.1.44363.44";

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    let mut args = f.positionals();
    let csr_path = match f.get_str("csr") {
        "" => {
            let (first, rest) = args.split_first().ok_or_else(|| {
                Error::plain("not enough arguments are supplied --- please refer to the usage")
            })?;
            args = rest;
            first.as_str()
        }
        path => path,
    };
    let replacement = match args {
        [] => None,
        [path] => Some(Request::parse(&input::read_file(path)?)?),
        _ => {
            return Err(Error::plain(
                "too many arguments are provided, please check with usage",
            ))
        }
    };
    let csr_bytes = input::read_file_or_stdin(csr_path)?;
    if !f.get_str("remote").is_empty() {
        return Err(Error::coded(
            5300,
            "remote signing is not supported by cfssl-rs",
        ));
    }
    // cfssl logs these but then signs nothing and exits 0.
    if ctx.config.is_none() {
        if f.get_str("ca").is_empty() {
            log::error("need CA certificate (provide one with -ca)");
            return Ok(String::new());
        }
        if f.get_str("ca-key").is_empty() {
            log::error("need CA key (provide one with -ca-key)");
            return Ok(String::new());
        }
    }
    let (ca_cert, ca_key) = load_local_ca(f.get_str("ca"), f.get_str("ca-key"))?;
    let profile = match &ctx.config {
        Some(cfg) => {
            let p = cfg.signing.profile(f.get_str("profile"))?;
            cfg.signing.check_lint(&p)?;
            p
        }
        None => Profile::default_signing(),
    };
    let csr = csr::parse_pem(&csr_bytes)?;
    check_ca_request(&csr, &profile, ca_cert.is_ca, ca_cert.max_path_len)?;

    let allowed = profile.csr_whitelist;
    let allow =
        |field: fn(&crate::config::CsrWhitelist) -> bool| allowed.as_ref().map_or(true, field);
    let mut subject = if allow(|w| w.subject) {
        csr.subject.clone()
    } else {
        Subject::default()
    };
    let mut sans: Vec<San> = csr
        .sans
        .iter()
        .filter(|s| match s {
            San::Dns(_) => allow(|w| w.dns_names),
            San::Email(_) => allow(|w| w.email_addresses),
            San::Ip(_) => allow(|w| w.ip_addresses),
            San::Uri(_) => allow(|w| w.uris),
        })
        .cloned()
        .collect();
    if !f.get_str("hostname").is_empty() {
        let hosts: Vec<String> = f.get_str("hostname").split(',').map(String::from).collect();
        sans = hosts::sans_in_go_order(&hosts);
    }
    if let Some(r) = &replacement {
        subject = override_subject(r, subject);
    }
    if let Some(re) = &profile.name_whitelist {
        if !name_whitelisted(re, &subject.cn, &sans) {
            return Err(Error::coded(
                5500,
                "Request does not match policy whitelist",
            ));
        }
    }
    if profile.client_provides_serial_numbers {
        return Err(Error::coded(1400, "Missing serial number in request"));
    }
    let extra: Vec<csr::RawExtension> = csr
        .extensions
        .iter()
        .filter(|e| {
            let is = |o: &str| e.oid_der == crate::asn1::oid(o).unwrap_or_default();
            if profile.copy_extensions {
                !is(OID_BASIC_CONSTRAINTS)
            } else {
                is(OID_DELEGATION_USAGE)
            }
        })
        .cloned()
        .collect();
    let t = signer::template(
        &profile,
        chrono::Utc::now(),
        subject.to_der(),
        csr.spki_der.clone(),
        sans,
        extra,
    )?;
    let issuer = Issuer {
        subject_der: &ca_cert.subject_der,
        key_id: ca_cert.key_id.as_deref(),
        key: &ca_key,
    };
    let cert = sign_logged(&t, Some(&issuer), &ca_key)?;
    // The CSR goes back out exactly as read, not re-encoded.
    Ok(string_map_line(&[
        ("cert", &pem("CERTIFICATE", &cert)),
        ("csr", &String::from_utf8_lossy(&csr_bytes)),
    ]))
}

/// cfssl's checks for a CSR asking for CA:TRUE (spec §4.5): the profile must issue CAs
/// and the issuing CA's path length must leave room for the requested one.
fn check_ca_request(
    csr: &ParsedCsr,
    profile: &Profile,
    issuer_is_ca: bool,
    issuer_path_len: Option<u32>,
) -> Result<()> {
    let Some(requested) = csr.ca else {
        return Ok(());
    };
    let violation = |why: &str| {
        log::error(why);
        Err(Error::coded(5300, "Policy violation request"))
    };
    if !profile.ca_constraint.is_ca {
        return violation("local signer policy disallows issuing CA certificate");
    }
    match issuer_path_len.filter(|_| issuer_is_ca) {
        Some(0) => violation("local signer certificate disallows issuing CA certificate"),
        // Go reads an absent pathlen in the CSR as -1, which never extends the chain.
        Some(n) if requested.is_some_and(|r| r >= n) => {
            violation("local signer certificate disallows CA MaxPathLen extending")
        }
        _ => Ok(()),
    }
}

/// cfssl's `PopulateSubjectFromCSR`: the SUBJECT file's CN, per-type lists and serial
/// number win where non-empty; the CSR's non-standard attributes are dropped.
fn override_subject(r: &Request, csr_subject: Subject) -> Subject {
    let mut from_file = Subject {
        cn: r.cn.clone(),
        serial_number: r.serial_number.clone(),
        ..Subject::default()
    };
    for n in &r.names {
        let lists = [
            (&mut from_file.country, &n.c),
            (&mut from_file.province, &n.st),
            (&mut from_file.locality, &n.l),
            (&mut from_file.organization, &n.o),
            (&mut from_file.organizational_unit, &n.ou),
        ];
        for (list, v) in lists {
            if !v.is_empty() {
                list.push(v.clone());
            }
        }
    }
    let pick = |mine: Vec<String>, theirs: Vec<String>| if mine.is_empty() { theirs } else { mine };
    let pick_one = |mine: String, theirs: String| if mine.is_empty() { theirs } else { mine };
    Subject {
        country: pick(from_file.country, csr_subject.country),
        province: pick(from_file.province, csr_subject.province),
        locality: pick(from_file.locality, csr_subject.locality),
        street_address: csr_subject.street_address,
        postal_code: csr_subject.postal_code,
        organization: pick(from_file.organization, csr_subject.organization),
        organizational_unit: pick(
            from_file.organizational_unit,
            csr_subject.organizational_unit,
        ),
        cn: pick_one(from_file.cn, csr_subject.cn),
        serial_number: pick_one(from_file.serial_number, csr_subject.serial_number),
        extra: Vec::new(),
    }
}

/// A profile's name whitelist must match the CN and every DNS name (spec §3.2).
fn name_whitelisted(re: &regex::Regex, cn: &str, sans: &[San]) -> bool {
    re.is_match(cn)
        && sans.iter().all(|s| match s {
            San::Dns(d) | San::Email(d) | San::Uri(d) => re.is_match(d),
            San::Ip(_) => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_file_overrides_only_what_it_sets() {
        let csr_subject = Subject {
            country: vec!["US".into()],
            organization: vec!["Csr Org".into()],
            cn: "csr.example".into(),
            extra: vec![(csr::OID_EMAIL.into(), "a@b.example".into())],
            ..Subject::default()
        };
        let r = Request::parse(br#"{"names":[{"O":"File Org"},{"OU":"Ops"}]}"#).unwrap();
        let s = override_subject(&r, csr_subject);
        assert_eq!(s.country, vec!["US"]);
        assert_eq!(s.organization, vec!["File Org"]);
        assert_eq!(s.organizational_unit, vec!["Ops"]);
        assert_eq!(s.cn, "csr.example");
        assert!(s.extra.is_empty());
    }
}
