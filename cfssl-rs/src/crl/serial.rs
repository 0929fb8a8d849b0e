//! Revoked serial numbers: read the way cfssl reads them (Go's `big.Int.SetString(s, 10)`,
//! keeping what it leaves behind on failure) and written as DER INTEGERs.

use crate::asn1;

/// A serial number of any size: a sign and the big-endian magnitude without leading
/// zeros (empty for 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serial {
    negative: bool,
    magnitude: Vec<u8>,
}

/// Decimal digits that always fit in a `u128`.
const U128_DIGITS: usize = 38;
/// Decimal digits that always fit in a `u64`, the chunk size of the long conversion.
const U64_DIGITS: usize = 19;

impl Serial {
    /// cfssl's `new(big.Int).SetString(text, 10)` with the result kept even when Go
    /// reports failure: an optional sign, then the longest run of decimal digits;
    /// anything after it is ignored (`12\r` is 12, `12abc` is 12, `abc` and ` 7` are 0).
    /// Both the serial-list file and the certificate database go through this.
    pub fn parse_decimal(text: &[u8]) -> Serial {
        let mut s = Serial::default();
        s.set_decimal(text);
        s
    }

    /// [`Serial::parse_decimal`] into an existing value, reusing its buffer (a list of a
    /// million serials then costs no allocation per line).
    pub fn set_decimal(&mut self, text: &[u8]) {
        let (negative, rest) = match text.first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = &rest[..n];
        self.magnitude.clear();
        if digits.len() <= U128_DIGITS {
            let v = digits
                .iter()
                .fold(0u128, |v, d| v * 10 + u128::from(d - b'0'));
            let bytes = v.to_be_bytes();
            let skip = (v.leading_zeros() / 8) as usize;
            self.magnitude.extend_from_slice(&bytes[skip..]);
        } else {
            self.set_long_decimal(digits);
        }
        self.negative = negative && !self.magnitude.is_empty();
    }

    /// Schoolbook conversion in chunks of 19 digits, the magnitude kept little-endian
    /// while it grows and reversed at the end.
    fn set_long_decimal(&mut self, digits: &[u8]) {
        let le = &mut self.magnitude;
        for chunk in digits.chunks(U64_DIGITS) {
            let scale = 10u128.pow(chunk.len() as u32);
            let mut carry = chunk
                .iter()
                .fold(0u128, |v, d| v * 10 + u128::from(d - b'0'));
            for b in le.iter_mut() {
                let v = u128::from(*b) * scale + carry;
                *b = v as u8;
                carry = v >> 8;
            }
            while carry > 0 {
                le.push(carry as u8);
                carry >>= 8;
            }
        }
        while le.last() == Some(&0) {
            le.pop();
        }
        le.reverse();
    }

    /// A non-negative serial from big-endian bytes (leading zeros allowed), as a
    /// certificate's serial number or a database holds it.
    pub fn from_be_bytes(bytes: &[u8]) -> Serial {
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        Serial {
            negative: false,
            magnitude: bytes[skip..].to_vec(),
        }
    }

    /// Appends the DER INTEGER: two's complement, minimal length.
    pub(super) fn write_der(&self, out: &mut Vec<u8>) {
        if !self.negative {
            let pad = self.magnitude.first().is_none_or(|&b| b & 0x80 != 0);
            asn1::push_header(out, asn1::INTEGER, self.magnitude.len() + usize::from(pad));
            if pad {
                out.push(0);
            }
            out.extend_from_slice(&self.magnitude);
            return;
        }
        // -m in two's complement is !(m - 1); one extra 0xff byte when the top bit of
        // !(m - 1) would read as positive. A magnitude that is a power of 256 times
        // 0x80 (such as 0x80 or 0x8000) fits without it.
        let mut v = self.magnitude.clone();
        for b in v.iter_mut().rev() {
            let (x, borrow) = b.overflowing_sub(1);
            *b = x;
            if !borrow {
                break;
            }
        }
        for b in v.iter_mut() {
            *b = !*b;
        }
        if v.first().is_none_or(|&b| b & 0x80 == 0) {
            v.insert(0, 0xff);
        }
        while v.len() > 1 && v[0] == 0xff && v[1] & 0x80 != 0 {
            v.remove(0);
        }
        asn1::push_header(out, asn1::INTEGER, v.len());
        out.extend_from_slice(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(s: &Serial) -> Vec<u8> {
        let mut out = Vec::new();
        s.write_der(&mut out);
        out
    }

    #[test]
    fn leading_digits_like_go_set_string() {
        let cases: &[(&[u8], bool, &[u8])] = &[
            (b"12\r", false, &[12]),
            (b"12abc", false, &[12]),
            (b"+5", false, &[5]),
            (b"-5", true, &[5]),
            (b"-0", false, &[]),
            (b"-", false, &[]),
            (b"--5", false, &[]),
            (b"0x10", false, &[]),
            (b" 77", false, &[]),
            (b"abc", false, &[]),
            (b"1_000", false, &[1]),
            (b"256", false, &[1, 0]),
            (b"000256", false, &[1, 0]),
        ];
        for (text, negative, magnitude) in cases {
            let s = Serial::parse_decimal(text);
            assert_eq!(
                (s.negative, s.magnitude.as_slice()),
                (*negative, *magnitude),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn long_serials_convert_exactly() {
        // 2^160 - 1 (49 digits) and 10^40 (41 digits), past the u128 fast path.
        let s = Serial::parse_decimal(b"1461501637330902918203684832716283019655932542975");
        assert_eq!(s.magnitude, vec![0xff; 20]);
        let s = Serial::parse_decimal(b"10000000000000000000000000000000000000000");
        let mut ten_pow_40 = vec![
            0x1d, 0x63, 0x29, 0xf1, 0xc3, 0x5c, 0xa4, 0xbf, 0xab, 0xb9, 0xf5, 0x61,
        ];
        ten_pow_40.extend([0; 5]);
        assert_eq!(s.magnitude, ten_pow_40);
        // The same number through both paths: 38 digits, and 38 digits behind zeros.
        let short = Serial::parse_decimal(b"99999999999999999999999999999999999999");
        let long = Serial::parse_decimal(b"0000099999999999999999999999999999999999999");
        assert_eq!(short, long);
    }

    #[test]
    fn integers_in_twos_complement() {
        let s = |t: &str| der(&Serial::parse_decimal(t.as_bytes()));
        assert_eq!(s("0"), vec![2, 1, 0]);
        assert_eq!(s("127"), vec![2, 1, 0x7f]);
        assert_eq!(s("128"), vec![2, 2, 0, 0x80]);
        assert_eq!(s("-1"), vec![2, 1, 0xff]);
        assert_eq!(s("-5"), vec![2, 1, 0xfb]);
        assert_eq!(s("-128"), vec![2, 1, 0x80]);
        assert_eq!(s("-129"), vec![2, 2, 0xff, 0x7f]);
        assert_eq!(s("-256"), vec![2, 2, 0xff, 0]);
        assert_eq!(s("-32768"), vec![2, 2, 0x80, 0]);
        assert_eq!(s("-32769"), vec![2, 3, 0xff, 0x7f, 0xff]);
        assert_eq!(
            der(&Serial::from_be_bytes(&[0, 0, 0x81])),
            vec![2, 2, 0, 0x81]
        );
    }
}
