//! `cfssl check -at` and `-within` on the tree `make` leaves in tls-setup (no etcd
//! needed): the time the tree is judged at moves the verdicts, with Go's validity
//! texts and the certificates' real dates (read back with openssl).

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// Three members with client and peer mutual TLS, as the tls-setup README has them.
fn configs(root: &Path) -> Vec<String> {
    let peers: Vec<String> = (1..=3)
        .map(|i| format!("infra{i}=https://127.0.0.1:{}", 2380 + 10 * i))
        .collect();
    (1..=3)
        .map(|i| {
            let side = |key: &str| {
                format!(
                    "{key}:\n  cert-file: certs/etcd{i}.pem\n  key-file: certs/etcd{i}-key.pem\n  \
                     trusted-ca-file: certs/ca.pem\n  client-cert-auth: true\n"
                )
            };
            let yaml = format!(
                "name: infra{i}\nlisten-client-urls: https://127.0.0.1:{c}\n\
                 advertise-client-urls: https://127.0.0.1:{c}\n\
                 listen-peer-urls: https://127.0.0.1:{p}\n\
                 initial-advertise-peer-urls: https://127.0.0.1:{p}\n\
                 initial-cluster: {peers}\n{client}{peer}",
                c = 2379 + 10 * i,
                p = 2380 + 10 * i,
                peers = peers.join(","),
                client = side("client-transport-security"),
                peer = side("peer-transport-security"),
            );
            let path = root.join(format!("infra{i}.yml"));
            fs::write(&path, yaml).unwrap();
            format!("-etcd-config={}", path.display())
        })
        .collect()
}

/// `openssl x509 -noout -startdate|-enddate` in Go's RFC 3339 form.
fn date(cert: &Path, which: &str) -> String {
    let mut cmd = clean_command(require_tool("openssl"));
    cmd.args(["x509", "-noout", which, "-dateopt", "iso_8601", "-in"])
        .arg(cert);
    let out = run_bounded(cmd, None, Duration::from_secs(30));
    assert!(out.success(), "openssl x509 {which}: {out}");
    // notAfter=2027-12-01 16:27:00Z
    let (_, d) = out.stdout.trim().split_once('=').unwrap();
    d.replacen(' ', "T", 1)
}

fn check(root: &Path, args: &[String]) -> (Output, serde_json::Value) {
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(root).arg("check").arg("-format=json");
    cmd.args(args);
    cmd.arg("-client=certs/root.pem,certs/root-key.pem,certs/ca.pem");
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    let v = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("cfssl check did not print JSON ({e}): {out}"));
    (out, v)
}

fn conn<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the report: {report:#}"))
}

#[test]
fn at_and_within_move_the_judgement() {
    let pki = run_tls_setup(Swap::MakeVars);
    assert_complete(&pki);
    let root = &pki.root;
    let configs = configs(root);
    let with = |extra: &[&str]| {
        let mut a = configs.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        check(root, &a)
    };
    let code = |out: &Output| out.status.and_then(|s| s.code());

    // Now: everything works.
    let (out, report) = with(&[]);
    assert_eq!(report["works"], true, "{out}");
    assert_eq!(code(&out), Some(0), "{out}");
    assert_eq!(conn(&report, "peer:infra1->infra2")["verdict"], "ok");

    // After the members' certificates expire: the peers refuse each other, no member
    // has a leader, and clients are refused by etcdctl; the members still start.
    let etcd2_end = date(&pki.cert("etcd2"), "-enddate");
    let (out, report) = with(&["-at=2099-01-01T00:00:00Z"]);
    assert_eq!(report["works"], false, "{out}");
    assert_eq!(code(&out), Some(1), "{out}");
    assert_eq!(conn(&report, "member:infra1:start")["verdict"], "ok");
    for id in [
        "peer:infra1->infra2",
        "member:infra1:health",
        "client:root@infra3",
    ] {
        assert_eq!(conn(&report, id)["verdict"], "fail", "{id}: {report:#}");
    }
    let reason = conn(&report, "peer:infra1->infra2")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    let want = format!(
        "x509: certificate has expired or is not yet valid: current time 2099-01-01T00:00:00Z is after {etcd2_end}"
    );
    assert!(reason.contains(&want), "{reason}\nwant: {want}");

    // Before they are valid; etcdctl rejects the member's certificate before it sends
    // its own, and a dialling member the certificate of the member it dials.
    let etcd2_start = date(&pki.cert("etcd2"), "-startdate");
    let etcd3_start = date(&pki.cert("etcd3"), "-startdate");
    let (out, report) = with(&["-at=2001-02-03T04:05:06Z"]);
    assert_eq!(code(&out), Some(1), "{out}");
    for (id, start) in [
        ("client:root@infra2", &etcd2_start),
        ("peer:infra2->infra3", &etcd3_start),
    ] {
        let reason = conn(&report, id)["reason"].as_str().unwrap();
        let want = format!("current time 2001-02-03T04:05:06Z is before {start}");
        assert!(reason.contains(&want), "{id}: {reason}\nwant: {want}");
    }

    // -within: still working, with a warning naming the certificate and its end.
    let root_end = date(&pki.cert("root"), "-enddate");
    let (out, report) = with(&["-within=87600h"]);
    assert_eq!(report["works"], true, "{out}");
    assert_eq!(code(&out), Some(0), "{out}");
    let c = conn(&report, "client:root@infra1");
    assert_eq!(c["verdict"], "warn", "{c}");
    let reason = c["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "certificate \"root\" expires at {root_end} (within -within)"
        )),
        "{reason}"
    );
    assert!(
        c["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "certs/root.pem"),
        "{c}"
    );
    // A window that ends before the first expiry warns about nothing.
    let (out, report) = with(&["-within=1h"]);
    assert_eq!(code(&out), Some(0), "{out}");
    assert_eq!(conn(&report, "client:root@infra1")["verdict"], "ok");
}
