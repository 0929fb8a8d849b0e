//! Normalization and the *content object* of a text (FORMAT.md, "Content
//! object"): the skeleton with PEM blocks replaced by `<PEM#K>`, the key order
//! of every JSON object, and the facts of every PEM block.

use crate::facts::{self, Object};
use crate::json::{self, Node};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Stand-in for certinfo fields that match the certificate in the same object.
pub const DERIVED: &str = "<PEM-DERIVED>";
const CERTINFO_DERIVED_KEYS: [&str; 5] = [
    "serial_number",
    "not_before",
    "not_after",
    "subject_key_id",
    "authority_key_id",
];

/// What run-dependent strings are replaced with their placeholders.
pub struct Normalizer {
    pub cfssl: String,
    pub cfssljson: String,
    /// the run folder as given to the case, then its real path if that differs
    pub rundirs: Vec<String>,
}

impl Normalizer {
    pub fn text(&self, text: &str) -> String {
        use std::sync::OnceLock;
        static TS: OnceLock<regex::Regex> = OnceLock::new();
        static SERIAL: OnceLock<regex::Regex> = OnceLock::new();
        let ts = TS.get_or_init(|| {
            regex::Regex::new(r"\b\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?").expect("regex")
        });
        let serial = SERIAL.get_or_init(|| {
            regex::Regex::new(
                r"(serial number:? ?)(0x[0-9a-fA-F]+|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){7,}|\d+)",
            )
            .expect("regex")
        });
        // cfssljson's path first: it may start with cfssl's path
        let mut t = text.replace(&self.cfssljson, "$CFSSLJSON");
        t = t.replace(&self.cfssl, "$CFSSL");
        for dir in &self.rundirs {
            t = t.replace(dir.as_str(), "<RUNDIR>");
        }
        let t = ts.replace_all(&t, "<TIME>");
        serial.replace_all(&t, "${1}<SERIAL>").into_owned()
    }

    /// Normalized bytes; content that is not UTF-8 stays as it is.
    pub fn bytes(&self, data: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(data) {
            Ok(t) => self.text(t).into_bytes(),
            Err(_) => data.to_vec(),
        }
    }
}

/// The start and end of a run, for the run-relative time fields.
#[derive(Clone, Copy)]
pub struct RunTimes {
    pub start: f64,
    pub end: f64,
}

/// One PEM block (or base64 CRL line) of a content object.
#[derive(Debug, Clone)]
pub struct Block {
    /// `line N`, or `<json path> line N` inside a JSON string
    pub location: String,
    pub object: Object,
}

#[derive(Debug, Default)]
pub struct Content {
    pub binary: bool,
    pub skeleton: String,
    /// `{"path", "keys"}` of every JSON object, in document order
    pub json: Vec<Value>,
    pub blocks: Vec<Block>,
}

/// Python's `str.isspace`, which `strip()` uses.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.splitlines(keepends=True)`.
pub fn split_lines_keepends(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\r' => match chars.peek() {
                Some(&(j, '\n')) => {
                    chars.next();
                    j + 1
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Python's `str.splitlines()`.
pub fn split_lines(text: &str) -> Vec<&str> {
    split_lines_keepends(text)
        .into_iter()
        .map(|l| {
            let l = l.strip_suffix('\n').unwrap_or(l);
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.strip_suffix(|c: char| "\x0b\x0c\x1c\x1d\x1e\u{85}\u{2028}\u{2029}".contains(c))
                .unwrap_or(l)
        })
        .collect()
}

fn parse_json_region(s: &str) -> Option<Node> {
    let st = s.trim_matches(is_py_space);
    if st.starts_with('{') || st.starts_with('[') {
        json::parse(st)
    } else {
        None
    }
}

/// The text split into (start, end, is_json) regions: the whole text when it is
/// one JSON document, else runs of plain lines and single JSON lines.
fn json_regions(text: &str) -> Vec<(usize, usize, bool)> {
    let st = text.trim_matches(is_py_space);
    if (st.starts_with('{') || st.starts_with('[')) && json::parse(text).is_some() {
        return vec![(0, text.len(), true)];
    }
    let mut regions: Vec<(usize, usize, bool)> = Vec::new();
    let mut pos = 0;
    for line in split_lines_keepends(text) {
        let is_json = parse_json_region(line).is_some();
        match regions.last_mut() {
            Some(last) if !last.2 && !is_json => last.1 = pos + line.len(),
            _ => regions.push((pos, pos + line.len(), is_json)),
        }
        pos += line.len();
    }
    regions
}

/// Byte ranges of the JSON string literals that are values (not keys).
fn value_literals(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        let mut k = j + 1;
        while k < b.len() && b" \t\r\n".contains(&b[k]) {
            k += 1;
        }
        if !(k < b.len() && b[k] == b':') {
            out.push((i, (j + 1).min(b.len())));
        }
        i = j + 1;
    }
    out
}

fn walk(node: &Node, path: &str, strings: &mut Vec<(String, String)>, objects: &mut Vec<Value>) {
    match node {
        Node::Object(pairs) => {
            let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            objects.push(json!({"path": path, "keys": keys}));
            for (k, v) in pairs {
                walk(v, &format!("{path}.{k}"), strings, objects);
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), strings, objects);
            }
        }
        Node::Str(s) => strings.push((path.to_string(), s.clone())),
        Node::Other => {}
    }
}

/// {json path: value} of the certinfo fields derived from the certificate
/// in the same object's "pem" string.
fn certinfo_derived(node: &Node, path: &str, out: &mut BTreeMap<String, String>) {
    match node {
        Node::Object(pairs) => {
            let pems: Vec<&Node> = pairs
                .iter()
                .filter(|(k, _)| k == "pem")
                .map(|(_, v)| v)
                .collect();
            if let [Node::Str(pem)] = pems.as_slice() {
                let objs = facts::pem_objects(pem);
                let values = match objs.as_slice() {
                    [o] if o.kind == "certificate" => o
                        .der
                        .as_deref()
                        .and_then(|d| facts::certinfo_values(d).ok()),
                    _ => None,
                };
                if let Some(values) = values {
                    for (k, v) in pairs {
                        if let (true, Node::Str(_)) =
                            (CERTINFO_DERIVED_KEYS.contains(&k.as_str()), v)
                        {
                            let want = values[k.as_str()].as_str().unwrap_or_default();
                            out.insert(format!("{path}.{k}"), want.to_string());
                        }
                    }
                }
            }
            for (k, v) in pairs {
                certinfo_derived(v, &format!("{path}.{k}"), out);
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                certinfo_derived(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// {json path: value} for the digests in a "sums" object (newkey/newcert answers):
/// `sums.<field>.{md5,sha-1,sha-256}` are upper-case hex digests of the DER of the
/// PEM in the sibling string `<field>`.
fn sums_derived(node: &Node, path: &str, out: &mut BTreeMap<String, String>) {
    use sha1::Digest;
    match node {
        Node::Object(pairs) => {
            for (k, v) in pairs {
                let (true, Node::Object(sums)) = (k == "sums", v) else {
                    continue;
                };
                for (field, digests) in sums {
                    let Some(Node::Str(pem)) =
                        pairs.iter().find(|(n, _)| n == field).map(|(_, v)| v)
                    else {
                        continue;
                    };
                    let objs = facts::pem_objects(pem);
                    let ([obj], Node::Object(digests)) = (objs.as_slice(), digests) else {
                        continue;
                    };
                    let Some(der) = obj.der.as_deref() else {
                        continue;
                    };
                    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02X}")).collect::<String>();
                    for (algo, value) in digests {
                        let want = match algo.as_str() {
                            "md5" => hex(&md5::Md5::digest(der)),
                            "sha-1" => hex(&sha1::Sha1::digest(der)),
                            "sha-256" => hex(&sha2::Sha256::digest(der)),
                            _ => continue,
                        };
                        if let Node::Str(_) = value {
                            out.insert(format!("{path}.sums.{field}.{algo}"), want);
                        }
                    }
                }
            }
            for (k, v) in pairs {
                sums_derived(v, &format!("{path}.{k}"), out);
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                sums_derived(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// A JSON string literal with Python's `json.dumps(s, ensure_ascii=False)` escaping.
pub fn json_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The run-relative time fields of an object made during the run.
fn add_run_times(o: &mut Object, run: Option<RunTimes>) {
    let Some(run) = run else {
        return;
    };
    if o.kind == "ocsp" {
        crate::ocsp::add_run_times(o, run.start, run.end);
        return;
    }
    if let (Some(t), Some(time)) = (o.reference_time, o.time.as_mut()) {
        let field = if o.kind == "crl" {
            "this_update"
        } else {
            "not_before"
        };
        let rel = |at: f64| ((t as f64) - at).round_ties_even() as i64;
        time.insert(format!("{field}_minus_run_start_s"), json!(rel(run.start)));
        time.insert(format!("{field}_minus_run_end_s"), json!(rel(run.end)));
    }
}

impl Content {
    /// Replace the PEM blocks (and, with `b64_lines`, base64 CRL lines) of a text.
    fn plain_skeleton(
        &mut self,
        text: &str,
        prefix: &str,
        first_line: usize,
        b64_lines: bool,
        run: Option<RunTimes>,
    ) -> String {
        let objs = if b64_lines {
            facts::text_objects(text)
        } else {
            facts::pem_objects(text)
        };
        let mut out = String::new();
        let mut last = 0;
        for o in objs {
            let (s, e) = o.span;
            out.push_str(&text[last..s]);
            last = e;
            let line = text[..s].matches('\n').count() + first_line;
            out.push_str(&self.push_block(o, format!("{prefix}line {line}"), run));
        }
        out.push_str(&text[last..]);
        out
    }

    /// Records an object (with its run-relative times) and returns its `<PEM#K>`.
    fn push_block(
        &mut self,
        mut o: facts::Object,
        location: String,
        run: Option<RunTimes>,
    ) -> String {
        add_run_times(&mut o, run);
        let marker = format!("<PEM#{}>", self.blocks.len());
        self.blocks.push(Block {
            location,
            object: o,
        });
        marker
    }

    /// Analyse (normalized) bytes; `run` adds the run-relative times.
    pub fn analyze(data: &[u8], run: Option<RunTimes>) -> Content {
        let mut c = Content::default();
        let Ok(text) = std::str::from_utf8(data) else {
            c.binary = true;
            return c;
        };
        let mut out = String::new();
        for (start, end, is_json) in json_regions(text) {
            let region = &text[start..end];
            if !is_json {
                let first_line = text[..start].matches('\n').count() + 1;
                out.push_str(&c.plain_skeleton(region, "", first_line, true, run));
                continue;
            }
            let Some(doc) = parse_json_region(region) else {
                out.push_str(region);
                continue;
            };
            let (mut strings, mut objects) = (Vec::new(), Vec::new());
            walk(&doc, "$", &mut strings, &mut objects);
            c.json.extend(objects);
            let mut derived = BTreeMap::new();
            certinfo_derived(&doc, "$", &mut derived);
            sums_derived(&doc, "$", &mut derived);
            let mut last = 0;
            for ((s, e), (path, value)) in value_literals(region).into_iter().zip(strings) {
                let b64 = match value.len() >= 60 {
                    true => facts::b64_value_object(&value),
                    false => None,
                };
                let replacement = if derived.get(&path) == Some(&value) {
                    json_quote(DERIVED)
                } else if let Some(o) = b64 {
                    json_quote(&c.push_block(o, format!("{path} base64"), run))
                } else if value.contains("-----BEGIN") {
                    let sk = c.plain_skeleton(&value, &format!("{path} "), 1, false, run);
                    json_quote(&sk)
                } else {
                    continue;
                };
                out.push_str(&region[last..s]);
                out.push_str(&replacement);
                last = e;
            }
            out.push_str(&region[last..]);
        }
        c.skeleton = out;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_like_python() {
        assert_eq!(
            split_lines_keepends("a\nb\r\nc\rd"),
            vec!["a\n", "b\r\n", "c\r", "d"]
        );
        assert_eq!(split_lines("a\n\nb\n"), vec!["a", "", "b"]);
    }

    #[test]
    fn quoting_like_python() {
        assert_eq!(json_quote("a\"b\\\n\u{1}é"), r#""a\"b\\\n\u0001é""#);
    }

    #[test]
    fn skeleton_of_json_with_pem() {
        let text = "{\"cert\":\"x\\n-----BEGIN FOO-----\\nAAAA\\n-----END FOO-----\\n\",\"n\":1}\n";
        let c = Content::analyze(text.as_bytes(), None);
        assert_eq!(c.skeleton, "{\"cert\":\"x\\n<PEM#0>\",\"n\":1}\n");
        assert_eq!(c.blocks[0].location, "$.cert line 2");
        assert_eq!(c.json, vec![json!({"path": "$", "keys": ["cert", "n"]})]);
    }

    #[test]
    fn normalization() {
        let n = Normalizer {
            cfssl: "/b/cfssl".into(),
            cfssljson: "/b/cfssljson".into(),
            rundirs: vec!["/r/run".into()],
        };
        assert_eq!(
            n.text("2024/01/02 03:04:05 /b/cfssljson /b/cfssl /r/run/x serial number 1234, serial number: 0xAB"),
            "<TIME> $CFSSLJSON $CFSSL <RUNDIR>/x serial number <SERIAL>, serial number: <SERIAL>"
        );
    }
}
