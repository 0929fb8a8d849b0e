//! Private and public keys.

use super::blocks::{
    alg_id, curve_bits, oid_name, point_format, spki_info, EC_OID, ED25519_OID, ED448_OID, RSA_OID,
};
use super::Object;
use crate::der::{self, DerError, Result, Tlv};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, KeyPair};
use serde_json::{json, Value};

fn rsa_priv(ch: &[Tlv]) -> Value {
    json!({
        "structure": "PKCS#1 RSAPrivateKey",
        "version": der::int_json(&ch[0]),
        "algorithm": "rsa",
        "bits": der::bit_length(ch[1].content()),
        "public_exponent": der::int_json(&ch[2]),
        "integers": ch.iter().filter(|c| c.is_universal(2)).count(),
        "other_prime_infos": ch.len() > 9,
    })
}

fn is_rsa_priv(ch: &[Tlv]) -> bool {
    ch.len() >= 9 && ch[..9].iter().all(|c| c.is_universal(2))
}

fn sec1_priv(ch: &[Tlv], outer_curve: Option<&str>) -> Result<Value> {
    let mut d = json!({
        "structure": "SEC1 ECPrivateKey",
        "version": der::int_json(&ch[0]),
        "algorithm": "ec",
        "private_key_bytes": ch[1].content().len(),
        "params": "absent",
        "public_key": "absent",
    });
    let mut curve = outer_curve.map(str::to_owned);
    for c in &ch[2..] {
        if c.is_context(0) {
            let inner = c.children()?;
            let p = inner
                .first()
                .ok_or_else(|| DerError("empty parameters".into()))?;
            let name = if p.is_universal(6) {
                oid_name(&der::oid(p)?)
            } else {
                "explicit".into()
            };
            d["params"] = json!(name);
            curve = Some(name);
        } else if c.is_context(1) {
            let inner = c.children()?;
            let bits = inner
                .first()
                .ok_or_else(|| DerError("empty public key".into()))?;
            let (_, point) = der::bitstring(bits)?;
            d["public_key"] = json!(point_format(point));
            d["public_key_bytes"] = json!(point.len());
        }
    }
    d["bits"] = curve.as_deref().map_or(Value::Null, curve_bits);
    d["curve"] = json!(curve);
    Ok(d)
}

fn ecdsa_signing(curve: &str) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match curve {
        "secp256r1" => Some(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        "secp384r1" => Some(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        "secp521r1" => Some(&sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        _ => None,
    }
}

/// The SubjectPublicKeyInfo of an RSA public key given as (n, e) INTEGER TLVs.
fn rsa_spki(n: &Tlv, e: &Tlv) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    fn minimal_int(c: &[u8]) -> Vec<u8> {
        let (_, mag) = der::int_magnitude(c);
        let mut v = if mag.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        v.extend(if mag.is_empty() { vec![0] } else { mag });
        tlv(0x02, &v)
    }
    let key = tlv(
        0x30,
        &[minimal_int(n.content()), minimal_int(e.content())].concat(),
    );
    let alg = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let bits = tlv(0x03, &[&[0u8][..], &key].concat());
    tlv(0x30, &[alg, bits].concat())
}

/// Whether a standard crypto library loads the key, and its public key.
fn load_private_key(der_bytes: &[u8], facts: &Value) -> (bool, Option<Vec<u8>>) {
    let structure = facts["structure"].as_str().unwrap_or_default();
    let algorithm = facts["algorithm"].as_str().unwrap_or_default();
    let curve = facts["curve"].as_str().unwrap_or_default();
    let spki = |p: &dyn AsDer<aws_lc_rs::encoding::PublicKeyX509Der<'static>>| {
        p.as_der().ok().map(|d| d.as_ref().to_vec())
    };
    match (structure, algorithm) {
        ("PKCS#1 RSAPrivateKey", _) => match sig::RsaKeyPair::from_der(der_bytes) {
            Ok(k) => (true, spki(k.public_key())),
            // aws-lc-rs refuses RSA keys under 2048 bits that other libraries load
            Err(e) if e.description_() == "TooSmall" => {
                let t = der::parse(der_bytes).ok();
                let ch = t.and_then(|t| t.children().ok()).unwrap_or_default();
                (true, Some(rsa_spki(&ch[1], &ch[2])))
            }
            Err(_) => (false, None),
        },
        ("SEC1 ECPrivateKey", _) => match ecdsa_signing(curve) {
            Some(alg) => match sig::EcdsaKeyPair::from_private_key_der(alg, der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            },
            None => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "rsa") => match sig::RsaKeyPair::from_pkcs8(der_bytes) {
            Ok(k) => (true, spki(k.public_key())),
            Err(_) => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "ec") => match ecdsa_signing(curve) {
            Some(alg) => match sig::EcdsaKeyPair::from_pkcs8(alg, der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            },
            None => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "ed25519") => {
            match sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            }
        }
        _ => (false, None),
    }
}

pub fn key_facts(der_bytes: &[u8]) -> Result<Object> {
    let t = der::parse(der_bytes)?;
    let ch = t.children()?;
    let mut facts = if is_rsa_priv(&ch) {
        rsa_priv(&ch)
    } else if ch.len() >= 2 && ch[0].is_universal(2) && ch[1].is_universal(4) {
        sec1_priv(&ch, None)?
    } else if ch.len() >= 3
        && ch[0].is_universal(2)
        && ch[1].is_universal(16)
        && ch[2].is_universal(4)
    {
        let alg = alg_id(&ch[1])?;
        let alg_oid = alg["oid"].as_str().unwrap_or_default().to_string();
        let inner_der = ch[2].content();
        let inner = match alg_oid.as_str() {
            RSA_OID => {
                let ich = der::parse(inner_der)?.children()?;
                if !is_rsa_priv(&ich) {
                    return Err(DerError("not an RSAPrivateKey".into()));
                }
                rsa_priv(&ich)
            }
            EC_OID => {
                let ich = der::parse(inner_der)?.children()?;
                if ich.len() < 2 {
                    return Err(DerError("short ECPrivateKey".into()));
                }
                sec1_priv(&ich, alg["params"].as_str())?
            }
            ED25519_OID | ED448_OID => {
                let it = der::parse(inner_der)?;
                let ed = alg_oid == ED25519_OID;
                json!({
                    "structure": "CurvePrivateKey OCTET STRING",
                    "algorithm": if ed { "ed25519" } else { "ed448" },
                    "private_key_bytes": it.content().len(),
                    "bits": if ed { 256 } else { 456 },
                })
            }
            _ => json!({"structure": "unknown", "algorithm": alg["name"]}),
        };
        let mut f = json!({
            "structure": "PKCS#8 PrivateKeyInfo",
            "version": der::int_json(&ch[0]),
            "key_algorithm": alg,
            "attributes": ch[3..].iter().any(|c| c.is_context(0)),
            "public_key": ch[3..].iter().any(|c| c.is_context(1)),
            "algorithm": inner.get("algorithm").cloned().unwrap_or(Value::Null),
            "bits": inner.get("bits").cloned().unwrap_or(Value::Null),
        });
        if let Some(curve) = inner.get("curve") {
            f["curve"] = curve.clone();
        }
        f["inner"] = inner;
        f
    } else if ch.len() == 2 && ch[0].is_universal(16) && ch[1].is_universal(4) {
        json!({
            "structure": "PKCS#8 EncryptedPrivateKeyInfo",
            "encryption_algorithm": alg_id(&ch[0])?["name"],
        })
    } else {
        json!({"structure": "unknown"})
    };
    facts["type"] = json!("private_key");
    let mut spki = None;
    if facts["structure"] != "PKCS#8 EncryptedPrivateKeyInfo" {
        let (loads, derived) = load_private_key(der_bytes, &facts);
        facts["loads"] = json!(loads);
        spki = derived;
    }
    let mut o = Object::new(
        "private_key",
        facts,
        json!({"der": {"bytes": der_bytes.len()}}),
    );
    o.spki = spki;
    Ok(o)
}

pub fn pubkey_facts(der_bytes: &[u8]) -> Result<Object> {
    let (pk, rnd, _) = spki_info(&der::parse(der_bytes)?)?;
    let random = if rnd.is_empty() {
        json!({})
    } else {
        json!({"public_key": rnd})
    };
    let mut o = Object::new(
        "public_key",
        json!({"type": "public_key", "public_key": pk}),
        random,
    );
    o.spki = Some(der_bytes.to_vec());
    Ok(o)
}
