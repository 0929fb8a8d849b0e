use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::duration;

/// Go's strict RFC 3339 parse (`time.Parse(time.RFC3339, s)` plus the JSON decoder's
/// extra checks), with Go's error texts.
pub(crate) fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";
    let q = |x: &[u8]| duration::quote(&String::from_utf8_lossy(x));
    let cannot = |rest: &[u8], elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            q(s.as_bytes()),
            duration::quote(LAYOUT),
            q(rest),
            duration::quote(elem)
        )
    };
    let with_msg = |msg: &str| format!("parsing time {}{msg}", q(s.as_bytes()));
    let out_of_range = |what: &str| with_msg(&format!(": {what} out of range"));
    let digit = |v: &[u8], i: usize| v.get(i).is_some_and(|b| b.is_ascii_digit());
    // Go's getnum: one or two digits, exactly two when `fixed`.
    let getnum = |v: &[u8], fixed: bool| -> Option<(u32, usize)> {
        if !digit(v, 0) {
            return None;
        }
        if !digit(v, 1) {
            return (!fixed).then(|| (u32::from(v[0] - b'0'), 1));
        }
        Some((u32::from(v[0] - b'0') * 10 + u32::from(v[1] - b'0'), 2))
    };
    let skip = |v: &mut &[u8], lit: u8| -> Result<(), String> {
        if v.first() != Some(&lit) {
            return Err(cannot(v, &(lit as char).to_string()));
        }
        *v = &v[1..];
        Ok(())
    };

    let mut v = s.as_bytes();
    // Year: four bytes through Go's atoi, which allows a sign.
    let year: i32 = if v.len() < 4 {
        return Err(cannot(v, "2006"));
    } else {
        let (head, rest) = v.split_at(4);
        let text = std::str::from_utf8(head).map_err(|_| cannot(v, "2006"))?;
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cannot(v, "2006"));
        }
        let n: i32 = digits.parse().map_err(|_| cannot(v, "2006"))?;
        v = rest;
        if text.starts_with('-') {
            -n
        } else {
            n
        }
    };
    let signed_year = !head_is_digits(s);
    skip(&mut v, b'-')?;
    let (month, n) = getnum(v, true).ok_or_else(|| cannot(v, "01"))?;
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    v = &v[n..];
    skip(&mut v, b'-')?;
    let (day, n) = getnum(v, true).ok_or_else(|| cannot(v, "02"))?;
    if day > 31 {
        return Err(out_of_range("day"));
    }
    v = &v[n..];
    skip(&mut v, b'T')?;
    let hour_start = v;
    let (hour, n) = getnum(v, false).ok_or_else(|| cannot(v, "15"))?;
    if hour >= 24 {
        return Err(out_of_range("hour"));
    }
    let short_hour = n == 1;
    v = &v[n..];
    skip(&mut v, b':')?;
    let (minute, n) = getnum(v, true).ok_or_else(|| cannot(v, "04"))?;
    if minute >= 60 {
        return Err(out_of_range("minute"));
    }
    v = &v[n..];
    skip(&mut v, b':')?;
    let (second, n) = getnum(v, true).ok_or_else(|| cannot(v, "05"))?;
    if second >= 60 {
        return Err(out_of_range("second"));
    }
    v = &v[n..];
    let mut nanos = 0u32;
    let mut comma = false;
    if v.len() >= 2 && (v[0] == b'.' || v[0] == b',') && digit(v, 1) {
        comma = v[0] == b',';
        let n = 1 + v[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        // Go keeps nine digits of precision and ignores the rest.
        let padded = v[1..n].iter().chain(std::iter::repeat(&b'0'));
        for d in padded.take(9) {
            nanos = nanos * 10 + u32::from(d - b'0');
        }
        v = &v[n..];
    }
    let tz_start = v;
    let mut tz = (0, 0);
    let negative = v.first() == Some(&b'-');
    if v.first() == Some(&b'Z') {
        v = &v[1..];
    } else {
        if v.len() < 6 || v[3] != b':' || !(v[0] == b'+' || v[0] == b'-') {
            return Err(cannot(tz_start, "Z07:00"));
        }
        let hh = getnum(&v[1..3], true).ok_or_else(|| cannot(tz_start, "Z07:00"))?;
        let mm = getnum(&v[4..6], true).ok_or_else(|| cannot(tz_start, "Z07:00"))?;
        if hh.0 > 24 {
            return Err(out_of_range("time zone offset hour"));
        }
        if mm.0 > 60 {
            return Err(out_of_range("time zone offset minute"));
        }
        tz = (hh.0, mm.0);
        v = &v[6..];
    }
    if !v.is_empty() {
        return Err(with_msg(&format!(": extra text: {}", q(v))));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).filter(|d| d.day() == day);
    let Some(date) = date else {
        return Err(with_msg(": day out of range"));
    };
    // What time.Parse accepts but RFC 3339 (and so the JSON decoder) doesn't.
    if short_hour {
        return Err(cannot(&hour_start[..1], "15"));
    }
    if comma {
        return Err(cannot(b",", "."));
    }
    if tz.0 >= 24 {
        return Err(with_msg(": timezone hour out of range"));
    }
    if tz.1 >= 60 {
        return Err(with_msg(": timezone minute out of range"));
    }
    if signed_year {
        return Err(cannot(s.as_bytes(), LAYOUT));
    }
    let offset_secs = (tz.0 * 3600 + tz.1 * 60) as i32;
    let offset = FixedOffset::east_opt(if negative { -offset_secs } else { offset_secs })
        .ok_or_else(|| out_of_range("time zone offset hour"))?;
    date.and_hms_nano_opt(hour, minute, second, nanos)
        .and_then(|naive| offset.from_local_datetime(&naive).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| with_msg(": out of range"))
}

fn head_is_digits(s: &str) -> bool {
    s.len() >= 4 && s.as_bytes()[..4].iter().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;

    #[test]
    fn time_errors() {
        let cases: &[(&str, &str)] = &[
            (
                "1",
                "json: cannot unmarshal number into Go struct field .signing.default.not_before of type time.Time",
            ),
            (
                r#""2024-01-01""#,
                r#"parsing time \"2024-01-01\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\""#,
            ),
            (
                r#""2024-13-01T00:00:00Z""#,
                r#"parsing time \"2024-13-01T00:00:00Z\": month out of range"#,
            ),
            (
                r#""2023-02-29T00:00:00Z""#,
                r#"parsing time \"2023-02-29T00:00:00Z\": day out of range"#,
            ),
            (
                r#""2024-01-01T00:00:00Zx""#,
                r#"parsing time \"2024-01-01T00:00:00Zx\": extra text: \"x\""#,
            ),
            (
                r#""2024-01-01T1:00:00Z""#,
                r#"parsing time \"2024-01-01T1:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"1\" as \"15\""#,
            ),
            (
                r#""2024-01-01T00:00:00+0100""#,
                r#"parsing time \"2024-01-01T00:00:00+0100\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\""#,
            ),
        ];
        for (v, want) in cases {
            let got = err(&with_default(&format!(r#""expiry":"1h","not_before":{v}"#)));
            assert_eq!(
                got,
                format!(r#"{{"code":5200,"message":"failed to unmarshal configuration: {want}"}}"#),
                "{v}"
            );
        }
        // The zero time is Go's "unset".
        let s =
            parse(with_default(r#""expiry":"1h","not_before":"0001-01-01T00:00:00Z""#).as_bytes())
                .unwrap()
                .signing;
        assert_eq!(s.default.not_before, None);
    }
}
