//! The few DER building blocks the certificate and CSR encoders need.
//!
//! cfssl's output is pinned byte for byte (attribute order, string types, multi-valued
//! RDNs, extension order, issuer bytes copied verbatim), which the high-level X.509
//! builders cannot express; writing TLVs directly keeps every byte visible.

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const BOOLEAN: u8 = 0x01;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// A time as Go's `asn1` writes it: UTCTime within 1950-2049, GeneralizedTime
/// otherwise, second precision, `Z`.
pub fn time(t: &chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    use chrono::Datelike;
    if (1950..2050).contains(&t.year()) {
        tlv(UTC_TIME, t.format("%y%m%d%H%M%SZ").to_string().as_bytes())
    } else {
        tlv(
            GENERALIZED_TIME,
            t.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }
}

/// One TLV with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    push_header(&mut out, tag, content.len());
    out.extend_from_slice(content);
    out
}

/// Appends the tag and definite length of a TLV whose `len` content bytes follow, for
/// encoders that write large contents in place rather than wrapping a copy.
pub fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes, minimally encoded.
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let mut m = magnitude[skip..].to_vec();
    if m.is_empty() || m[0] & 0x80 != 0 {
        m.insert(0, 0);
    }
    tlv(INTEGER, &m)
}

/// A signed INTEGER, minimally encoded.
pub fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(INTEGER, &bytes[start..])
}

pub fn bool_true() -> Vec<u8> {
    vec![BOOLEAN, 1, 0xff]
}

/// A BIT STRING with no unused bits.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(bytes.len() + 1);
    c.push(0);
    c.extend_from_slice(bytes);
    tlv(BIT_STRING, &c)
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// The DER of a dotted OID such as `2.5.29.15`; `None` when it is not a valid OID.
/// Arcs are Go `int`s, so they may exceed 32 bits (`1.2.4294967296`).
pub fn oid(dotted: &str) -> Option<Vec<u8>> {
    oid_from(dotted.split('.').map(|p| p.parse::<i64>().ok()))
}

pub fn oid_from_arcs(arcs: &[i64]) -> Option<Vec<u8>> {
    oid_from(arcs.iter().map(|&a| Some(a)))
}

/// Go's `asn1` rules for an ObjectIdentifier: at least two arcs, none negative, the
/// first at most 2 and, below 2, a second arc under 40. A `None` arc (one that did
/// not parse) makes the whole OID invalid. Encoded as the arcs come, with no list of
/// them in between: the server builds a dozen OIDs per certificate.
pub fn oid_from(mut arcs: impl Iterator<Item = Option<i64>>) -> Option<Vec<u8>> {
    let (a0, a1) = (arcs.next()??, arcs.next()??);
    if a0 < 0 || a1 < 0 || a0 > 2 || (a0 < 2 && a1 >= 40) {
        return None;
    }
    // Room for the tag and a short-form length, patched in at the end.
    let mut der = Vec::with_capacity(16);
    der.extend_from_slice(&[OID, 0]);
    push_base128(&mut der, a0 as u128 * 40 + a1 as u128);
    for arc in arcs {
        push_base128(&mut der, u128::try_from(arc?).ok()?);
    }
    let len = der.len() - 2;
    if len < 0x80 {
        der[1] = len as u8;
        Some(der)
    } else {
        Some(tlv(OID, &der[2..]))
    }
}

/// Base 128, most significant group first, all but the last with the top bit.
fn push_base128(out: &mut Vec<u8>, arc: u128) {
    let groups = (u128::BITS - arc.leading_zeros()).div_ceil(7).max(1);
    for g in (0..groups).rev() {
        let bits = ((arc >> (7 * g)) & 0x7f) as u8;
        out.push(if g > 0 { 0x80 | bits } else { bits });
    }
}

/// A SET OF whose members are sorted by their encodings, as DER requires.
pub fn set_of(mut members: Vec<Vec<u8>>) -> Vec<u8> {
    members.sort();
    tlv(SET, &members.concat())
}

/// One Extension: `SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }`.
pub fn extension(oid_der: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[oid_der, &bool_true(), &octet_string(value)])
    } else {
        seq(&[oid_der, &octet_string(value)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal() {
        assert_eq!(int(0), vec![2, 1, 0]);
        assert_eq!(int(128), vec![2, 2, 0, 128]);
        assert_eq!(int(-1), vec![2, 1, 0xff]);
        assert_eq!(uint(&[0, 0, 0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 1]), vec![2, 1, 1]);
    }

    #[test]
    fn long_lengths() {
        let t = tlv(OCTET_STRING, &[0u8; 300]);
        assert_eq!(&t[..4], &[4, 0x82, 1, 44]);
    }

    #[test]
    fn oids() {
        assert_eq!(oid("2.5.29.15").unwrap(), vec![6, 3, 0x55, 0x1d, 0x0f]);
        assert_eq!(
            oid("1.2.840.113549").unwrap(),
            vec![6, 6, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]
        );
        assert_eq!(
            oid("1.2.4294967296").unwrap(),
            vec![6, 6, 0x2a, 0x90, 0x80, 0x80, 0x80, 0]
        );
        assert!(oid("1.2.abc").is_none());
        assert!(oid("1").is_none());
        assert!(oid("1.40").is_none());
        assert!(oid("3.1").is_none());
        assert!(oid_from_arcs(&[-1, 5]).is_none());
        assert!(oid_from_arcs(&[1, 2, -3]).is_none());
        assert!(oid("1.2.").is_none());
        // Past 127 content bytes the length takes the long form.
        let long = format!("1.2{}", ".4294967296".repeat(26));
        let der = oid(&long).unwrap();
        assert_eq!(&der[..3], &[6, 0x81, 1 + 5 * 26]);
        assert_eq!(der.len(), 3 + 1 + 5 * 26);
    }
}
