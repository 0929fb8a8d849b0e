//! Certificate revocation lists as `cfssl gencrl` makes them: Go's deprecated
//! `x509.Certificate.CreateCRL` fed by cfssl's `crl.NewCRLFromFile` (spec §8.9).

use crate::asn1;
use crate::ca;
use crate::csr::Subject;
use crate::error::{Error, Result};
use crate::gojson::go_quote;
use crate::keys::{self, KeyType, PrivateKey};
use chrono::{DateTime, Duration, Utc};
use x509_parser::prelude::*;

/// The CRL lifetime when none (or `0`) is given: one week.
const DEFAULT_SECONDS: i64 = 7 * 24 * 3600;

/// Builds and signs the CRL: `serial_list` holds one decimal serial per line,
/// `seconds` is the lifetime as given on the command line. The checks run in cfssl's
/// order (lifetime, certificate, key), so the same input fails with the same error.
pub fn from_files(
    serial_list: &[u8],
    cert_pem: &[u8],
    key_pem: &[u8],
    key_password: Option<&[u8]>,
    seconds: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let seconds = match parse_int32(seconds.trim())? {
        0 => DEFAULT_SECONDS,
        n => n,
    };
    let issuer = ca::parse_cert_pem(cert_pem)?;
    let serials = parse_serials(serial_list);
    let key = keys::parse_pem_with_password(key_pem, key_password)?;
    let (_, cert) = X509Certificate::from_der(&issuer.der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    let issuer_name = issuer_name_der(cert.subject());
    create(
        &serials,
        &key,
        &issuer_name,
        issuer.key_id.as_deref(),
        now,
        now + Duration::seconds(seconds),
        false,
    )
}

/// `strconv.ParseInt(s, 0, 32)`: an optional sign, Go's base prefixes and underscores.
pub fn parse_int32(s: &str) -> Result<i64> {
    let syntax = || {
        Error::plain(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(s)
        ))
    };
    let range = || {
        Error::plain(format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(s)
        ))
    };
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if !underscores_ok(digits, prefixed) {
        return Err(syntax());
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut magnitude: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or_else(syntax)?;
        magnitude = magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
            .ok_or_else(range)?;
    }
    let limit = if negative {
        1u64 << 31
    } else {
        (1u64 << 31) - 1
    };
    if magnitude > limit {
        return Err(range());
    }
    let v = magnitude as i64;
    Ok(if negative { -v } else { v })
}

/// Go allows `_` only between digits (or right after a base prefix).
fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    if !digits.contains('_') {
        return true;
    }
    let b = digits.as_bytes();
    let mut prev_digit = prefixed;
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            if !prev_digit || i + 1 == b.len() || b[i + 1] == b'_' {
                return false;
            }
            prev_digit = false;
        } else {
            prev_digit = true;
        }
    }
    true
}

/// A serial as Go's `big.Int.SetString(line, 10)` leaves it: an optional sign and the
/// leading decimal digits, whatever follows (so `12\r` is 12 and `abc` is 0).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Serial {
    negative: bool,
    magnitude: Vec<u8>,
}

fn parse_serials(list: &[u8]) -> Vec<Serial> {
    list.split(|&b| b == b'\n')
        .filter(|line| !String::from_utf8_lossy(line).trim().is_empty())
        .map(parse_serial)
        .collect()
}

fn parse_serial(line: &[u8]) -> Serial {
    let (negative, rest) = match line.first() {
        Some(b'-') => (true, &line[1..]),
        Some(b'+') => (false, &line[1..]),
        _ => (false, line),
    };
    let digits: Vec<u8> = rest
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    let magnitude = decimal_to_bytes(&digits);
    Serial {
        negative: negative && magnitude.iter().any(|&b| b != 0),
        magnitude,
    }
}

/// The `gencrl` endpoint's CRL: `serials` read as `big.Int.SetString` reads them,
/// each revoked at `now`; the list is valid until `next_update`.
pub fn for_serials(
    serials: &[String],
    issuer: &ca::CaCert,
    key: &PrivateKey,
    now: DateTime<Utc>,
    next_update: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let serials: Vec<Serial> = serials.iter().map(|s| parse_serial(s.as_bytes())).collect();
    let (_, cert) = X509Certificate::from_der(&issuer.der)
        .map_err(|_| Error::coded(1003, "Failed to parse certificate"))?;
    create(
        &serials,
        key,
        &issuer_name_der(cert.subject()),
        issuer.key_id.as_deref(),
        now,
        next_update,
        true,
    )
}

/// Big-endian bytes of a decimal number given digit by digit.
fn decimal_to_bytes(digits: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = vec![0];
    for &d in digits {
        let mut carry = u32::from(d);
        for b in out.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    out
}

/// A signed INTEGER in two's complement, minimally encoded.
fn integer(s: &Serial) -> Vec<u8> {
    if !s.negative {
        return asn1::uint(&s.magnitude);
    }
    let mut v: Vec<u8> = std::iter::once(0u8)
        .chain(s.magnitude.iter().copied())
        .map(|b| !b)
        .collect();
    for b in v.iter_mut().rev() {
        let (x, carry) = b.overflowing_add(1);
        *b = x;
        if !carry {
            break;
        }
    }
    while v.len() > 1 && v[0] == 0xff && v[1] & 0x80 != 0 {
        v.remove(0);
    }
    asn1::tlv(asn1::INTEGER, &v)
}

/// The issuer as Go re-encodes a parsed certificate's subject (`Subject.ToRDNSequence`):
/// only the attribute types `pkix.Name` has fields for survive.
fn issuer_name_der(name: &X509Name) -> Vec<u8> {
    Subject::from_name(name).without_extra().to_der()
}

/// The hash comes from the key type only: every RSA key signs with SHA-256.
fn signature_algorithm(key: &PrivateKey) -> Vec<u8> {
    match key.key_type {
        KeyType::Rsa { .. } => asn1::seq(&[
            &asn1::oid("1.2.840.113549.1.1.11").unwrap_or_default(),
            &[asn1::NULL, 0],
        ]),
        _ => key.signature_algorithm_der(),
    }
}

fn create(
    serials: &[Serial],
    key: &PrivateKey,
    issuer_name: &[u8],
    issuer_key_id: Option<&[u8]>,
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
    keep_empty_list: bool,
) -> Result<Vec<u8>> {
    let alg = signature_algorithm(key);
    let revoked_at = asn1::time(&this_update);
    let mut tbs = vec![
        asn1::int(1),
        alg.clone(),
        issuer_name.to_vec(),
        asn1::time(&this_update),
        asn1::time(&next_update),
    ];
    // Go's `CreateCRL` always writes the list; `gencrl`'s older path leaves an empty
    // one out.
    if !serials.is_empty() || keep_empty_list {
        let entries: Vec<Vec<u8>> = serials
            .iter()
            .map(|s| asn1::seq(&[&integer(s), &revoked_at]))
            .collect();
        tbs.push(asn1::tlv(asn1::SEQUENCE, &entries.concat()));
    }
    if let Some(id) = issuer_key_id.filter(|id| !id.is_empty()) {
        let aki = asn1::seq(&[&asn1::tlv(0x80, id)]);
        let ext = asn1::extension(&asn1::oid("2.5.29.35").unwrap_or_default(), false, &aki);
        tbs.push(asn1::tlv(0xa0, &asn1::seq(&[&ext])));
    }
    let tbs = asn1::tlv(asn1::SEQUENCE, &tbs.concat());
    let signature = match key.key_type {
        KeyType::Rsa { .. } => key.sign_rsa_sha256(&tbs)?,
        _ => key.sign(&tbs)?,
    };
    Ok(asn1::seq(&[&tbs, &alg, &asn1::bit_string(&signature)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_parses_like_go() {
        assert_eq!(parse_int32("0x10").unwrap(), 16);
        assert_eq!(parse_int32("-60").unwrap(), -60);
        assert_eq!(parse_int32("010").unwrap(), 8);
        assert_eq!(parse_int32("1_000").unwrap(), 1000);
        assert_eq!(parse_int32("-2147483648").unwrap(), -2147483648);
        assert_eq!(
            parse_int32("abc").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_int32("2147483648").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"2147483648\": value out of range"
        );
        assert!(parse_int32("").is_err());
        assert!(parse_int32("0x").is_err());
        assert!(parse_int32("1__0").is_err());
    }

    #[test]
    fn serials_keep_leading_digits() {
        let s = parse_serials(b"12\r\n\n  \n12abc\n+5\n-5\n0x10\n 77\nabc\n");
        let shown: Vec<(bool, Vec<u8>)> =
            s.into_iter().map(|s| (s.negative, s.magnitude)).collect();
        assert_eq!(
            shown,
            vec![
                (false, vec![12]),
                (false, vec![12]),
                (false, vec![5]),
                (true, vec![5]),
                (false, vec![0]),
                (false, vec![0]),
                (false, vec![0]),
            ]
        );
    }

    #[test]
    fn big_and_negative_integers() {
        assert_eq!(decimal_to_bytes(&[2, 5, 6]), vec![1, 0]);
        let neg = |m: Vec<u8>| {
            integer(&Serial {
                negative: true,
                magnitude: m,
            })
        };
        assert_eq!(neg(vec![5]), vec![2, 1, 0xfb]);
        assert_eq!(neg(vec![0x80]), vec![2, 1, 0x80]);
        assert_eq!(neg(vec![0x81]), vec![2, 2, 0xff, 0x7f]);
    }

    #[test]
    fn times_switch_to_generalized_after_2049() {
        let t = DateTime::from_timestamp(2_556_057_600, 0).unwrap(); // 2051-01-01
        assert_eq!(asn1::time(&t)[0], asn1::GENERALIZED_TIME);
        let t = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(asn1::time(&t), asn1::tlv(asn1::UTC_TIME, b"700101000000Z"));
    }
}
