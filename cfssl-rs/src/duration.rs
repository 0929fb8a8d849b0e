//! Go's `time.ParseDuration`, because cfssl reads every duration (`expiry`, `backdate`,
//! `ca.expiry`, gencrl's lifetime) with it and prints its error texts verbatim.

pub const NANOSECOND: i64 = 1;
pub const MICROSECOND: i64 = 1_000 * NANOSECOND;
pub const MILLISECOND: i64 = 1_000 * MICROSECOND;
pub const SECOND: i64 = 1_000 * MILLISECOND;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

/// Parses a Go duration string (`"8760h"`, `"1.5h"`, `"-2h45m"`, `"0"`) into nanoseconds.
/// The error is Go's text, e.g. `time: unknown unit "y" in duration "1y"`.
pub fn parse(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    // Go accumulates in a uint64 so that exactly 2^63 is representable for "-2562047h47m16.854775808s".
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();

        let mut frac: u64 = 0;
        let mut scale = 1f64;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (f, sc, rest) = leading_fraction(s);
            frac = f;
            scale = sc;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }

        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", quote(orig)));
        }
        let (unit_bytes, rest) = s.split_at(unit_len);
        s = rest;
        let unit_text = String::from_utf8_lossy(unit_bytes);
        let unit = unit_nanos(&unit_text).ok_or_else(|| {
            format!(
                "time: unknown unit {} in duration {}",
                quote(&unit_text),
                quote(orig)
            )
        })?;
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            // Go goes through float64 here; truncating the product the same way keeps
            // "1.1h"-style values bit-identical.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => NANOSECOND,
        "us" | "\u{b5}s" | "\u{3bc}s" => MICROSECOND,
        "ms" => MILLISECOND,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        _ => return None,
    } as u64)
}

/// `[0-9]*`; `None` on overflow, which Go reports as an invalid duration.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Fraction digits: past 2^63 Go silently stops adding precision instead of failing.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1f64;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > ((1u64 << 63) - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > 1 << 63 {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

/// The `time` package's own quoting (not strconv.Quote): every byte of a non-ASCII or
/// control character becomes `\xNN`. Time parse errors use it too.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c < ' ' || !c.is_ascii() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_durations() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("0s", 0),
            ("5s", 5 * SECOND),
            ("8760h", 8760 * HOUR),
            ("2h30m", 2 * HOUR + 30 * MINUTE),
            ("1.5h", 90 * MINUTE),
            ("-1h", -HOUR),
            ("+5m", 5 * MINUTE),
            (".5s", 500 * MILLISECOND),
            ("1.s", SECOND),
            ("1h1h", 2 * HOUR),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND),
            ("12µs", 12 * MICROSECOND),
            ("12μs", 12 * MICROSECOND),
            ("13ms", 13 * MILLISECOND),
            (
                "3h30m40s50ms",
                3 * HOUR + 30 * MINUTE + 40 * SECOND + 50 * MILLISECOND,
            ),
            ("1.1h", 3_960_000_000_000),
            ("0.3333333333333333333h", 1_200_000_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("876000h", 876_000 * HOUR),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s), Ok(*want), "{s}");
        }
    }

    #[test]
    fn go_error_texts() {
        let cases: &[(&str, &str)] = &[
            ("", r#"time: invalid duration """#),
            ("x", r#"time: invalid duration "x""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (".", r#"time: invalid duration ".""#),
            ("-.", r#"time: invalid duration "-.""#),
            (".s", r#"time: invalid duration ".s""#),
            ("+.s", r#"time: invalid duration "+.s""#),
            ("1h ", r#"time: unknown unit "h " in duration "1h ""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("1y", r#"time: unknown unit "y" in duration "1y""#),
            ("1 h", r#"time: unknown unit " h" in duration "1 h""#),
            ("10", r#"time: missing unit in duration "10""#),
            ("1h10", r#"time: missing unit in duration "1h10""#),
            ("1.5.5h", r#"time: missing unit in duration "1.5.5h""#),
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            (
                "9223372036854775810ns",
                r#"time: invalid duration "9223372036854775810ns""#,
            ),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            (
                "1é",
                r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#,
            ),
            ("\"1\"", r#"time: invalid duration "\"1\"""#),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s).unwrap_err(), *want, "{s:?}");
        }
    }
}
