//! The JSON value etcd 3.4's config reader sees: go-yaml v2 reads the file as YAML 1.1
//! and sigs.k8s.io/yaml turns the result into JSON for Go's `encoding/json`.
//!
//! yaml-rust2 parses (YAML 1.2), keeping each scalar's style; the YAML 1.1 resolution
//! of plain scalars is hand-written because no maintained crate resolves them as
//! go-yaml v2 does, and that resolution decides whether etcd starts (`name: y` is a
//! boolean and stops it; `client-cert-auth: "yes"` is a string and stops it).

use std::collections::BTreeMap;
use yaml_rust2::parser::{Event, EventReceiver, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// A JSON value. Objects iterate in byte order of their keys, the order in which
/// Go's `json.Marshal` writes a map and so the order `encoding/json` decodes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A YAML 1.1 int or float, as Go's `json.Marshal` writes it (`0x1F` is `31`).
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// The word Go's `UnmarshalTypeError` uses for this value.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// A YAML 1.1 float JSON cannot carry (`json.Marshal` refuses the whole document).
#[derive(Debug, Clone, Copy, PartialEq)]
enum NonFinite {
    PosInf,
    NegInf,
    NaN,
}

impl NonFinite {
    fn go_text(self) -> &'static str {
        match self {
            NonFinite::PosInf => "+Inf",
            NonFinite::NegInf => "-Inf",
            NonFinite::NaN => "NaN",
        }
    }
}

/// go-yaml v2's `resolve` for a plain scalar without a tag.
fn resolve_plain(s: &str) -> Result<Json, NonFinite> {
    Ok(match s {
        "" | "~" | "null" | "Null" | "NULL" => Json::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Json::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Json::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Err(NonFinite::PosInf),
        "-.inf" | "-.Inf" | "-.INF" => return Err(NonFinite::NegInf),
        ".nan" | ".NaN" | ".NAN" => return Err(NonFinite::NaN),
        _ => match number(s) {
            Some(literal) => Json::Number(literal),
            None => Json::String(s.to_string()),
        },
    })
}

/// What go-yaml v2 reads as an int or a float, as Go's `json.Marshal` then writes it:
/// first character a digit, a sign or a dot; then (underscores removed) Go's
/// `ParseInt(s, 0, 64)` / `ParseUint` syntax, or its YAML float pattern (a leading dot:
/// Go's `ParseFloat`).
fn number(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    if first == '.' {
        if s.contains('_') || !yaml_style_float(s) {
            return None;
        }
        return Some(go_json_float(s.parse().ok()?));
    }
    if !(first.is_ascii_digit() || first == '+' || first == '-') {
        return None;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(v) = go_parse_int(&plain) {
        return Some(v.to_string());
    }
    if yaml_style_float(&plain) {
        return Some(go_json_float(plain.parse().ok()?));
    }
    None
}

/// Go's `ParseInt(s, 0, 64)`, else `ParseUint(s, 0, 64)` (no sign there).
fn go_parse_int(s: &str) -> Option<i128> {
    let (negative, signed, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    if !go_base0_integer(unsigned) {
        return None;
    }
    let lower = unsigned.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h.to_string(), 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o.to_string(), 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b.to_string(), 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower[1..].to_string(), 8)
    } else {
        (lower, 10)
    };
    let magnitude = u64::from_str_radix(&digits, radix).ok()? as i128;
    let v = if negative { -magnitude } else { magnitude };
    let fits = if signed {
        (i64::MIN as i128..=i64::MAX as i128).contains(&v)
    } else {
        true
    };
    fits.then_some(v)
}

/// Go's `json.Marshal` of a float64: the shortest form, fixed below 1e21 and from
/// 1e-6, else exponent form with a signed exponent (`1e+21`, `1.5e-7`).
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    match e.split_once('e') {
        Some((m, exp)) if !exp.starts_with('-') => format!("{m}e+{exp}"),
        _ => e,
    }
}

/// Go's base-0 integer syntax without the sign: 0x/0o/0b prefixes, a leading 0 for octal.
fn go_base0_integer(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((int, frac)) => !int.is_empty() && digits(int) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn is_str_tag(tag: &Option<Tag>) -> bool {
    tag.as_ref().is_some_and(|t| {
        t.suffix == "str" && (t.handle == "!!" || t.handle == "tag:yaml.org,2002:")
            || t.handle.is_empty() && t.suffix == "tag:yaml.org,2002:str"
    })
}

enum Frame {
    Seq(usize, Vec<Json>),
    /// Anchor, entries so far, and a key waiting for its value.
    Map(usize, BTreeMap<String, Json>, Option<Key>),
}

enum Key {
    Merge,
    Name(String),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Json>,
    doc: Option<Json>,
    /// The first document only: etcd decodes one.
    done: bool,
    error: Option<String>,
    non_finite: Option<NonFinite>,
}

impl Builder {
    fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn value(&mut self, v: Json, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.doc = Some(v);
                self.done = true;
            }
            Some(Frame::Seq(_, items)) => items.push(v),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => match key_string(&v) {
                    Ok(k) => *pending = Some(k),
                    Err(e) => self.fail(e),
                },
                Some(Key::Name(k)) => {
                    entries.insert(k, v);
                }
                // go-yaml v2 merges `<<` maps in place; of a list of maps the
                // earlier ones win.
                Some(Key::Merge) => match v {
                    Json::Object(m) => entries.extend(m),
                    Json::Array(maps) => {
                        for m in maps.into_iter().rev() {
                            if let Json::Object(m) = m {
                                entries.extend(m);
                            }
                        }
                    }
                    _ => {
                        self.fail("map merge requires map or sequence of maps as the value".into())
                    }
                },
            },
        }
    }
}

/// sigs.k8s.io/yaml's conversion of a YAML key to a JSON object key.
fn key_string(k: &Json) -> Result<Key, String> {
    match k {
        Json::String(s) | Json::Number(s) => Ok(Key::Name(s.clone())),
        Json::Bool(b) => Ok(Key::Name(b.to_string())),
        other => Err(format!("unsupported map key of type: {}", other.kind())),
    }
}

impl EventReceiver for Builder {
    fn on_event(&mut self, ev: Event) {
        if self.done || self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                // A plain `<<` key is go-yaml's merge key; a quoted one is a name.
                if let Some(Frame::Map(_, _, pending @ None)) = self.stack.last_mut() {
                    if s == "<<" && style == TScalarStyle::Plain && tag.is_none() {
                        *pending = Some(Key::Merge);
                        return;
                    }
                }
                let v = if style != TScalarStyle::Plain || is_str_tag(&tag) {
                    Json::String(s)
                } else {
                    resolve_plain(&s).unwrap_or_else(|nf| {
                        self.non_finite.get_or_insert(nf);
                        Json::Number(s)
                    })
                };
                self.value(v, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => self.value(v, 0),
                None => self.fail(format!("unknown anchor {id}")),
            },
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(anchor, Vec::new())),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(anchor, BTreeMap::new(), None))
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(anchor, items)) => self.value(Json::Array(items), anchor),
                Some(Frame::Map(anchor, entries, _)) => self.value(Json::Object(entries), anchor),
                None => {}
            },
            _ => {}
        }
    }
}

/// The first document of a file as etcd's reader sees it.
pub struct Doc {
    /// `Json::Null` when the file is empty.
    pub value: Json,
    /// sigs.k8s.io/yaml's refusal to turn the document into JSON (a YAML 1.1 infinity
    /// or NaN anywhere in it, which `value` holds as a number).
    pub refused: Option<String>,
}

/// Errors are the file's YAML (or its keys) being unreadable.
pub fn load(text: &str) -> Result<Doc, String> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| format!("invalid YAML: {e}"))?;
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(Doc {
        value: b.doc.unwrap_or(Json::Null),
        refused: b.non_finite.map(|nf| {
            format!(
                "error converting YAML to JSON: json: unsupported value: {}",
                nf.go_text()
            )
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Json {
        match load(&format!("k: {v}\n")).unwrap().value {
            Json::Object(mut m) => m.remove("k").unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        for b in ["y", "Yes", "ON", "true", "TRUE"] {
            assert_eq!(one(b), Json::Bool(true), "{b}");
        }
        for b in ["n", "NO", "off", "False"] {
            assert_eq!(one(b), Json::Bool(false), "{b}");
        }
        for n in [
            "123", "-5", "+7", "0x1F", "0o17", "017", "08", "1_000", "1.5", "1e3", ".5", "0b101",
            "-0b1",
        ] {
            assert_eq!(one(n).kind(), "number", "{n}");
        }
        for s in [
            "yEs",
            "2001-01-01",
            "0x",
            "1.2.3",
            "+",
            "1e",
            "abc",
            "1_000x",
            ".x",
        ] {
            assert_eq!(one(s).kind(), "string", "{s}");
        }
        for (yaml, json) in [
            ("0x1F", "31"),
            ("017", "15"),
            ("1_000", "1000"),
            ("1e3", "1000"),
            ("-0b11", "-3"),
            (".5", "0.5"),
            ("1e21", "1e+21"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            assert_eq!(one(yaml), Json::Number(json.into()), "{yaml}");
        }
        for s in ["~", "null", "NULL", ""] {
            assert_eq!(one(s), Json::Null, "{s:?}");
        }
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        assert_eq!(one("\"yes\""), Json::String("yes".into()));
        assert_eq!(one("'123'"), Json::String("123".into()));
        assert_eq!(one("!!str on"), Json::String("on".into()));
        assert_eq!(one("|\n  y"), Json::String("y\n".into()));
    }

    #[test]
    fn infinities_refuse_the_document_as_json_marshal_does() {
        assert_eq!(
            load("a: 1\nz: .nan\n").unwrap().refused.as_deref(),
            Some("error converting YAML to JSON: json: unsupported value: NaN")
        );
        assert!(load("a: -.inf").unwrap().refused.unwrap().ends_with("-Inf"));
    }

    #[test]
    fn keys_sort_anchors_and_merges_are_followed() {
        let Json::Object(m) = load("b: 1\nB: 2\ny: x\nbase: &a {name: nm}\n<<: *a\n'<<': q\n")
            .unwrap()
            .value
        else {
            panic!()
        };
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["<<", "B", "b", "base", "name", "true"]);
        assert_eq!(m["name"], Json::String("nm".into()));
        assert_eq!(m["<<"], Json::String("q".into()));
    }
}
