//! multirootca's roots file (cfssl's `multiroot/config`): INI-like sections, one per
//! label, each naming a CA key, its certificate, a signing config and optionally a
//! network whitelist and a certificate database.
//!
//! ```text
//! [ primary ]
//! private = file://ca-key.pem
//! certificate = ca.pem
//! config = config.json
//! nets = 10.0.2.1/24, 192.168.3.15/32
//! dbconfig = db.json
//! ```

use crate::certdb::CertDb;
use crate::config::Signing;
use crate::error::Error;
use crate::keys::PrivateKey;
use crate::whitelist::NetAcl;
use regex::Regex;
use std::sync::Arc;

/// The section of lines before any `[label]`.
const DEFAULT_SECTION: &str = "default";

/// The file's sections in file order, each with its `key = value` entries (a repeated
/// section continues, a repeated key overwrites).
pub type RawMap = Vec<(String, Vec<(String, String)>)>;

/// cfssl's line grammar, with Go's ASCII `\w` and `\s` spelled out (the `regex` crate's
/// are Unicode). The unquoted value keeps trailing blanks, as Go's greedy `(.*)` does.
struct Grammar {
    section: Regex,
    quoted: Regex,
    line: Regex,
}

impl Grammar {
    fn new() -> Grammar {
        const W: &str = "[0-9A-Za-z_]";
        const S: &str = "[\\t\\n\\f\\r ]";
        let re = |p: String| Regex::new(&p).expect("the roots file grammar is valid");
        Grammar {
            section: re(format!(r"^{S}*\[{S}*({W}+){S}*\]{S}*$")),
            quoted: re(format!(r#"^{S}*({W}+){S}*={S}*["'](.*)["']{S}*$"#)),
            line: re(format!(r"^{S}*({W}+){S}*={S}*(.*){S}*$")),
        }
    }
}

/// Parses the text of a roots file (cfssl's `ParseToRawMap`). A line that is not a
/// comment (`#` in the first column), blank, a section or an entry is an error.
pub fn parse_raw(text: &str) -> Result<RawMap, Error> {
    let g = Grammar::new();
    let mut map: RawMap = Vec::new();
    let mut current: Option<usize> = None;
    let section_index = |map: &mut RawMap, name: &str| match map.iter().position(|(n, _)| n == name)
    {
        Some(i) => i,
        None => {
            map.push((name.to_string(), Vec::new()));
            map.len() - 1
        }
    };
    for line in text.lines() {
        if line.starts_with('#')
            || line
                .trim_matches(['\t', '\n', '\x0c', '\r', ' '])
                .is_empty()
        {
            continue;
        }
        if let Some(c) = g.section.captures(line) {
            current = Some(section_index(&mut map, &c[1]));
            continue;
        }
        let Some(c) = g.quoted.captures(line).or_else(|| g.line.captures(line)) else {
            return Err(Error::plain("invalid config file"));
        };
        let i = *current.get_or_insert_with(|| section_index(&mut map, DEFAULT_SECTION));
        let entries = &mut map[i].1;
        let (key, value) = (c[1].to_string(), c[2].to_string());
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
    Ok(map)
}

/// One label's CA: what its signer is built from.
pub struct Root {
    pub key: PrivateKey,
    pub certificate: crate::ca::CaCert,
    pub policy: Signing,
    pub acl: Option<NetAcl>,
    pub db: Option<Arc<dyn CertDb>>,
}

fn get<'a>(entries: &'a [(String, String)], key: &str) -> Option<&'a str> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The path of a `file://` key spec as cfssl computes it: the URL's host joined with
/// its path, so `file://keys/ca.pem` is the relative `keys/ca.pem` and
/// `file:///etc/ca.pem` the absolute path.
fn spec_path(rest: &str) -> String {
    let Some(authority_and_path) = rest.strip_prefix("//") else {
        // An opaque URL (`file:ca.pem`) has neither host nor path.
        return String::new();
    };
    match authority_and_path.split_once('/') {
        None => authority_and_path.to_string(),
        Some(("", path)) => format!("/{path}"),
        Some((host, path)) => format!("{host}/{path}"),
    }
}

/// Reads the key a `private` spec names: `file://PATH`, PEM or DER. cfssl's other
/// scheme, `rofile://` (a key encrypted by a Red October server), is not supported.
fn load_key(spec: &str) -> Result<PrivateKey, Error> {
    let unsupported = || Error::plain("config: unsupported private key scheme");
    let Some((scheme, rest)) = spec.split_once(':') else {
        return Err(unsupported());
    };
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if scheme.is_empty() {
        return Err(Error::plain(format!(
            "parse {}: missing protocol scheme",
            crate::gojson::go_quote(spec)
        )));
    }
    if !valid_scheme {
        return Err(unsupported());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "file" => {
            let path = spec_path(rest);
            crate::log::debug(&format!("loading private key file {path}"));
            let data = crate::input::read_file(&path)?;
            let key = crate::keys::parse_pem(&data).or_else(|pem_err| {
                crate::log::debug("file is not a PEM-encoded private key");
                crate::keys::parse_der(&data).map_err(|_| pem_err)
            })?;
            crate::log::debug("loaded private key");
            Ok(key)
        }
        "rofile" => Err(Error::plain(
            "config: Red October (rofile://) keys are not supported by cfssl-rs",
        )),
        _ => Err(unsupported()),
    }
}

/// cfssl's `LoadRoot`: the required entries, then key, certificate, config, nets and
/// database, the first failure winning. `at` names the section for errors whose own
/// text names nothing.
fn load_root(entries: &[(String, String)], at: &str) -> Result<Root, Error> {
    let located = |e: Error| Error::plain(format!("{e} ({at})"));
    let required = |key: &str, what: &str| {
        get(entries, key)
            .ok_or_else(|| Error::plain(format!("config: root is missing {what} ({at})")))
    };
    let spec = required("private", "private key spec")?;
    let cert_path = required("certificate", "certificate path")?;
    let config_path = required("config", "configuration file path")?;
    let key = load_key(spec).map_err(|e| match e {
        Error::Coded { .. } => located(e),
        other => other,
    })?;
    let cert_data = crate::input::read_file(cert_path)?;
    let certificate = crate::ca::parse_cert_pem(&cert_data).map_err(located)?;
    let policy = crate::config::load(config_path)
        .map_err(|e| Error::plain(format!("{config_path}: {e}")))?
        .signing;
    let acl = match get(entries, "nets") {
        None | Some("") => None,
        Some(nets) => Some(NetAcl::parse(nets)?),
    };
    let db = match get(entries, "dbconfig") {
        None | Some("") => None,
        Some(path) => Some(crate::certdb::open_config_file(path).map_err(located)?),
    };
    Ok(Root {
        key,
        certificate,
        policy,
        acl,
        db,
    })
}

/// Reads a roots file and loads every root in it (cfssl's `config.Parse`), in file order.
pub fn parse(path: &str) -> Result<Vec<(String, Root)>, Error> {
    let data = crate::input::read_file(path)?;
    let text = String::from_utf8_lossy(&data);
    let raw = parse_raw(&text).map_err(|e| Error::plain(format!("{path}: {e}")))?;
    raw.iter()
        .map(|(label, entries)| {
            let at = format!("section [{label}] of {path}");
            load_root(entries, &at).map(|root| (label.clone(), root))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_cfssl_reads_them() {
        let text = "[ sectionName ]\nkey1=some value\nkey2 = some other value\n# why\n\
                    key4 = \" space at beginning and end \"\nkey5 = ' single quotes '\n\
                    key6 = trailing  \r\n\n[ another ]\nkey1 = a\nkey1 = b\n[sectionName]\nkey7=x\n";
        let map = parse_raw(text).unwrap();
        let v = |s: usize, k: &str| get(&map[s].1, k).map(String::from);
        assert_eq!(map.len(), 2);
        assert_eq!(map[0].0, "sectionName");
        assert_eq!(v(0, "key1").as_deref(), Some("some value"));
        assert_eq!(v(0, "key2").as_deref(), Some("some other value"));
        assert_eq!(
            v(0, "key4").as_deref(),
            Some(" space at beginning and end ")
        );
        assert_eq!(v(0, "key5").as_deref(), Some(" single quotes "));
        assert_eq!(v(0, "key6").as_deref(), Some("trailing  "));
        assert_eq!(v(0, "key7").as_deref(), Some("x"));
        assert_eq!(v(1, "key1").as_deref(), Some("b"));
    }

    #[test]
    fn entries_before_a_section_go_to_default() {
        let map = parse_raw("a = 1\n[x]\nb = 2\n").unwrap();
        assert_eq!(map[0].0, "default");
        assert_eq!(map[1].0, "x");
    }

    #[test]
    fn other_lines_are_refused() {
        for bad in [
            "[ no closing",
            "  # indented comment",
            "just words",
            "[two words]",
        ] {
            assert_eq!(
                parse_raw(&format!("[a]\n{bad}\n")).unwrap_err().to_string(),
                "invalid config file"
            );
        }
    }

    #[test]
    fn key_spec_paths() {
        assert_eq!(spec_path("//testdata/server.key"), "testdata/server.key");
        assert_eq!(spec_path("//server.key"), "server.key");
        assert_eq!(spec_path("///etc/ca.pem"), "/etc/ca.pem");
        assert_eq!(spec_path("server.key"), "");
    }

    #[test]
    fn key_spec_errors() {
        let msg = |s: &str| load_key(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg("http://x/y.key"),
            "config: unsupported private key scheme"
        );
        assert_eq!(msg("ca-key.pem"), "config: unsupported private key scheme");
        assert_eq!(
            msg("://nothing"),
            "parse \"://nothing\": missing protocol scheme"
        );
        assert_eq!(
            msg("file:///nonexistent/ca-key.pem"),
            "open /nonexistent/ca-key.pem: no such file or directory"
        );
    }
}
