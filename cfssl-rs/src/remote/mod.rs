//! cfssl's remote signer: a client of another cfssl server's `sign`, `authsign` and
//! `info` endpoints, with cfssl's ordered failover over a comma-separated list of
//! remotes and its error texts (7400 and friends).
//!
//! Unlike cfssl, one agent serves every request of the process (connections are kept
//! alive and reused), a connect timeout bounds a dead remote and an overall timeout
//! bounds a stalled one.

mod alert;
pub mod url;

use crate::auth;
use crate::config::{Profile, Signing};
use crate::error::{Error, Result};
use crate::gojson::{self, go_quote, write_string, write_string_list, Value};
use crate::log;
use crate::signer::{Info, InfoRequest, SignRequest};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// cfssl waits up to 30 s for a TCP connection; a remote that needs longer is gone.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// cfssl has no overall limit; a request that takes longer than this has stalled.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// One remote, or an ordered group of them, reached through one agent.
pub struct Remote {
    servers: Vec<Server>,
    agent: ureq::Agent,
}

/// One address of a remote: the base URL requests go to.
#[derive(Debug)]
struct Server {
    base: String,
    /// For a bare `IP:port`, which cfssl 1.6.5 refuses as a URL: Go's parse error. With
    /// [`url::bare_ip_enabled`] we try `http://IP:port` instead (cfssl#1178); when nothing
    /// answers there, the failure is reported as cfssl reports the address, which is
    /// then the truth.
    refused_by_cfssl: Option<String>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("servers", &self.hosts())
            .finish()
    }
}

fn connect_failed() -> Error {
    Error::coded(5300, "failed to connect to remote")
}

impl Remote {
    /// cfssl's `NewServerTLS`: `addr` is one address or a comma-separated list tried in
    /// order. An address that is not a URL to Go fails as cfssl fails (5300; a single
    /// address also logs `bad url`), except, when enabled, a bare `IP:port` (see
    /// [`Server`]).
    pub fn new(addr: &str, tls: ureq::tls::TlsConfig) -> Result<Remote> {
        Remote::build(addr, tls, url::bare_ip_enabled())
    }

    fn build(addr: &str, tls: ureq::tls::TlsConfig, bare_ip: bool) -> Result<Remote> {
        let addrs: Vec<&str> = addr.split(',').collect();
        let single = addrs.len() == 1;
        let servers = addrs
            .iter()
            .map(|a| match url::normalize(a) {
                Ok(base) => Ok(Server {
                    base,
                    refused_by_cfssl: None,
                }),
                Err(e) => match url::bare_ip(a).filter(|_| bare_ip) {
                    Some(base) => Ok(Server {
                        base,
                        refused_by_cfssl: Some(e),
                    }),
                    None => {
                        if single {
                            log::error(&format!("bad url: {e}"));
                        }
                        Err(connect_failed())
                    }
                },
            })
            .collect::<Result<Vec<_>>>()?;
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            alert::connector(),
            ureq::unversioned::resolver::DefaultResolver::default(),
        );
        Ok(Remote { servers, agent })
    }

    /// The base URLs, in the order they are tried.
    pub fn hosts(&self) -> Vec<&str> {
        self.servers.iter().map(|s| s.base.as_str()).collect()
    }

    /// Sends a sign request (the JSON of [`sign_request_json`]) and returns the
    /// certificate PEM. With a provider, the request goes to `authsign` with its token.
    pub fn sign(&self, request: &[u8], provider: Option<&auth::Key>) -> Result<String> {
        let (endpoint, body) = match provider {
            None => ("sign", request.to_vec()),
            Some(key) => ("authsign", authenticated_request(request, key)),
        };
        self.first_success(|server| {
            let result = self.post(server, endpoint, &body)?;
            match result.field("certificate") {
                Some(Value::String(cert)) if !cert.is_empty() => Ok(cert.clone()),
                _ => Err(Error::coded(7400, "response doesn't contain certificate.")),
            }
        })
    }

    /// Asks for the CA certificate, usages and expiry of a profile.
    pub fn info(&self, request: &InfoRequest) -> Result<Info> {
        let mut body = String::from("{\"label\":");
        write_string(&mut body, &request.label);
        body.push_str(",\"profile\":");
        write_string(&mut body, &request.profile);
        body.push('}');
        self.first_success(|server| {
            let result = self.post(server, "info", body.as_bytes())?;
            let improper = || Error::coded(7400, "response is formatted improperly");
            let string = |name: &str| match result.field(name) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(improper()),
            };
            let usages = match result.field("usages") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        _ => Err(improper()),
                    })
                    .collect::<Result<_>>()?,
                Some(_) => return Err(improper()),
            };
            Ok(Info {
                certificate: string("certificate")?,
                usages,
                expiry: string("expiry")?,
            })
        })
    }

    /// cfssl's ordered list: the first remote that succeeds wins; otherwise the last
    /// remote's error is the answer.
    fn first_success<T>(&self, op: impl Fn(&Server) -> Result<T>) -> Result<T> {
        let mut last = connect_failed();
        for server in &self.servers {
            match op(server) {
                Ok(v) => return Ok(v),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// One POST, with cfssl's reading of the answer: transport failures and non-200
    /// statuses are 7400, an undecodable body 7200, an unsuccessful envelope 7500.
    /// Returns the envelope's `result`.
    fn post(&self, server: &Server, endpoint: &str, body: &[u8]) -> Result<Value> {
        let base = server.base.as_str();
        let url = format!("{base}/api/v1/cfssl/{endpoint}");
        let response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body)
            .map_err(|e| {
                if let Some(go_error) = server.refused_by_cfssl.as_ref().filter(|_| unreachable(&e))
                {
                    if self.servers.len() == 1 {
                        log::error(&format!("bad url: {go_error}"));
                    }
                    return connect_failed();
                }
                Error::coded(
                    7400,
                    format!(
                        "failed POST to {url}: Post {}: {}",
                        go_quote(&url),
                        transport_text(&e, base)
                    ),
                )
            })?;
        let status = response.status();
        let bytes = response
            .into_body()
            .with_config()
            .limit(crate::input::MAX_INPUT)
            .read_to_vec()
            .map_err(|e| Error::coded(7300, transport_text(&e, base)))?;
        if status != 200 {
            log::error(&format!("http error with {url}"));
            return Err(Error::coded(7400, String::from_utf8_lossy(&bytes)));
        }
        let envelope = gojson::parse(&bytes).map_err(|e| Error::coded(7200, e))?;
        let success = matches!(envelope.field("success"), Some(Value::Bool(true)));
        match envelope.field("result") {
            Some(result) if success && *result != Value::Null => Ok(result.clone()),
            _ => {
                let first = match envelope.field("errors") {
                    Some(Value::Array(errors)) => {
                        errors.first().and_then(|e| match e.field("message") {
                            Some(Value::String(m)) => Some(m.clone()),
                            _ => None,
                        })
                    }
                    _ => None,
                };
                Err(Error::coded(
                    7500,
                    first.unwrap_or_else(|| "API client error: Server request failed".into()),
                ))
            }
        }
    }
}

/// cfssl's remote signer (`signer/remote`): each request goes to the server of the
/// profile it names (the default profile for an unknown name), through `authsign`
/// when that profile is an `auth_remote`.
pub struct Signer {
    policy: Signing,
    /// One client per distinct server of the policy, made once. An address that does not
    /// parse keeps its error for the requests that would use it.
    remotes: Vec<(String, Result<Remote>)>,
}

impl Signer {
    pub fn new(policy: Signing, tls: ureq::tls::TlsConfig) -> Signer {
        let mut remotes: Vec<(String, Result<Remote>)> = Vec::new();
        for p in std::iter::once(&policy.default).chain(policy.profiles.iter().map(|(_, p)| p)) {
            let server = &p.remote_server;
            if !server.is_empty() && !remotes.iter().any(|(s, _)| s == server) {
                remotes.push((server.clone(), Remote::new(server, tls.clone())));
            }
        }
        Signer { policy, remotes }
    }

    fn remote_for(&self, profile: &str) -> Result<(&Remote, &Profile)> {
        let p = self.policy.get(profile);
        match self.remotes.iter().find(|(s, _)| *s == p.remote_server) {
            Some((_, Ok(remote))) => Ok((remote, p)),
            Some((_, Err(e))) => Err(e.clone()),
            None => Err(connect_failed()),
        }
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("remote::Signer")
            .field(
                "remotes",
                &self.remotes.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl crate::signer::Signer for Signer {
    fn sign(&self, req: &SignRequest, _now: DateTime<Utc>) -> Result<String> {
        let (remote, profile) = self.remote_for(&req.profile)?;
        remote.sign(&sign_request_json(req), profile.remote_auth.as_ref())
    }

    fn info(&self, req: &InfoRequest) -> Result<Info> {
        self.remote_for(&req.profile)?.0.info(req)
    }

    fn policy(&self) -> &Signing {
        &self.policy
    }
}

/// cfssl's `AuthenticatedRequest` for `authsign`: the request bytes and their token,
/// base64 as Go marshals `[]byte`.
fn authenticated_request(request: &[u8], key: &auth::Key) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        r#"{{"timestamp":{timestamp},"token":"{}","request":"{}"}}"#,
        b64.encode(key.token(request)),
        b64.encode(request)
    )
    .into_bytes()
}

/// The JSON body of a sign request, field for field as Go's client marshals it.
pub fn sign_request_json(r: &SignRequest) -> Vec<u8> {
    let mut out = String::from("{\"hosts\":");
    match &r.hosts {
        None => out.push_str("null"),
        Some(hosts) => write_string_list(&mut out, hosts.iter().map(String::as_str)),
    }
    out.push_str(",\"certificate_request\":");
    write_string(&mut out, &String::from_utf8_lossy(&r.request));
    if let Some(s) = &r.subject {
        out.push_str(",\"subject\":{\"CN\":");
        write_string(&mut out, &s.cn);
        out.push_str(",\"names\":");
        if s.names.is_empty() {
            out.push_str("null");
        } else {
            out.push('[');
            for (i, n) in s.names.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                name_json(&mut out, n);
            }
            out.push(']');
        }
        out.push_str(",\"SerialNumber\":");
        write_string(&mut out, &s.serial_number);
        out.push('}');
    }
    for (key, value) in [
        ("profile", &r.profile),
        ("crl_override", &r.crl_override),
        ("label", &r.label),
    ] {
        out.push_str(&format!(",\"{key}\":"));
        write_string(&mut out, value);
    }
    out.push_str(r#","NotBefore":"0001-01-01T00:00:00Z","NotAfter":"0001-01-01T00:00:00Z","ReturnPrecert":false,"metadata":null}"#);
    out.into_bytes()
}

/// A `csr.Name` with Go's `omitempty` fields.
fn name_json(out: &mut String, n: &crate::csr::Name) {
    out.push('{');
    let mut first = true;
    for (key, value) in [
        ("C", &n.c),
        ("ST", &n.st),
        ("L", &n.l),
        ("O", &n.o),
        ("OU", &n.ou),
        ("E", &n.e),
    ] {
        if value.is_empty() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_string(out, key);
        out.push(':');
        write_string(out, value);
    }
    if !n.oid.is_empty() {
        if !first {
            out.push(',');
        }
        out.push_str("\"OID\":{");
        // Go marshals a map with sorted keys.
        let mut oids: Vec<_> = n.oid.iter().collect();
        oids.sort();
        oids.dedup_by(|a, b| a.0 == b.0);
        for (i, (k, v)) in oids.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, k);
            out.push(':');
            write_string(out, v);
        }
        out.push('}');
    }
    out.push('}');
}

/// Nothing listens at the address, or it cannot be reached at all: the request never
/// got to a server.
fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
        ),
        ureq::Error::Timeout(ureq::Timeout::Connect) | ureq::Error::ConnectionFailed => true,
        _ => false,
    }
}

/// The text Go's HTTP client gives for a failed request to `base`.
fn transport_text(e: &ureq::Error, base: &str) -> String {
    let (host, port) = host_port(base);
    let dial_addr = || {
        use std::net::ToSocketAddrs as _;
        (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .map_or_else(|| format!("{host}:{port}"), |a| a.to_string())
    };
    match e {
        ureq::Error::Io(io) if name_not_found(io) => crate::error::go_no_such_host(&host),
        ureq::Error::Io(io) => match io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(tls) => tls_text(tls),
            None => match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    format!("dial tcp {}: connect: connection refused", dial_addr())
                }
                std::io::ErrorKind::UnexpectedEof => "EOF".into(),
                _ => crate::error::go_errno_text(io),
            },
        },
        ureq::Error::Timeout(ureq::Timeout::Connect) => {
            format!("dial tcp {}: i/o timeout", dial_addr())
        }
        ureq::Error::Timeout(ureq::Timeout::Resolve) | ureq::Error::HostNotFound => {
            crate::error::go_no_such_host(&host)
        }
        ureq::Error::Timeout(_) => {
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into()
        }
        ureq::Error::Rustls(tls) => tls_text(tls),
        other => other.to_string(),
    }
}

/// The resolver's "no such name" (getaddrinfo's EAI_NONAME or EAI_NODATA). std only
/// gives the resolver's message, so that is what is read.
fn name_not_found(io: &std::io::Error) -> bool {
    let text = io.to_string();
    text.starts_with("failed to lookup address information")
        && (text.contains("Name or service not known")
            || text.contains("No address associated with hostname"))
}

/// Go's crypto/tls wording for the failures a client meets.
fn tls_text(e: &rustls::Error) -> String {
    use rustls::{CertificateError as C, Error as E};
    let verify = |m: &str| format!("tls: failed to verify certificate: x509: {m}");
    match e {
        E::InvalidCertificate(C::UnknownIssuer) => {
            verify("certificate signed by unknown authority")
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            verify("certificate is not valid for the requested name")
        }
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => verify("certificate has expired or is not yet valid"),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => {
            "tls: first record does not look like a TLS handshake".into()
        }
        E::AlertReceived(alert) => {
            format!("remote error: tls: {}", crate::tls::go_alert_text(*alert))
        }
        other => format!("tls: {other}"),
    }
}

/// Host and port of a base URL made by [`url::normalize`].
fn host_port(base: &str) -> (String, u16) {
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = if scheme == "https" { 443 } else { 80 };
    match hostport.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (
            h.trim_matches(['[', ']']).to_string(),
            p.parse().unwrap_or(default),
        ),
        _ => (hostport.trim_matches(['[', ']']).to_string(), default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_request_marshals_like_go() {
        let hosts = vec!["a.example".to_string(), "10.0.0.1".to_string()];
        let body = sign_request_json(&SignRequest {
            hosts: Some(hosts),
            request: b"PEM\n".to_vec(),
            profile: "p".into(),
            ..SignRequest::default()
        });
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"hosts":["a.example","10.0.0.1"],"certificate_request":"PEM\n","profile":"p","crl_override":"","label":"","NotBefore":"0001-01-01T00:00:00Z","NotAfter":"0001-01-01T00:00:00Z","ReturnPrecert":false,"metadata":null}"#
        );
        let subject =
            crate::csr::Request::parse(br#"{"CN":"x","names":[{"O":"org","C":"US"}]}"#).unwrap();
        let body = sign_request_json(&SignRequest {
            subject: Some(subject),
            label: "l".into(),
            ..SignRequest::default()
        });
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(
            r#"{"hosts":null,"certificate_request":"","subject":{"CN":"x","names":[{"C":"US","O":"org"}],"SerialNumber":""},"profile":"""#
        ), "{text}");
    }

    #[test]
    fn authsign_body_carries_the_token_of_the_request() {
        let key = auth::Key::parse("00112233").unwrap();
        let body = authenticated_request(b"{\"x\":1}", &key);
        let v = gojson::parse(&body).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let get = |k: &str| match v.field(k) {
            Some(Value::String(s)) => b64.decode(s).unwrap(),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(get("request"), b"{\"x\":1}");
        assert!(key.verify(b"{\"x\":1}", &get("token")));
        assert!(matches!(v.field("timestamp"), Some(Value::Number(_))));
    }

    #[test]
    fn bad_addresses_fail_like_cfssl() {
        let tls = ureq::tls::TlsConfig::builder().build();
        let e = Remote::build("10.0.0.1:5", tls.clone(), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"{"code":5300,"message":"failed to connect to remote"}"#
        );
        let e = Remote::build("1.2.3.4:5/x", tls.clone(), true).unwrap_err();
        assert_eq!(e, connect_failed());
        let e = Remote::build("http://a:1,b c:2", tls.clone(), true).unwrap_err();
        assert_eq!(e, connect_failed());
        let e = Remote::build("http://a:1,10.0.0.1:3", tls.clone(), false).unwrap_err();
        assert_eq!(e, connect_failed());
        let r = Remote::build("http://a:1, localhost:2,10.0.0.1:3", tls, true).unwrap();
        assert_eq!(
            r.hosts(),
            ["http://a:1", "http://localhost:2", "http://10.0.0.1:3"]
        );
        assert_eq!(host_port("https://[::1]:99"), ("::1".into(), 99));
    }

    /// A bare `IP:port` where nothing listens fails as cfssl fails on the address; the
    /// same address as a URL keeps Go's transport text.
    #[test]
    fn unreachable_bare_ip_is_cfssl_refusal() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let tls = ureq::tls::TlsConfig::builder().build();
        let info = InfoRequest::default();
        let bare = Remote::build(&format!("127.0.0.1:{port}"), tls.clone(), true).unwrap();
        assert_eq!(bare.info(&info).unwrap_err(), connect_failed());
        let url = Remote::new(&format!("http://127.0.0.1:{port}"), tls).unwrap();
        let e = url.info(&info).unwrap_err().to_string();
        assert!(e.contains("connect: connection refused"), "{e}");
        assert_eq!(host_port("https://h"), ("h".into(), 443));
    }
}
