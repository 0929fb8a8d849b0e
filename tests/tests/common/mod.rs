//! Shared helpers for the acceptance tests (`etcd.rs`, `tls_interop.rs`):
//! locating the binaries under test, running `tls-setup/Makefile` unchanged,
//! bounded process execution and PID-owned process guards.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Every leaf certificate the tls-setup flow makes (besides the CA).
pub const LEAVES: [&str; 7] = [
    "etcd1",
    "etcd2",
    "etcd3",
    "proxy1",
    "root",
    "calico",
    "kubernetes",
];

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate lives in the workspace")
        .to_path_buf()
}

fn bin_from_env(var: &str, default_name: &str) -> PathBuf {
    let p = match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => workspace_root().join("target/release").join(default_name),
    };
    assert!(
        p.is_file(),
        "binary under test {} does not exist (set {var}, or run `cargo build --release` / `make test`)",
        p.display()
    );
    fs::canonicalize(&p).unwrap()
}

pub fn cfssl_bin() -> PathBuf {
    bin_from_env("CFSSL_BIN", "cfssl")
}

pub fn cfssljson_bin() -> PathBuf {
    bin_from_env("CFSSLJSON_BIN", "cfssljson")
}

/// Set when the binaries under test are a reference cfssl (e.g. Debian's 1.2.0) that
/// lacks features ours must have (Ed25519).
pub fn ref_compat() -> bool {
    std::env::var("CFSSL_REF_COMPAT")
        .map(|v| v == "1")
        .unwrap_or(false)
}

pub fn tls_setup_dir() -> PathBuf {
    workspace_root().join("tls-setup")
}

/// Look a program up on PATH.
pub fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| {
            p.is_file()
                && fs::metadata(p)
                    .map(|m| m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
        })
}

/// A command with the environment scrubbed of anything that could change what the
/// tools under test do: inherited etcd settings and make's jobserver/recursion state.
pub fn clean_command(prog: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(prog);
    for (k, _) in std::env::vars_os() {
        let ks = k.to_string_lossy();
        if ks.starts_with("ETCD_")
            || ks.starts_with("ETCDCTL_")
            || matches!(
                ks.as_ref(),
                "MAKEFLAGS"
                    | "MFLAGS"
                    | "MAKELEVEL"
                    | "GNUMAKEFLAGS"
                    | "MAKEFILES"
                    | "CFSSL"
                    | "JSON"
                    | "GOPATH"
            )
        {
            c.env_remove(&k);
        }
    }
    c.stdin(Stdio::null());
    c
}

#[derive(Debug)]
pub struct Output {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Output {
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.map(|s| s.success()).unwrap_or(false)
    }
    pub fn both(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status={:?} timed_out={}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.timed_out, self.stdout, self.stderr
        )
    }
}

/// Run a command to completion, killing it (by its own PID) if it exceeds `timeout`.
/// Optional bytes are fed to stdin.
pub fn run_bounded(mut cmd: Command, stdin: Option<&[u8]>, timeout: Duration) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let mut guard = ProcGuard::new("bounded", child);
    if let Some(data) = stdin {
        use std::io::Write;
        let mut si = guard.child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = si.write_all(&data);
        });
    }
    let mut so = guard.child.stdout.take().unwrap();
    let mut se = guard.child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match guard.child.try_wait().unwrap() {
            Some(s) => break Some(s),
            None if Instant::now() >= deadline => {
                timed_out = true;
                guard.kill();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    // Grandchildren could keep the pipes open; do not wait for them forever.
    let stdout = join_bounded(t_out, Duration::from_secs(5));
    let stderr = join_bounded(t_err, Duration::from_secs(5));
    Output {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
    }
}

fn join_bounded(h: std::thread::JoinHandle<Vec<u8>>, d: Duration) -> Vec<u8> {
    let deadline = Instant::now() + d;
    while !h.is_finished() {
        if Instant::now() >= deadline {
            return b"<output reader still blocked>".to_vec();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    h.join().unwrap_or_default()
}

/// Owns a child process; kills it by its own PID when dropped (also on panic).
pub struct ProcGuard {
    pub name: String,
    pub child: Child,
    done: bool,
}

impl ProcGuard {
    pub fn new(name: &str, child: Child) -> Self {
        ProcGuard {
            name: name.to_string(),
            child,
            done: false,
        }
    }
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// SIGTERM, wait up to `grace`, then SIGKILL. Returns how long it took.
    pub fn terminate(&mut self, grace: Duration) -> Duration {
        let start = Instant::now();
        if self.done {
            return Duration::ZERO;
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.pid().to_string())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    self.done = true;
                    return start.elapsed();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            eprintln!(
                "{} (pid {}) ignored SIGTERM for {grace:?}; killing",
                self.name,
                self.pid()
            );
        }
        self.kill();
        start.elapsed()
    }
    pub fn kill(&mut self) {
        if self.done {
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.done = true;
    }
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ProcGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `n` distinct free TCP ports on 127.0.0.1 (all listeners held until every port is chosen).
pub fn free_ports(n: usize) -> Vec<u16> {
    let ls: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    ls.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        let to = dst.join(e.file_name());
        if t.is_dir() {
            copy_dir(&e.path(), &to);
        } else if t.is_file() {
            fs::copy(e.path(), &to).unwrap();
        }
    }
}

pub fn write_exec(path: &Path, script: &str) {
    fs::write(path, script).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// How the binaries under test are handed to the unchanged tls-setup Makefile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swap {
    /// `make CFSSL=/path/cfssl JSON=/path/cfssljson`
    MakeVars,
    /// our binaries as `cfssl`/`cfssljson` first on PATH, a failing decoy later on PATH.
    Path,
}

/// The result of one run of the tls-setup flow.
pub struct Pki {
    pub _dir: tempfile::TempDir,
    /// the tls-setup working directory (config/ and certs/ inside)
    pub root: PathBuf,
    pub certs: PathBuf,
    pub make_output: Output,
}

impl Pki {
    pub fn cert(&self, name: &str) -> PathBuf {
        self.certs.join(format!("{name}.pem"))
    }
    pub fn key(&self, name: &str) -> PathBuf {
        self.certs.join(format!("{name}-key.pem"))
    }
    pub fn ca(&self) -> PathBuf {
        self.cert("ca")
    }
}

/// Prepare a scratch copy of tls-setup's config (optionally edited) in a temp dir.
pub fn scratch_tls_setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("cfssl-tls-setup-")
        .tempdir()
        .unwrap();
    let root = dir.path().join("tls-setup");
    copy_dir(&tls_setup_dir().join("config"), &root.join("config"));
    (dir, root)
}

/// Run the repository's `tls-setup/Makefile` (the file itself, unchanged, via `make -f`)
/// in `root` (which must contain `config/`).
pub fn run_tls_setup_in(dir: tempfile::TempDir, root: PathBuf, swap: Swap) -> Result<Pki, String> {
    let makefile = tls_setup_dir().join("Makefile");
    let cfssl = cfssl_bin();
    let cfssljson = cfssljson_bin();
    let aux = dir.path().join("aux");
    let decoy = aux.join("decoy-bin");
    let ours = aux.join("our-bin");
    let gopath = aux.join("gopath"); // empty: $(GOPATH)/bin adds nothing
    let marker = aux.join("decoy-called");
    fs::create_dir_all(&decoy).unwrap();
    fs::create_dir_all(&ours).unwrap();
    fs::create_dir_all(&gopath).unwrap();
    for name in ["cfssl", "cfssljson"] {
        write_exec(
            &decoy.join(name),
            &format!(
                "#!/bin/sh\necho \"decoy {name} called: $*\" >> '{}'\necho 'DECOY {name} was called: the swap did not take effect' >&2\nexit 97\n",
                marker.display()
            ),
        );
    }
    std::os::unix::fs::symlink(&cfssl, ours.join("cfssl")).unwrap();
    std::os::unix::fs::symlink(&cfssljson, ours.join("cfssljson")).unwrap();

    let sys_path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    let mut cmd = clean_command("make");
    cmd.current_dir(&root).arg("-f").arg(&makefile);
    // The Makefile prepends $(GOPATH)/bin; with GOPATH unset that would be /bin, where a
    // system cfssl may live. Point it at an empty directory, as a Go user's would be.
    cmd.env("GOPATH", &gopath);
    match swap {
        Swap::MakeVars => {
            cmd.arg(format!("CFSSL={}", cfssl.display()));
            cmd.arg(format!("JSON={}", cfssljson.display()));
            let mut p = vec![decoy.clone()];
            p.extend(std::env::split_paths(&sys_path));
            cmd.env("PATH", std::env::join_paths(p).unwrap());
        }
        Swap::Path => {
            let mut p = vec![ours.clone(), decoy.clone()];
            p.extend(std::env::split_paths(&sys_path));
            cmd.env("PATH", std::env::join_paths(p).unwrap());
        }
    }
    let out = run_bounded(cmd, None, Duration::from_secs(120));
    if marker.exists() {
        return Err(format!(
            "the decoy cfssl/cfssljson was called ({swap:?}): {}\n{out}",
            fs::read_to_string(&marker).unwrap_or_default()
        ));
    }
    if !out.success() {
        return Err(format!("tls-setup make ({swap:?}) failed:\n{out}"));
    }
    let certs = root.join("certs");
    Ok(Pki {
        _dir: dir,
        root,
        certs,
        make_output: out,
    })
}

pub fn run_tls_setup(swap: Swap) -> Pki {
    let (dir, root) = scratch_tls_setup();
    run_tls_setup_in(dir, root, swap).unwrap_or_else(|e| panic!("{e}"))
}

/// Assert the flow produced the CA and all seven leaf certificates with keys.
pub fn assert_complete(pki: &Pki) {
    for name in std::iter::once("ca").chain(LEAVES) {
        for f in [
            pki.cert(name),
            pki.key(name),
            pki.certs.join(format!("{name}.csr")),
        ] {
            let meta = fs::metadata(&f).unwrap_or_else(|e| panic!("{} missing: {e}", f.display()));
            assert!(meta.len() > 0, "{} is empty", f.display());
        }
    }
}

/// Every `*-key.pem` under `certs` must be mode 0600. Returns the offenders.
pub fn key_modes(certs: &Path) -> Vec<(PathBuf, u32)> {
    let mut v = Vec::new();
    for e in fs::read_dir(certs).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-key.pem")
        {
            v.push((
                p.clone(),
                fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            ));
        }
    }
    v.sort();
    v
}

pub fn assert_keys_0600(certs: &Path) {
    let modes = key_modes(certs);
    assert!(!modes.is_empty(), "no key files in {}", certs.display());
    let bad: Vec<String> = modes
        .iter()
        .filter(|(_, m)| *m != 0o600)
        .map(|(p, m)| format!("{} is {:o}", p.display(), m))
        .collect();
    assert!(bad.is_empty(), "every key file must be mode 0600: {bad:?}");
}

/// `cfssl gencert` a leaf with a given profile from an existing request, into `certs/NAME`.
pub fn gencert_profile(pki: &Pki, req: &Path, profile: Option<&str>, name: &str) {
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(&pki.root)
        .arg("gencert")
        .arg("-ca=certs/ca.pem")
        .arg("-ca-key=certs/ca-key.pem")
        .arg("-config=config/ca-config.json");
    if let Some(p) = profile {
        cmd.arg(format!("-profile={p}"));
    }
    cmd.arg(req);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "cfssl gencert {name}: {out}");
    cfssljson_bare(&pki.root, &out.stdout, &format!("certs/{name}"));
}

pub fn cfssljson_bare(cwd: &Path, json: &str, base: &str) {
    let mut cmd = clean_command(cfssljson_bin());
    cmd.current_dir(cwd).arg("-bare").arg(base);
    let out = run_bounded(cmd, Some(json.as_bytes()), Duration::from_secs(30));
    assert!(out.success(), "cfssljson -bare {base}: {out}");
}

/// A second, unrelated CA and a client certificate from it (CN `calico`, so only the
/// issuer differs), made with the tools under test in `<dir>/other`.
pub fn other_ca_client(pki: &Pki) -> (PathBuf, PathBuf) {
    let dir = pki.root.join("other");
    fs::create_dir_all(&dir).unwrap();
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(&pki.root)
        .args(["gencert", "-initca", "config/ca-csr.json"]);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "other CA: {out}");
    cfssljson_bare(&pki.root, &out.stdout, "other/ca");
    let mut cmd = clean_command(cfssl_bin());
    cmd.current_dir(&pki.root).args([
        "gencert",
        "-ca=other/ca.pem",
        "-ca-key=other/ca-key.pem",
        "-config=config/ca-config.json",
        "config/req-calico.json",
    ]);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "other-CA client: {out}");
    cfssljson_bare(&pki.root, &out.stdout, "other/calico");
    (dir.join("calico.pem"), dir.join("calico-key.pem"))
}

pub fn loud(msg: &str) {
    use std::io::Write;
    // Written straight to fd 2: libtest captures eprintln! of passing tests.
    let _ = writeln!(std::io::stderr(), "\n{0}\n{msg}\n{0}\n", "*".repeat(78));
}

/// `etcd` and `etcdctl` from PATH; without them a loud SKIPPED notice and `None`, or a
/// panic when `CI` is set or `CFSSL_REQUIRE_ETCD=1`.
pub fn etcd_tools() -> Option<(PathBuf, PathBuf)> {
    if let (Some(e), Some(c)) = (which("etcd"), which("etcdctl")) {
        return Some((e, c));
    }
    let ci = std::env::var_os("CI")
        .map(|v| !v.is_empty())
        .unwrap_or(false);
    let req = std::env::var("CFSSL_REQUIRE_ETCD")
        .map(|v| v == "1")
        .unwrap_or(false);
    if ci || req {
        panic!(
            "etcd/etcdctl not found on PATH, and CI / CFSSL_REQUIRE_ETCD=1 requires the etcd \
             acceptance test (Debian: apt-get install etcd-server etcd-client)"
        );
    }
    loud(
        "SKIPPED: etcd acceptance test: `etcd` and/or `etcdctl` not found on PATH.\n\
         Install them (Debian: apt-get install etcd-server etcd-client) to run it;\n\
         set CFSSL_REQUIRE_ETCD=1 to make a missing etcd a failure.",
    );
    None
}

pub fn require_tool(name: &str) -> PathBuf {
    which(name).unwrap_or_else(|| panic!("`{name}` is required for this test but is not on PATH"))
}
pub mod tls;

/// Waits (at most 20 s) until 127.0.0.1:`port` accepts connections; panics when the
/// server exits or the time is up.
pub fn wait_for_port(server: &mut ProcGuard, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(server.is_running(), "{} exited", server.name);
        assert!(Instant::now() < deadline, "{} not up", server.name);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The head of a request as the tests write it: Host and Content-Length, and on
/// HTTP/1.1 `Connection: close`, so that the server closes once it has answered (on
/// HTTP/1.0 it does anyway, and the answer is never chunked).
pub fn request_head(method: &str, path: &str, version: &str, body_len: usize) -> String {
    let close = match version {
        "HTTP/1.1" => "Connection: close\r\n",
        _ => "",
    };
    format!(
        "{method} {path} {version}\r\nHost: 127.0.0.1\r\n{close}Content-Length: {body_len}\r\n\r\n"
    )
}

/// An answer read to the end of its connection.
#[derive(Debug)]
pub struct HttpResponse {
    /// 0 when nothing that reads as a status line came back.
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn parse(raw: &[u8]) -> HttpResponse {
        let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => (&raw[..i], &raw[i + 4..]),
            None => (raw, &[][..]),
        };
        let head = String::from_utf8_lossy(head).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        HttpResponse {
            status,
            head,
            body: body.to_vec(),
        }
    }

    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to 127.0.0.1:`port` on a connection of its own. `head` goes out as
/// written (a test may send malformed HTTP on purpose), then `body`, which the server
/// may refuse and close on before reading it all: the answer tells. The answer is
/// read until the server closes, each read waiting at most `timeout`.
pub fn http_exchange(port: u16, head: &str, body: &[u8], timeout: Duration) -> HttpResponse {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    HttpResponse::parse(&raw)
}

/// POST `body` to `path` on 127.0.0.1:`port`: the HTTP status and the body parsed as
/// JSON. HTTP/1.0, so the answer is not chunked.
pub fn post_json(port: u16, path: &str, body: &str) -> (u16, serde_json::Value) {
    let head = request_head("POST", path, "HTTP/1.0", body.len());
    let r = http_exchange(port, &head, body.as_bytes(), Duration::from_secs(60));
    let v = serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    (r.status, v)
}
