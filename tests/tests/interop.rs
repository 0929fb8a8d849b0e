//! Interoperability with cfssl 1.6.5 (`CFSSL_REF`): our remote client against its
//! `cfssl serve` and its client against ours, over plain HTTP, TLS and mutual TLS, with
//! `sign`/`gencert`/`info -remote`, `remotes` and `auth_remote` configs; every issued
//! certificate is verified by openssl against the CA and its names and usages are read
//! back; a SQLite certificate database shared through `serve -db-config`. Also the
//! opt-in bare `IP:port` remote (cfssl#1178), which needs no reference.
//!
//! Without `CFSSL_REF` the reference tests skip loudly; with `CI` set they fail.

mod certdb_support;
mod common;

use cfssl_tests::facts;
use common::*;
use serde_json::Value;
use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(60);
const AUTH_KEY: &str = "00112233445566778899aabbccddeeff";
const WRONG_KEY: &str = "ffeeddccbbaa99887766554433221100";

/// The reference cfssl 1.6.5, or `None` after a loud notice (a failure in CI).
fn reference() -> Option<PathBuf> {
    match std::env::var_os("CFSSL_REF") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CFSSL_REF (the reference cfssl 1.6.5) is required in CI"
            );
            loud("SKIPPED: interop with cfssl 1.6.5: CFSSL_REF is not set");
            None
        }
    }
}

/// A CA and everything the scenarios use, made with our binaries in a temp dir:
/// `ca.pem` (+key) and its server policy, a TLS certificate for 127.0.0.1, client
/// certificates `admin` (CN admin-client), `intruder` (a CN the server refuses),
/// `stranger` (CN admin-client from another CA) and `impostor` (from a CA with our CA's
/// name and another key), and `leaf.csr` / `leaf-csr.json`.
struct Tree {
    dir: tempfile::TempDir,
}

const POLICY: &str = r#"{"signing":{
 "default":{"expiry":"8760h","usages":["signing","key encipherment","server auth"]},
 "profiles":{
  "client":{"expiry":"720h","usages":["signing","key encipherment","client auth"]},
  "authed":{"auth_key":"k","expiry":"720h","usages":["signing","key encipherment","server auth","client auth"]}}},
 "auth_keys":{"k":{"type":"standard","key":"00112233445566778899aabbccddeeff"}}}"#;

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("cfssl-interop-")
            .tempdir()
            .unwrap();
        let t = Tree { dir };
        let files = [
            ("policy.json", POLICY),
            (
                "ca-csr.json",
                r#"{"CN":"Interop Test CA","key":{"algo":"ecdsa","size":256},"names":[{"O":"cfssl-rs interop"}]}"#,
            ),
            (
                "other-ca-csr.json",
                r#"{"CN":"Stranger CA","key":{"algo":"ecdsa","size":256}}"#,
            ),
            (
                "tls-csr.json",
                r#"{"CN":"127.0.0.1","hosts":["127.0.0.1","localhost"],"key":{"algo":"ecdsa","size":256}}"#,
            ),
            (
                "admin-csr.json",
                r#"{"CN":"admin-client","key":{"algo":"ecdsa","size":256}}"#,
            ),
            (
                "intruder-csr.json",
                r#"{"CN":"intruder","key":{"algo":"ecdsa","size":256}}"#,
            ),
            (
                "leaf-csr.json",
                r#"{"CN":"leaf.example.com","hosts":["leaf.example.com","10.9.8.7"],"key":{"algo":"ecdsa","size":256},"names":[{"O":"interop"}]}"#,
            ),
        ];
        for (name, body) in files {
            fs::write(t.path(name), body).unwrap();
        }
        t.bare(&["gencert", "-initca", "ca-csr.json"], "ca");
        t.bare(&["gencert", "-initca", "other-ca-csr.json"], "other-ca");
        t.bare(&["gencert", "-initca", "ca-csr.json"], "posing-ca");
        t.issue("ca", None, "tls-csr.json", "tls");
        t.issue("ca", Some("client"), "admin-csr.json", "admin");
        t.issue("ca", Some("client"), "intruder-csr.json", "intruder");
        t.issue("other-ca", Some("client"), "admin-csr.json", "stranger");
        t.issue("posing-ca", Some("client"), "admin-csr.json", "impostor");
        t.bare(&["genkey", "leaf-csr.json"], "leaf");
        t
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap()
    }

    /// Our `cfssl gencert` of `csr` by the CA `ca` (policy.json, `profile`) into `base`.
    fn issue(&self, ca: &str, profile: Option<&str>, csr: &str, base: &str) {
        let (cert, key) = (format!("{ca}.pem"), format!("{ca}-key.pem"));
        let mut args = vec!["gencert", "-ca", &cert, "-ca-key", &key];
        args.extend(["-config", "policy.json"]);
        if let Some(p) = profile {
            args.extend(["-profile", p]);
        }
        args.push(csr);
        self.bare(&args, base);
    }

    /// Our `cfssl ARGS | cfssljson -bare BASE`.
    fn bare(&self, args: &[&str], base: &str) {
        let out = self.run(&cfssl_bin(), args);
        assert!(out.success(), "cfssl {args:?}: {out}");
        cfssljson_bare(self.dir.path(), &out.stdout, base);
    }

    /// `bin ARGS` in the tree, with cfssl's reading of remote addresses.
    fn run(&self, bin: &Path, args: &[&str]) -> Output {
        self.run_opt(bin, args, false)
    }

    /// `bin ARGS`; with `bare_ip`, `CFSSL_REMOTE_BARE_IP=1` (a bare `IP:port` remote works).
    fn run_opt(&self, bin: &Path, args: &[&str], bare_ip: bool) -> Output {
        let mut cmd = clean_command(bin);
        cmd.current_dir(self.dir.path()).args(args);
        if bare_ip {
            cmd.env("CFSSL_REMOTE_BARE_IP", "1");
        } else {
            cmd.env_remove("CFSSL_REMOTE_BARE_IP");
        }
        run_bounded(cmd, None, T)
    }

    /// A client `-config` whose profiles sign on `url`: `default` and `client` through
    /// `remotes` (plain `sign`), `authed` through `auth_remote` with `key`.
    fn client_config(&self, name: &str, url: &str, key: &str) -> String {
        let remote = r#"{"remote":"ca","expiry":"1h","usages":["signing"]}"#;
        let body = format!(
            r#"{{"signing":{{"default":{remote},"profiles":{{"client":{remote},
             "authed":{{"auth_remote":{{"remote":"ca","auth_key":"k"}},"expiry":"1h","usages":["signing"]}}}}}},
             "auth_keys":{{"k":{{"type":"standard","key":"{key}"}}}},"remotes":{{"ca":"{url}"}}}}"#
        );
        fs::write(self.path(name), body).unwrap();
        name.to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    Plain,
    Tls,
    /// TLS with client certificates from the CA and CN `^admin-`.
    Mutual,
}

struct Server {
    guard: ProcGuard,
    url: String,
    log: PathBuf,
}

impl Server {
    /// `bin serve` with the tree's CA and policy on a free loopback port, waited for
    /// (bounded) until it accepts connections.
    fn start(bin: &Path, tree: &Tree, transport: Transport, extra: &[&str]) -> Server {
        let port = free_ports(1)[0];
        let log = tree.path(&format!("serve-{port}.log"));
        let mut cmd = clean_command(bin);
        cmd.current_dir(tree.dir.path())
            .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
            .args([
                "-ca",
                "ca.pem",
                "-ca-key",
                "ca-key.pem",
                "-config",
                "policy.json",
            ])
            .args(extra);
        if transport != Transport::Plain {
            cmd.args(["-tls-cert", "tls.pem", "-tls-key", "tls-key.pem"]);
        }
        if transport == Transport::Mutual {
            cmd.args(["-mutual-tls-ca", "ca.pem", "-mutual-tls-cn", "^admin-"]);
        }
        cmd.stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap());
        let mut guard = ProcGuard::new(&format!("{} serve", bin.display()), cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let text = fs::read_to_string(&log).unwrap_or_default();
            assert!(guard.is_running(), "server exited: {text}");
            assert!(
                Instant::now() < deadline,
                "server not up after 20 s: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let scheme = if transport == Transport::Plain {
            "http"
        } else {
            "https"
        };
        Server {
            guard,
            url: format!("{scheme}://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once `done` holds for it (or as it is after 10 s): a server writes its
    /// lines from a queue, a moment after it answers.
    fn log_once(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if done(&log) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server is still serving after everything the test sent it.
    fn assert_alive(&mut self) {
        assert!(self.guard.is_running(), "server died: {}", self.log());
    }
}

/// The client succeeded and printed a `cert` (and, for gencert, its `key`) that
/// [`check_cert`] accepts. Returns the certificate.
fn assert_issued(tree: &Tree, out: &Output, want: &Expect, what: &str) -> String {
    assert!(out.success(), "{what}: {out}");
    let v: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {out}"));
    let cert = v["cert"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no cert: {out}"));
    check_cert(tree, cert, v["key"].as_str(), want, what);
    cert.to_string()
}

/// The cfssl error a client printed last on stderr, asserting exit 1 and no output.
fn refusal(out: &Output, what: &str) -> (i64, String) {
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(1),
        "{what}: exit 1 expected: {out}"
    );
    assert!(
        !out.stdout.contains("BEGIN CERTIFICATE"),
        "{what}: no certificate expected: {out}"
    );
    let v: Value = out
        .stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("{what}: no JSON error on stderr: {out}"));
    (
        v["code"].as_i64().unwrap_or_else(|| panic!("{what}: {v}")),
        v["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// What a certificate must be: subject CN, SANs as (kind, value), extended key usages.
struct Expect<'a> {
    cn: &'a str,
    sans: &'a [(&'a str, &'a str)],
    ekus: &'a [&'a str],
}

/// A certificate for `leaf-csr.json` as written (its CN and hosts) with `ekus`.
fn leaf(ekus: &'static [&'static str]) -> Expect<'static> {
    Expect {
        cn: "leaf.example.com",
        sans: LEAF_SANS,
        ekus,
    }
}

/// openssl verifies `pem` against the tree's CA; its subject CN, SANs, key usages and
/// extended key usages are read back and compared with `want`. With `key`, the key is
/// the one the certificate certifies.
fn check_cert(tree: &Tree, pem: &str, key: Option<&str>, want: &Expect, what: &str) {
    let file = tree.path("probe.pem");
    fs::write(&file, pem).unwrap();
    let mut verify = clean_command(require_tool("openssl"));
    verify
        .args(["verify", "-CAfile"])
        .arg(tree.path("ca.pem"))
        .arg(&file);
    let out = run_bounded(verify, None, T);
    assert!(
        out.success() && out.stdout.trim().ends_with(": OK"),
        "{what}: openssl verify: {out}"
    );

    let objects = facts::pem_objects(pem);
    assert_eq!(objects.len(), 1, "{what}: one certificate expected");
    let f = &objects[0].facts;
    assert_eq!(objects[0].kind, "certificate", "{what}");
    let cn: Vec<&str> = f["subject"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rdn| rdn.as_array().unwrap())
        .filter(|atv| atv[0] == "2.5.4.3")
        .map(|atv| atv[2].as_str().unwrap())
        .collect();
    assert_eq!(cn, [want.cn], "{what}: subject CN");
    let ext = |name: &str| -> Value {
        f["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["value"].clone())
            .unwrap_or(Value::Null)
    };
    let mut sans: Vec<(String, String)> = ext("subjectAltName")["names"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .map(|n| (n[0].as_str().unwrap().into(), n[1].as_str().unwrap().into()))
                .collect()
        })
        .unwrap_or_default();
    let mut want_sans: Vec<(String, String)> = want
        .sans
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sans.sort();
    want_sans.sort();
    assert_eq!(sans, want_sans, "{what}: SANs");
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        strings(&ext("extKeyUsage")["names"]),
        want.ekus,
        "{what}: extended key usages"
    );
    assert_eq!(
        strings(&ext("keyUsage")["bits"]),
        ["digitalSignature", "keyEncipherment"],
        "{what}: key usages"
    );

    if let Some(key) = key {
        let key_file = tree.path("probe-key.pem");
        fs::write(&key_file, key).unwrap();
        let public = |args: &[&str], file: &Path| {
            let mut c = clean_command(require_tool("openssl"));
            c.args(args).arg(file);
            let out = run_bounded(c, None, T);
            assert!(out.success(), "{what}: openssl {args:?}: {out}");
            out.stdout
        };
        assert_eq!(
            public(&["x509", "-noout", "-pubkey", "-in"], &file),
            public(&["pkey", "-pubout", "-in"], &key_file),
            "{what}: the key printed is the certified one"
        );
    }
}

const SERVER_AUTH: &[&str] = &["serverAuth"];
const CLIENT_AUTH: &[&str] = &["clientAuth"];
const BOTH_AUTH: &[&str] = &["serverAuth", "clientAuth"];
const LEAF_SANS: &[(&str, &str)] = &[("dns", "leaf.example.com"), ("ip", "10.9.8.7")];

/// Every scenario with `server` serving and `client` asking, over one transport.
fn exercise(tree: &Tree, server_bin: &Path, client: &Path, transport: Transport) {
    let who = format!(
        "{} -> {} ({transport:?})",
        client.display(),
        server_bin.display()
    );
    let mut server = Server::start(server_bin, tree, transport, &[]);
    let url = server.url.clone();
    let mut tls: Vec<&str> = Vec::new();
    if transport != Transport::Plain {
        tls.extend(["-tls-remote-ca", "ca.pem"]);
    }
    let admin = [
        "-mutual-tls-client-cert",
        "admin.pem",
        "-mutual-tls-client-key",
        "admin-key.pem",
    ];
    if transport == Transport::Mutual {
        tls.extend(admin);
    }
    // Go's flag parsing stops at the first positional: the input file goes last.
    let run = |args: &[&str], input: &str| tree.run(client, &[args, &tls[..], &[input]].concat());

    let what = format!("{who}: sign -remote");
    let out = run(&["sign", "-remote", &url], "leaf.csr");
    assert_issued(tree, &out, &leaf(SERVER_AUTH), &what);

    let what = format!("{who}: gencert -remote -profile client -hostname");
    let out = run(
        &[
            "gencert",
            "-remote",
            &url,
            "-profile",
            "client",
            "-hostname",
            "client.example,192.0.2.7",
        ],
        "leaf-csr.json",
    );
    let renamed = Expect {
        cn: "leaf.example.com",
        sans: &[("dns", "client.example"), ("ip", "192.0.2.7")],
        ekus: CLIENT_AUTH,
    };
    assert_issued(tree, &out, &renamed, &what);

    let what = format!("{who}: info -remote -profile client");
    let out = tree.run(
        client,
        &[&["info", "-remote", &url, "-profile", "client"][..], &tls].concat(),
    );
    assert!(out.success(), "{what}: {out}");
    let info: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {out}"));
    assert_eq!(
        info["certificate"].as_str().map(str::trim),
        Some(tree.read("ca.pem").trim()),
        "{what}: the CA certificate"
    );
    assert_eq!(
        info["usages"],
        serde_json::json!(["signing", "key encipherment", "client auth"]),
        "{what}"
    );
    assert_eq!(info["expiry"], "720h", "{what}");

    let good = tree.client_config("client-good.json", &url, AUTH_KEY);
    let what = format!("{who}: sign -config (remotes) -profile client");
    let out = run(
        &["sign", "-config", &good, "-profile", "client"],
        "leaf.csr",
    );
    assert_issued(tree, &out, &leaf(CLIENT_AUTH), &what);

    let what = format!("{who}: gencert -config (auth_remote, right key)");
    let out = run(
        &["gencert", "-config", &good, "-profile", "authed"],
        "leaf-csr.json",
    );
    assert_issued(tree, &out, &leaf(BOTH_AUTH), &what);

    let bad = tree.client_config("client-bad.json", &url, WRONG_KEY);
    let what = format!("{who}: sign -config (auth_remote, wrong key)");
    let (code, message) = refusal(
        &run(&["sign", "-config", &bad, "-profile", "authed"], "leaf.csr"),
        &what,
    );
    assert_eq!(code, 7400, "{what}: {message}");
    let envelope: Value = serde_json::from_str(&message)
        .unwrap_or_else(|e| panic!("{what}: the server's answer ({e}): {message}"));
    assert_eq!(envelope["success"], false, "{what}: {message}");
    assert_eq!(envelope["errors"][0]["code"], 400, "{what}: {message}");
    assert_eq!(
        envelope["errors"][0]["message"], "invalid token",
        "{what}: {message}"
    );

    if transport == Transport::Mutual {
        let refused = |client_cert: &str, what: String| {
            let mut args = vec!["sign", "-remote", &url, "-tls-remote-ca", "ca.pem"];
            let cert = format!("{client_cert}.pem");
            let key = format!("{client_cert}-key.pem");
            if !client_cert.is_empty() {
                args.extend(["-mutual-tls-client-cert", &cert]);
                args.extend(["-mutual-tls-client-key", &key]);
            }
            args.push("leaf.csr");
            let (code, message) = refusal(&tree.run(client, &args), &what);
            assert_eq!(code, 7400, "{what}: {message}");
            message
        };
        let message = refused(
            "intruder",
            format!("{who}: client CN outside -mutual-tls-cn"),
        );
        assert_eq!(message, "Invalid CN\n");
        let go_client = client != cfssl_bin();
        for (cert, what, go_alert, our_alert) in [
            // Go's client does not present a certificate whose issuer is not among the
            // server's acceptable CAs, so the server sees none; ours (rustls) presents
            // it and the server refuses its issuer (README, Differences).
            (
                "stranger",
                "client certificate of another CA",
                "certificate required",
                "unknown certificate authority",
            ),
            (
                "",
                "no client certificate",
                "certificate required",
                "certificate required",
            ),
            (
                "impostor",
                "client certificate of a CA posing as ours",
                "unknown certificate authority",
                "unknown certificate authority",
            ),
            // The server's own certificate: from the CA, but without client auth.
            (
                "tls",
                "certificate without client auth",
                "bad certificate",
                "bad certificate",
            ),
        ] {
            let message = refused(cert, format!("{who}: {what}"));
            let post = format!(
                "failed POST to {url}/api/v1/cfssl/sign: Post \"{url}/api/v1/cfssl/sign\": "
            );
            // Under TLS 1.3 the alert comes after the client's handshake: both clients
            // read it and give Go's text.
            let alert = if go_client { go_alert } else { our_alert };
            assert_eq!(
                message,
                format!("{post}remote error: tls: {alert}"),
                "{who}: {what}: the server's TLS alert"
            );
        }
    }
    server.assert_alive();
}

#[test]
fn our_client_against_cfssl_serve() {
    let Some(reference) = reference() else { return };
    let tree = Tree::new();
    for transport in [Transport::Plain, Transport::Tls, Transport::Mutual] {
        exercise(&tree, &reference, &cfssl_bin(), transport);
    }
}

#[test]
fn cfssl_client_against_our_serve() {
    let Some(reference) = reference() else { return };
    let tree = Tree::new();
    for transport in [Transport::Plain, Transport::Tls, Transport::Mutual] {
        exercise(&tree, &cfssl_bin(), &reference, transport);
    }
}

/// Asserts cfssl 1.6.5's answer to a bare `IP:port` remote: `bad url` logged, 5300, exit 1.
fn assert_bad_url(out: &Output, addr: &str, what: &str) {
    let (code, message) = refusal(out, what);
    assert_eq!(
        (code, message.as_str()),
        (5300, "failed to connect to remote"),
        "{what}"
    );
    assert!(
        out.stderr.contains(&format!(
            "[ERROR] bad url: parse \"{addr}\": first path segment in URL cannot contain colon"
        )),
        "{what}: cfssl's log line: {out}"
    );
}

/// cfssl#1178, opt-in: with `CFSSL_REMOTE_BARE_IP=1`, `-remote 10.0.0.1:8888` (no scheme)
/// is tried as `http://10.0.0.1:8888`, for `sign`, `gencert`, `info`, `remotes` in a
/// config and comma lists; where nothing listens it fails as cfssl 1.6.5 fails on the
/// address. Without it, the address is refused as cfssl refuses it, server or not.
#[test]
fn bare_ip_remote_signs_through_our_server() {
    let tree = Tree::new();
    let mut server = Server::start(&cfssl_bin(), &tree, Transport::Plain, &[]);
    let bare = server.url.trim_start_matches("http://").to_string();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let ours = cfssl_bin();

    let out = tree.run(&ours, &["sign", "-remote", &bare, "leaf.csr"]);
    assert_bad_url(&out, &bare, "without the opt-in, a live IP:port");

    let signs = |args: &[&str], want: &Expect, what: &str| {
        assert_issued(&tree, &tree.run_opt(&ours, args, true), want, what);
    };
    signs(
        &["sign", "-remote", &bare, "leaf.csr"],
        &leaf(SERVER_AUTH),
        "sign -remote IP:port",
    );
    signs(
        &["gencert", "-remote", &bare, "leaf-csr.json"],
        &leaf(SERVER_AUTH),
        "gencert -remote IP:port",
    );
    let out = tree.run_opt(&ours, &["info", "-remote", &bare], true);
    assert!(out.success(), "info -remote IP:port: {out}");
    let info: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(
        info["certificate"].as_str().map(str::trim),
        Some(tree.read("ca.pem").trim())
    );
    let list = format!("{closed},{bare}");
    signs(
        &["sign", "-remote", &list, "leaf.csr"],
        &leaf(SERVER_AUTH),
        "sign -remote DEAD,LIVE",
    );
    let config = tree.client_config("bare.json", &bare, AUTH_KEY);
    signs(
        &["sign", "-config", &config, "-profile", "client", "leaf.csr"],
        &leaf(CLIENT_AUTH),
        "remotes {\"ca\": IP:port}",
    );

    let out = tree.run_opt(&ours, &["sign", "-remote", &closed, "leaf.csr"], true);
    assert_bad_url(&out, &closed, "with the opt-in, a closed IP:port");
    let signed = |log: &str| log.matches("\"POST /api/v1/cfssl/sign\" 200").count();
    let log = server.log_once(|log| signed(log) >= 4);
    assert_eq!(signed(&log), 4, "four signatures reached the server: {log}");
    server.assert_alive();
}

/// One SQLite certificate database, two implementations: `writer`'s `serve -db-config`
/// stores what it signs for `reader`'s `sign -remote`; `reader`'s `certinfo -db-config`
/// finds the row and its `revoke` marks it; `writer`'s `crl` then lists the certificate
/// as revoked (openssl-verified CRL). The schema is cfssl's own migration files.
fn sqlite_shared_through_serve(writer: &Path, reader: &Path) {
    let tree = Tree::new();
    let db = tree.path("certs.db");
    certdb_support::cfssl_sqlite_schema(&db);
    fs::write(
        tree.path("db.json"),
        r#"{"driver":"sqlite3","data_source":"certs.db"}"#,
    )
    .unwrap();
    let who = format!("{} writes, {} reads", writer.display(), reader.display());

    let mut server = Server::start(writer, &tree, Transport::Plain, &["-db-config", "db.json"]);
    let what = format!("{who}: sign -remote through serve -db-config");
    let out = tree.run(reader, &["sign", "-remote", &server.url, "leaf.csr"]);
    let cert = assert_issued(&tree, &out, &leaf(SERVER_AUTH), &what);
    server.assert_alive();
    server.guard.terminate(Duration::from_secs(10));
    let (serial, aki) = certdb_support::serial_and_aki(tree.dir.path(), &cert);
    let row = |cols: &str| {
        certdb_support::sqlite(
            &db,
            &format!(
                "SELECT {cols} FROM certificates WHERE serial_number = '{serial}' AND authority_key_identifier = '{aki}'"
            ),
        )
    };
    assert_eq!(row("status"), "good", "{what}: the stored row");

    let what = format!("{who}: certinfo -db-config -serial -aki");
    let id = ["-db-config", "db.json", "-serial", &serial, "-aki", &aki];
    let out = tree.run(reader, &[&["certinfo"][..], &id].concat());
    assert!(out.success(), "{what}: {out}");
    let info: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {out}"));
    assert_eq!(info["serial_number"], serial.as_str(), "{what}");
    assert_eq!(info["subject"]["common_name"], "leaf.example.com", "{what}");
    assert_eq!(
        info["pem"].as_str().map(str::trim),
        Some(cert.trim()),
        "{what}: the stored certificate"
    );

    let what = format!("{who}: revoke -db-config");
    let revoke = [&["revoke"][..], &id, &["-reason", "keyCompromise"]].concat();
    let out = tree.run(reader, &revoke);
    assert!(out.success(), "{what}: {out}");
    assert_eq!(row("status, reason"), "revoked|1", "{what}");

    let what = format!("{who}: crl -db-config by the writer");
    let out = tree.run(
        writer,
        &[
            "crl",
            "-db-config",
            "db.json",
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
        ],
    );
    assert!(out.success(), "{what}: {out}");
    // crl_text verifies the CRL against root-ca.pem in the directory it is given.
    fs::copy(tree.path("ca.pem"), tree.path("root-ca.pem")).unwrap();
    let text = certdb_support::crl_text(tree.dir.path(), &out.stdout);
    let hex = certdb_support::decimal_to_hex(&serial);
    let entry = text
        .split("Serial Number: ")
        .skip(1)
        .find(|e| e.starts_with(&hex))
        .unwrap_or_else(|| panic!("{what}: {hex} is not in the CRL:\n{text}"));
    // cfssl 1.6.5's CRL carries no reason codes (the row keeps it: checked above).
    assert!(entry.contains("Revocation Date"), "{what}: {entry}");
    assert_eq!(text.matches("Serial Number: ").count(), 1, "{what}: {text}");
}

#[test]
fn sqlite_db_of_cfssl_serve_read_and_revoked_by_ours() {
    let Some(reference) = reference() else { return };
    sqlite_shared_through_serve(&reference, &cfssl_bin());
}

#[test]
fn sqlite_db_of_our_serve_read_and_revoked_by_cfssl() {
    let Some(reference) = reference() else { return };
    sqlite_shared_through_serve(&cfssl_bin(), &reference);
}

/// A remote whose name the resolver does not know: both clients give Go's lookup error,
/// naming the nameserver (`dial tcp: lookup H on 10.0.0.53:53: no such host`), 7400.
/// If this machine's DNS does not answer at all, the reference's text is a timeout and
/// the comparison is skipped, announced.
#[test]
fn a_remote_name_that_does_not_resolve_fails_alike() {
    let Some(reference) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.csr"), "").unwrap();
    let url = "http://no-such-name.invalid:8888";
    let run = |bin: &Path| {
        let mut cmd = clean_command(bin);
        cmd.current_dir(dir.path())
            .args(["sign", "-remote", url, "empty.csr"]);
        refusal(&run_bounded(cmd, None, T), &bin.display().to_string())
    };
    let (theirs, ours) = (run(&reference), run(&cfssl_bin()));
    assert_eq!(ours.0, 7400, "{ours:?}");
    let post =
        format!("failed POST to {url}/api/v1/cfssl/sign: Post \"{url}/api/v1/cfssl/sign\": ");
    assert!(
        ours.1
            .starts_with(&format!("{post}dial tcp: lookup no-such-name.invalid"))
            && ours.1.ends_with(": no such host"),
        "{ours:?}"
    );
    if theirs.1.ends_with("no such host") {
        assert_eq!(ours, theirs);
    } else {
        loud(&format!(
            "SKIPPED the lookup comparison: this machine's DNS gives {theirs:?}"
        ));
    }
}
