//! A real 1- or 3-member etcd cluster from member and client specs, and what it did.

use crate::common::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A cfssl request for a member certificate with the given hosts.
pub(super) fn member_req(root: &Path, name: &str, hosts: &[&str]) -> PathBuf {
    let p = root.join(format!("config/req-{name}.json"));
    let hosts: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    fs::write(
        &p,
        format!(
            "{{\"CN\":\"etcd\",\"hosts\":[{}],\"key\":{{\"algo\":\"ecdsa\",\"size\":256}}}}",
            hosts.join(",")
        ),
    )
    .unwrap();
    p
}

#[derive(Clone)]
pub(super) struct Side {
    cert: String,
    key: String,
    ca: Option<String>,
    cert_auth: bool,
    /// How `client-cert-auth` is written when not `true`/`false` (YAML 1.1 `yes`).
    pub(super) cert_auth_word: Option<&'static str>,
}

pub(super) fn side(cert: &str, ca: Option<&str>, cert_auth: bool) -> Side {
    Side {
        cert: format!("certs/{cert}.pem"),
        key: format!("certs/{cert}-key.pem"),
        ca: ca.map(|c| format!("certs/{c}")),
        cert_auth,
        cert_auth_word: None,
    }
}

pub(super) struct MemberSpec {
    name: String,
    client: Side,
    peer: Side,
    /// The loopback address the member's peer listener uses.
    pub(super) peer_ip: &'static str,
    /// (uid, gid) the member runs as, through setpriv; `None`: as the test.
    pub(super) run_as: Option<(u32, u32)>,
    /// Lines of the written configuration replaced: (line prefix, new line); a prefix
    /// no line has appends the new line.
    pub(super) yaml_edits: Vec<(&'static str, &'static str)>,
}

pub(super) fn spec(name: &str, client: Side, peer: Side) -> MemberSpec {
    MemberSpec {
        name: name.into(),
        client,
        peer,
        peer_ip: "127.0.0.1",
        run_as: None,
        yaml_edits: Vec::new(),
    }
}

pub(super) struct Running {
    pub(super) name: String,
    config: PathBuf,
    pub(super) client_url: String,
    peer_url: String,
    metrics: u16,
    log: PathBuf,
    proc: ProcGuard,
}

pub(super) struct Cluster {
    root: PathBuf,
    etcdctl: PathBuf,
    pub(super) members: Vec<Running>,
}

fn yaml_side(key: &str, s: &Side) -> String {
    let mut y = format!("{key}:\n  cert-file: {}\n  key-file: {}\n", s.cert, s.key);
    if let Some(ca) = &s.ca {
        y.push_str(&format!("  trusted-ca-file: {ca}\n"));
    }
    match s.cert_auth_word {
        Some(w) => y.push_str(&format!("  client-cert-auth: {w}\n")),
        None => y.push_str(&format!("  client-cert-auth: {}\n", s.cert_auth)),
    }
    y
}

impl Cluster {
    /// Writes each member's `--config-file` into `root` (paths relative to it, as
    /// etcd resolves them against its working directory) and starts the members.
    pub(super) fn start(
        etcd: &Path,
        etcdctl: &Path,
        root: &Path,
        tag: &str,
        specs: &[MemberSpec],
    ) -> Cluster {
        let ports = free_ports(specs.len() * 3);
        let peer_url = |i: usize| format!("https://{}:{}", specs[i].peer_ip, ports[3 * i + 1]);
        let initial: Vec<String> = (0..specs.len())
            .map(|i| format!("{}={}", specs[i].name, peer_url(i)))
            .collect();
        let mut members = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let client_url = format!("https://127.0.0.1:{}", ports[3 * i]);
            let metrics = ports[3 * i + 2];
            let yaml = format!(
                "name: {name}\ndata-dir: {tag}-{name}.etcd\nlisten-client-urls: {client_url}\n\
                 advertise-client-urls: {client_url}\nlisten-peer-urls: {peer}\n\
                 initial-advertise-peer-urls: {peer}\ninitial-cluster: {initial}\n\
                 initial-cluster-token: {tag}-{pid}-{p0}\ninitial-cluster-state: new\n\
                 listen-metrics-urls: http://127.0.0.1:{metrics}\n{client}{peers}",
                name = s.name,
                peer = peer_url(i),
                initial = initial.join(","),
                pid = std::process::id(),
                p0 = ports[0],
                client = yaml_side("client-transport-security", &s.client),
                peers = yaml_side("peer-transport-security", &s.peer),
            );
            let mut lines: Vec<String> = yaml.lines().map(str::to_string).collect();
            for (prefix, line) in &s.yaml_edits {
                match lines.iter_mut().find(|l| l.starts_with(prefix)) {
                    Some(l) => *l = line.to_string(),
                    None => lines.push(line.to_string()),
                }
            }
            let config = root.join(format!("{tag}-{}.yml", s.name));
            fs::write(&config, lines.join("\n") + "\n").unwrap();
            let log = root.join(format!("{tag}-{}.log", s.name));
            let mut cmd = match s.run_as {
                None => clean_command(etcd),
                Some((uid, gid)) => {
                    // etcd wants its data dir 0700 and its own; it cannot create it in
                    // the test's directory.
                    let data = root.join(format!("{tag}-{}.etcd", s.name));
                    fs::create_dir(&data).unwrap();
                    fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).unwrap();
                    std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();
                    let mut c = clean_command(require_tool("setpriv"));
                    c.arg(format!("--reuid={uid}"))
                        .arg(format!("--regid={gid}"))
                        .arg("--clear-groups")
                        .arg("--")
                        .arg(etcd);
                    c
                }
            };
            cmd.current_dir(root)
                .arg(format!("--config-file={}", config.display()))
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).unwrap());
            let child = cmd.spawn().unwrap_or_else(|e| panic!("starting etcd: {e}"));
            members.push(Running {
                name: s.name.clone(),
                config,
                client_url,
                peer_url: peer_url(i),
                metrics,
                log,
                proc: ProcGuard::new(&s.name, child),
            });
        }
        Cluster {
            root: root.to_path_buf(),
            etcdctl: etcdctl.to_path_buf(),
            members,
        }
    }

    fn healthy(&self, i: usize) -> bool {
        http_get(self.members[i].metrics, "/health").contains("\"health\":\"true\"")
    }

    /// Waits (bounded) until every member has exited or is healthy, then a little
    /// longer so that refused connections have been retried and logged.
    pub(super) fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(25);
        while Instant::now() < deadline {
            let done = (0..self.members.len())
                .all(|i| !self.members[i].proc.is_running() || self.healthy(i));
            if done {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        std::thread::sleep(Duration::from_secs(3));
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for m in &self.members {
            all.push_str(&fs::read_to_string(&m.log).unwrap_or_default());
        }
        all
    }

    /// Member ids as etcd logs them ("added member ID [URL]"), by member name.
    fn ids(&self) -> BTreeMap<String, String> {
        let logs = self.logs();
        let mut ids = BTreeMap::new();
        for line in logs.lines() {
            let Some(rest) = line.split("added member ").nth(1) else {
                continue;
            };
            let mut it = rest.split_whitespace();
            let (Some(id), Some(urls)) = (it.next(), it.next()) else {
                continue;
            };
            for m in &self.members {
                if urls.contains(&m.peer_url) {
                    ids.insert(m.name.clone(), id.to_string());
                }
            }
        }
        ids
    }

    pub(super) fn ctl(
        &self,
        url: &str,
        cert: Option<(&str, &str)>,
        ca: Option<&str>,
        args: &[&str],
    ) -> Output {
        let mut cmd = clean_command(&self.etcdctl);
        cmd.current_dir(&self.root)
            .env("ETCDCTL_API", "3")
            .arg("--debug")
            .arg(format!("--endpoints={url}"))
            .arg("--dial-timeout=4s")
            .arg("--command-timeout=8s");
        if let Some(ca) = ca {
            cmd.arg(format!("--cacert={ca}"));
        }
        if let Some((c, k)) = cert {
            cmd.arg(format!("--cert={c}")).arg(format!("--key={k}"));
        }
        cmd.args(args);
        run_bounded(cmd, None, Duration::from_secs(20))
    }

    /// What the cluster did, for every id `cfssl check` reports, with the text each
    /// outcome left behind (logs, etcdctl and curl output).
    pub(super) fn observe(
        &mut self,
        clients: &[ClientSpec],
        report: &serde_json::Value,
    ) -> BTreeMap<String, (bool, String)> {
        let mut real = BTreeMap::new();
        let ids = self.ids();
        // Under load a stream may connect late: give the connections predicted to work
        // a bounded time to show up (a prediction that is wrong still fails below).
        let expected: Vec<(usize, String)> = report["connections"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|c| c["verdict"] != "fail")
            .filter_map(|c| c["id"].as_str()?.strip_prefix("peer:").map(str::to_string))
            .filter_map(|pair| {
                let (a, b) = pair.split_once("->")?;
                let i = self.members.iter().position(|m| m.name == a)?;
                Some((i, ids.get(b)?.clone()))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline
            && !expected.iter().all(|(i, id)| {
                let log = fs::read_to_string(&self.members[*i].log).unwrap_or_default();
                log.contains(&format!("with peer {id} (stream Message reader)"))
                    || log.contains(&format!("with peer {id} (stream MsgApp v2 reader)"))
            })
        {
            std::thread::sleep(Duration::from_millis(250));
        }
        let logs = self.logs();
        let running: Vec<bool> = (0..self.members.len())
            .map(|i| self.members[i].proc.is_running())
            .collect();
        for (i, m) in self.members.iter().enumerate() {
            let own = fs::read_to_string(&m.log).unwrap_or_default();
            real.insert(
                format!("member:{}:start", m.name),
                (running[i], own.clone()),
            );
            real.insert(
                format!("member:{}:health", m.name),
                (running[i] && self.healthy(i), own.clone()),
            );
            for b in &self.members {
                if b.name == m.name {
                    continue;
                }
                let dialled = ids.get(&b.name).is_some_and(|id| {
                    own.contains(&format!("established a TCP streaming connection with peer {id} (stream Message reader)"))
                        || own.contains(&format!("established a TCP streaming connection with peer {id} (stream MsgApp v2 reader)"))
                });
                real.insert(
                    format!("peer:{}->{}", m.name, b.name),
                    (running[i] && dialled, logs.clone()),
                );
            }
            let mut curl = clean_command(require_tool("curl"));
            curl.args(["-sk", "--max-time", "5"])
                .arg(format!("{}/version", m.client_url));
            let out = run_bounded(curl, None, Duration::from_secs(10));
            let ok = out.success() && out.stdout.contains("etcdserver");
            // The member logs the refusal after the attempt.
            std::thread::sleep(Duration::from_millis(300));
            let after = self.logs();
            real.insert(
                format!("nocert@{}", m.name),
                (ok, format!("{out}\n{after}")),
            );
        }
        let predicted_to_work = |id: &str| {
            report["connections"]
                .as_array()
                .is_some_and(|a| a.iter().any(|c| c["id"] == id && c["verdict"] != "fail"))
        };
        for c in clients {
            for m in &self.members {
                let key = format!("/check/{}", c.name);
                let id = format!("client:{}@{}", c.name, m.name);
                let put_once = || {
                    self.ctl(
                        &m.client_url,
                        Some((&c.cert, &c.key)),
                        c.ca.as_deref(),
                        &["put", &key, "v"],
                    )
                };
                let mut put = put_once();
                // On a loaded machine a missed heartbeat can start an election, and a put
                // made during it fails with a deadline. A refusal the certificates cause
                // repeats, so retrying a put predicted to work cannot hide a wrong
                // prediction; it only rides out the election.
                for _ in 0..2 {
                    if put.success() || !predicted_to_work(&id) {
                        break;
                    }
                    std::thread::sleep(Duration::from_secs(3));
                    put = put_once();
                }
                // A refused put says why; the get would only wait for its own timeout.
                let get = put.success().then(|| {
                    self.ctl(
                        &m.client_url,
                        Some((&c.cert, &c.key)),
                        c.ca.as_deref(),
                        &["get", &key, "--print-value-only"],
                    )
                });
                let ok = get
                    .as_ref()
                    .is_some_and(|g| g.success() && g.stdout.trim() == "v");
                let get = get.map(|g| g.to_string()).unwrap_or_default();
                real.insert(id, (ok, format!("{put}\n{get}\n{}", self.logs())));
            }
        }
        real
    }

    /// `cfssl check` on this cluster's configurations.
    pub(super) fn check(
        &self,
        clients: &[ClientSpec],
        extra: &[&str],
    ) -> (Output, serde_json::Value) {
        let mut cmd = clean_command(cfssl_bin());
        cmd.current_dir(&self.root).arg("check").arg("-format=json");
        for m in &self.members {
            cmd.arg(format!("-etcd-config={}", m.config.display()));
        }
        for c in clients {
            let mut s = format!("-client={},{}", c.cert, c.key);
            if let Some(ca) = &c.ca {
                s.push(',');
                s.push_str(ca);
            }
            cmd.arg(s);
        }
        cmd.args(extra);
        let out = run_bounded(cmd, None, Duration::from_secs(60));
        let v: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("cfssl check did not print JSON ({e}): {out}"));
        (out, v)
    }
    /// `cfssl check` on this cluster, which must exit with `exit` (0 exactly when it
    /// says everything works), then what the cluster really did for each of its ids.
    pub(super) fn judge(
        &mut self,
        clients: &[ClientSpec],
        extra: &[&str],
        exit: i32,
    ) -> (serde_json::Value, BTreeMap<String, (bool, String)>) {
        let (out, report) = self.check(clients, extra);
        assert_eq!(out.status.and_then(|s| s.code()), Some(exit), "{out}");
        assert_eq!(report["works"], exit == 0, "{out}");
        let real = self.observe(clients, &report);
        (report, real)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Followers first, then whoever is left: stopping all at once stalls on timeouts.
        for m in self.members.iter_mut().rev() {
            m.proc.terminate(Duration::from_secs(10));
        }
    }
}

fn http_get(port: u16, path: &str) -> String {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[derive(Clone)]
pub(super) struct ClientSpec {
    name: String,
    pub(super) cert: String,
    pub(super) key: String,
    pub(super) ca: Option<String>,
}

pub(super) fn client(name: &str, ca: Option<&str>) -> ClientSpec {
    ClientSpec {
        name: name.into(),
        cert: format!("certs/{name}.pem"),
        key: format!("certs/{name}-key.pem"),
        ca: ca.map(|c| format!("certs/{c}")),
    }
}
