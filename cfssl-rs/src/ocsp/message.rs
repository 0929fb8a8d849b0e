//! Reading OCSP requests and responses as Go's x/crypto/ocsp `ParseRequest` and
//! `ParseResponse` do: only the fields cfssl's responder uses, the same refusals
//! (unknown hash, no request, several responses), and trailing SEQUENCE elements
//! ignored as Go's `encoding/asn1` ignores them (so a nonce extension is accepted).

use super::{CertStatus, IssuerHash};
use chrono::{DateTime, Utc};
use der::asn1::{AnyRef, GeneralizedTime, ObjectIdentifier};
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_parser::num_bigint::BigInt;

/// The first request of an OCSPRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub hash: IssuerHash,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    pub serial: BigInt,
}

/// What the responder reads back from a stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedResponse {
    pub serial: BigInt,
    pub status: CertStatus,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
}

type Parse<T> = Result<T, String>;

fn err(e: der::Error) -> String {
    format!("asn1: syntax error: {e}")
}

/// The elements of a SEQUENCE.
fn elements(any: AnyRef<'_>) -> Parse<Vec<AnyRef<'_>>> {
    if any.tag() != Tag::Sequence {
        return Err("asn1: structure error: tags don't match".into());
    }
    let mut reader = SliceReader::new(any.value()).map_err(err)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(reader.decode::<AnyRef>().map_err(err)?);
    }
    Ok(out)
}

fn top<'a>(der: &'a [u8], trailing: &str) -> Parse<AnyRef<'a>> {
    let mut reader = SliceReader::new(der).map_err(err)?;
    let any = reader.decode::<AnyRef>().map_err(err)?;
    if !reader.is_finished() {
        return Err(trailing.into());
    }
    Ok(any)
}

fn context(any: &AnyRef, number: u8) -> bool {
    matches!(any.tag(), Tag::ContextSpecific { number: n, .. } if n == TagNumber::new(number))
}

fn nth<'a>(els: &[AnyRef<'a>], i: usize) -> Parse<AnyRef<'a>> {
    els.get(i)
        .copied()
        .ok_or_else(|| "asn1: syntax error: sequence truncated".to_string())
}

fn octets(any: AnyRef<'_>) -> Parse<Vec<u8>> {
    if any.tag() != Tag::OctetString {
        return Err("asn1: structure error: tags don't match".into());
    }
    Ok(any.value().to_vec())
}

fn integer(any: AnyRef<'_>) -> Parse<BigInt> {
    let i = any.decode_as::<der::asn1::IntRef>().map_err(err)?;
    Ok(BigInt::from_signed_bytes_be(i.as_bytes()))
}

fn time(any: AnyRef<'_>) -> Parse<DateTime<Utc>> {
    let t = any.decode_as::<GeneralizedTime>().map_err(err)?;
    let d = t.to_unix_duration();
    DateTime::from_timestamp(d.as_secs() as i64, 0).ok_or_else(|| "asn1: time out of range".into())
}

/// A CertID: hash algorithm, name hash, key hash, serial.
fn cert_id(any: AnyRef<'_>) -> Parse<(IssuerHash, Vec<u8>, Vec<u8>, BigInt)> {
    let els = elements(any)?;
    let alg = elements(nth(&els, 0)?)?;
    let oid = nth(&alg, 0)?
        .decode_as::<ObjectIdentifier>()
        .map_err(err)?
        .to_string();
    Ok((
        IssuerHash::from_oid(&oid).ok_or_else(|| oid.clone())?,
        octets(nth(&els, 1)?)?,
        octets(nth(&els, 2)?)?,
        integer(nth(&els, 3)?)?,
    ))
}

/// `ocsp.ParseRequest`.
pub fn parse_request(der: &[u8]) -> Parse<Request> {
    let req = elements(top(der, "trailing data in OCSP request")?)?;
    let tbs = elements(nth(&req, 0)?)?;
    let list = tbs
        .iter()
        .find(|e| e.tag() == Tag::Sequence)
        .copied()
        .ok_or("asn1: syntax error: sequence truncated")?;
    let first = elements(list)?
        .first()
        .copied()
        .ok_or("OCSP request contains no request body")?;
    let (hash, issuer_name_hash, issuer_key_hash, serial) = cert_id(nth(&elements(first)?, 0)?)
        .map_err(|e| match e.starts_with("asn1") {
            true => e,
            false => "OCSP request uses unknown hash function".into(),
        })?;
    Ok(Request {
        hash,
        issuer_name_hash,
        issuer_key_hash,
        serial,
    })
}

/// `ocsp.ParseResponse(der, nil)`: a successful basic response with one SingleResponse.
pub fn parse_response(der: &[u8]) -> Parse<ParsedResponse> {
    let resp = elements(top(der, "trailing data in OCSP response")?)?;
    let status = nth(&resp, 0)?;
    if status.tag() != Tag::Enumerated {
        return Err("asn1: structure error: tags don't match".into());
    }
    if status.value() != [0] {
        return Err("ocsp: error from server".into());
    }
    let bytes = resp
        .get(1)
        .filter(|e| context(e, 0))
        .ok_or("bad OCSP response type")?;
    let bytes = elements(AnyRef::from_der(bytes.value()).map_err(err)?)?;
    let oid = nth(&bytes, 0)?
        .decode_as::<ObjectIdentifier>()
        .map_err(err)?;
    if oid.to_string() != super::signer::OID_OCSP_BASIC {
        return Err("bad OCSP response type".into());
    }
    let basic_der = octets(nth(&bytes, 1)?)?;
    let basic = elements(top(&basic_der, "trailing data in OCSP response")?)?;
    let tbs = elements(nth(&basic, 0)?)?;
    let mut rest = tbs.iter().skip_while(|e| context(e, 0));
    let responder = rest.next().ok_or("invalid responder id tag")?;
    if !context(responder, 1) && !context(responder, 2) {
        return Err("invalid responder id tag".into());
    }
    rest.next()
        .ok_or("asn1: syntax error: sequence truncated")?;
    let list = rest
        .next()
        .ok_or("asn1: syntax error: sequence truncated")?;
    let singles = elements(*list)?;
    let [single] = singles.as_slice() else {
        return Err("OCSP response contains bad number of responses".into());
    };
    let single = elements(*single)?;
    let (_, _, _, serial) =
        cert_id(nth(&single, 0)?).map_err(|_| "unsupported issuer hash algorithm".to_string())?;
    let cert_status = nth(&single, 1)?;
    let status = match cert_status.tag() {
        Tag::ContextSpecific { number, .. } if number == TagNumber::N0 => CertStatus::Good,
        Tag::ContextSpecific { number, .. } if number == TagNumber::N2 => CertStatus::Unknown,
        _ => CertStatus::Revoked,
    };
    let this_update = time(nth(&single, 2)?)?;
    let next_update = match single.get(3).filter(|e| context(e, 0)) {
        Some(e) => Some(time(AnyRef::from_der(e.value()).map_err(err)?)?),
        None => None,
    };
    Ok(ParsedResponse {
        serial,
        status,
        this_update,
        next_update,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    #[test]
    fn reads_an_openssl_request() {
        // openssl ocsp -issuer root-ca.pem -cert gamma.pem -no_nonce -reqout (golden case)
        let req = parse_request(&b64("MFUwUzBRME8wTTAJBgUrDgMCGgUABBREUa/zNYQnatYPTAHFHCJvuP3s+wQUyAXVxozPXCzFkBfsOUCHXoxH2BwCFBukFzOuMxXIH0BamGMgwPZvgmWG")).unwrap();
        assert_eq!(req.hash, IssuerHash::Sha1);
        assert_eq!(
            format!("{:x}", req.serial),
            "1ba41733ae3315c81f405a986320c0f66f826586"
        );
        assert_eq!(req.issuer_key_hash.len(), 20);
    }

    #[test]
    fn refuses_what_go_refuses() {
        assert!(parse_request(b"xyz").is_err());
        assert!(parse_request(&[0x30, 0x00]).is_err());
        // a request list with no request
        assert_eq!(
            parse_request(&[0x30, 0x04, 0x30, 0x02, 0x30, 0x00]).unwrap_err(),
            "OCSP request contains no request body"
        );
        assert!(parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x06]).is_err());
    }
}
