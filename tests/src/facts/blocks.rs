//! The DER building blocks every kind of object shares: OID names, algorithm
//! identifiers, names, public key info, general names, digests.

use crate::der::{self, DerError, Result, Tlv};
use serde_json::{json, Map, Value};

pub fn oid_name(oid: &str) -> String {
    let name = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.3.1.7" => "secp256r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "secp192r1",
        "1.3.132.0.33" => "secp224r1",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.48.1.5" => "ocspNoCheck",
        "1.3.6.1.4.1.11129.2.4.2" => "ctSCTList",
        "1.3.6.1.4.1.11129.2.4.3" => "ctPoison",
        "1.3.6.1.4.1.44363.44" => "delegationUsage",
        "2.5.29.37.0" => "any",
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.5" => "ipsecEndSystem",
        "1.3.6.1.5.5.7.3.6" => "ipsecTunnel",
        "1.3.6.1.5.5.7.3.7" => "ipsecUser",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "1.3.6.1.4.1.311.10.3.3" => "microsoftServerGatedCrypto",
        "2.16.840.1.113730.4.1" => "netscapeServerGatedCrypto",
        "1.3.6.1.5.5.7.48.1" => "ocsp",
        "1.3.6.1.5.5.7.48.2" => "caIssuers",
        "1.3.6.1.5.5.7.48.1.1" => "id-pkix-ocsp-basic",
        "1.3.6.1.5.5.7.48.1.2" => "ocspNonce",
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "1.2.840.113549.1.9.14" => "extensionRequest",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.3.6.1.5.5.7.2.1" => "cps",
        "1.3.6.1.5.5.7.2.2" => "unotice",
        _ => oid,
    };
    name.to_string()
}

pub(super) fn curve_bits(curve: &str) -> Value {
    match curve {
        "secp256r1" | "secp256k1" => json!(256),
        "secp384r1" => json!(384),
        "secp521r1" => json!(521),
        "secp192r1" => json!(192),
        "secp224r1" => json!(224),
        _ => Value::Null,
    }
}

pub(super) const RSA_OID: &str = "1.2.840.113549.1.1.1";
pub(super) const EC_OID: &str = "1.2.840.10045.2.1";
pub(super) const ED25519_OID: &str = "1.3.101.112";
pub(super) const ED448_OID: &str = "1.3.101.113";
pub(super) const SKI_OID: &str = "2.5.29.14";
pub(super) const AKI_OID: &str = "2.5.29.35";

pub(crate) fn sha1(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

pub(super) fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// AlgorithmIdentifier -> {oid, name, params}.
pub(crate) fn alg_id(t: &Tlv) -> Result<Value> {
    let ch = t.children()?;
    let first = ch
        .first()
        .ok_or_else(|| DerError("empty AlgorithmIdentifier".into()))?;
    let oid = der::oid(first)?;
    let params = match ch.get(1) {
        None => "absent".to_string(),
        Some(p) if p.is_universal(5) && p.content().is_empty() => "NULL".into(),
        Some(p) if p.is_universal(6) => oid_name(&der::oid(p)?),
        Some(p) => der::hex(p.raw()),
    };
    Ok(json!({"name": oid_name(&oid), "oid": oid, "params": params}))
}

/// Name -> list of RDNs, each a list of [oid, string type, value].
pub(crate) fn name_rdns(t: &Tlv) -> Result<Value> {
    let mut rdns = Vec::new();
    for rdn in t.children()? {
        let mut atvs = Vec::new();
        for atv in rdn.children()? {
            let ch = atv.children()?;
            let (Some(o), Some(v)) = (ch.first(), ch.get(1)) else {
                return Err(DerError("short AttributeTypeAndValue".into()));
            };
            atvs.push(json!([
                der::oid(o)?,
                der::tag_name(v),
                der::string_value(v)
            ]));
        }
        rdns.push(Value::Array(atvs));
    }
    Ok(Value::Array(rdns))
}

/// SubjectPublicKeyInfo -> (facts, random, subjectPublicKey bytes).
pub(super) fn spki_info<'a>(t: &Tlv<'a>) -> Result<(Value, Map<String, Value>, &'a [u8])> {
    let ch = t.children()?;
    if ch.len() < 2 {
        return Err(DerError("short SubjectPublicKeyInfo".into()));
    }
    let alg = alg_id(&ch[0])?;
    let (unused, spk) = der::bitstring(&ch[1])?;
    let mut facts = Map::new();
    let mut rnd = Map::new();
    let alg_oid = alg["oid"].as_str().unwrap_or_default().to_string();
    let params = alg["params"].as_str().unwrap_or_default().to_string();
    facts.insert("algorithm".into(), alg);
    facts.insert("unused_bits".into(), json!(unused));
    match alg_oid.as_str() {
        RSA_OID => {
            let rk = der::parse(spk)?.children()?;
            if rk.len() < 2 {
                return Err(DerError("short RSAPublicKey".into()));
            }
            facts.insert("type".into(), json!("rsa"));
            facts.insert("bits".into(), json!(der::bit_length(rk[0].content())));
            facts.insert("exponent".into(), der::int_json(&rk[1]));
            rnd.insert("bytes".into(), json!(rk[0].content().len()));
        }
        EC_OID => {
            facts.insert("type".into(), json!("ec"));
            facts.insert("bits".into(), curve_bits(&params));
            facts.insert("curve".into(), json!(params));
            facts.insert("point_format".into(), json!(point_format(spk)));
            facts.insert("point_bytes".into(), json!(spk.len()));
        }
        ED25519_OID => {
            facts.insert("type".into(), json!("ed25519"));
            facts.insert("bits".into(), json!(256));
            facts.insert("key_bytes".into(), json!(spk.len()));
        }
        _ => {
            facts.insert("type".into(), json!("other"));
            rnd.insert("bytes".into(), json!(spk.len()));
        }
    }
    Ok((Value::Object(facts), rnd, spk))
}

pub(super) fn point_format(point: &[u8]) -> &'static str {
    match point.first() {
        Some(4) => "uncompressed",
        Some(2) | Some(3) => "compressed",
        _ => "other",
    }
}

/// IPv6 text with the longest run (2 or more) of zero groups compressed, and
/// IPv4-mapped addresses in hex too (std would print `::ffff:1.2.3.4`).
fn ipv6_text(b: &[u8]) -> String {
    let groups: Vec<u16> = b
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    let (mut best, mut best_len, mut i) = (0, 0, 0);
    while i < groups.len() {
        let run = groups[i..].iter().take_while(|&&g| g == 0).count();
        if run > best_len {
            (best, best_len) = (i, run);
        }
        i += run.max(1);
    }
    let hex = |gs: &[u16]| {
        gs.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len < 2 {
        return hex(&groups);
    }
    format!(
        "{}::{}",
        hex(&groups[..best]),
        hex(&groups[best + best_len..])
    )
}

pub(super) fn general_name(gn: &Tlv) -> Result<Value> {
    let mut typ = if gn.class == 2 {
        match gn.num {
            0 => "other".to_string(),
            1 => "email".into(),
            2 => "dns".into(),
            3 => "x400".into(),
            4 => "dirname".into(),
            5 => "edipartyname".into(),
            6 => "uri".into(),
            7 => "ip".into(),
            8 => "rid".into(),
            n => format!("tag{n}"),
        }
    } else {
        der::tag_name(gn)
    };
    let c = gn.content();
    let val = match typ.as_str() {
        "email" | "dns" | "uri" => json!(der::latin1(c)),
        "ip" => match c.len() {
            4 => json!(std::net::Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string()),
            16 => {
                typ = "ip6".into();
                json!(ipv6_text(c))
            }
            _ => json!(format!("#{}", der::hex(c))),
        },
        "dirname" => name_rdns(&der::read_tlv(c, 0, c.len())?)?,
        "rid" => json!(der::oid_bytes(c)?),
        _ => json!(format!("#{}", der::hex(gn.raw()))),
    };
    Ok(json!([typ, val]))
}

pub(super) fn general_names(t: &Tlv) -> Result<Vec<Value>> {
    t.children()?.iter().map(general_name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_like_python() {
        let ip = |s: &str| ipv6_text(&s.parse::<std::net::Ipv6Addr>().unwrap().octets());
        assert_eq!(ip("::"), "::");
        assert_eq!(ip("::1"), "::1");
        assert_eq!(ip("fe80::"), "fe80::");
        assert_eq!(ip("2001:db8::1"), "2001:db8::1");
        assert_eq!(ip("::ffff:1.2.3.4"), "::ffff:102:304");
        assert_eq!(ip("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(ip("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(ip("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
    }
}
