//! Acceptance: mint certificates with the unchanged `tls-setup/Makefile` and our
//! binaries, then run a 3-member etcd cluster with client and peer mutual TLS and
//! certificate-CN authentication, as the Calico tutorial does.
//!
//! Needs `etcd` and `etcdctl` (Debian: etcd-server, etcd-client). Without them the
//! test prints a loud SKIPPED notice and passes, unless `CI` is set or
//! `CFSSL_REQUIRE_ETCD=1`, in which case a missing etcd is a failure.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;

/// The two cluster runs share two cores; run them one after the other.
static SERIAL: Mutex<()> = Mutex::new(());

struct Member {
    name: String,
    client_port: u16,
    log: PathBuf,
    proc: ProcGuard,
}

struct Cluster {
    etcdctl: PathBuf,
    certs: PathBuf,
    members: Vec<Member>,
    /// became healthy at least once (else there is no leader to look up on teardown)
    formed: bool,
}

impl Cluster {
    fn start(etcd: &Path, etcdctl: &Path, pki: &Pki, work: &Path) -> Cluster {
        let ports = free_ports(6);
        let names = ["infra1", "infra2", "infra3"];
        let initial: Vec<String> = (0..3)
            .map(|i| format!("{}=https://127.0.0.1:{}", names[i], ports[3 + i]))
            .collect();
        let initial = initial.join(",");
        let token = format!("cfssl-rs-{}-{}", std::process::id(), ports[0]);
        let mut members = Vec::new();
        for i in 0..3 {
            let (cp, pp) = (ports[i], ports[3 + i]);
            let data = work.join(format!("{}.etcd", names[i]));
            let log = work.join(format!("{}.log", names[i]));
            let cert = pki.cert(&format!("etcd{}", i + 1));
            let key = pki.key(&format!("etcd{}", i + 1));
            let ca = pki.ca();
            let mut cmd = clean_command(etcd);
            cmd.arg(format!("--name={}", names[i]))
                .arg(format!("--data-dir={}", data.display()))
                .arg(format!("--listen-client-urls=https://127.0.0.1:{cp}"))
                .arg(format!("--advertise-client-urls=https://127.0.0.1:{cp}"))
                .arg(format!("--listen-peer-urls=https://127.0.0.1:{pp}"))
                .arg(format!(
                    "--initial-advertise-peer-urls=https://127.0.0.1:{pp}"
                ))
                .arg(format!("--initial-cluster={initial}"))
                .arg(format!("--initial-cluster-token={token}"))
                .arg("--initial-cluster-state=new")
                .arg("--client-cert-auth")
                .arg(format!("--trusted-ca-file={}", ca.display()))
                .arg(format!("--cert-file={}", cert.display()))
                .arg(format!("--key-file={}", key.display()))
                .arg("--peer-client-cert-auth")
                .arg(format!("--peer-trusted-ca-file={}", ca.display()))
                .arg(format!("--peer-cert-file={}", cert.display()))
                .arg(format!("--peer-key-file={}", key.display()))
                .arg("--logger=zap")
                .arg("--log-outputs=stderr")
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).unwrap());
            let child = cmd.spawn().unwrap_or_else(|e| panic!("starting etcd: {e}"));
            members.push(Member {
                name: names[i].to_string(),
                client_port: cp,
                log,
                proc: ProcGuard::new(names[i], child),
            });
        }
        Cluster {
            etcdctl: etcdctl.to_path_buf(),
            certs: pki.certs.clone(),
            members,
            formed: false,
        }
    }

    fn endpoints(&self) -> String {
        self.members
            .iter()
            .map(|m| format!("https://127.0.0.1:{}", m.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// etcdctl authenticated by the certificate `user` (certs/USER.pem).
    fn ctl_at(&self, user: &str, endpoints: &str, args: &[&str]) -> Output {
        let mut cmd = clean_command(&self.etcdctl);
        cmd.env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={endpoints}"))
            .arg(format!("--cacert={}", self.certs.join("ca.pem").display()))
            .arg(format!(
                "--cert={}",
                self.certs.join(format!("{user}.pem")).display()
            ))
            .arg(format!(
                "--key={}",
                self.certs.join(format!("{user}-key.pem")).display()
            ))
            .arg("--dial-timeout=2s")
            .arg("--command-timeout=5s")
            .args(args);
        run_bounded(cmd, None, Duration::from_secs(15))
    }

    fn ctl(&self, user: &str, args: &[&str]) -> Output {
        let eps = self.endpoints();
        self.ctl_at(user, &eps, args)
    }

    fn logs(&self) -> String {
        let mut s = String::new();
        for m in &self.members {
            let text = fs::read_to_string(&m.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            s.push_str(&format!("--- {} log (last lines) ---\n", m.name));
            for l in tail.into_iter().rev() {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }

    /// Poll until every endpoint is healthy (bounded).
    fn wait_healthy(&mut self, within: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < within {
            for m in &mut self.members {
                if !m.proc.is_running() {
                    return Err(format!("member {} exited", m.name));
                }
            }
            let out = self.ctl("root", &["endpoint", "health"]);
            if out.success() && out.both().matches("is healthy").count() == 3 {
                self.formed = true;
                return Ok(start.elapsed());
            }
            last = out.to_string();
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "not healthy within {within:?}; last etcdctl:\n{last}"
        ))
    }

    /// Index of the current leader, as reported by `endpoint status` (best effort,
    /// one short query per member).
    fn leader(&self) -> Option<usize> {
        let mut ids = Vec::new();
        let mut leader_id = None;
        for m in &self.members {
            let ep = format!("https://127.0.0.1:{}", m.client_port);
            let mut cmd = clean_command(&self.etcdctl);
            cmd.env("ETCDCTL_API", "3")
                .arg(format!("--endpoints={ep}"))
                .arg(format!("--cacert={}", self.certs.join("ca.pem").display()))
                .arg(format!("--cert={}", self.certs.join("root.pem").display()))
                .arg(format!(
                    "--key={}",
                    self.certs.join("root-key.pem").display()
                ))
                .args([
                    "--dial-timeout=1s",
                    "--command-timeout=2s",
                    "endpoint",
                    "status",
                    "-w",
                    "json",
                ]);
            let out = run_bounded(cmd, None, Duration::from_secs(4));
            let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap_or_default();
            let st = &v[0]["Status"];
            ids.push(st["header"]["member_id"].as_u64());
            if let Some(l) = st["leader"].as_u64() {
                leader_id = Some(l);
            }
        }
        let l = leader_id?;
        ids.iter().position(|id| *id == Some(l))
    }
}

impl Drop for Cluster {
    /// Stop every member by its own PID, leader last: stopping the leader while
    /// followers are still up (or all at once) stalls on the 7 s request timeout.
    fn drop(&mut self) {
        let start = Instant::now();
        let leader = if self.formed { self.leader() } else { None };
        let mut order: Vec<usize> = (0..self.members.len())
            .filter(|i| Some(*i) != leader)
            .collect();
        if let Some(l) = leader {
            order.push(l);
        }
        for i in order {
            let m = &mut self.members[i];
            let took = m.proc.terminate(Duration::from_secs(10));
            let _ = writeln!(
                std::io::stderr(),
                "stopped {} (pid {}){} in {took:?}",
                m.name,
                m.proc.pid(),
                if Some(i) == leader { " [leader]" } else { "" }
            );
        }
        let _ = writeln!(
            std::io::stderr(),
            "cluster stopped in {:?}",
            start.elapsed()
        );
    }
}

fn step(name: &str, ok: bool, detail: impl FnOnce() -> String) {
    assert!(ok, "[{name}] failed:\n{}", detail());
}

fn cluster_scenario(swap: Swap) {
    let Some((etcd, etcdctl)) = etcd_tools() else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();

    // Mint: the unchanged tls-setup Makefile with our binaries swapped in.
    let pki = run_tls_setup(swap);
    assert_complete(&pki);
    let minted = t0.elapsed();

    let work = pki.root.join("etcd");
    fs::create_dir_all(&work).unwrap();
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki, &work);

    // 1. The cluster forms: all endpoints healthy, three started members.
    let healthy = cluster.wait_healthy(Duration::from_secs(20));
    step(
        "cluster forms: all endpoints healthy",
        healthy.is_ok(),
        || format!("{}\n{}", healthy.clone().unwrap_err(), cluster.logs()),
    );
    let list = cluster.ctl("root", &["member", "list"]);
    let started = list
        .stdout
        .lines()
        .filter(|l| l.contains(", started,"))
        .count();
    step(
        "cluster forms: 3 started members",
        list.success() && started == 3,
        || format!("{list}"),
    );

    // 2. Auth setup with the root certificate (CN root).
    let add_root = cluster.ctl(
        "root",
        &[
            "user",
            "add",
            "root",
            "--new-user-password=unused-cert-auth-Aa1",
        ],
    );
    step("root: user add root", add_root.success(), || {
        format!("{add_root}")
    });
    // etcd 3.4 logs 'root user does not have root role' and then enables auth anyway.
    let enable = cluster.ctl("root", &["auth", "enable"]);
    step(
        "root: auth enable",
        enable.success() && enable.stdout.contains("Authentication Enabled"),
        || format!("{enable}"),
    );
    for (what, args) in [
        ("role add calico", vec!["role", "add", "calico"]),
        (
            "grant readwrite on prefix /calico/",
            vec![
                "role",
                "grant-permission",
                "calico",
                "--prefix=true",
                "readwrite",
                "/calico/",
            ],
        ),
        (
            "user add calico",
            vec![
                "user",
                "add",
                "calico",
                "--new-user-password=unused-cert-auth-Aa1",
            ],
        ),
        (
            "user grant-role calico calico",
            vec!["user", "grant-role", "calico", "calico"],
        ),
    ] {
        let out = cluster.ctl("root", &args);
        step(
            &format!("root (authenticated by certificate CN): {what}"),
            out.success(),
            || format!("{out}"),
        );
    }

    // 3. calico can put and get under /calico/.
    let put = cluster.ctl("calico", &["put", "/calico/v1/config", "ok-from-calico"]);
    step(
        "calico: put under /calico/",
        put.success() && put.stdout.contains("OK"),
        || format!("{put}"),
    );
    let get = cluster.ctl(
        "calico",
        &["get", "/calico/v1/config", "--print-value-only"],
    );
    step(
        "calico: get under /calico/",
        get.success() && get.stdout.trim() == "ok-from-calico",
        || format!("{get}"),
    );

    // 4. calico is denied outside its prefix.
    let put = cluster.ctl("calico", &["put", "/registry/secret", "x"]);
    step(
        "calico: put outside /calico/ denied",
        !put.success() && put.both().contains("permission denied"),
        || format!("{put}"),
    );
    let get = cluster.ctl("calico", &["get", "/registry/secret"]);
    step(
        "calico: get outside /calico/ denied",
        !get.success() && get.both().contains("permission denied"),
        || format!("{get}"),
    );

    // 5. A valid certificate whose CN has no etcd user (kubernetes) is denied.
    let put = cluster.ctl("kubernetes", &["put", "/calico/v1/intruder", "x"]);
    step(
        "CN without etcd user: put denied",
        !put.success() && put.both().contains("permission denied"),
        || format!("{put}"),
    );
    let get = cluster.ctl("kubernetes", &["get", "/calico/v1/config"]);
    step(
        "CN without etcd user: get denied",
        !get.success() && get.both().contains("permission denied"),
        || format!("{get}"),
    );
    // root still sees calico's write: the denials above were authorization, not outage.
    let get = cluster.ctl("root", &["get", "/calico/v1/config", "--print-value-only"]);
    step(
        "root: reads calico's key",
        get.success() && get.stdout.trim() == "ok-from-calico",
        || format!("{get}"),
    );

    // 6. TLS-layer refusals, checked with a direct TLS client (etcdctl only times out).
    let port = cluster.members[0].client_port;
    let req = b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let ok = tls::tls_request(
        tls::client_config(&pki.ca(), Some((&pki.cert("calico"), &pki.key("calico")))),
        port,
        req,
    );
    step(
        "TLS control: calico certificate accepted",
        matches!(&ok, Ok(b) if String::from_utf8_lossy(b).contains("etcdserver")),
        || format!("{ok:?}"),
    );
    let nocert = tls::tls_request(tls::client_config(&pki.ca(), None), port, req);
    step(
        "TLS: client without certificate refused",
        nocert.is_err(),
        || {
            format!(
                "got a response: {:?}",
                nocert
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            )
        },
    );
    let (oc, ok_) = other_ca_client(&pki);
    let other = tls::tls_request(tls::client_config(&pki.ca(), Some((&oc, &ok_))), port, req);
    step(
        "TLS: client certificate from another CA refused",
        other.is_err(),
        || {
            format!(
                "got a response: {:?}",
                other
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            )
        },
    );
    let _ = writeln!(
        std::io::stderr(),
        "etcd scenario ({swap:?}): minted in {minted:?}, cluster healthy after {:?}, checks done at {:?}; refusals: no cert: {}; other CA: {}",
        healthy.unwrap(),
        t0.elapsed(),
        nocert.unwrap_err(),
        other.unwrap_err()
    );

    // 7. Every key file (including the other CA's) is mode 0600.
    assert_keys_0600(&pki.certs);
    assert_keys_0600(&pki.root.join("other"));

    drop(cluster);
    let _ = writeln!(
        std::io::stderr(),
        "etcd scenario ({swap:?}) total {:?}",
        t0.elapsed()
    );
}

#[test]
fn etcd_cluster_with_make_variables() {
    cluster_scenario(Swap::MakeVars);
}

#[test]
fn etcd_cluster_with_binaries_first_on_path() {
    cluster_scenario(Swap::Path);
}
