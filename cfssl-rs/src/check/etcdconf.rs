//! One etcd member's configuration, read from etcd's own `--config-file` YAML.
//!
//! etcd reads that file with sigs.k8s.io/yaml: YAML becomes JSON and Go's
//! `encoding/json` fills the config, so keys match case-insensitively and unknown
//! keys are ignored. URL lists are comma-separated strings.

use crate::gojson::go_equal_fold;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

/// One side's TLS settings (`client-transport-security` or `peer-transport-security`),
/// paths already resolved against the member's working directory.
#[derive(Debug, Clone, Default)]
pub struct TlsSide {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
    pub client_cert_auth: bool,
}

impl TlsSide {
    /// etcd's `TLSInfo.Empty`: no certificate and no key.
    pub fn is_empty(&self) -> bool {
        self.cert.is_none() && self.key.is_none()
    }

    /// The server side asks for and verifies client certificates when a trust file is
    /// set, even with `client-cert-auth` off (etcd's `ServerConfig`).
    pub fn requires_client_cert(&self) -> bool {
        self.ca.is_some() || self.client_cert_auth
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub raw: String,
}

impl Url {
    fn parse(s: &str) -> Result<Url, String> {
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| format!("URL {} has no scheme", crate::gojson::go_quote(s)))?;
        let authority = rest.split('/').next().unwrap_or("");
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or("").to_string()
        } else {
            authority
                .rsplit_once(':')
                .map(|(h, _)| h)
                .unwrap_or(authority)
                .to_string()
        };
        if host.is_empty() && scheme != "unix" && scheme != "unixs" {
            return Err(format!("URL {} has no host", crate::gojson::go_quote(s)));
        }
        Ok(Url {
            scheme: scheme.to_ascii_lowercase(),
            host,
            raw: s.to_string(),
        })
    }

    pub fn is_tls(&self) -> bool {
        self.scheme == "https" || self.scheme == "unixs"
    }
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub file: PathBuf,
    pub listen_client: Vec<Url>,
    pub advertise_client: Vec<Url>,
    pub listen_peer: Vec<Url>,
    pub advertise_peer: Vec<Url>,
    /// `initial-cluster` entries: member name and one of its peer URLs.
    pub initial_cluster: Vec<(String, Url)>,
    pub client: TlsSide,
    pub peer: TlsSide,
}

fn field<'a>(map: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    let Yaml::Hash(h) = map else { return None };
    // Go's json keeps the last of several keys that fold to the same name.
    h.iter()
        .filter(|(k, _)| k.as_str().map(|k| go_equal_fold(k, key)).unwrap_or(false))
        .map(|(_, v)| v)
        .next_back()
}

fn string(map: &Yaml, key: &str, file: &Path) -> Result<Option<String>, String> {
    match field(map, key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(Yaml::Integer(i)) => Ok(Some(i.to_string())),
        Some(_) => Err(format!("{}: {key}: a string is expected", file.display())),
    }
}

/// etcd's YAML library (go-yaml v2) reads YAML 1.1, where these words are booleans;
/// yaml-rust2 reads YAML 1.2 and hands them over as strings (verified with etcd
/// 3.4.23: `client-cert-auth: yes` turns client certificate auth on).
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn boolean(map: &Yaml, key: &str, file: &Path) -> Result<bool, String> {
    match field(map, key) {
        None | Some(Yaml::Null) => Ok(false),
        Some(Yaml::Boolean(b)) => Ok(*b),
        Some(Yaml::String(s)) if yaml11_bool(s).is_some() => Ok(yaml11_bool(s) == Some(true)),
        Some(_) => Err(format!(
            "{}: {key}: json: cannot unmarshal into Go struct field of type bool",
            file.display()
        )),
    }
}

fn urls(map: &Yaml, key: &str, default: &str, file: &Path) -> Result<Vec<Url>, String> {
    let v = string(map, key, file)?.unwrap_or_else(|| default.to_string());
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Url::parse(s).map_err(|e| format!("{}: {key}: {e}", file.display())))
        .collect()
}

fn side(map: &Yaml, key: &str, dir: &Path, file: &Path) -> Result<TlsSide, String> {
    let Some(sec) = field(map, key) else {
        return Ok(TlsSide::default());
    };
    let path = |k: &str| -> Result<Option<PathBuf>, String> {
        Ok(string(sec, k, file)?
            .filter(|s| !s.is_empty())
            .map(|s| dir.join(s)))
    };
    Ok(TlsSide {
        cert: path("cert-file")?,
        key: path("key-file")?,
        ca: path("trusted-ca-file")?,
        client_cert_auth: boolean(sec, "client-cert-auth", file)?,
    })
}

/// Reads one member configuration; relative paths resolve against `dir` (etcd's
/// working directory), or the configuration file's directory when `dir` is `None`.
pub fn load(file: &Path, dir: Option<&Path>) -> Result<Member, String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "open {}: {}",
            file.display(),
            crate::error::go_errno_text(&e)
        )
    })?;
    let docs = YamlLoader::load_from_str(&text)
        .map_err(|e| format!("{}: invalid YAML: {e}", file.display()))?;
    let doc = docs.into_iter().next().unwrap_or(Yaml::Null);
    if !matches!(doc, Yaml::Hash(_) | Yaml::Null) {
        return Err(format!(
            "{}: not an etcd configuration (a YAML mapping is expected)",
            file.display()
        ));
    }
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let name = string(&doc, "name", file)?.unwrap_or_else(|| "default".into());
    let advertise_peer = urls(
        &doc,
        "initial-advertise-peer-urls",
        "http://localhost:2380",
        file,
    )?;
    let initial_cluster = match string(&doc, "initial-cluster", file)? {
        Some(s) if !s.is_empty() => s
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|entry| {
                let (n, u) = entry.split_once('=').ok_or_else(|| {
                    format!(
                        "{}: initial-cluster: {} is not NAME=URL",
                        file.display(),
                        crate::gojson::go_quote(entry)
                    )
                })?;
                Ok((
                    n.to_string(),
                    Url::parse(u)
                        .map_err(|e| format!("{}: initial-cluster: {e}", file.display()))?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?,
        _ => advertise_peer
            .iter()
            .map(|u| (name.clone(), u.clone()))
            .collect(),
    };
    Ok(Member {
        listen_client: urls(&doc, "listen-client-urls", "http://localhost:2379", file)?,
        advertise_client: urls(&doc, "advertise-client-urls", "http://localhost:2379", file)?,
        listen_peer: urls(&doc, "listen-peer-urls", "http://localhost:2380", file)?,
        advertise_peer,
        initial_cluster,
        client: side(&doc, "client-transport-security", &dir, file)?,
        peer: side(&doc, "peer-transport-security", &dir, file)?,
        name,
        file: file.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_etcd_keys_case_insensitively_and_resolves_paths() {
        let dir = tempfile_dir();
        let f = dir.join("m.yml");
        std::fs::write(
            &f,
            "name: infra1\nListen-Client-URLs: https://127.0.0.1:2379\nadvertise-client-urls: https://127.0.0.1:2379,https://[::1]:2379\n\
             initial-cluster: infra1=https://127.0.0.1:2380,infra2=https://10.0.0.2:2380\n\
             client-transport-security:\n  cert-file: certs/etcd1.pem\n  key-file: /abs/k.pem\n  client-cert-auth: true\n",
        )
        .unwrap();
        let m = load(&f, None).unwrap();
        assert_eq!(m.name, "infra1");
        assert_eq!(m.listen_client[0].host, "127.0.0.1");
        assert_eq!(m.advertise_client[1].host, "::1");
        assert_eq!(m.initial_cluster[1].0, "infra2");
        assert_eq!(
            m.client.cert.as_deref(),
            Some(dir.join("certs/etcd1.pem").as_path())
        );
        assert_eq!(m.client.key.as_deref(), Some(Path::new("/abs/k.pem")));
        assert!(m.client.client_cert_auth && m.client.requires_client_cert());
        assert!(m.peer.is_empty() && !m.peer.requires_client_cert());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn yaml_1_1_booleans_are_booleans() {
        // Not under tempfile_dir(): the other test removes it when done.
        let dir = std::env::temp_dir().join(format!("cfssl-check-yaml11-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (word, want) in [
            ("yes", true),
            ("On", true),
            ("Y", true),
            ("no", false),
            ("OFF", false),
        ] {
            let f = dir.join(format!("{word}.yml"));
            std::fs::write(
                &f,
                format!("name: m\nclient-transport-security:\n  client-cert-auth: {word}\n"),
            )
            .unwrap();
            assert_eq!(
                load(&f, None).unwrap().client.client_cert_auth,
                want,
                "{word}"
            );
        }
        let f = dir.join("maybe.yml");
        std::fs::write(
            &f,
            "name: m\nclient-transport-security:\n  client-cert-auth: maybe\n",
        )
        .unwrap();
        assert!(load(&f, None).unwrap_err().contains("client-cert-auth"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("cfssl-check-conf-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
