//! Reading PEM the way Go's `encoding/pem.Decode` does.
//!
//! cfssl's checks depend on Go's exact tolerance: text before a block is skipped, a
//! malformed block is skipped and the search goes on, RFC 1421 headers (`Proc-Type`)
//! are kept, and what follows the block is returned so callers can insist on "only
//! one object".

use base64::Engine as _;

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub label: String,
    pub headers: Vec<(String, String)>,
    pub der: Vec<u8>,
}

/// The first well-formed block in `data` and the bytes after it.
pub fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    let mut rest = data;
    loop {
        let start = find(rest, b"-----BEGIN ")?;
        let after_begin = &rest[start + 11..];
        match decode_at(after_begin) {
            Some(found) => return Some(found),
            None => rest = after_begin,
        }
    }
}

/// Every block in order, as repeated `decode` calls would find them.
pub fn blocks(data: &[u8]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((b, r)) = decode(rest) {
        out.push(b);
        rest = r;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let line = &data[..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            (line, &data[i + 1..])
        }
        None => (data, &[]),
    }
}

fn decode_at(after_begin: &[u8]) -> Option<(Block, &[u8])> {
    let (type_line, mut rest) = split_line(after_begin);
    let label = type_line.strip_suffix(b"-----")?;
    let label = String::from_utf8(label.to_vec()).ok()?;

    let mut headers = Vec::new();
    loop {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = split_line(rest);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            break;
        };
        let key = String::from_utf8_lossy(line[..colon].trim_ascii()).into_owned();
        let val = String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned();
        headers.push((key, val));
        rest = next;
    }

    let end_marker = format!("-----END {label}-----");
    let (body, after) = if rest.starts_with(&end_marker.as_bytes()[0..]) && headers.is_empty() {
        (&rest[..0], &rest[end_marker.len()..])
    } else {
        let marker = format!("\n{end_marker}");
        let i = find(rest, marker.as_bytes())?;
        (&rest[..i], &rest[i + marker.len()..])
    };
    let (end_rest, after_line) = split_line(after);
    if !end_rest.trim_ascii().is_empty() {
        return None;
    }
    let b64: Vec<u8> = body
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .ok()?;
    Some((
        Block {
            label,
            headers,
            der,
        },
        after_line,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_leading_text_and_returns_rest() {
        let pem = crate::output::pem("CERTIFICATE", b"abc");
        let data = format!("junk\n{pem}trailing");
        let (b, rest) = decode(data.as_bytes()).unwrap();
        assert_eq!(b.label, "CERTIFICATE");
        assert_eq!(b.der, b"abc");
        assert_eq!(rest, b"trailing");
    }

    #[test]
    fn keeps_headers() {
        let data = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES\n\nYWJj\n-----END RSA PRIVATE KEY-----\n";
        let (b, _) = decode(data.as_bytes()).unwrap();
        assert_eq!(b.headers[0], ("Proc-Type".into(), "4,ENCRYPTED".into()));
        assert_eq!(b.der, b"abc");
    }

    #[test]
    fn not_pem() {
        assert!(decode(b"hello").is_none());
    }
}
