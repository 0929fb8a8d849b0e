//! The connection model: how etcd 3.4 uses each file. A member starts when its files
//! load; member A reaches member B over B's peer URL with A's peer certificate (A
//! verifies B as a server with A's peer trust file, B verifies A as a client with its
//! own and then checks A's address against A's certificate); etcdctl reaches a member
//! at its advertised client URL. Health follows from which members reach each other.

use super::chain::{self, Cert, Pool};
use super::etcdconf::{Member, TlsSide, Url};
use super::keys::{self, KeyPair};
use super::usage::Usage;
use super::{Client, Connection, Fault, Options, Report, Verdict};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// One side of a member after start: what it presents and trusts.
#[derive(Debug, Clone, Default)]
struct Side {
    conf: TlsSide,
    pair: Option<KeyPair>,
    /// The trust file's pool; `None` when no trust file is set (Go's system roots).
    pool: Option<Pool>,
}

struct Started {
    client: Side,
    peer: Side,
}

fn path_str(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// etcd's `baseConfig` + `cafiles` for one side.
fn load_side(
    conf: &TlsSide,
    load_pair: bool,
    load_ca: bool,
    opts: &Options,
) -> Result<Side, Fault> {
    let mut side = Side {
        conf: conf.clone(),
        ..Side::default()
    };
    if load_pair {
        match (&conf.cert, &conf.key) {
            (Some(c), Some(k)) => side.pair = Some(keys::load_pair(c, k, opts.run_as.as_ref())?),
            _ => {
                let files: Vec<&Path> = conf
                    .cert
                    .iter()
                    .chain(conf.key.iter())
                    .map(|p| p.as_path())
                    .collect();
                return Err(Fault::new(
                    &files,
                    format!(
                        "KeyFile and CertFile must both be present[key: {}, cert: {}]",
                        path_str(&conf.key),
                        path_str(&conf.cert)
                    ),
                    "set both cert-file and key-file",
                ));
            }
        }
    }
    if load_ca {
        if let Some(ca) = &conf.ca {
            side.pool = Some(keys::load_pool(ca, opts.run_as.as_ref())?);
        }
    }
    Ok(side)
}

fn start(m: &Member, opts: &Options) -> Result<Started, Vec<Fault>> {
    if let Some(refusal) = &m.refused {
        return Err(vec![Fault::new(
            &[m.file.as_path()],
            refusal.clone(),
            "write the value as its field's type: YAML 1.1 reads y/yes/on/no/off and numbers unquoted, quote a string, write true or false for a boolean",
        )]);
    }
    let mut faults = Vec::new();
    let https = |urls: &[Url]| urls.iter().find(|u| u.is_tls()).cloned();
    // Peer: the listener needs the files for an https URL, and the peer transport
    // loads them whenever they are set.
    let peer_tls = https(&m.listen_peer);
    if let (Some(u), true) = (&peer_tls, m.peer.is_empty()) {
        faults.push(Fault::new(
            &[m.file.as_path()],
            format!(
                "TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url {} with HTTPS scheme",
                u.raw
            ),
            "set peer-transport-security cert-file and key-file",
        ));
    }
    let peer_load = !m.peer.is_empty();
    let peer = load_side(&m.peer, peer_load, peer_load, opts).unwrap_or_else(|f| {
        faults.push(f);
        Side::default()
    });
    let client_tls = https(&m.listen_client);
    if let (Some(u), true) = (&client_tls, m.client.is_empty()) {
        faults.push(Fault::new(
            &[m.file.as_path()],
            format!(
                "TLS key/cert (--cert-file, --key-file) must be provided for client url {} with HTTPS scheme",
                u.raw
            ),
            "set client-transport-security cert-file and key-file",
        ));
    }
    let client_load = client_tls.is_some() && !m.client.is_empty();
    let client = load_side(&m.client, client_load, client_load, opts).unwrap_or_else(|f| {
        faults.push(f);
        Side::default()
    });
    if !m.initial_cluster.iter().any(|(n, _)| n == &m.name) {
        faults.push(Fault::new(
            &[m.file.as_path()],
            format!(
                "couldn't find local name {} in the initial cluster configuration",
                crate::gojson::go_quote(&m.name)
            ),
            "add NAME=PEER-URL for this member to initial-cluster",
        ));
    }
    if faults.is_empty() {
        Ok(Started { client, peer })
    } else {
        Err(faults)
    }
}

fn ok(id: String) -> Connection {
    Connection {
        id,
        verdict: Verdict::Ok,
        reason: String::new(),
        files: Vec::new(),
        fix: String::new(),
    }
}

/// Each distinct non-empty text once, in order: the client and peer sides often share
/// files, and so their faults.
fn distinct<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for t in texts {
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn fail(id: String, faults: Vec<Fault>) -> Connection {
    let files = distinct(
        faults
            .iter()
            .flat_map(|f| f.files.iter().map(String::as_str)),
    );
    Connection {
        id,
        verdict: Verdict::Fail,
        reason: distinct(faults.iter().map(|f| f.reason.as_str())).join("; "),
        files: files.into_iter().map(str::to_string).collect(),
        fix: distinct(faults.iter().map(|f| f.fix.as_str())).join("; "),
    }
}

/// A connection that fails for one reason.
fn refuse(id: String, files: &[&Path], reason: String, fix: &str) -> Connection {
    fail(id, vec![Fault::new(files, reason, fix)])
}

/// A connection that works, with warnings about what it relies on.
fn ok_or_warn(id: String, chains: &[(&str, &[Cert])], opts: &Options) -> Connection {
    let mut warnings = Vec::new();
    for (file, certs) in chains {
        for c in certs.iter() {
            if let Some(within) = opts.within {
                if c.not_after < opts.at + within {
                    warnings.push(Fault {
                        files: vec![file.to_string()],
                        reason: format!(
                            "certificate {} expires at {} (within -within)",
                            crate::gojson::go_quote(&c.cn),
                            chain::rfc3339(c.not_after)
                        ),
                        fix: "renew it before then".into(),
                    });
                }
            }
            if let chain::PublicKey::Rsa { bits, .. } = c.key {
                if bits < 2048 {
                    warnings.push(Fault {
                        files: vec![file.to_string()],
                        reason: format!(
                            "certificate {} has a weak RSA {bits} key (Go accepts it)",
                            crate::gojson::go_quote(&c.cn)
                        ),
                        fix: "reissue with RSA 2048 or more, or ECDSA".into(),
                    });
                }
            }
        }
    }
    let mut seen = Vec::new();
    warnings.retain(|w| {
        let key = (w.files.clone(), w.reason.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    if warnings.is_empty() {
        return ok(id);
    }
    let mut c = fail(id, warnings);
    c.verdict = Verdict::Warn;
    c
}

/// The fix that goes with a Go verification error.
fn fix_for(
    err: &str,
    cert_file: &str,
    trust_file: &str,
    usage: Usage,
    host: Option<&str>,
) -> String {
    if err.contains("incompatible key usage") {
        format!(
            "reissue {cert_file} with the `{}` usage (every certificate of its chain must allow it)",
            usage.name()
        )
    } else if err.starts_with(chain::UNKNOWN_AUTHORITY) {
        if trust_file.is_empty() {
            format!("set a trusted CA file that holds the CA which issued {cert_file}")
        } else {
            format!(
                "{trust_file} must hold the CA that issued {cert_file} (an intermediate goes in {cert_file} after the leaf, or in {trust_file})"
            )
        }
    } else if err.contains("is valid for")
        || err.contains("IP SANs")
        || err.contains("not valid for any names")
        || err.contains("legacy Common Name")
    {
        format!(
            "reissue {cert_file} with {} in its hosts",
            host.unwrap_or("the dialled address")
        )
    } else if err.contains("expired or is not yet valid") {
        format!("renew the certificate ({cert_file} or its CA in {trust_file})")
    } else if err.contains("too many intermediates") {
        "the CA's path length limit forbids this chain: issue from a CA without the limit, or shorten the chain".into()
    } else {
        format!("reissue {cert_file}")
    }
}

fn trust_name(conf: &TlsSide) -> String {
    path_str(&conf.ca)
}

/// The address member A's peer connection to `dest` comes from. etcd does not bind
/// its dialer, so the kernel picks it: a loopback destination is reached from
/// 127.0.0.1 (or ::1) whatever A advertises; otherwise we take the host of A's own
/// advertised peer URL, resolved when it is a name.
fn source_ip(a: &Member, dest: &Url) -> Option<IpAddr> {
    let resolve = |host: &str| -> Option<IpAddr> {
        if let Ok(ip) = host.parse() {
            return Some(ip);
        }
        std::net::ToSocketAddrs::to_socket_addrs(&(host, 0))
            .ok()?
            .map(|a| a.ip())
            .next()
    };
    match resolve(&dest.host) {
        Some(IpAddr::V4(d)) if d.is_loopback() => return Some(IpAddr::from([127, 0, 0, 1])),
        Some(IpAddr::V6(d)) if d.is_loopback() => return Some(IpAddr::V6(d)),
        _ => {}
    }
    resolve(&a.advertise_peer.first()?.host)
}

fn peer(
    a: &Member,
    sa: &Started,
    b: &Member,
    sb: &Started,
    opts: &Options,
    sigs: &chain::Signatures,
) -> Connection {
    let id = format!("peer:{}->{}", a.name, b.name);
    let Some((_, url)) = a.initial_cluster.iter().find(|(n, _)| n == &b.name) else {
        return refuse(
            id,
            &[a.file.as_path()],
            format!("initial-cluster of {} has no entry for {}", a.name, b.name),
            &format!("add {}=PEER-URL to initial-cluster", b.name),
        );
    };
    let b_tls = b.listen_peer.iter().any(Url::is_tls);
    if url.is_tls() != b_tls {
        return refuse(
            id,
            &[a.file.as_path(), b.file.as_path()],
            format!(
                "{} dials {} but {} listens for peers with {}",
                a.name,
                url.raw,
                b.name,
                if b_tls { "https" } else { "http" }
            ),
            "use the same scheme in initial-cluster and listen-peer-urls",
        );
    }
    if !url.is_tls() {
        return ok(id);
    }
    let Some(b_pair) = &sb.peer.pair else {
        return refuse(
            id,
            &[b.file.as_path()],
            format!("{} has no peer certificate", b.name),
            "set peer cert-file and key-file",
        );
    };
    let b_cert = path_str(&b.peer.cert);
    let a_trust = trust_name(&a.peer);
    let inter = b_pair.intermediates();
    let server = chain::verify(
        b_pair.leaf(),
        &chain::Verify {
            roots: sa.peer.pool.as_ref(),
            intermediates: &inter,
            dns_name: Some(&url.host),
            usage: Usage::ServerAuth,
            now: opts.at,
            signatures: sigs,
        },
    );
    if let Err(e) = server {
        let files: Vec<&Path> = b
            .peer
            .cert
            .iter()
            .chain(a.peer.ca.iter())
            .map(|p| p.as_path())
            .collect();
        return refuse(
            id,
            &files,
            format!(
                "{} rejects the peer certificate of {} at {}: {e}",
                a.name, b.name, url.raw
            ),
            &fix_for(&e, &b_cert, &a_trust, Usage::ServerAuth, Some(&url.host)),
        );
    }
    let mut used: Vec<(String, Vec<Cert>)> = vec![(b_cert.clone(), b_pair.chain.clone())];
    if sb.peer.conf.requires_client_cert() {
        let Some(a_pair) = &sa.peer.pair else {
            return refuse(
                id,
                &[a.file.as_path()],
                format!(
                    "{} refuses {}: tls: client didn't provide a certificate",
                    b.name, a.name
                ),
                "give the member a peer cert-file and key-file",
            );
        };
        let a_cert = path_str(&a.peer.cert);
        let b_trust = trust_name(&b.peer);
        let inter = a_pair.intermediates();
        if let Err(e) = chain::verify(
            a_pair.leaf(),
            &chain::Verify {
                roots: sb.peer.pool.as_ref(),
                intermediates: &inter,
                dns_name: None,
                usage: Usage::ClientAuth,
                now: opts.at,
                signatures: sigs,
            },
        ) {
            let files: Vec<&Path> = a
                .peer
                .cert
                .iter()
                .chain(b.peer.ca.iter())
                .map(|p| p.as_path())
                .collect();
            return refuse(id, &files,
                format!("{} rejects the peer certificate of {}: tls: failed to verify client certificate: {e}", b.name, a.name),
                &fix_for(&e, &a_cert, &b_trust, Usage::ClientAuth, None));
        }
        if let Some(src) = source_ip(a, url) {
            if let Err(e) = super::names::check_san(a_pair.leaf(), src) {
                return refuse(
                    id,
                    &[Path::new(&a_cert)],
                    format!(
                        "{} rejects the connection from {} ({src}): {e}",
                        b.name, a.name
                    ),
                    &format!(
                        "reissue {a_cert} with {src} (the address {} connects from) in its hosts",
                        a.name
                    ),
                );
            }
        }
        used.push((a_cert, a_pair.chain.clone()));
    }
    let chains: Vec<(&str, &[Cert])> = used
        .iter()
        .map(|(f, c)| (f.as_str(), c.as_slice()))
        .collect();
    ok_or_warn(id, &chains, opts)
}

fn client_endpoint(m: &Member) -> Option<&Url> {
    m.advertise_client.first()
}

fn nocert(m: &Member, started: Option<&Started>) -> Connection {
    let id = format!("nocert@{}", m.name);
    let Some(s) = started else {
        return refuse(
            id,
            &[m.file.as_path()],
            format!("{} does not start: connection refused", m.name),
            "",
        );
    };
    let Some(url) = client_endpoint(m) else {
        return refuse(
            id,
            &[m.file.as_path()],
            format!("{} advertises no client URL", m.name),
            "set advertise-client-urls",
        );
    };
    if url.is_tls() && s.client.conf.requires_client_cert() {
        let files: Vec<&Path> = m.client.ca.iter().map(|p| p.as_path()).collect();
        let why = if m.client.client_cert_auth {
            "client-cert-auth is on"
        } else {
            "a trusted-ca-file is set (etcd then requires client certificates even with client-cert-auth off)"
        };
        return refuse(id, &files, format!("{} refuses a client without a certificate: tls: client didn't provide a certificate ({why})", m.name), "");
    }
    ok(id)
}

/// A client's own files, loaded as etcdctl does (as the invoking user).
struct ClientFiles<'a> {
    pair: Result<KeyPair, Fault>,
    pool: Option<&'a Result<Pool, Fault>>,
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn client_conn(
    c: &Client,
    files: &ClientFiles,
    m: &Member,
    started: Option<&Started>,
    opts: &Options,
    sigs: &chain::Signatures,
) -> Connection {
    let id = format!("client:{}@{}", c.name, m.name);
    let pair = match &files.pair {
        Ok(p) => p,
        Err(f) => return fail(id, vec![f.clone()]),
    };
    let pool = match files.pool {
        Some(Err(f)) => return fail(id, vec![f.clone()]),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let Some(s) = started else {
        return refuse(
            id,
            &[m.file.as_path()],
            format!("{} does not start: connection refused", m.name),
            &format!("fix member:{}:start first", m.name),
        );
    };
    let Some(url) = client_endpoint(m) else {
        return refuse(
            id,
            &[m.file.as_path()],
            format!("{} advertises no client URL", m.name),
            "set advertise-client-urls",
        );
    };
    let mut used: Vec<(String, Vec<Cert>)> = Vec::new();
    let mut cert_auth = false;
    if url.is_tls() {
        let Some(m_pair) = &s.client.pair else {
            return refuse(
                id,
                &[m.file.as_path()],
                format!("{} serves no certificate", m.name),
                "set cert-file and key-file",
            );
        };
        let m_cert = path_str(&m.client.cert);
        let c_trust =
            c.ca.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
        let inter = m_pair.intermediates();
        if let Err(e) = chain::verify(
            m_pair.leaf(),
            &chain::Verify {
                roots: pool,
                intermediates: &inter,
                dns_name: Some(&url.host),
                usage: Usage::ServerAuth,
                now: opts.at,
                signatures: sigs,
            },
        ) {
            let files: Vec<&Path> = m
                .client
                .cert
                .iter()
                .map(|p| p.as_path())
                .chain(c.ca.iter().map(|p| p.as_path()))
                .collect();
            return refuse(
                id,
                &files,
                format!(
                    "etcdctl rejects the server certificate of {} at {}: {e}",
                    m.name, url.raw
                ),
                &fix_for(&e, &m_cert, &c_trust, Usage::ServerAuth, Some(&url.host)),
            );
        }
        used.push((m_cert, m_pair.chain.clone()));
        if s.client.conf.requires_client_cert() {
            let inter = pair.intermediates();
            if let Err(e) = chain::verify(
                pair.leaf(),
                &chain::Verify {
                    roots: s.client.pool.as_ref(),
                    intermediates: &inter,
                    dns_name: None,
                    usage: Usage::ClientAuth,
                    now: opts.at,
                    signatures: sigs,
                },
            ) {
                let files: Vec<&Path> = std::iter::once(c.cert.as_path())
                    .chain(m.client.ca.iter().map(|p| p.as_path()))
                    .collect();
                return refuse(
                    id,
                    &files,
                    format!(
                        "{} rejects {}: tls: failed to verify client certificate: {e}",
                        m.name,
                        c.cert.display()
                    ),
                    &fix_for(
                        &e,
                        &c.cert.display().to_string(),
                        &trust_name(&m.client),
                        Usage::ClientAuth,
                        None,
                    ),
                );
            }
            used.push((c.cert.display().to_string(), pair.chain.clone()));
            cert_auth = m.client.client_cert_auth;
        }
    }
    if let Some(users) = &opts.users {
        if !cert_auth {
            return refuse(id, &[m.file.as_path()],
                format!("{} does not take the user from the certificate's CN (client-cert-auth is off): etcdserver: user name is empty", m.name),
                "turn client-cert-auth on in client-transport-security");
        }
        let cn = &pair.leaf().cn;
        if !users.iter().any(|u| u == cn) {
            let near = users
                .iter()
                .filter(|u| levenshtein(u, cn) <= 2)
                .min_by_key(|u| levenshtein(u, cn));
            let hint = near
                .map(|u| format!(" (did you mean {}?)", crate::gojson::go_quote(u)))
                .unwrap_or_default();
            return refuse(
                id,
                &[c.cert.as_path()],
                format!(
                    "no etcd user {} for the certificate's CN: etcdserver: permission denied{hint}",
                    crate::gojson::go_quote(cn)
                ),
                &format!(
                    "`etcdctl user add {cn}`, or reissue {} with the CN of an existing user",
                    c.cert.display()
                ),
            );
        }
    }
    let chains: Vec<(&str, &[Cert])> = used
        .iter()
        .map(|(f, c)| (f.as_str(), c.as_slice()))
        .collect();
    ok_or_warn(id, &chains, opts)
}

/// A client that gets through TLS to a started member without a leader still fails:
/// its put waits for a raft proposal that is never committed, until etcdctl's
/// command timeout (etcd 3.4.23: "Error: context deadline exceeded").
fn without_leader(conn: Connection, m: &Member, started: bool, health: &Connection) -> Connection {
    if conn.verdict == Verdict::Fail || !started || health.verdict != Verdict::Fail {
        return conn;
    }
    fail(
        conn.id,
        vec![Fault {
            files: health.files.clone(),
            reason: format!(
                "{} has no leader: the request is never committed (etcdctl: context deadline exceeded)",
                m.name
            ),
            fix: format!("fix member:{}:health first", m.name),
        }],
    )
}

/// Which members have a leader: a member leads when it reaches a quorum directly (a
/// working connection in either direction carries raft both ways: the dialled side
/// answers on the dialler's stream), and a member is healthy when it leads or reaches
/// a possible leader.
fn health(
    members: &[Member],
    started: &[Option<Started>],
    peers: &[Connection],
) -> Vec<Connection> {
    let n = members.len();
    let mut names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    for m in members {
        for (name, _) in &m.initial_cluster {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let quorum = names.len() / 2 + 1;
    let works = |a: &str, b: &str| {
        peers.iter().any(|p| {
            (p.id == format!("peer:{a}->{b}") || p.id == format!("peer:{b}->{a}"))
                && p.verdict != Verdict::Fail
        })
    };
    let reach = |i: usize| -> Vec<usize> {
        (0..n)
            .filter(|&j| {
                j != i && started[j].is_some() && works(&members[i].name, &members[j].name)
            })
            .collect()
    };
    let leaders: Vec<usize> = (0..n)
        .filter(|&i| started[i].is_some() && reach(i).len() + 1 >= quorum)
        .collect();
    (0..n)
        .map(|i| {
            let m = &members[i];
            let id = format!("member:{}:health", m.name);
            if started[i].is_none() {
                return refuse(id, &[m.file.as_path()], format!("{} does not start", m.name), &format!("fix member:{}:start first", m.name));
            }
            let r = reach(i);
            if leaders.contains(&i) || r.iter().any(|j| leaders.contains(j)) {
                return ok(id);
            }
            let broken: Vec<&Connection> = peers
                .iter()
                .filter(|p| p.verdict == Verdict::Fail && (p.id.contains(&format!(":{}->", m.name)) || p.id.ends_with(&format!("->{}", m.name))))
                .collect();
            let mut c = fail(id, broken.iter().map(|p| Fault { files: p.files.clone(), reason: String::new(), fix: String::new() }).collect());
            c.reason = format!(
                "{} has no leader (/health false): it reaches {} of {} members, a quorum is {}; failing: {}",
                m.name,
                r.len() + 1,
                names.len(),
                quorum,
                broken.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            );
            c.fix = "fix the failing peer connections".into();
            c
        })
        .collect()
}

pub fn run(opts: &Options) -> Report {
    let sigs = chain::Signatures::default();
    let started: Vec<Result<Started, Vec<Fault>>> =
        opts.members.iter().map(|m| start(m, opts)).collect();
    let mut out = Vec::new();
    for (m, s) in opts.members.iter().zip(&started) {
        let id = format!("member:{}:start", m.name);
        out.push(match s {
            Ok(s) => {
                let mut chains: Vec<(String, Vec<Cert>)> = Vec::new();
                for (side, conf) in [(&s.client, &m.client), (&s.peer, &m.peer)] {
                    if let Some(p) = &side.pair {
                        chains.push((path_str(&conf.cert), p.chain.clone()));
                    }
                }
                let refs: Vec<(&str, &[Cert])> = chains
                    .iter()
                    .map(|(f, c)| (f.as_str(), c.as_slice()))
                    .collect();
                ok_or_warn(id, &refs, opts)
            }
            Err(f) => fail(id, f.clone()),
        });
    }
    let started: Vec<Option<Started>> = started.into_iter().map(Result::ok).collect();
    let mut peers = Vec::new();
    for (i, a) in opts.members.iter().enumerate() {
        for (j, b) in opts.members.iter().enumerate() {
            if i == j {
                continue;
            }
            let id = format!("peer:{}->{}", a.name, b.name);
            peers.push(match (&started[i], &started[j]) {
                (Some(sa), Some(sb)) => peer(a, sa, b, sb, opts, &sigs),
                (None, _) => refuse(
                    id,
                    &[a.file.as_path()],
                    format!("{} does not start", a.name),
                    &format!("fix member:{}:start first", a.name),
                ),
                (_, None) => refuse(
                    id,
                    &[b.file.as_path()],
                    format!("{} does not start: connection refused", b.name),
                    &format!("fix member:{}:start first", b.name),
                ),
            });
        }
    }
    let healths = health(&opts.members, &started, &peers);
    // Keep each member's start and health together.
    let mut ordered = Vec::new();
    for (s, h) in out.into_iter().zip(&healths) {
        ordered.push(s);
        ordered.push(h.clone());
    }
    ordered.extend(peers);
    for (i, m) in opts.members.iter().enumerate() {
        ordered.push(nocert(m, started[i].as_ref()));
    }
    // Clients usually share one trust file: read and parse it once.
    let mut pools: HashMap<&Path, Result<Pool, Fault>> = HashMap::new();
    for ca in opts.clients.iter().filter_map(|c| c.ca.as_deref()) {
        pools.entry(ca).or_insert_with(|| keys::load_pool(ca, None));
    }
    for c in &opts.clients {
        let files = ClientFiles {
            pair: keys::load_pair(&c.cert, &c.key, None),
            pool: c.ca.as_deref().and_then(|ca| pools.get(ca)),
        };
        for (i, m) in opts.members.iter().enumerate() {
            let conn = client_conn(c, &files, m, started[i].as_ref(), opts, &sigs);
            ordered.push(without_leader(conn, m, started[i].is_some(), &healths[i]));
        }
    }
    Report {
        connections: ordered,
        must_refuse_nocert: opts
            .members
            .iter()
            .filter(|m| {
                m.client.client_cert_auth
                    && m.advertise_client.first().map(Url::is_tls).unwrap_or(false)
            })
            .map(|m| m.name.clone())
            .collect(),
    }
}
