//! Base64 as Go's `encoding/base64.StdEncoding` reads it: padding required, CR and LF
//! skipped anywhere, stray bits in the last quantum ignored, and errors located by the
//! byte offset Go reports (`illegal base64 data at input byte N`).

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn skip_newlines(src: &[u8], mut si: usize) -> usize {
    while si < src.len() && matches!(src[si], b'\n' | b'\r') {
        si += 1;
    }
    si
}

/// Decodes `src`; the error is the offset of the offending byte.
pub fn decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    // One pass of Go's `decodeQuantum` per iteration.
    while si < src.len() {
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut trailing_garbage = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = sextet(c) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                // "==" is expected; the first '=' is consumed.
                si = skip_newlines(src, si);
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            si = skip_newlines(src, si);
            if si < src.len() {
                trailing_garbage = Some(si);
            }
            len = j;
            break;
        }
        let v = u32::from(quantum[0]) << 18
            | u32::from(quantum[1]) << 12
            | u32::from(quantum[2]) << 6
            | u32::from(quantum[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..len - 1]);
        if let Some(at) = trailing_garbage {
            return Err(at);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode(b"").unwrap(), b"");
        assert_eq!(decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode(b"aGVs\r\nbG8=\n").unwrap(), b"hello");
        assert_eq!(decode(b"aGk=").unwrap(), b"hi");
        assert_eq!(decode(b"aA==").unwrap(), b"h");
        assert_eq!(decode(b"aB==").unwrap(), b"h", "stray bits are ignored");
    }

    #[test]
    fn error_offsets_match_go() {
        assert_eq!(decode(b"!!!!"), Err(0));
        assert_eq!(decode(b"not base64!"), Err(3));
        assert_eq!(decode(b"aGVsbG8"), Err(4));
        assert_eq!(decode(b"a"), Err(0));
        assert_eq!(decode(b"aA="), Err(3));
        assert_eq!(decode(b"aA=x"), Err(2));
        assert_eq!(decode(b"aGk=aGk="), Err(4));
        assert_eq!(decode(b"=AAA"), Err(0));
    }
}
