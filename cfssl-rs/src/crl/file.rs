//! cfssl's `crl.NewCRLFromFile`: a CRL from a serial-list file, the issuer's certificate
//! and key, and a lifetime in seconds (spec §8.9). The list is read as it streams in,
//! so it may be far larger than any other input (a CA revokes by the million).

use super::{Issuer, RevokedList, Serial};
use crate::ca;
use crate::error::{Error, Result};
use crate::gojson::go_quote;
use crate::input;
use crate::keys;
use chrono::{DateTime, Duration, Utc};

/// The CRL lifetime when none (or `0`) is given: one week.
const DEFAULT_SECONDS: i64 = 7 * 24 * 3600;

/// A line longer than this is refused: no serial comes near it, and the bound keeps
/// a list without newlines from being buffered (and converted) as one huge number.
pub const MAX_LINE: usize = 64 << 10;

/// How much of the list is read at a time.
const CHUNK: usize = 1 << 20;

/// Reads a serial list as cfssl does: split on `\n`, lines that are blank after
/// trimming (Go's `strings.TrimSpace`) skipped, every other line one serial
/// ([`Serial::parse_decimal`] on the untrimmed line), each revoked at `revoked_at`.
/// Errors name the input and the line.
pub fn read_serial_list(
    list: &mut input::Stream,
    revoked_at: DateTime<Utc>,
    out: &mut RevokedList,
) -> Result<()> {
    let mut buf = vec![0u8; CHUNK];
    // Bytes of `buf` holding the start of a line whose end has not arrived yet.
    let mut pending = 0;
    let mut line_no = 0usize;
    let mut serial = Serial::default();
    loop {
        let n = list
            .read(&mut buf[pending..])
            .map_err(|e| Error::plain(format!("{e} (reading line {})", line_no + 1)))?;
        let filled = pending + n;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf[pending..filled]).map(|i| pending + i) {
            line_no += 1;
            if end - start > MAX_LINE {
                return Err(too_long(list, line_no));
            }
            add_line(&buf[start..end], &mut serial, revoked_at, out);
            start = end + 1;
        }
        if n == 0 {
            if filled > start {
                if filled - start > MAX_LINE {
                    return Err(too_long(list, line_no + 1));
                }
                add_line(&buf[start..filled], &mut serial, revoked_at, out);
            }
            return Ok(());
        }
        pending = filled - start;
        if pending > MAX_LINE {
            return Err(too_long(list, line_no + 1));
        }
        buf.copy_within(start..filled, 0);
    }
}

fn too_long(list: &input::Stream, line_no: usize) -> Error {
    Error::plain(format!(
        "{}: line {line_no}: longer than {MAX_LINE} bytes; not a serial number",
        list.path()
    ))
}

fn add_line(line: &[u8], serial: &mut Serial, revoked_at: DateTime<Utc>, out: &mut RevokedList) {
    if is_blank(line) {
        return;
    }
    serial.set_decimal(line);
    out.push(serial, revoked_at, None);
}

/// `len(strings.TrimSpace(line)) == 0`. Go's and Rust's notions of white space are
/// the same (Unicode White_Space); the bytes of invalid UTF-8 are not space in either.
fn is_blank(line: &[u8]) -> bool {
    if line.is_ascii() {
        // Go's ASCII spaces, which include \v (Rust's is_ascii_whitespace does not).
        return line
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'));
    }
    String::from_utf8_lossy(line).trim().is_empty()
}

/// Signs the CRL over `revoked` (from [`read_serial_list`]) with the checks in cfssl's
/// order (lifetime, certificate, key), so the same input fails with the same error.
/// `seconds` is the lifetime as given on the command line.
pub fn sign_serial_list(
    revoked: RevokedList,
    cert_pem: &[u8],
    key_pem: &[u8],
    key_password: Option<&[u8]>,
    seconds: &str,
    now: DateTime<Utc>,
) -> Result<super::Crl> {
    let seconds = match parse_int32(seconds.trim())? {
        0 => DEFAULT_SECONDS,
        n => n,
    };
    let issuer = Issuer::from_cert(&ca::parse_cert_pem(cert_pem)?)?;
    let key = keys::parse_pem_with_password(key_pem, key_password)?;
    super::sign(
        revoked,
        &issuer,
        &key,
        now,
        now + Duration::seconds(seconds),
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

    /// The serials `read_serial_list` finds in `content`, as their entries' DER.
    fn read(name: &str, content: &[u8]) -> Result<RevokedList> {
        let path = std::env::temp_dir().join(format!("cfssl-crl-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        let mut list = RevokedList::new();
        let got = read_serial_list(
            &mut input::open(path.to_str().unwrap()).unwrap(),
            DateTime::from_timestamp(0, 0).unwrap(),
            &mut list,
        );
        std::fs::remove_file(&path).unwrap();
        got.map(|()| list)
    }

    fn entries(serials: &[&str]) -> Vec<u8> {
        let mut list = RevokedList::new();
        for s in serials {
            list.push(
                &Serial::parse_decimal(s.as_bytes()),
                DateTime::from_timestamp(0, 0).unwrap(),
                None,
            );
        }
        list.der
    }

    #[test]
    fn serial_lines_as_cfssl_reads_them() {
        let list = read(
            "rules",
            b"12\r\n\n  \n12abc\n+5\n-5\n0x10\n 77\nabc\n\xa0\n\xc2\xa0\n9",
        )
        .unwrap();
        assert_eq!(list.len(), 9);
        assert_eq!(
            list.der,
            entries(&["12", "12", "5", "-5", "0", "0", "0", "0", "9"])
        );
        assert!(read("empty", b"").unwrap().is_empty());
        assert!(read("blank", b"\n \r\n\t\n").unwrap().is_empty());
    }

    #[test]
    fn lines_across_read_chunks() {
        // Serials of varying length, so that line ends fall everywhere relative to
        // the chunk boundaries; no trailing newline on the last line.
        let serials: Vec<String> = (0..250_000u64)
            .map(|i| (i * 7_919 % 1_000_003).pow(i as u32 % 3 + 1).to_string())
            .collect();
        assert!(serials.iter().map(|s| s.len() + 1).sum::<usize>() > 2 * CHUNK);
        let list = read("chunks", serials.join("\n").as_bytes()).unwrap();
        let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
        assert_eq!(list.len(), serials.len());
        assert!(list.der == entries(&refs));
    }

    #[test]
    fn overlong_lines_are_refused_with_their_number() {
        let mut content = b"1\n2\n".to_vec();
        content.extend(std::iter::repeat_n(b'7', MAX_LINE));
        content.extend(b"\n4\n");
        assert_eq!(read("at-limit", &content).unwrap().len(), 4);
        for (name, tail) in [
            ("newline", &b"7\n4\n"[..]),
            ("eof", b"7"),
            ("endless", &[b'7'; 3 * CHUNK][..]),
        ] {
            let mut c = content[..content.len() - 3].to_vec();
            c.extend(tail);
            let e = read(name, &c).unwrap_err().to_string();
            assert!(
                e.ends_with(": line 3: longer than 65536 bytes; not a serial number"),
                "{name}: {e}"
            );
        }
    }

    #[test]
    fn blank_lines_are_go_trimspace_empty() {
        for blank in [
            "",
            " ",
            "\r",
            "\t\x0b\x0c ",
            "\u{a0}",
            "\u{85}",
            " \u{3000}\r",
        ] {
            assert!(is_blank(blank.as_bytes()), "{blank:?}");
        }
        for not in ["0", "\x1c", "\u{200b}", "a"] {
            assert!(!is_blank(not.as_bytes()), "{not:?}");
        }
        assert!(!is_blank(b"\xff"));
    }
}
