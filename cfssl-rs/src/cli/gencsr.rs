//! `cfssl gencsr`: a CSR signed by an existing key, for a request JSON or for the
//! subject, hosts and CA constraint of an existing certificate.

use super::gencert::read_request;
use super::renewca::{sans_of, subject_of};
use super::{Command, Context};
use crate::ca;
use crate::csr::{CaConfig, Name, Request};
use crate::error::{Error, Result};
use crate::gojson::string_map_line;
use crate::hosts::San;
use crate::input;
use crate::keys;
use crate::log;
use crate::output::pem;
use std::net::IpAddr;
use x509_parser::prelude::*;

pub static COMMAND: Command = Command {
    name: "gencsr",
    usage: "cfssl gencsr -- generate a csr from a private key with existing CSR json specification or certificate

Usage of gencsr:
        cfssl gencsr -key private_key_file [-host hostname_override] CSRJSON
        cfssl gencsr -key private_key_file [-host hostname_override] -cert certificate_file

Arguments:
        CSRJSON:    JSON file containing the request, use '-' for reading JSON from stdin

Flags:
",
    own_flags: &["key", "cert", "loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    if f.get_str("key").is_empty() {
        return Err(Error::plain(
            "private key file is required through '-key', please check with usage",
        ));
    }
    let key_bytes = input::read_value_or_location(f.get_str("key"))?;
    let key = keys::parse_pem(&key_bytes)?;
    let mut req = match f.get_str("cert") {
        "" => read_request(f.positionals())?,
        cert_arg => {
            if !f.positionals().is_empty() {
                return Err(Error::plain(
                    "no argument is accepted with '-cert', please check with usage",
                ));
            }
            request_from_cert(&input::read_value_or_location(cert_arg)?)?
        }
    };
    if !f.get_str("hostname").is_empty() {
        req.hosts = f.get_str("hostname").split(',').map(String::from).collect();
    }
    // Where genkey and gencert panic on such a name, gencsr reports Go's error.
    if let Some(name) = crate::csr::unencodable_host(&req) {
        let e = format!(
            "x509: {} cannot be encoded as an IA5String",
            crate::gojson::go_quote(&name)
        );
        log::error(&format!("failed to generate a CSR: {e}"));
        return Err(Error::coded(9300, e));
    }
    let csr_der = crate::csr::build(&req, &key)?;
    log::info("encoded CSR");
    // The key goes back out exactly as it came in, whatever its PEM form.
    Ok(string_map_line(&[
        ("csr", &pem("CERTIFICATE REQUEST", &csr_der)),
        ("key", &String::from_utf8_lossy(&key_bytes)),
    ]))
}

/// cfssl's `ExtractCertificateRequest`: CN, serialNumber, the C/ST/L/O/OU values paired
/// up index by index into `names`, every SAN as a host, and a `ca` section carrying the
/// path length when the certificate is a CA.
fn request_from_cert(pem_bytes: &[u8]) -> Result<Request> {
    let parsed = ca::parse_cert_pem(pem_bytes)?;
    let (_, cert) = X509Certificate::from_der(&parsed.der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    let s = subject_of(cert.subject());
    let lists = [
        &s.country,
        &s.province,
        &s.locality,
        &s.organization,
        &s.organizational_unit,
    ];
    let count = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    let at = |l: &Vec<String>, i: usize| l.get(i).cloned().unwrap_or_default();
    let names = (0..count)
        .map(|i| Name {
            c: at(&s.country, i),
            st: at(&s.province, i),
            l: at(&s.locality, i),
            o: at(&s.organization, i),
            ou: at(&s.organizational_unit, i),
            ..Name::default()
        })
        .collect();
    let mut req = Request::parse(b"{}")?;
    req.cn = s.cn;
    req.serial_number = s.serial_number;
    req.names = names;
    req.hosts = sans_of(&cert).iter().map(host_text).collect();
    if parsed.is_ca {
        // Go reports an absent pathLenConstraint as -1, which the CSR encoder omits.
        req.ca = Some(CaConfig {
            pathlen: parsed.max_path_len.map_or(-1, i64::from),
            pathlenzero: parsed.max_path_len == Some(0),
            ..CaConfig::default()
        });
    }
    Ok(req)
}

/// A SAN written back as a `hosts` entry that classifies to the same SAN again.
fn host_text(san: &San) -> String {
    match san {
        San::Dns(s) | San::Email(s) | San::Uri(s) => s.clone(),
        San::Ip(octets) => match <[u8; 4]>::try_from(octets.as_slice()) {
            Ok(v4) => IpAddr::from(v4).to_string(),
            Err(_) => match <[u8; 16]>::try_from(octets.as_slice()) {
                Ok(v6) => IpAddr::from(v6).to_string(),
                Err(_) => String::new(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::classify;

    #[test]
    fn hosts_round_trip_through_text() {
        for san in [
            San::Ip(vec![192, 0, 2, 44]),
            San::Ip(vec![
                0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44,
            ]),
            San::Dns("a.example".into()),
            San::Email("a@b.example".into()),
            San::Uri("spiffe://x/y".into()),
        ] {
            assert_eq!(classify(&host_text(&san)), san);
        }
    }
}
