//! `cfssl print-defaults TYPE`: cfssl's request and signing-config templates.

use super::{Command, Context};
use crate::error::{Error, Result};

pub static COMMAND: Command = Command {
    name: "print-defaults",
    usage: "cfssl print-defaults -- print default configurations that can be used as a template

Usage of print-defaults:
        cfssl print-defaults TYPE

If \"list\" is used as the TYPE, the list of supported types will be printed.
",
    own_flags: &["loglevel"],
    run,
};

const CSR: &str = r#"{
    "CN": "example.net",
    "hosts": [
        "example.net",
        "www.example.net"
    ],
    "key": {
        "algo": "ecdsa",
        "size": 256
    },
    "names": [
        {
            "C": "US",
            "ST": "CA",
            "L": "San Francisco"
        }
    ]
}
"#;

const CONFIG: &str = r#"{
    "signing": {
        "default": {
            "expiry": "168h"
        },
        "profiles": {
            "www": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "server auth"
                ]
            },
            "client": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "client auth"
                ]
            }
        }
    }
}
"#;

fn run(ctx: &Context) -> Result<String> {
    let Some(kind) = ctx.flags.positionals().first() else {
        return Err(Error::plain(
            "not enough arguments are supplied --- please refer to the usage",
        ));
    };
    Ok(template(kind))
}

/// cfssl prints each template followed by an empty line; an unknown type (like `list`)
/// gets the list of types instead, with success.
fn template(kind: &str) -> String {
    match kind {
        "csr" => format!("{CSR}\n"),
        "config" => format!("{CONFIG}\n"),
        _ => "Default configurations are available for:\n\tconfig\n\tcsr\n".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_end_with_an_empty_line() {
        assert!(template("csr").ends_with("}\n\n"));
        assert!(template("config").ends_with("}\n\n"));
        assert!(template("list").starts_with("Default configurations"));
        assert_eq!(template("nosuch"), template("list"));
    }

    #[test]
    fn templates_are_valid_inputs() {
        assert!(crate::csr::Request::parse(CSR.as_bytes()).is_ok());
        assert!(crate::gojson::parse(CONFIG.as_bytes()).is_ok());
    }
}
