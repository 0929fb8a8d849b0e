//! cfssl's `info` exchange: which CA certificate, usages and expiry a signer (local or
//! remote) applies under a profile.

use crate::gojson::{write_string, write_string_list};

/// The request: both fields may be empty (the default profile, the default label).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Req {
    pub label: String,
    pub profile: String,
}

impl Req {
    /// The body cfssl's client sends: `{"label":..,"profile":..}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"label\":");
        write_string(&mut out, &self.label);
        out.push_str(",\"profile\":");
        write_string(&mut out, &self.profile);
        out.push('}');
        out
    }
}

/// The answer, printed as Go marshals it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resp {
    /// The CA certificate as PEM, without the final newline.
    pub certificate: String,
    /// `None` prints as `null`, as cfssl does for a profile without `usages`.
    pub usages: Option<Vec<String>>,
    /// The profile's `expiry` as written in the config.
    pub expiry: String,
}

impl Resp {
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"certificate\":");
        write_string(&mut out, &self.certificate);
        out.push_str(",\"usages\":");
        match &self.usages {
            None => out.push_str("null"),
            Some(list) => write_string_list(&mut out, list.iter().map(String::as_str)),
        }
        out.push_str(",\"expiry\":");
        write_string(&mut out, &self.expiry);
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshals_like_go() {
        let r = Req {
            label: "a<b".into(),
            profile: String::new(),
        };
        assert_eq!(r.to_json(), r#"{"label":"a\u003cb","profile":""}"#);
        let resp = Resp {
            certificate: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----".into(),
            usages: Some(vec!["signing".into(), "server auth".into()]),
            expiry: "8760h".into(),
        };
        assert_eq!(
            resp.to_json(),
            r#"{"certificate":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","usages":["signing","server auth"],"expiry":"8760h"}"#
        );
        let bare = Resp::default();
        assert_eq!(
            bare.to_json(),
            r#"{"certificate":"","usages":null,"expiry":""}"#
        );
    }
}
