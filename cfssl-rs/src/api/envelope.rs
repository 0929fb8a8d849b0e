//! The bytes of every API answer (cfssl's `api.Response`): `success`, `result`,
//! `errors`, `messages` in that order, Go's HTML-safe escaping and a trailing newline.

use super::error::ApiError;
use crate::gojson::{self, Value};

/// A successful result, optionally with one message (cfssl's
/// `SendResponseWithMessage`, e.g. newcert's missing-hosts note).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub result: Value,
    pub message: Option<(u32, String)>,
}

impl Reply {
    pub fn new(result: Value) -> Self {
        Reply {
            result,
            message: None,
        }
    }

    pub fn with_message(result: Value, code: u32, message: impl Into<String>) -> Self {
        Reply {
            result,
            message: Some((code, message.into())),
        }
    }
}

fn messages(out: &mut String, list: Option<(u32, &str)>) {
    out.push('[');
    if let Some((code, message)) = list {
        out.push_str(&format!("{{\"code\":{code},\"message\":"));
        gojson::write_string(out, message);
        out.push('}');
    }
    out.push(']');
}

/// The body of a successful answer.
pub fn success(reply: &Reply) -> String {
    let mut out = String::from("{\"success\":true,\"result\":");
    reply.result.write_compact(&mut out);
    out.push_str(",\"errors\":[],\"messages\":");
    messages(
        &mut out,
        reply.message.as_ref().map(|(c, m)| (*c, m.as_str())),
    );
    out.push_str("}\n");
    out
}

/// The body of a failed answer.
pub fn failure(e: &ApiError) -> String {
    error_body(e.code(), e.message())
}

/// A failed answer with any code (multirootca answers every refusal with code 1,
/// whatever the HTTP status).
pub fn error_body(code: u32, message: &str) -> String {
    let mut out = String::from("{\"success\":false,\"result\":null,\"errors\":");
    messages(&mut out, Some((code, message)));
    out.push_str(",\"messages\":[]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_as_cfssl_writes_them() {
        let ok = Reply::new(Value::object([("healthy", Value::Bool(true))]));
        assert_eq!(
            success(&ok),
            "{\"success\":true,\"result\":{\"healthy\":true},\"errors\":[],\"messages\":[]}\n"
        );
        let e = ApiError::bad_request("a<b");
        assert_eq!(
            failure(&e),
            "{\"success\":false,\"result\":null,\"errors\":[{\"code\":400,\"message\":\"a\\u003cb\"}],\"messages\":[]}\n"
        );
        let m = Reply::with_message(Value::Null, 5300, "note");
        assert!(success(&m).ends_with("\"messages\":[{\"code\":5300,\"message\":\"note\"}]}\n"));
    }
}
