//! A minimal DER reader.
//!
//! The facts need things that typed X.509 parsers hide (string tags, explicit
//! FALSE flags, raw AlgorithmIdentifier bytes, non-minimal integers), so this
//! walks TLVs directly, the way the reference checker does.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError(pub String);

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DerError {}

pub type Result<T> = std::result::Result<T, DerError>;

pub fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(DerError(msg.into()))
}

/// One TLV inside `buf`: `hstart..start` is the header, `start..end` the content.
#[derive(Clone, Copy)]
pub struct Tlv<'a> {
    pub buf: &'a [u8],
    pub hstart: usize,
    pub start: usize,
    pub end: usize,
    pub tag: u8,
    pub class: u8,
    pub constructed: bool,
    pub num: u64,
}

pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

impl<'a> Tlv<'a> {
    pub fn content(&self) -> &'a [u8] {
        &self.buf[self.start..self.end]
    }

    /// Header and content: the whole encoding.
    pub fn raw(&self) -> &'a [u8] {
        &self.buf[self.hstart..self.end]
    }

    pub fn children(&self) -> Result<Vec<Tlv<'a>>> {
        let mut out = Vec::new();
        let mut pos = self.start;
        while pos < self.end {
            let t = read_tlv(self.buf, pos, self.end)?;
            pos = t.end;
            out.push(t);
        }
        Ok(out)
    }

    pub fn is_universal(&self, num: u64) -> bool {
        self.class == 0 && self.num == num
    }

    pub fn is_context(&self, num: u64) -> bool {
        self.class == 2 && self.num == num
    }

    pub fn is_time(&self) -> bool {
        self.tag == UTC_TIME || self.tag == GENERALIZED_TIME
    }
}

pub fn read_tlv(buf: &[u8], pos: usize, limit: usize) -> Result<Tlv<'_>> {
    if pos + 2 > limit {
        return err(format!("truncated header at {pos}"));
    }
    let tag = buf[pos];
    let mut num = u64::from(tag & 0x1f);
    let mut p = pos + 1;
    if num == 0x1f {
        num = 0;
        loop {
            if p >= limit {
                return err("truncated tag");
            }
            let c = buf[p];
            p += 1;
            num = (num << 7) | u64::from(c & 0x7f);
            if c & 0x80 == 0 {
                break;
            }
        }
    }
    if p >= limit {
        return err("truncated length");
    }
    let mut len = usize::from(buf[p]);
    p += 1;
    if len & 0x80 != 0 {
        let n = len & 0x7f;
        if n == 0 || n > 4 || p + n > limit {
            return err("bad length");
        }
        len = buf[p..p + n]
            .iter()
            .fold(0, |acc, &b| (acc << 8) | usize::from(b));
        p += n;
    }
    if p + len > limit {
        return err("content overruns buffer");
    }
    Ok(Tlv {
        buf,
        hstart: pos,
        start: p,
        end: p + len,
        tag,
        class: tag >> 6,
        constructed: tag & 0x20 != 0,
        num,
    })
}

/// The single DER object that `buf` must consist of.
pub fn parse(buf: &[u8]) -> Result<Tlv<'_>> {
    let t = read_tlv(buf, 0, buf.len())?;
    if t.end != buf.len() {
        return err(format!(
            "trailing data after DER object ({} bytes)",
            buf.len() - t.end
        ));
    }
    Ok(t)
}

pub fn oid_bytes(c: &[u8]) -> Result<String> {
    if c.is_empty() {
        return err("empty OID");
    }
    let mut arcs: Vec<u128> = Vec::new();
    let mut val: u128 = 0;
    for &b in c {
        val = (val << 7) | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(val);
            val = 0;
        }
    }
    let Some(&first) = arcs.first() else {
        return err("truncated OID");
    };
    let head = match first {
        0..=39 => [0, first],
        40..=79 => [1, first - 40],
        _ => [2, first - 80],
    };
    let parts: Vec<String> = head
        .iter()
        .chain(&arcs[1..])
        .map(|a| a.to_string())
        .collect();
    Ok(parts.join("."))
}

pub fn oid(t: &Tlv) -> Result<String> {
    oid_bytes(t.content())
}

/// A two's complement INTEGER as (negative, big-endian magnitude without leading zeros).
pub fn int_magnitude(c: &[u8]) -> (bool, Vec<u8>) {
    let negative = c.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = c.to_vec();
    if negative {
        // two's complement negation: invert, add one
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    let first = mag.iter().position(|&b| b != 0).unwrap_or(mag.len());
    (negative, mag[first..].to_vec())
}

pub fn bit_length(c: &[u8]) -> u64 {
    let (_, mag) = int_magnitude(c);
    match mag.first() {
        None => 0,
        Some(&b) => (mag.len() as u64 - 1) * 8 + u64::from(8 - b.leading_zeros() as u8),
    }
}

/// Decimal text of an INTEGER of any size.
pub fn int_decimal(c: &[u8]) -> String {
    let (negative, mut mag) = int_magnitude(c);
    if mag.is_empty() {
        return "0".into();
    }
    let mut digits = Vec::new();
    while !mag.is_empty() {
        let mut rem: u32 = 0;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
        let first = mag.iter().position(|&b| b != 0).unwrap_or(mag.len());
        mag.drain(..first);
    }
    if negative {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).expect("ascii digits")
}

/// An INTEGER as a JSON number (the reference has unbounded ints; very large
/// values fall back to their decimal text, which only odd inputs would hit).
pub fn int_json(t: &Tlv) -> serde_json::Value {
    let text = int_decimal(t.content());
    match text.parse::<i64>() {
        Ok(v) => v.into(),
        Err(_) => text.into(),
    }
}

pub fn int_i64(t: &Tlv) -> i64 {
    int_decimal(t.content()).parse().unwrap_or(i64::MAX)
}

/// Whether an INTEGER's content is minimally encoded.
pub fn int_minimal(c: &[u8]) -> bool {
    if c.len() < 2 {
        return true;
    }
    !((c[0] == 0 && c[1] & 0x80 == 0) || (c[0] == 0xff && c[1] & 0x80 != 0))
}

pub fn bitstring<'a>(t: &Tlv<'a>) -> Result<(u8, &'a [u8])> {
    let c = t.content();
    match c.split_first() {
        None => err("empty BIT STRING"),
        Some((&unused, rest)) => Ok((unused, rest)),
    }
}

pub fn boolean(t: &Tlv) -> bool {
    t.content() != [0u8]
}

pub fn string_type(tag: u8) -> Option<&'static str> {
    Some(match tag {
        0x0c => "UTF8String",
        0x12 => "NumericString",
        0x13 => "PrintableString",
        0x14 => "T61String",
        0x16 => "IA5String",
        0x1a => "VisibleString",
        0x1c => "UniversalString",
        0x1e => "BMPString",
        _ => return None,
    })
}

pub fn tag_name(t: &Tlv) -> String {
    if let Some(n) = string_type(t.tag) {
        return n.into();
    }
    let class = ["universal", "application", "context", "private"][usize::from(t.class)];
    let cons = if t.constructed { "-constructed" } else { "" };
    format!("{class}-{}{cons}", t.num)
}

pub fn latin1(c: &[u8]) -> String {
    c.iter().map(|&b| char::from(b)).collect()
}

pub fn hex(c: &[u8]) -> String {
    c.iter().map(|b| format!("{b:02x}")).collect()
}

/// A directory string as text; undecodable values become `#` + DER hex.
pub fn string_value(t: &Tlv) -> String {
    let c = t.content();
    let decoded = match t.tag {
        0x0c => std::str::from_utf8(c).ok().map(str::to_owned),
        0x1e if c.len().is_multiple_of(2) => {
            let units: Vec<u16> = c
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        0x1c if c.len().is_multiple_of(4) => c
            .chunks(4)
            .map(|p| char::from_u32(u32::from_be_bytes([p[0], p[1], p[2], p[3]])))
            .collect(),
        0x1e | 0x1c => None,
        tag if string_type(tag).is_some() => Some(latin1(c)),
        _ => None,
    };
    decoded.unwrap_or_else(|| format!("#{}", hex(t.raw())))
}

/// A UTCTime or GeneralizedTime: (type name, unix seconds, second-of-minute).
pub struct Time {
    pub kind: &'static str,
    pub unix: i64,
    pub second: u32,
}

pub fn time(t: &Tlv) -> Result<Time> {
    let s = std::str::from_utf8(t.content()).map_err(|_| DerError("non-ASCII time".into()))?;
    let digits = |x: &str| -> Result<u32> {
        if x.bytes().all(|b| b.is_ascii_digit()) && !x.is_empty() {
            Ok(x.parse().unwrap())
        } else {
            err(format!("bad time {s:?}"))
        }
    };
    let (kind, year, rest) = match t.tag {
        UTC_TIME => {
            let body = s
                .strip_suffix('Z')
                .filter(|b| b.len() == 10 || b.len() == 12);
            let Some(body) = body else {
                return err(format!("bad UTCTime {s:?}"));
            };
            let yy = digits(&body[..2])?;
            let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            ("UTCTime", year, &body[2..])
        }
        GENERALIZED_TIME => {
            let body = s.strip_suffix('Z').filter(|b| b.len() >= 14);
            let Some(body) = body else {
                return err(format!("bad GeneralizedTime {s:?}"));
            };
            let frac = &body[14..];
            if !(frac.is_empty() || frac.starts_with('.') && digits(&frac[1..]).is_ok()) {
                return err(format!("bad GeneralizedTime {s:?}"));
            }
            ("GeneralizedTime", digits(&body[..4])?, &body[4..14])
        }
        _ => return err(format!("not a time (tag 0x{:02x})", t.tag)),
    };
    let month = digits(&rest[0..2])?;
    let day = digits(&rest[2..4])?;
    let hour = digits(&rest[4..6])?;
    let minute = digits(&rest[6..8])?;
    let second = if rest.len() > 8 {
        digits(&rest[8..10])?
    } else {
        0
    };
    let leap = |y: u32| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let month_days = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return err(format!("bad time {s:?}"));
    }
    let days = days_from_civil(i64::from(year), month, day);
    let unix = days * 86400 + i64::from(hour * 3600 + minute * 60 + second);
    Ok(Time { kind, unix, second })
}

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ` of unix seconds.
pub fn iso(unix: i64) -> String {
    let days = unix.div_euclid(86400);
    let secs = unix.rem_euclid(86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(int_decimal(&[0x12, 0x34]), "4660");
        assert_eq!(int_decimal(&[0xff]), "-1");
        assert_eq!(int_decimal(&[0x00, 0x80]), "128");
        assert_eq!(bit_length(&[0x00, 0x80]), 8);
        assert_eq!(bit_length(&[0x01, 0x00, 0x01]), 17);
        assert!(!int_minimal(&[0x00, 0x01]));
        assert!(int_minimal(&[0x00, 0x80]));
    }

    #[test]
    fn times() {
        let c = b"\x17\x0d261127185413Z";
        let t = time(&parse(c).unwrap()).unwrap();
        assert_eq!(iso(t.unix), "2026-11-27T18:54:13Z");
        assert_eq!(t.second, 13);
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn oids() {
        assert_eq!(
            oid_bytes(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]).unwrap(),
            "1.2.840.10045.2.1"
        );
        assert_eq!(oid_bytes(&[0x55, 0x1d, 0x0f]).unwrap(), "2.5.29.15");
    }
}
