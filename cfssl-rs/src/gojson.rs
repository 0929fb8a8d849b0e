//! JSON as Go's `encoding/json` reads and writes it.
//!
//! cfssl users see Go's decoder messages (`unexpected end of JSON input`,
//! `invalid character 'x' looking for beginning of value`, `json: cannot unmarshal ...`)
//! and the golden corpus pins them, so the scanner below reproduces Go's error texts.
//! Values keep numbers as their source text so that integer fields can reject `2048.0`
//! exactly as Go does, and objects keep every key in order so that Go's
//! "case-insensitive, last one wins" field matching can be applied by the decoders.

use std::fmt::Write as _;

/// Nesting deeper than this is refused: Go's own limit is 10000; ours keeps the
/// recursive parser far away from the stack's end.
const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number exactly as written in the input.
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Go's name for the JSON kind, as used in `json: cannot unmarshal <kind> into ...`.
    pub fn go_kind(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(_) => "bool".into(),
            // Go names the number itself only when it does not fit a numeric field;
            // see `TypeErrors::int`.
            Value::Number(_) => "number".into(),
            Value::String(_) => "string".into(),
            Value::Array(_) => "array".into(),
            Value::Object(_) => "object".into(),
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// All values whose key matches `name` the way Go matches struct fields
    /// (exact or case-insensitive), in input order; the last one is the one Go keeps.
    pub fn fields<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a Value> + use<'a, 'n> {
        self.as_object()
            .unwrap_or(&[])
            .iter()
            .filter(move |(k, _)| go_equal_fold(k, name))
            .map(|(_, v)| v)
    }

    /// The value Go would keep for field `name`, if the key is present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields(name).last()
    }
}

/// Go's `strings.EqualFold` also folds a few non-ASCII letters onto ASCII ones
/// (the Kelvin sign onto `k`, the long s onto `s`); `encoding/json` matches keys to
/// struct fields with it.
pub fn go_equal_fold(a: &str, b: &str) -> bool {
    let fold = |c: char| match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    };
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| fold(x) == fold(y))
}

/// A type mismatch, rendered as Go's `UnmarshalTypeError`.
///
/// `struct_name` is the type of the whole document (cfssl decodes into a pointer for
/// its config, which has no name: `""`), and `field` is the path from the document's
/// root to the value as the input spelled it: object keys verbatim, array positions as
/// indices (`names.0.C`, `hosts.1`). Go says "Go struct field" unless the path ends in
/// a number, which reads as an array element.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError {
    pub value: String,
    pub struct_name: String,
    pub field: String,
    pub go_type: String,
}

impl std::fmt::Display for TypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            return write!(
                f,
                "json: cannot unmarshal {} into Go value of type {}",
                self.value, self.go_type
            );
        }
        let last = self.field.rsplit('.').next().unwrap_or_default();
        let place = if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            "Go struct field "
        };
        write!(
            f,
            "json: cannot unmarshal {} into {place}{}.{} of type {}",
            self.value, self.struct_name, self.field, self.go_type
        )
    }
}

/// `path.key`: the path of a value inside the object at `path` (`""` is the root).
pub fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Go's decoder keeps going after a type mismatch (or a bad base64 `[]byte` value) and
/// reports the first one at the end; decoders thread one of these through to do the same.
#[derive(Debug, Default)]
pub struct TypeErrors(pub Option<String>);

impl TypeErrors {
    pub fn record(&mut self, value: &Value, struct_name: &str, field: &str, go_type: &str) {
        self.record_text(value.go_kind(), struct_name, field, go_type);
    }

    /// A number that does not fit the numeric field: Go names the number.
    pub fn record_number(&mut self, n: &str, struct_name: &str, field: &str, go_type: &str) {
        self.record_text(format!("number {n}"), struct_name, field, go_type);
    }

    fn record_text(&mut self, value: String, struct_name: &str, field: &str, go_type: &str) {
        let e = TypeError {
            value,
            struct_name: struct_name.into(),
            field: field.into(),
            go_type: go_type.into(),
        };
        self.other(e.to_string());
    }

    /// Any other decoding error Go saves and reports in the same first-wins way.
    pub fn other(&mut self, message: String) {
        if self.0.is_none() {
            self.0 = Some(message);
        }
    }

    pub fn into_result(self) -> Result<(), String> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// What Go's `json.Unmarshal` walks when it decodes `v` into a struct of type
    /// `go_type` (package-qualified): an object's keys and values in input order (the
    /// last of a repeated key wins), nothing for `null` (the struct is left as it was),
    /// and for any other value nothing and Go's type error.
    pub fn struct_fields<'a>(&mut self, v: &'a Value, go_type: &str) -> &'a [(String, Value)] {
        match v {
            Value::Object(fields) => fields,
            Value::Null => &[],
            other => {
                self.record(other, "", "", go_type);
                &[]
            }
        }
    }

    /// A string field: `null` leaves it unset, anything but a string is a mismatch.
    pub fn string(&mut self, v: &Value, st: &str, field: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => {
                self.record(other, st, field, "string");
                None
            }
        }
    }

    pub fn bool(&mut self, v: &Value, st: &str, field: &str) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                self.record(other, st, field, "bool");
                None
            }
        }
    }

    /// An `int` field (64-bit, as on the platforms cfssl ships for).
    pub fn int(&mut self, v: &Value, st: &str, field: &str) -> Option<i64> {
        match v {
            Value::Number(n) => match n.parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.record_number(n, st, field, "int");
                    None
                }
            },
            Value::Null => None,
            other => {
                self.record(other, st, field, "int");
                None
            }
        }
    }

    /// A `[]string` field; a non-string element is reported at its index.
    pub fn strings(&mut self, v: &Value, st: &str, field: &str) -> Option<Vec<String>> {
        match v {
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| match item {
                        Value::String(s) => Some(s.clone()),
                        Value::Null => Some(String::new()),
                        other => {
                            self.record(other, st, &format!("{field}.{i}"), "string");
                            None
                        }
                    })
                    .collect(),
            ),
            Value::Null => None,
            other => {
                self.record(other, st, field, "[]string");
                None
            }
        }
    }
}

/// Parses `input` the way `json.Unmarshal` does, with Go's syntax error texts.
pub fn parse(input: &[u8]) -> Result<Value, String> {
    parse_keeping(input, None)
}

/// [`parse`], and for each field of a top-level object, in order, the bytes of its
/// value as written: what Go hands a field's own `UnmarshalJSON` (sqlx's `JSONText`
/// stores them verbatim, whitespace included).
pub fn parse_with_raw_fields(input: &[u8]) -> Result<(Value, Vec<&[u8]>), String> {
    let mut spans = Vec::new();
    let v = parse_keeping(input, Some(&mut spans))?;
    Ok((v, spans.into_iter().map(|r| &input[r]).collect()))
}

fn parse_keeping(
    input: &[u8],
    spans: Option<&mut Vec<std::ops::Range<usize>>>,
) -> Result<Value, String> {
    let mut p = Parser {
        s: input,
        i: 0,
        depth: 0,
        spans,
    };
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(p.invalid("after top-level value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// Where the values of the top-level object's fields are, when asked for.
    spans: Option<&'a mut Vec<std::ops::Range<usize>>>,
}

const EOF: &str = "unexpected end of JSON input";

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn invalid(&self, context: &str) -> String {
        format!(
            "invalid character {} {}",
            quote_char(self.s, self.i),
            context
        )
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            None => Err(EOF.into()),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.invalid("looking for beginning of value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "exceeded max depth of {MAX_DEPTH} nested objects or arrays"
            ));
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn object(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(out));
        }
        loop {
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'"') => {}
                Some(_) => return Err(self.invalid("looking for beginning of object key string")),
            }
            let key = self.string()?;
            self.skip_ws();
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.invalid("after object key")),
            }
            self.skip_ws();
            let start = self.i;
            let v = self.value()?;
            if self.depth == 1 {
                if let Some(spans) = self.spans.as_mut() {
                    spans.push(start..self.i);
                }
            }
            out.push((key, v));
            self.skip_ws();
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b',') => {
                    self.i += 1;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(out));
                }
                Some(_) => return Err(self.invalid("after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(out));
        }
        loop {
            out.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b',') => {
                    self.i += 1;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(out));
                }
                Some(_) => return Err(self.invalid("after array element")),
            }
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, String> {
        for (k, &want) in word.iter().enumerate() {
            match self.peek() {
                None => return Err(EOF.into()),
                Some(c) if c == want => self.i += 1,
                Some(_) => {
                    let ctx = format!(
                        "in literal {} (expecting '{}')",
                        std::str::from_utf8(word).unwrap_or_default(),
                        word[k] as char
                    );
                    return Err(self.invalid(&ctx));
                }
            }
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            None => return Err(EOF.into()),
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(self.invalid("in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'0'..=b'9') => self.digits(),
                Some(_) => return Err(self.invalid("after decimal point in numeric literal")),
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'0'..=b'9') => self.digits(),
                Some(_) => return Err(self.invalid("in exponent of numeric literal")),
            }
        }
        Ok(Value::Number(
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
        ))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or_else(|| EOF.to_string())?;
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| self.invalid("in \\u hexadecimal character escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// Go replaces invalid UTF-8 and unpaired surrogates with U+FFFD instead of failing.
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut raw: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or_else(|| EOF.to_string())?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&raw).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek().ok_or_else(|| EOF.to_string())?;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.invalid("in string escape code")),
                    };
                    self.i += 1;
                    if let Some(b) = simple {
                        raw.push(b);
                        continue;
                    }
                    let first = self.hex4()?;
                    let ch = if (0xD800..0xDC00).contains(&first)
                        && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                    {
                        let save = self.i;
                        self.i += 2;
                        let second = self.hex4()?;
                        if (0xDC00..0xE000).contains(&second) {
                            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                        } else {
                            self.i = save;
                            None
                        }
                    } else {
                        char::from_u32(first)
                    };
                    let mut buf = [0u8; 4];
                    raw.extend_from_slice(
                        ch.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes(),
                    );
                }
                0..=0x1f => return Err(self.invalid("in string literal")),
                _ => {
                    raw.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

/// `strconv.Quote`, as `%q` prints values in error messages.
pub fn go_quote(s: &str) -> String {
    go_quote_bytes(s.as_bytes())
}

/// `strconv.Quote` of a Go string holding any bytes: a byte that is not part of valid
/// UTF-8 is written `\xNN`.
pub fn go_quote_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    for chunk in b.utf8_chunks() {
        quote_str_into(&mut out, chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

fn quote_str_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Go's `quoteChar`: the offending byte as a quoted rune.
fn quote_char(s: &[u8], i: usize) -> String {
    let rest = &s[i..];
    let c = match std::str::from_utf8(&rest[..rest.len().min(4)]) {
        Ok(t) => t.chars().next(),
        Err(e) if e.valid_up_to() > 0 => std::str::from_utf8(&rest[..e.valid_up_to()])
            .ok()
            .and_then(|t| t.chars().next()),
        Err(_) => None,
    }
    .unwrap_or('\u{FFFD}');
    match c {
        '\'' => r"'\''".into(),
        '"' => "'\"'".into(),
        c => {
            let q = go_quote_rune(c);
            format!("'{q}'")
        }
    }
}

fn go_quote_rune(c: char) -> String {
    match c {
        '\x07' => r"\a".into(),
        '\x08' => r"\b".into(),
        '\x0c' => r"\f".into(),
        '\n' => r"\n".into(),
        '\r' => r"\r".into(),
        '\t' => r"\t".into(),
        '\x0b' => r"\v".into(),
        '\\' => r"\\".into(),
        c if (c as u32) < 0x20 || c == '\x7f' => format!("\\x{:02x}", c as u32),
        c => c.to_string(),
    }
}

/// Appends `s` as a JSON string the way Go's encoder writes it, HTML-safe escaping included.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole, found byte by byte
    // (everything to escape starts with an ASCII byte or, for U+2028/U+2029, 0xE2):
    // the server writes whole PEM certificates through here.
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (escaped, width) = match bytes[i] {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            b'<' | b'>' | b'&' | 0..=0x1f => ("", 1),
            0xe2 if bytes[i + 1] == 0x80 && matches!(bytes[i + 2], 0xa8 | 0xa9) => ("", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[plain..i]);
        if escaped.is_empty() {
            let c = s[i..].chars().next().unwrap_or_default();
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escaped);
        }
        i += width;
        plain = i;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Appends a JSON array of strings, as Go marshals a `[]string`.
pub fn write_string_list<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, s);
    }
    out.push(']');
}

impl Value {
    /// Compact JSON as Go's encoder writes it (HTML-safe strings, numbers verbatim).
    pub fn write_compact(&self, out: &mut String) {
        self.write(out, None, 0);
    }

    /// As [`Value::write_compact`], laid out as Go's `json.MarshalIndent(v, "", indent)`:
    /// one element per line, `indent` per level, empty arrays and objects kept `[]`, `{}`.
    pub fn write_indented(&self, out: &mut String, indent: &str) {
        self.write(out, Some(indent), 0);
    }

    fn write(&self, out: &mut String, indent: Option<&str>, depth: usize) {
        let newline = |out: &mut String, depth: usize| {
            if let Some(indent) = indent {
                out.push('\n');
                for _ in 0..depth {
                    out.push_str(indent);
                }
            }
        };
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_string(out, s),
            Value::Array(items) if items.is_empty() => out.push_str("[]"),
            Value::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, indent, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (k, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    write_string(out, k);
                    out.push_str(if indent.is_some() { ": " } else { ":" });
                    item.write(out, indent, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }

    /// A JSON object with these fields, in this order.
    pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn strings(items: &[String]) -> Value {
        Value::Array(items.iter().cloned().map(Value::String).collect())
    }
}

/// A compact JSON object of string values with sorted keys plus one newline: cfssl's
/// result line (`{"cert":...,"csr":...,"key":...}`).
pub fn string_map_line(pairs: &[(&str, &str)]) -> String {
    let mut sorted: Vec<_> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("{");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(&mut out, k);
        out.push(':');
        write_string(&mut out, v);
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s.as_bytes()).unwrap_err()
    }

    #[test]
    fn go_syntax_errors() {
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{\"CN\": \"x\""), "unexpected end of JSON input");
        assert_eq!(
            err("CN"),
            "invalid character 'C' looking for beginning of value"
        );
        assert_eq!(
            err("this"),
            "invalid character 'h' in literal true (expecting 'r')"
        );
        assert_eq!(
            err("{bad}"),
            "invalid character 'b' looking for beginning of object key string"
        );
        assert_eq!(
            err("{} true"),
            "invalid character 't' after top-level value"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("\"a\nb\""), "invalid character '\\n' in string literal");
        assert_eq!(
            err("'x'"),
            "invalid character '\\'' looking for beginning of value"
        );
        assert_eq!(
            err("1.x"),
            "invalid character 'x' after decimal point in numeric literal"
        );
    }

    #[test]
    fn values_keep_order_and_number_text() {
        let v = parse(br#"{"CN":"a","cn":"b","size":2048.0}"#).unwrap();
        assert_eq!(v.field("Cn"), Some(&Value::String("b".into())));
        assert_eq!(v.field("size"), Some(&Value::Number("2048.0".into())));
        let mut te = TypeErrors::default();
        assert_eq!(
            te.int(v.field("size").unwrap(), "CertificateRequest", "key.size"),
            None
        );
        assert_eq!(
            te.into_result().unwrap_err(),
            "json: cannot unmarshal number 2048.0 into Go struct field CertificateRequest.key.size of type int"
        );
    }

    #[test]
    fn paths_ending_in_an_index_are_not_struct_fields() {
        let mut te = TypeErrors::default();
        te.strings(
            &parse(br#"["a",5]"#).unwrap(),
            "CertificateRequest",
            "hosts",
        );
        assert_eq!(
            te.into_result().unwrap_err(),
            "json: cannot unmarshal number into CertificateRequest.hosts.1 of type string"
        );
        let mut te = TypeErrors::default();
        te.string(&Value::Bool(true), "", "remotes.a5");
        assert_eq!(
            te.into_result().unwrap_err(),
            "json: cannot unmarshal bool into Go struct field .remotes.a5 of type string"
        );
    }

    #[test]
    fn numbers_are_named_only_for_numeric_fields() {
        let mut te = TypeErrors::default();
        te.string(&Value::Number("5".into()), "CertificateRequest", "CN");
        assert_eq!(
            te.into_result().unwrap_err(),
            "json: cannot unmarshal number into Go struct field CertificateRequest.CN of type string"
        );
    }

    #[test]
    fn surrogates_and_escapes() {
        assert_eq!(
            parse(br#""\ud83d\ude00\u00e9""#).unwrap(),
            Value::String("😀é".into())
        );
        assert_eq!(
            parse(br#""\ud800x""#).unwrap(),
            Value::String("\u{FFFD}x".into())
        );
    }

    #[test]
    fn raw_fields_are_the_values_as_written() {
        let (v, raw) =
            parse_with_raw_fields(br#" {"a": {"x":  [1, 2]} , "b":"s", "c": {"d": 1}}"#).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 3);
        assert_eq!(raw, [&br#"{"x":  [1, 2]}"#[..], br#""s""#, br#"{"d": 1}"#]);
        assert_eq!(
            parse_with_raw_fields(b"[1]").unwrap().1,
            Vec::<&[u8]>::new()
        );
        assert!(parse_with_raw_fields(b"{\"a\": }").is_err());
    }

    #[test]
    fn compact_and_indented_layouts() {
        let v = parse(br#"{"a": [1, {"b": null}, []], "e": {}, "s": "<x>", "t": true}"#).unwrap();
        let mut compact = String::new();
        v.write_compact(&mut compact);
        assert_eq!(
            compact,
            r#"{"a":[1,{"b":null},[]],"e":{},"s":"\u003cx\u003e","t":true}"#
        );
        let mut indented = String::new();
        v.write_indented(&mut indented, "\t");
        let want = "{\n\t\"a\": [\n\t\t1,\n\t\t{\n\t\t\t\"b\": null\n\t\t},\n\t\t[]\n\t],\n\t\"e\": {},\n\t\"s\": \"\\u003cx\\u003e\",\n\t\"t\": true\n}";
        assert_eq!(indented, want);
    }

    #[test]
    fn go_string_escaping() {
        let mut s = String::new();
        write_string(&mut s, "a<b>&\"\\\n\u{1}é\u{2028}");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001é\u2028""#);
        s.clear();
        write_string(&mut s, "-----BEGIN X-----\r\n\tAé\u{2029}z");
        assert_eq!(s, r#""-----BEGIN X-----\r\n\tAé\u2029z""#);
        // Other characters led by 0xE2 stay as they are, also at the very end.
        s.clear();
        write_string(&mut s, "\u{2027}€\u{202a}\u{2028}");
        assert_eq!(s, "\"\u{2027}€\u{202a}\\u2028\"");
        assert_eq!(
            string_map_line(&[("key", "k"), ("cert", "c")]),
            "{\"cert\":\"c\",\"key\":\"k\"}\n"
        );
    }
}
