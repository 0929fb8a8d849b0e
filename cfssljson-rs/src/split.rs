//! From cfssljson's input to the list of files it writes: the API envelope, the
//! key → file table, and every check that cfssl makes before the first write.

use cfssl::gobase64;
use cfssl::gojson::{self, TypeErrors, Value};

/// One file to write (or, with `-stdout`, one item to print).
#[derive(Debug, PartialEq)]
pub struct Output {
    pub path: String,
    pub contents: Vec<u8>,
    /// Printed base64-encoded with `-stdout`.
    pub binary: bool,
    pub mode: u32,
}

#[derive(Debug, PartialEq)]
pub enum Failure {
    /// The API envelope says `success` is not true; these are its error messages.
    RequestFailed(Vec<String>),
    /// A plain error printed as one line, exit status 1.
    Fatal(cfssl::Error),
    /// cfssl panics here (exit status 2) on an unchecked type assertion; we say which key.
    NotAString {
        key: &'static str,
        kind: &'static str,
    },
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::NotAString { .. } => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::RequestFailed(messages) => {
                writeln!(f, "Request failed:")?;
                for m in messages {
                    writeln!(f, "\t{m}")?;
                }
                Ok(())
            }
            Failure::Fatal(e) => writeln!(f, "{e}"),
            Failure::NotAString { key, kind } => writeln!(
                f,
                "Failed to parse input: the value of {key:?} must be a string, not {kind}"
            ),
        }
    }
}

fn fatal(message: String) -> Failure {
    Failure::Fatal(cfssl::Error::plain(message))
}

/// A decoded `map[string]interface{}`: duplicate keys are kept in input order and the
/// last one wins, as when Go fills a map.
type Map = Vec<(String, Value)>;

fn get<'a>(map: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    map.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The JSON kind as Go names it when a value does not fit a non-numeric Go type.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's struct-field name matching also folds the long s onto `s`.
fn field_is(key: &str, name: &str) -> bool {
    key.chars().count() == name.chars().count()
        && key
            .chars()
            .map(|c| {
                if c == '\u{17f}' {
                    's'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .eq(name.chars())
}

/// Go's type errors name the document's struct, `Response`.
const ROOT: &str = "Response";

/// Go's `Response` struct: `success`, `result`, `errors` (only the texts matter) and
/// `messages` (only type-checked).
#[derive(Default)]
struct Response {
    success: bool,
    result: Map,
    errors: Vec<String>,
}

fn decode_response(v: &Value, errs: &mut TypeErrors) -> Response {
    let mut r = Response::default();
    let Value::Object(fields) = v else {
        if *v != Value::Null {
            errs.record(v, ROOT, "", "main.Response");
        }
        return r;
    };
    for (k, v) in fields {
        if field_is(k, "success") {
            if let Some(b) = errs.bool(v, ROOT, k) {
                r.success = b;
            }
        } else if field_is(k, "result") {
            // Go decodes a repeated object key into the map it already holds.
            match v {
                Value::Object(o) => r.result.extend(o.iter().cloned()),
                Value::Null => r.result.clear(),
                other => errs.record(other, ROOT, k, "map[string]interface {}"),
            }
        } else if field_is(k, "errors") {
            if let Some(list) = decode_messages(v, k, errs) {
                r.errors = list;
            }
        } else if field_is(k, "messages") {
            decode_messages(v, k, errs);
        }
    }
    r
}

/// A `[]ResponseMessage` (`{"int": code, "message": text}`); returns the message texts.
fn decode_messages(v: &Value, field: &str, errs: &mut TypeErrors) -> Option<Vec<String>> {
    let items = match v {
        Value::Array(items) => items,
        Value::Null => return Some(Vec::new()),
        other => {
            errs.record(other, ROOT, field, "[]main.ResponseMessage");
            return None;
        }
    };
    let mut texts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut text = String::new();
        let item_path = format!("{field}.{i}");
        match item {
            Value::Object(entries) => {
                for (k, v) in entries {
                    let path = gojson::join_path(&item_path, k);
                    if field_is(k, "message") {
                        if let Some(s) = errs.string(v, ROOT, &path) {
                            text = s;
                        }
                    } else if field_is(k, "int") {
                        errs.int(v, ROOT, &path);
                    }
                }
            }
            Value::Null => {}
            other => errs.record(other, ROOT, &item_path, "main.ResponseMessage"),
        }
        texts.push(text);
    }
    Some(texts)
}

/// The map cfssljson splits: the whole input with `-bare`, else the envelope's `result`.
pub fn input_map(data: &[u8], bare: bool) -> Result<Map, Failure> {
    let parsed = gojson::parse(data);
    if bare {
        return match parsed {
            Ok(Value::Object(map)) => Ok(map),
            Ok(Value::Null) => Ok(Map::new()),
            Ok(other) => Err(fatal(format!(
                "Failed to parse input: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                kind(&other)
            ))),
            Err(e) => Err(fatal(format!("Failed to parse input: {e}"))),
        };
    }
    let value = parsed.map_err(|e| fatal(format!("Failed to parse input: {e}")))?;
    let mut errs = TypeErrors::default();
    let response = decode_response(&value, &mut errs);
    // A type mismatch anywhere fails the decode, before `success` is looked at.
    errs.into_result()
        .map_err(|e| fatal(format!("Failed to parse input: {e}")))?;
    if !response.success {
        return Err(Failure::RequestFailed(response.errors));
    }
    Ok(response.result)
}

/// The string under the first present key of `keys`; presence, not emptiness, decides.
fn first_string(map: &[(String, Value)], keys: &[&'static str]) -> Result<Option<String>, Failure> {
    for &key in keys {
        match get(map, key) {
            Some(Value::String(s)) => return Ok(Some(s.clone())),
            Some(other) => {
                return Err(Failure::NotAString {
                    key,
                    kind: kind(other),
                })
            }
            None => {}
        }
    }
    Ok(None)
}

/// Every output in cfssl's order, or the first failure; nothing has been written yet.
pub fn outputs(map: &[(String, Value)], base: &str) -> Result<Vec<Output>, Failure> {
    let mut outs = Vec::new();
    let mut push = |suffix: &str, contents: Vec<u8>, binary: bool, mode: u32| {
        outs.push(Output {
            path: format!("{base}{suffix}"),
            contents,
            binary,
            mode,
        })
    };
    let text_file = |keys: &[&'static str]| -> Result<Option<Vec<u8>>, Failure> {
        Ok(first_string(map, keys)?
            .filter(|s| !s.is_empty())
            .map(String::into_bytes))
    };

    if let Some(cert) = text_file(&["cert", "certificate"])? {
        push(".pem", cert, false, 0o664);
    }
    if let Some(key) = text_file(&["key", "private_key"])? {
        push("-key.pem", key, false, 0o600);
    }
    if let Some(enc) = first_string(map, &["encrypted_key"])? {
        push("-key.enc", enc.into_bytes(), true, 0o600);
    }
    if let Some(csr) = text_file(&["csr", "certificate_request"])? {
        push(".csr", csr, false, 0o644);
    }
    if let Some(Value::Object(result)) = get(map, "result") {
        if let Some(Value::Object(bundle)) = get(result, "bundle") {
            let Some(Value::String(chain)) = get(bundle, "bundle") else {
                return Err(fatal("inner bundle parsing failed!".into()));
            };
            let Some(Value::String(root)) = get(bundle, "root") else {
                return Err(fatal("root parsing failed!".into()));
            };
            push(
                "-bundle.pem",
                format!("{chain}\n{root}").into_bytes(),
                false,
                0o644,
            );
            push("-root.pem", root.clone().into_bytes(), false, 0o644);
        }
    }
    if let Some(response) = first_string(map, &["ocspResponse"])? {
        let der = gobase64::decode(response.as_bytes()).map_err(|at| {
            fatal(format!(
                "Failed to parse ocspResponse: illegal base64 data at input byte {at}"
            ))
        })?;
        push("-response.der", der, true, 0o644);
    }
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(json: &str) -> Map {
        input_map(json.as_bytes(), true).unwrap()
    }

    fn names(json: &str) -> Vec<String> {
        outputs(&bare(json), "b")
            .unwrap()
            .into_iter()
            .map(|o| o.path)
            .collect()
    }

    #[test]
    fn table_order_and_first_present_wins() {
        assert_eq!(
            names(
                r#"{"csr":"R","ocspResponse":"","encrypted_key":"","key":"K","certificate":"C"}"#
            ),
            ["b.pem", "b-key.pem", "b-key.enc", "b.csr", "b-response.der"]
        );
        assert!(names(r#"{"cert":"","certificate":"X"}"#).is_empty());
        assert_eq!(names(r#"{"private_key":"K"}"#), ["b-key.pem"]);
        let outs = outputs(&bare(r#"{"cert":"A","cert":"B"}"#), "b").unwrap();
        assert_eq!(outs[0].contents, b"B", "the last duplicate key wins");
    }

    #[test]
    fn contents_are_byte_exact() {
        let outs = outputs(&bare(r#"{"cert":"C","key":"\u00e9\n"}"#), "x").unwrap();
        assert_eq!(outs[0].contents, b"C");
        assert_eq!(outs[1].contents, "é\n".as_bytes());
        assert_eq!((outs[0].mode, outs[1].mode), (0o664, 0o600));
    }

    #[test]
    fn bundle_and_ocsp() {
        let outs = outputs(
            &bare(r#"{"result":{"bundle":{"bundle":"B","root":"R"}},"ocspResponse":"AAEC"}"#),
            "x",
        )
        .unwrap();
        assert_eq!(outs[0].path, "x-bundle.pem");
        assert_eq!(outs[0].contents, b"B\nR");
        assert_eq!(
            (outs[1].path.as_str(), &outs[1].contents[..]),
            ("x-root.pem", &b"R"[..])
        );
        assert_eq!(outs[2].contents, [0, 1, 2]);
        let err = |j: &str| outputs(&bare(j), "x").unwrap_err().to_string();
        assert_eq!(
            err(r#"{"result":{"bundle":{"root":"R"}}}"#),
            "inner bundle parsing failed!\n"
        );
        assert_eq!(
            err(r#"{"result":{"bundle":{"bundle":"B"}}}"#),
            "root parsing failed!\n"
        );
        assert_eq!(
            err(r#"{"ocspResponse":"!!"}"#),
            "Failed to parse ocspResponse: illegal base64 data at input byte 0\n"
        );
        assert!(names(r#"{"result":{"bundle":"not an object"}}"#).is_empty());
    }

    #[test]
    fn non_strings_name_the_key_and_exit_2() {
        let e = outputs(&bare(r#"{"cert":"C","key":null}"#), "x").unwrap_err();
        assert_eq!(
            e,
            Failure::NotAString {
                key: "key",
                kind: "null"
            }
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "Failed to parse input: the value of \"key\" must be a string, not null\n"
        );
    }

    #[test]
    fn bare_input_errors() {
        let err = |j: &str| input_map(j.as_bytes(), true).unwrap_err().to_string();
        assert_eq!(
            err(""),
            "Failed to parse input: unexpected end of JSON input\n"
        );
        assert_eq!(
            err("[1]"),
            "Failed to parse input: json: cannot unmarshal array into Go value of type map[string]interface {}\n"
        );
        assert!(bare("null").is_empty());
    }

    #[test]
    fn envelope() {
        let map = input_map(
            br#"{"success":true,"result":{"cert":"C"},"errors":[]}"#,
            false,
        )
        .unwrap();
        assert_eq!(get(&map, "cert"), Some(&Value::String("C".into())));
        let fail = |j: &str| input_map(j.as_bytes(), false).unwrap_err();
        assert_eq!(
            fail(r#"{"success":false,"errors":[{"code":1,"message":"a"},{"message":"b"}]}"#),
            Failure::RequestFailed(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            fail(r#"{"cert":"C"}"#).to_string(),
            "Request failed:\n",
            "bare output without -bare"
        );
        assert_eq!(
            fail("not json").to_string(),
            "Failed to parse input: invalid character 'o' in literal null (expecting 'u')\n"
        );
        assert_eq!(
            fail(r#"{"success":false,"errors":[{"message":"a"}],"result":[]}"#).to_string(),
            "Failed to parse input: json: cannot unmarshal array into Go struct field Response.result of type map[string]interface {}\n"
        );
        assert_eq!(
            fail(r#"{"Success":true,"result":[]}"#).to_string(),
            "Failed to parse input: json: cannot unmarshal array into Go struct field Response.result of type map[string]interface {}\n"
        );
        assert_eq!(
            fail(r#"{"success":true,"result":{},"errors":[{"message":5}]}"#).to_string(),
            "Failed to parse input: json: cannot unmarshal number into Go struct field Response.errors.0.message of type string\n"
        );
        assert_eq!(
            fail(r#"{"success":true,"errors":[5]}"#).to_string(),
            "Failed to parse input: json: cannot unmarshal number into Response.errors.0 of type main.ResponseMessage\n"
        );
        let merged = input_map(
            br#"{"success":true,"result":{"cert":"C"},"result":{"key":"K"}}"#,
            false,
        )
        .unwrap();
        assert_eq!(merged.len(), 2);
        assert!(input_map(br#"{"success":true,"result":null}"#, false)
            .unwrap()
            .is_empty());
    }
}
