//! `GET /scaninfo`: cfssl's scanner families and their scanners (wire data: the names
//! and descriptions cfssl 1.6.5 reports, in Go's sorted map order).

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::gojson::Value;
use crate::log;

type Family = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

pub const FAMILIES: &[Family] = &[
    (
        "Broad",
        "Large scale scans of TLS hosts",
        &[(
            "IntermediateCAs",
            "Scans a CIDR IP range for unknown Intermediate CAs",
        )],
    ),
    (
        "Connectivity",
        "Scans for basic connectivity with the host through DNS and TCP/TLS dials",
        &[
            ("CloudFlareStatus", "Host is on CloudFlare"),
            ("DNSLookup", "Host can be resolved through DNS"),
            ("TCPDial", "Host accepts TCP connection"),
            ("TLSDial", "Host can perform TLS handshake"),
        ],
    ),
    (
        "PKI",
        "Scans for the Public Key Infrastructure",
        &[
            (
                "ChainExpiration",
                "Host's chain hasn't expired and won't expire in the next 30 days",
            ),
            (
                "ChainValidation",
                "All certificates in host's chain are valid",
            ),
            (
                "MultipleCerts",
                "Host serves same certificate chain across all IPs",
            ),
        ],
    ),
    (
        "TLSHandshake",
        "Scans for host's SSL/TLS version and cipher suite negotiation",
        &[
            (
                "CertsByCiphers",
                "Determines host's certificate signature algorithm matching client's accepted ciphers",
            ),
            (
                "CertsBySigAlgs",
                "Determines host's certificate signature algorithm matching client's accepted signature and hash algorithms",
            ),
            (
                "CipherSuite",
                "Determines host's cipher suites accepted and preferred order",
            ),
            (
                "ECCurves",
                "Determines the host's ec curve support for TLS 1.2",
            ),
            (
                "SigAlgs",
                "Determines host's accepted signature and hash algorithms",
            ),
        ],
    ),
    (
        "TLSSession",
        "Scans host's implementation of TLS session resumption using session tickets/session IDs",
        &[(
            "SessionResume",
            "Host is able to resume sessions across all addresses",
        )],
    ),
];

fn described(description: &str) -> Vec<(String, Value)> {
    vec![("description".into(), Value::string(description))]
}

pub fn process(_: &App, _: &Request) -> Result<Reply, ApiError> {
    log::info("setting up scaninfo handler");
    let families = FAMILIES
        .iter()
        .map(|(name, description, scanners)| {
            let scanners = scanners
                .iter()
                .map(|(n, d)| (n.to_string(), Value::Object(described(d))))
                .collect();
            let mut family = described(description);
            family.push(("scanners".into(), Value::Object(scanners)));
            (name.to_string(), Value::Object(family))
        })
        .collect();
    Ok(Reply::new(Value::Object(families)))
}
