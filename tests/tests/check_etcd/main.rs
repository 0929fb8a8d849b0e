//! `cfssl check` against a real etcd: certificate trees (the tls-setup tree `make`
//! leaves, and one tree per defect class, made with our own commands and, where cfssl
//! cannot make the defect, with openssl) run by a real 1- or 3-member etcd; every
//! connection `cfssl check` predicts is compared with what the cluster did.
//!
//! What the cluster did is read from etcd itself: a member started if its process is
//! still running; healthy if `/health` on its plain-HTTP metrics listener says so;
//! `peer:A->B` worked if A's log shows its stream reader connected to B (the dialling
//! side); `client:C@M` worked if etcdctl with C's files could write and read at M;
//! `nocert@M` worked if a TLS client without a certificate got an HTTP answer.
//!
//! Needs etcd, etcdctl, openssl and curl (skips loudly without etcd, fails in CI).

mod cluster;
#[path = "../common/mod.rs"]
mod common;
mod compare;
mod ossl;

use cluster::{client, member_req, side, spec, ClientSpec, Cluster, MemberSpec};
use common::*;
use compare::compare;
use ossl::{cat, openssl, Ossl, CA_EXT, CLIENT_EXT};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Clusters share two cores; run them one after the other.
static SERIAL: Mutex<()> = Mutex::new(());

/// What every comparison starts from: etcd and etcdctl (or a loud skip), the turn
/// to run a cluster, and a fresh tls-setup tree.
fn prepare() -> Option<(PathBuf, PathBuf, MutexGuard<'static, ()>, Pki)> {
    let (etcd, etcdctl) = etcd_tools()?;
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pki = run_tls_setup(Swap::MakeVars);
    assert_complete(&pki);
    Some((etcd, etcdctl, serial, pki))
}

/// The tree `make` leaves, run by 3 members with client and peer mutual TLS as the
/// tls-setup README has it: everything works, then with etcd users: a CN without a
/// user is refused, and a near miss gets a hint.
#[test]
fn tls_setup_tree_works_and_cn_users_are_judged() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let specs: Vec<MemberSpec> = (1..=3)
        .map(|i| {
            let s = side(&format!("etcd{i}"), Some("ca.pem"), true);
            spec(&format!("infra{i}"), s.clone(), s)
        })
        .collect();
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "good", &specs);
    cluster.settle();
    let clients: Vec<ClientSpec> = ["root", "calico", "kubernetes"]
        .iter()
        .map(|n| client(n, Some("ca.pem")))
        .collect();
    let (report, real) = cluster.judge(&clients, &[], 0);
    compare(
        &report,
        &real,
        &[(
            "nocert@infra1",
            "fail",
            "tls: client didn't provide a certificate",
        )],
    );

    // etcd users as the Calico tutorial makes them, plus a near miss of kubernetes.
    let root = &clients[0];
    let url = cluster.members[0].client_url.clone();
    let admin = |args: &[&str]| {
        let out = cluster.ctl(
            &url,
            Some((&root.cert, &root.key)),
            root.ca.as_deref(),
            args,
        );
        assert!(out.success(), "etcdctl {args:?}: {out}");
    };
    admin(&["user", "add", "root", "--new-user-password=unused-Aa1"]);
    admin(&["auth", "enable"]);
    admin(&["role", "add", "rw"]);
    admin(&[
        "role",
        "grant-permission",
        "rw",
        "--prefix=true",
        "readwrite",
        "/check/",
    ]);
    for u in ["calico", "kubernets"] {
        admin(&["user", "add", u, "--new-user-password=unused-Aa1"]);
        admin(&["user", "grant-role", u, "rw"]);
    }
    let users = pki.root.join("users.txt");
    fs::write(&users, "root\ncalico\nkubernets\n").unwrap();
    let (report, real) = cluster.judge(&clients, &[&format!("-users={}", users.display())], 1);
    compare(
        &report,
        &real,
        &[
            ("client:root@infra2", "ok", ""),
            ("client:calico@infra3", "ok", ""),
            (
                "client:kubernetes@infra1",
                "fail",
                "etcdserver: permission denied",
            ),
            (
                "client:kubernetes@infra2",
                "fail",
                "etcdserver: permission denied",
            ),
        ],
    );
    // The near miss is our hint, not etcd's words.
    let k = report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client:kubernetes@infra2")
        .unwrap();
    assert!(
        k["reason"]
            .as_str()
            .unwrap()
            .contains("(did you mean \"kubernets\"?)"),
        "{k}"
    );
}

/// Defects of usage, names and the trust file, spread over a 3-member cluster so that
/// one start covers them: a peer certificate without `client auth`, a client-facing
/// certificate without the dialled IP, a peer certificate whose only IP is not the
/// address the member connects from, and a trusted CA with client-cert-auth off.
#[test]
fn usage_and_name_defects_match_etcd() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let root = pki.root.clone();
    gencert_profile(
        &pki,
        &member_req(&root, "serveronly", &["localhost", "127.0.0.1"]),
        Some("server"),
        "serveronly",
    );
    gencert_profile(
        &pki,
        &member_req(&root, "noip", &["example.com"]),
        Some("peer"),
        "noip",
    );
    gencert_profile(
        &pki,
        &member_req(&root, "ip2", &["127.0.0.2"]),
        Some("peer"),
        "ip2",
    );
    let ca = Some("ca.pem");
    let mut s3 = spec("infra3", side("etcd3", ca, true), side("ip2", ca, true));
    s3.peer_ip = "127.0.0.2";
    let specs = vec![
        // client-cert-auth off, trusted CA set: etcd still demands client certificates.
        spec("infra1", side("etcd1", ca, false), side("etcd1", ca, true)),
        spec(
            "infra2",
            side("noip", ca, true),
            side("serveronly", ca, true),
        ),
        s3,
    ];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &root, "defects", &specs);
    cluster.settle();
    let clients = vec![client("root", ca), client("serveronly", ca)];
    let (report, real) = cluster.judge(&clients, &[], 1);
    compare(
        &report,
        &real,
        &[
            ("peer:infra2->infra1", "fail", "x509: certificate specifies an incompatible key usage"),
            ("peer:infra1->infra2", "ok", ""),
            ("member:infra2:health", "ok", ""),
            ("client:root@infra2", "fail", "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
            ("peer:infra3->infra1", "fail", "x509: certificate is valid for 127.0.0.2, not 127.0.0.1"),
            ("peer:infra1->infra3", "ok", ""),
            ("nocert@infra1", "fail", "tls: client didn't provide a certificate"),
            ("client:root@infra1", "ok", ""),
            ("client:serveronly@infra3", "fail", "x509: certificate specifies an incompatible key usage"),
        ],
    );
}

/// Chain defects, seen through client certificates presented to one member whose
/// trust file holds the tls-setup CA, an intermediate, and openssl roots with a path
/// length of 0, without keyCertSign, and with CA:FALSE.
#[test]
fn chain_defects_match_etcd() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let certs = pki.certs.clone();
    let o = Ossl { dir: &certs };
    o.root("root-pathlen0", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash");
    o.root("root-nocertsign", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash");
    o.root(
        "root-notca",
        "basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash",
    );
    let int_ext = format!("{CA_EXT}\nauthorityKeyIdentifier=keyid");
    o.issue("int-a", "ca", "ec", &int_ext);
    o.issue("int-t", "ca", "ec", &int_ext);
    o.issue("int-p", "root-pathlen0", "ec", &int_ext);
    o.issue("c-chain", "int-a", "ec", CLIENT_EXT);
    o.issue("c-nochain", "int-a", "ec", CLIENT_EXT);
    o.issue("c-intrust", "int-t", "ec", CLIENT_EXT);
    o.issue("c-pathlen", "int-p", "ec", CLIENT_EXT);
    o.issue("c-nocertsign", "root-nocertsign", "ec", CLIENT_EXT);
    o.issue("c-notca", "root-notca", "ec", CLIENT_EXT);
    o.issue("c-rsa1024", "ca", "rsa:1024", CLIENT_EXT);
    o.issue_with("c-sha1", "ca", "ec", CLIENT_EXT, &["-sha1"]);
    o.issue(
        "c-noeku",
        "ca",
        "ec",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature",
    );
    // Leaf and intermediate in the certificate file, as etcdctl sends them.
    cat(&certs, "c-chain.pem", &["c-chain.pem", "int-a.pem"]);
    cat(&certs, "c-pathlen.pem", &["c-pathlen.pem", "int-p.pem"]);
    cat(
        &certs,
        "trust.pem",
        &[
            "ca.pem",
            "int-t.pem",
            "root-pathlen0.pem",
            "root-nocertsign.pem",
            "root-notca.pem",
        ],
    );
    let (oc, _) = other_ca_client(&pki);
    fs::copy(&oc, certs.join("c-otherca.pem")).unwrap();
    fs::copy(
        pki.root.join("other/calico-key.pem"),
        certs.join("c-otherca-key.pem"),
    )
    .unwrap();

    let specs = vec![spec(
        "solo",
        side("etcd1", Some("trust.pem"), true),
        side("etcd1", Some("ca.pem"), true),
    )];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "chains", &specs);
    cluster.settle();
    let names = [
        "c-chain",
        "c-nochain",
        "c-intrust",
        "c-pathlen",
        "c-nocertsign",
        "c-notca",
        "c-rsa1024",
        "c-sha1",
        "c-noeku",
        "c-otherca",
    ];
    let clients: Vec<ClientSpec> = names.iter().map(|n| client(n, Some("ca.pem"))).collect();
    let (report, real) = cluster.judge(&clients, &[], 1);
    compare(
        &report,
        &real,
        &[
            ("client:c-chain@solo", "ok", ""),
            ("client:c-intrust@solo", "ok", ""),
            ("client:c-noeku@solo", "ok", ""),
            ("client:c-rsa1024@solo", "warn", "weak RSA 1024 key"),
            ("client:c-sha1@solo", "fail", "insecure algorithm"),
            ("client:c-nochain@solo", "fail", "x509: certificate signed by unknown authority"),
            ("client:c-pathlen@solo", "fail", "x509: too many intermediates for path length constraint"),
            (
                "client:c-nocertsign@solo",
                "fail",
                "x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\" while trying to verify candidate authority certificate \"root-nocertsign\")",
            ),
            ("client:c-notca@solo", "fail", "parent certificate cannot sign this kind of certificate"),
            (
                "client:c-otherca@solo",
                "fail",
                "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Autogenerated CA\")",
            ),
        ],
    );
}

/// Files a member cannot start with, each run by its own 1-member etcd: the verdict
/// and etcd's own error text must match.
#[test]
fn key_file_defects_stop_etcd_as_predicted() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let certs = pki.certs.clone();
    // Swapped: the key where the certificate belongs.
    fs::copy(certs.join("etcd1-key.pem"), certs.join("swapped.pem")).unwrap();
    fs::copy(certs.join("etcd1.pem"), certs.join("swapped-key.pem")).unwrap();
    // Mismatched: etcd1's certificate with etcd2's key.
    fs::copy(certs.join("etcd1.pem"), certs.join("mismatch.pem")).unwrap();
    fs::copy(certs.join("etcd2-key.pem"), certs.join("mismatch-key.pem")).unwrap();
    // Encrypted PKCS#8 and DER keys.
    fs::copy(certs.join("etcd1.pem"), certs.join("encrypted.pem")).unwrap();
    openssl(
        &certs,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "etcd1-key.pem",
            "-out",
            "encrypted-key.pem",
            "-passout",
            "pass:secret-Aa1",
            "-v2",
            "aes-256-cbc",
        ],
    );
    fs::copy(certs.join("etcd1.pem"), certs.join("der.pem")).unwrap();
    openssl(
        &certs,
        &[
            "pkey",
            "-in",
            "etcd1-key.pem",
            "-outform",
            "DER",
            "-out",
            "der-key.pem",
        ],
    );
    // PKCS#8 (unencrypted) is fine.
    fs::copy(certs.join("etcd1.pem"), certs.join("pkcs8.pem")).unwrap();
    openssl(
        &certs,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "etcd1-key.pem",
            "-out",
            "pkcs8-key.pem",
        ],
    );
    let ca = Some("ca.pem");
    let cases: &[(&str, &str, &str)] = &[
        ("swapped", "fail", "PEM inputs may have been switched"),
        (
            "mismatch",
            "fail",
            "tls: private key does not match public key",
        ),
        ("encrypted", "fail", "tls: failed to parse private key"),
        (
            "der",
            "fail",
            "tls: failed to find any PEM data in key input",
        ),
        ("pkcs8", "ok", ""),
    ];
    for (name, verdict, phrase) in cases {
        let s = side(name, ca, true);
        let specs = vec![spec(name, s.clone(), s)];
        let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, name, &specs);
        cluster.settle();
        let exit = if *verdict == "ok" { 0 } else { 1 };
        let (report, real) = cluster.judge(&[], &[], exit);
        let id = format!("member:{name}:start");
        compare(&report, &real, &[(&id, verdict, phrase)]);
    }
}

/// `client-cert-auth` on with no `trusted-ca-file` on the client side: etcd still
/// demands a certificate and checks it against the system roots, so the tls-setup
/// client is refused. One member, the tls-setup root client connecting. The setting
/// is written `yes`, a YAML 1.1 boolean that etcd's go-yaml v2 reads as true (with
/// `false` the client and nocert would both get in).
#[test]
fn client_cert_auth_without_trusted_ca_matches_etcd() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let ca = Some("ca.pem");
    let mut client_side = side("etcd1", None, true);
    client_side.cert_auth_word = Some("yes");
    let specs = vec![spec("noca", client_side, side("etcd1", ca, true))];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "noca", &specs);
    cluster.settle();
    let clients = vec![client("root", ca)];
    let (report, real) = cluster.judge(&clients, &[], 1);
    compare(
        &report,
        &real,
        &[
            ("member:noca:health", "ok", ""),
            ("nocert@noca", "fail", "tls: client didn't provide a certificate"),
            (
                "client:root@noca",
                "fail",
                "tls: failed to verify client certificate: x509: certificate signed by unknown authority",
            ),
        ],
    );
}

/// etcd reads its configuration as YAML 1.1 (go-yaml v2) and decodes it with Go's
/// json, converting nothing: a quoted word is a string, `On`/`YES` are booleans, and a
/// value of the wrong type stops etcd. Two 3-member clusters: in the first, names
/// quoted as strings (`'on'`, `"no"`) and YAML 1.1 booleans work, and a quoted `"yes"`
/// for client-cert-auth stops its member (the other two keep a quorum); in the second
/// every member is refused: a plain `y` name (a boolean; check names the member after
/// its file), a number for listen-client-urls, a NaN anywhere in the file, and a
/// fraction for the (unsigned) heartbeat interval, which check itself does not use.
#[test]
fn yaml_1_1_values_match_etcd() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let ca = Some("ca.pem");
    let member = |name: &str, cert: &str, edits: Vec<(&'static str, &'static str)>| {
        let mut m = spec(name, side(cert, ca, true), side(cert, ca, true));
        m.yaml_edits = edits;
        m
    };
    let prefix = "error verifying flags, error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ";
    let specs = vec![
        member(
            "on",
            "etcd1",
            vec![
                ("name: ", "name: 'on'"),
                ("  client-cert-auth: ", "  client-cert-auth: On"),
            ],
        ),
        member(
            "no",
            "etcd2",
            vec![
                ("name: ", "name: \"no\""),
                ("  client-cert-auth: ", "  client-cert-auth: YES"),
            ],
        ),
        member(
            "quoted",
            "etcd3",
            vec![("  client-cert-auth: ", "  client-cert-auth: \"yes\"")],
        ),
    ];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "yaml", &specs);
    cluster.settle();
    let clients = vec![client("root", ca)];
    let (report, real) = cluster.judge(&clients, &[], 1);
    let quoted = format!("{prefix}string into Go struct field securityConfig.client-transport-security.client-cert-auth of type bool");
    compare(
        &report,
        &real,
        &[
            ("member:on:health", "ok", ""),
            ("member:no:health", "ok", ""),
            ("client:root@on", "ok", ""),
            (
                "nocert@no",
                "fail",
                "tls: client didn't provide a certificate",
            ),
            ("member:quoted:start", "fail", &quoted),
        ],
    );
    drop(cluster);

    let specs = vec![
        member("y", "etcd1", vec![("name: ", "name: y")]),
        member(
            "number",
            "etcd2",
            vec![("listen-client-urls: ", "listen-client-urls: 0x1F")],
        ),
        member("nan", "etcd3", vec![("zzz: ", "zzz: .nan")]),
        member(
            "fraction",
            "etcd1",
            vec![("heartbeat-interval: ", "heartbeat-interval: 1.5")],
        ),
    ];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "yaml2", &specs);
    // check cannot read the name `y`: it names the member after its file.
    cluster.members[0].name = "yaml2-y".into();
    cluster.settle();
    let (report, real) = cluster.judge(&[], &[], 1);
    let bool_name = format!("{prefix}bool into Go struct field configYAML.name of type string");
    let number =
        format!("{prefix}number into Go struct field configYAML.listen-client-urls of type string");
    let fraction = format!(
        "{prefix}number 1.5 into Go struct field configYAML.heartbeat-interval of type uint"
    );
    compare(
        &report,
        &real,
        &[
            ("member:yaml2-y:start", "fail", &bool_name),
            ("member:number:start", "fail", &number),
            (
                "member:nan:start",
                "fail",
                "error verifying flags, error converting YAML to JSON: json: unsupported value: NaN",
            ),
            ("member:fraction:start", "fail", &fraction),
        ],
    );
}

const MEMBER_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";
const PAST: (&str, &str) = ("20200101000000Z", "20210101000000Z");
const FUTURE: (&str, &str) = ("20990101000000Z", "21000101000000Z");

/// Validity at the current time (no `-at`), in one 3-member cluster: infra1 serves
/// clients an expired certificate, infra2's peer certificate is not yet valid (so it
/// is cut off from the others and has no leader), a client certificate has expired,
/// and another is issued by an expired intermediate sent along in its file.
#[test]
fn expired_and_not_yet_valid_certificates_match_etcd() {
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    let certs = pki.certs.clone();
    let o = Ossl { dir: &certs };
    o.issue_dated("m-expired", "ca", MEMBER_EXT, PAST.0, PAST.1);
    o.issue_dated("m-future", "ca", MEMBER_EXT, FUTURE.0, FUTURE.1);
    o.issue_dated("c-expired", "ca", CLIENT_EXT, PAST.0, PAST.1);
    let int_ext = format!("{CA_EXT}\nauthorityKeyIdentifier=keyid");
    o.issue_dated("int-expired", "ca", &int_ext, PAST.0, PAST.1);
    o.issue("c-intexpired", "int-expired", "ec", CLIENT_EXT);
    cat(
        &certs,
        "c-intexpired.pem",
        &["c-intexpired.pem", "int-expired.pem"],
    );

    let ca = Some("ca.pem");
    let specs = vec![
        spec(
            "infra1",
            side("m-expired", ca, true),
            side("etcd1", ca, true),
        ),
        spec(
            "infra2",
            side("etcd2", ca, true),
            side("m-future", ca, true),
        ),
        spec("infra3", side("etcd3", ca, true), side("etcd3", ca, true)),
    ];
    let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, "validity", &specs);
    cluster.settle();
    let clients = vec![
        client("root", ca),
        client("c-expired", ca),
        client("c-intexpired", ca),
    ];
    let (report, real) = cluster.judge(&clients, &[], 1);
    let expired = "x509: certificate has expired or is not yet valid: current time";
    let after = "is after 2021-01-01T00:00:00Z";
    let before = "is before 2099-01-01T00:00:00Z";
    compare(
        &report,
        &real,
        &[
            ("member:infra1:start", "ok", ""),
            ("member:infra2:start", "ok", ""),
            ("member:infra1:health", "ok", ""),
            ("member:infra2:health", "fail", ""),
            ("client:root@infra1", "fail", expired),
            ("client:root@infra1", "fail", after),
            ("peer:infra1->infra2", "fail", before),
            ("peer:infra2->infra3", "fail", before),
            ("peer:infra1->infra3", "ok", ""),
            ("client:root@infra2", "fail", "context deadline exceeded"),
            ("client:root@infra3", "ok", ""),
            ("client:c-expired@infra3", "fail", after),
            ("client:c-intexpired@infra3", "fail", expired),
            ("client:c-intexpired@infra3", "fail", after),
        ],
    );
}

/// The uid and gid of `nobody`, when the test may start etcd as that user: it must run
/// as root, with setpriv (util-linux). Otherwise a loud skip; a missing setpriv fails
/// in CI.
fn nobody() -> Option<(u32, u32)> {
    if which("setpriv").is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "setpriv (util-linux) is required in CI to start etcd as another user"
        );
        loud("SKIPPED: -run-as comparison: setpriv (util-linux) not found on PATH.");
        return None;
    }
    // SAFETY: geteuid has no preconditions; getpwnam returns static storage or null,
    // read before any other call.
    let (euid, pw) = unsafe { (libc::geteuid(), libc::getpwnam(c"nobody".as_ptr())) };
    if euid != 0 || pw.is_null() {
        loud(
            "SKIPPED: -run-as comparison: needs root and a `nobody` user to start etcd as nobody.",
        );
        return None;
    }
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

/// `-run-as`: etcd started as `nobody` (setpriv) with its key 0600 and owned by root
/// cannot read it and does not start, as `cfssl check -run-as nobody` predicts; the
/// same member with a key readable through its group (0640, group nobody's) starts.
/// Two 1-member clusters.
#[test]
fn run_as_readability_matches_etcd() {
    let Some((uid, gid)) = nobody() else {
        return;
    };
    let Some((etcd, etcdctl, _serial, pki)) = prepare() else {
        return;
    };
    // nobody must be able to reach the tree (tempdirs are 0700).
    let top = pki.root.parent().unwrap();
    fs::set_permissions(top, fs::Permissions::from_mode(0o711)).unwrap();
    let certs = &pki.certs;
    assert_eq!(
        std::os::unix::fs::MetadataExt::mode(&fs::metadata(certs.join("etcd1-key.pem")).unwrap())
            & 0o777,
        0o600
    );
    fs::copy(certs.join("etcd2.pem"), certs.join("grp.pem")).unwrap();
    fs::copy(certs.join("etcd2-key.pem"), certs.join("grp-key.pem")).unwrap();
    std::os::unix::fs::chown(certs.join("grp-key.pem"), Some(0), Some(gid)).unwrap();
    fs::set_permissions(certs.join("grp-key.pem"), fs::Permissions::from_mode(0o640)).unwrap();

    let ca = Some("ca.pem");
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "locked",
            "etcd1",
            "fail",
            "certs/etcd1-key.pem: permission denied",
        ),
        ("grp", "grp", "ok", ""),
    ];
    for (name, cert, verdict, phrase) in cases {
        let s = side(cert, ca, true);
        let mut m = spec(name, s.clone(), s);
        m.run_as = Some((uid, gid));
        let mut cluster = Cluster::start(&etcd, &etcdctl, &pki.root, name, &[m]);
        cluster.settle();
        let clients = vec![client("root", ca)];
        let (out, report) = cluster.check(&clients, &["-run-as=nobody"]);
        let want = if *verdict == "ok" { 0 } else { 1 };
        assert_eq!(
            out.status.and_then(|s| s.code()),
            Some(want),
            "{name}: {out}"
        );
        let real = cluster.observe(&clients, &report);
        let id = format!("member:{name}:start");
        compare(&report, &real, &[(&id, verdict, phrase)]);
    }
    // Judged as root, the same configuration works: -run-as is what finds the defect.
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(&pki.root)
        .arg("check")
        .arg("-etcd-config=locked-locked.yml");
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert_eq!(out.status.and_then(|s| s.code()), Some(0), "{out}");
}
