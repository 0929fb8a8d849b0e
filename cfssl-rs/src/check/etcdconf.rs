//! One etcd member's configuration, read from etcd's own `--config-file` YAML.
//!
//! etcd reads that file with sigs.k8s.io/yaml: YAML 1.1 becomes JSON (`yaml11`) and
//! Go's `encoding/json` fills the config, so keys match case-insensitively, unknown
//! keys are ignored, and a value of the wrong JSON type stops etcd (sigs.k8s.io/yaml
//! would turn a number or boolean into a string for a string field, but its field
//! lookup stops at etcd's embedded structs, so nothing is converted). URL lists are
//! comma-separated strings.

use super::yaml11::{self, Json};
use crate::gojson::go_equal_fold;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// etcd refuses to start with this file: its words (etcdmain's log line).
    pub refused: Option<String>,
}

/// The Go type of a field of etcd 3.4's configuration.
#[derive(Clone, Copy)]
enum Ty {
    String,
    Bool,
    Security,
    /// Unsigned, with its bit size.
    Uint(&'static str, u32),
    /// Signed, with its bit size (`time.Duration` is an int64).
    Int(&'static str, u32),
}

impl Ty {
    fn go_name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Bool => "bool",
            Ty::Security => "embed.securityConfig",
            Ty::Uint(name, _) | Ty::Int(name, _) => name,
        }
    }

    /// Go's `encoding/json` stores the value (null leaves the field as it was). A
    /// number literal must parse in base 10 and fit the integer type.
    fn fits(self, v: &Json) -> bool {
        match (self, v) {
            (Ty::String, Json::String(_)) | (Ty::Bool, Json::Bool(_)) => true,
            (Ty::Security, Json::Object(_)) => true,
            (Ty::Uint(_, bits), Json::Number(n)) => {
                n.parse::<u64>().is_ok_and(|v| bits == 64 || v >> bits == 0)
            }
            (Ty::Int(_, bits), Json::Number(n)) => n.parse::<i64>().is_ok_and(|v| {
                bits == 64 || (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&v)
            }),
            _ => false,
        }
    }
}

const UINT: Ty = Ty::Uint("uint", 64);
const DURATION: Ty = Ty::Int("time.Duration", 64);

/// etcd 3.4.23's `configYAML` fields (its Config and configJSON, embedded) that hold a
/// scalar or a TLS section, with their Go types (each probed with a wrong value).
const CONFIG: &[(&str, Ty)] = &[
    ("name", Ty::String),
    ("initial-cluster", Ty::String),
    ("listen-client-urls", Ty::String),
    ("advertise-client-urls", Ty::String),
    ("listen-peer-urls", Ty::String),
    ("initial-advertise-peer-urls", Ty::String),
    ("client-transport-security", Ty::Security),
    ("peer-transport-security", Ty::Security),
    ("auth-token", Ty::String),
    ("auth-token-ttl", UINT),
    ("auto-compaction-mode", Ty::String),
    ("auto-compaction-retention", Ty::String),
    ("backend-batch-interval", DURATION),
    ("backend-batch-limit", Ty::Int("int", 64)),
    ("bcrypt-cost", UINT),
    ("cipher-suites", Ty::String),
    ("cors", Ty::String),
    ("data-dir", Ty::String),
    ("debug", Ty::Bool),
    ("discovery", Ty::String),
    ("discovery-proxy", Ty::String),
    ("discovery-srv", Ty::String),
    ("discovery-srv-name", Ty::String),
    ("election-timeout", UINT),
    ("enable-pprof", Ty::Bool),
    ("enable-v2", Ty::Bool),
    ("experimental-backend-bbolt-freelist-type", Ty::String),
    ("experimental-compaction-batch-limit", Ty::Int("int", 64)),
    ("experimental-corrupt-check-time", DURATION),
    ("experimental-enable-lease-checkpoint", Ty::Bool),
    ("experimental-enable-v2v3", Ty::String),
    ("experimental-initial-corrupt-check", Ty::Bool),
    ("experimental-warning-apply-duration", DURATION),
    ("experimental-watch-progress-notify-interval", DURATION),
    ("force-new-cluster", Ty::Bool),
    ("grpc-keepalive-interval", DURATION),
    ("grpc-keepalive-min-time", DURATION),
    ("grpc-keepalive-timeout", DURATION),
    ("heartbeat-interval", UINT),
    ("host-whitelist", Ty::String),
    ("initial-cluster-state", Ty::String),
    ("initial-cluster-token", Ty::String),
    ("initial-election-tick-advance", Ty::Bool),
    ("listen-metrics-urls", Ty::String),
    ("log-level", Ty::String),
    ("log-outputs", Ty::String),
    ("log-package-levels", Ty::String),
    ("logger", Ty::String),
    ("max-concurrent-streams", Ty::Uint("uint32", 32)),
    ("max-request-bytes", UINT),
    ("max-snapshots", UINT),
    ("max-txn-ops", UINT),
    ("max-wals", UINT),
    ("metrics", Ty::String),
    ("pre-vote", Ty::Bool),
    ("quota-backend-bytes", Ty::Int("int64", 64)),
    ("snapshot-count", Ty::Uint("uint64", 64)),
    ("strict-reconfig-check", Ty::Bool),
    ("wal-dir", Ty::String),
];

/// etcd 3.4's `securityConfig`.
const SECURITY: &[(&str, Ty)] = &[
    ("cert-file", Ty::String),
    ("key-file", Ty::String),
    ("client-cert-auth", Ty::Bool),
    ("trusted-ca-file", Ty::String),
    ("auto-tls", Ty::Bool),
];

/// The first `UnmarshalTypeError` Go's decoder meets (it keeps decoding after one and
/// returns the first): keys in the JSON's order, nested objects where they stand.
fn type_error(
    obj: &BTreeMap<String, Json>,
    fields: &[(&str, Ty)],
    struct_name: &str,
    path: &str,
) -> Option<String> {
    obj.iter().find_map(|(k, v)| {
        let (name, ty) = fields.iter().find(|(f, _)| go_equal_fold(f, k))?;
        let field_path = format!("{path}{name}");
        match (ty, v) {
            (_, Json::Null) => None,
            (Ty::Security, Json::Object(inner)) => {
                type_error(inner, SECURITY, "securityConfig", &format!("{field_path}."))
            }
            _ if ty.fits(v) => None,
            _ => {
                // Go names the literal when a number does not fit an integer field.
                let value = match (ty, v) {
                    (Ty::Uint(..) | Ty::Int(..), Json::Number(n)) => format!("number {n}"),
                    _ => v.kind().to_string(),
                };
                Some(format!(
                    "json: cannot unmarshal {value} into Go struct field {struct_name}.{field_path} of type {}",
                    ty.go_name()
                ))
            }
        }
    })
}

/// What the field ends up holding: the last key folding to it whose value fits
/// (Go's json matches keys case-insensitively and decodes them in order).
fn pick<'a>(objs: &[&'a BTreeMap<String, Json>], key: &str, ty: Ty) -> Option<&'a Json> {
    objs.iter()
        .flat_map(|o| o.iter())
        .filter(|(k, v)| go_equal_fold(k, key) && ty.fits(v))
        .map(|(_, v)| v)
        .next_back()
}

fn string(objs: &[&BTreeMap<String, Json>], key: &str) -> Option<String> {
    match pick(objs, key, Ty::String) {
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn urls(
    objs: &[&BTreeMap<String, Json>],
    key: &str,
    default: &str,
    file: &Path,
) -> Result<Vec<Url>, String> {
    let v = string(objs, key).unwrap_or_else(|| default.to_string());
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Url::parse(s).map_err(|e| format!("{}: {key}: {e}", file.display())))
        .collect()
}

fn side(doc: &BTreeMap<String, Json>, key: &str, dir: &Path) -> TlsSide {
    // Several keys folding to the section decode into the same struct, in order.
    let secs: Vec<&BTreeMap<String, Json>> = doc
        .iter()
        .filter(|(k, _)| go_equal_fold(k, key))
        .filter_map(|(_, v)| match v {
            Json::Object(o) => Some(o),
            _ => None,
        })
        .collect();
    let path = |k: &str| {
        string(&secs, k)
            .filter(|s| !s.is_empty())
            .map(|s| dir.join(s))
    };
    TlsSide {
        cert: path("cert-file"),
        key: path("key-file"),
        ca: path("trusted-ca-file"),
        client_cert_auth: matches!(
            pick(&secs, "client-cert-auth", Ty::Bool),
            Some(Json::Bool(true))
        ),
    }
}

/// Reads one member configuration; relative paths resolve against `dir` (etcd's
/// working directory), or the configuration file's directory when `dir` is `None`.
/// A file etcd refuses to decode still gives a member (named after the file when its
/// name cannot be read), with the refusal in `refused`.
pub fn load(file: &Path, dir: Option<&Path>) -> Result<Member, String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "open {}: {}",
            file.display(),
            crate::error::go_errno_text(&e)
        )
    })?;
    let yaml11::Doc {
        value: doc,
        mut refused,
    } = yaml11::load(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let empty = BTreeMap::new();
    let doc = match &doc {
        Json::Object(o) => o,
        Json::Null => &empty,
        other => {
            refused.get_or_insert(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type embed.configYAML",
                other.kind()
            ));
            &empty
        }
    };
    if refused.is_none() {
        refused = type_error(doc, CONFIG, "configYAML", "")
            .map(|e| format!("error unmarshaling JSON: while decoding JSON: {e}"));
    }
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let top = [doc];
    let name = match string(&top, "name") {
        Some(n) => n,
        None if pick_any(doc, "name") => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        None => "default".into(),
    };
    let advertise_peer = urls(
        &top,
        "initial-advertise-peer-urls",
        "http://localhost:2380",
        file,
    )?;
    let initial_cluster = match string(&top, "initial-cluster") {
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
        listen_client: urls(&top, "listen-client-urls", "http://localhost:2379", file)?,
        advertise_client: urls(&top, "advertise-client-urls", "http://localhost:2379", file)?,
        listen_peer: urls(&top, "listen-peer-urls", "http://localhost:2380", file)?,
        advertise_peer,
        initial_cluster,
        client: side(doc, "client-transport-security", &dir),
        peer: side(doc, "peer-transport-security", &dir),
        name,
        file: file.to_path_buf(),
        refused: refused.map(|e| format!("error verifying flags, {e}")),
    })
}

/// Some non-null value is written for the field (of whatever type).
fn pick_any(doc: &BTreeMap<String, Json>, key: &str) -> bool {
    doc.iter()
        .any(|(k, v)| go_equal_fold(k, key) && *v != Json::Null)
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
        assert_eq!(
            load(&f, None).unwrap().refused.as_deref(),
            Some("error verifying flags, error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field securityConfig.client-transport-security.client-cert-auth of type bool")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The texts are etcd 3.4.23's, checked by hand and in tests/tests/check_etcd.rs.
    #[test]
    fn values_of_the_wrong_yaml_1_1_type_are_refused_as_etcd_does() {
        let dir = std::env::temp_dir().join(format!("cfssl-check-yaml11t-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let prefix = "error verifying flags, error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ";
        for (i, (yaml, want)) in [
            ("name: y\n", Some("bool into Go struct field configYAML.name of type string")),
            ("name: 0x1F\n", Some("number into Go struct field configYAML.name of type string")),
            ("heartbeat-interval: '100'\n", Some("string into Go struct field configYAML.heartbeat-interval of type uint")),
            ("heartbeat-interval: 1.5\n", Some("number 1.5 into Go struct field configYAML.heartbeat-interval of type uint")),
            ("election-timeout: -1\n", Some("number -1 into Go struct field configYAML.election-timeout of type uint")),
            ("max-concurrent-streams: 0x100000000\n", Some("number 4294967296 into Go struct field configYAML.max-concurrent-streams of type uint32")),
            ("heartbeat-interval: 1e3\nelection-timeout: 0x1388\n", None),
            ("debug: 'true'\n", Some("string into Go struct field configYAML.debug of type bool")),
            ("quota-backend-bytes: 1e21\n", Some("number 1e+21 into Go struct field configYAML.quota-backend-bytes of type int64")),
            ("backend-batch-interval: 1h\n", Some("string into Go struct field configYAML.backend-batch-interval of type time.Duration")),
            ("snapshot-count: 18446744073709551615\n", None),
            ("name: '123'\n", None),
            ("name: !!str yes\n", None),
            ("name: 2001-01-01\n", None),
            ("listen-client-urls: [a]\n", Some("array into Go struct field configYAML.listen-client-urls of type string")),
            ("client-transport-security: yes\n", Some("bool into Go struct field configYAML.client-transport-security of type embed.securityConfig")),
            ("Peer-Transport-Security: {Cert-File: 12}\n", Some("number into Go struct field securityConfig.peer-transport-security.cert-file of type string")),
            // Keys decode in byte order, so initial-cluster's error comes first.
            ("name: on\ninitial-cluster: 5\n", Some("number into Go struct field configYAML.initial-cluster of type string")),
            ("a: &x {name: n}\n<<: *x\n", Some("bool into Go struct field configYAML.name of type string")),
        ]
        .into_iter()
        .enumerate()
        {
            let f = dir.join(format!("m{i}.yml"));
            std::fs::write(&f, yaml).unwrap();
            let m = load(&f, None).unwrap();
            assert_eq!(m.refused, want.map(|w| format!("{prefix}{w}")), "{yaml}");
        }
        let f = dir.join("nan.yml");
        std::fs::write(&f, "name: m\nzzz: .nan\n").unwrap();
        assert_eq!(
            load(&f, None).unwrap().refused.as_deref(),
            Some("error verifying flags, error converting YAML to JSON: json: unsupported value: NaN")
        );
        std::fs::write(&f, "name: y\n").unwrap();
        assert_eq!(load(&f, None).unwrap().name, "nan");
        std::fs::write(&f, "name: foo\nName: bar\n").unwrap();
        assert_eq!(
            load(&f, None).unwrap().name,
            "foo",
            "Name sorts before name"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("cfssl-check-conf-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
