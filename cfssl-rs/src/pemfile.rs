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

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"\n-----END ";
const DASHES: &[u8] = b"-----";

/// The first well-formed block in `data` and the bytes after it.
///
/// Go's rules: a block starts with `-----BEGIN ` at the start of a line; its type line
/// must end in five dashes (trailing blanks ignored); `Key: value` header lines follow;
/// the body runs to the first `\n-----END ` after them, which must name the same type
/// and end its line. A candidate that fails is skipped and the search goes on from
/// where it stopped. Every step only moves forward, and the search for `-----END` is
/// done once per position it can start from, so the whole scan is linear in the input
/// (a naive loop is quadratic in the number of unmatched BEGIN lines).
pub fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    let mut pos = 0;
    // The first `\n-----END ` at or after the position it was searched from.
    let mut next_end: Option<(usize, Option<usize>)> = None;
    loop {
        pos = if data[pos..].starts_with(BEGIN) && (pos == 0 || data[pos - 1] == b'\n') {
            pos + BEGIN.len()
        } else {
            find_line_start(data, pos, BEGIN)? + BEGIN.len()
        };
        let (type_line, after_type) = get_line(data, pos);
        pos = after_type;
        let Some(label) = type_line.strip_suffix(DASHES) else {
            continue;
        };

        let mut headers = Vec::new();
        loop {
            if pos == data.len() {
                return None;
            }
            let (line, next) = get_line(data, pos);
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                break;
            };
            let key = String::from_utf8_lossy(line[..colon].trim_ascii()).into_owned();
            let val = String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned();
            headers.push((key, val));
            pos = next;
        }

        let (end_index, trailer) = if headers.is_empty() && data[pos..].starts_with(&END[1..]) {
            (pos, pos + END.len() - 1)
        } else {
            let hit = match next_end {
                Some((from, hit)) if from <= pos && hit.is_none_or(|h| h >= pos) => hit,
                _ => {
                    let hit = find(&data[pos..], END).map(|i| pos + i);
                    next_end = Some((pos, hit));
                    hit
                }
            };
            let Some(end_index) = hit else {
                continue;
            };
            (end_index, end_index + END.len())
        };
        let rest_of_end = &data[trailer..];
        let want = label.len() + DASHES.len();
        if rest_of_end.len() < want
            || !rest_of_end.starts_with(label)
            || !rest_of_end[..want].ends_with(DASHES)
        {
            continue;
        }
        if !get_line(rest_of_end, want).0.is_empty() {
            continue;
        }
        let Some(der) = decode_body(&data[pos..end_index]) else {
            continue;
        };
        let Ok(label) = String::from_utf8(label.to_vec()) else {
            continue;
        };
        let after = get_line(data, end_index + END.len() - 1).1;
        return Some((
            Block {
                label,
                headers,
                der,
            },
            &data[after..],
        ));
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
    let (first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|b| b == first) {
        let at = from + i;
        if hay[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The first `needle` at or after `from` that starts a line (follows a `\n`).
fn find_line_start(data: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let nl = data[at..].iter().position(|&b| b == b'\n')? + at;
        if data[nl + 1..].starts_with(needle) {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
}

/// The line at `from` without its line break and trailing blanks (Go's `getLine`), and
/// where the next line starts.
fn get_line(data: &[u8], from: usize) -> (&[u8], usize) {
    let rest = &data[from..];
    let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], from + i + 1),
        None => (rest, data.len()),
    };
    line = line.strip_suffix(b"\r").unwrap_or(line);
    while let [head @ .., b' ' | b'\t'] = line {
        line = head;
    }
    (line, next)
}

/// Go strips spaces and tabs, and its base64 decoder skips line breaks. A character
/// outside the alphabet fails fast, before anything is copied, which keeps a body full
/// of stray BEGIN lines cheap.
fn decode_body(body: &[u8]) -> Option<Vec<u8>> {
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    if !body
        .iter()
        .all(|&c| is_b64(c) || matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return None;
    }
    let b64: Vec<u8> = body.iter().copied().filter(|&c| is_b64(c)).collect();
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()
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

    fn label_of(data: &str) -> Option<String> {
        decode(data.as_bytes()).map(|(b, _)| b.label)
    }

    #[test]
    fn go_rules_for_where_a_block_starts_and_ends() {
        let block = "-----BEGIN C-----\nYWJj\n-----END C-----\n";
        assert_eq!(label_of(block).as_deref(), Some("C"));
        // BEGIN must start a line.
        assert_eq!(label_of(&format!("junk{block}")), None);
        assert_eq!(label_of(&format!("junk\n{block}")).as_deref(), Some("C"));
        // A type line that is itself a BEGIN line's tail is one failed candidate.
        assert_eq!(label_of(&format!("-----BEGIN {block}")), None);
        // Trailing blanks on the BEGIN and END lines are ignored.
        assert_eq!(
            label_of("-----BEGIN C-----  \nYWJj\n-----END C----- \t\n").as_deref(),
            Some("C")
        );
        // A failed candidate is skipped and the next one found.
        assert_eq!(
            label_of(&format!(
                "-----BEGIN A-----\nAAAA\n-----END B-----\n{block}"
            ))
            .as_deref(),
            Some("C")
        );
        assert_eq!(
            label_of(&format!(
                "-----BEGIN C-----\n!!!!\n-----END C-----\n{block}"
            ))
            .as_deref(),
            Some("C")
        );
        // END must start a line; headers running to the end give up.
        assert_eq!(label_of("-----BEGIN C-----\nYWJj -----END C-----\n"), None);
        assert_eq!(label_of("-----BEGIN C-----\nA: b"), None);
    }

    #[test]
    fn linear_on_hostile_input() {
        // 16 MiB each. These took ~47 s and ~16 s with the old quadratic scan at a
        // fraction of this size; now each is one pass (a regression here shows as this
        // test running for hours, not as a flaky time limit).
        let lines = "-----BEGIN A-----\n".repeat(16 << 20 >> 4);
        let one_line = "-----BEGIN ".repeat((16 << 20) / 11);
        assert!(decode(lines.as_bytes()).is_none());
        assert!(decode(one_line.as_bytes()).is_none());
        // Only the last BEGIN line is followed by its END: an empty block.
        let with_end = format!("{lines}-----END A-----\n");
        let (block, rest) = decode(with_end.as_bytes()).unwrap();
        assert_eq!(
            (block.label.as_str(), block.der.len(), rest.len()),
            ("A", 0, 0)
        );
    }
}
