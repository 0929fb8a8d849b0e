//! What the certificate-database tests share: the fixed CA of the golden certdb cases,
//! running our binaries against a `-db-config`, and throwaway PostgreSQL / MariaDB
//! servers started in temp dirs on free loopback ports (spec test-databases.md), stopped
//! by their own PID when the test process exits.
#![allow(dead_code)]

use crate::common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const T: Duration = Duration::from_secs(60);

/// The fixture CA and signing config as `sign`, `gencert` and `serve` take them.
pub const SIGNER_FLAGS: [&str; 6] = [
    "-ca",
    "root-ca.pem",
    "-ca-key",
    "root-ca-key.pem",
    "-config",
    "cfg.json",
];

/// The CA, signing config and CSR of the golden certdb cases.
pub fn fixtures() -> PathBuf {
    workspace_root().join("tests/golden/cases/certdb-sign-db-config")
}

/// A scratch dir with the fixtures copied in.
pub fn scratch() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in [
        "root-ca.pem",
        "root-ca-key.pem",
        "cfg.json",
        "req.csr",
        "web-csr.json",
    ] {
        fs::copy(fixtures().join(f), d.path().join(f)).unwrap();
    }
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

pub fn migrate_bin() -> PathBuf {
    cfssl_bin().with_file_name("cfssl-migrate")
}

pub fn run_in(dir: &Path, bin: &Path, args: &[&str]) -> Output {
    let mut cmd = clean_command(bin);
    cmd.current_dir(dir).args(args);
    run_bounded(cmd, None, T)
}

pub fn cfssl(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, &cfssl_bin(), args)
}

/// Writes `db.json` for the driver and data source.
pub fn write_db_config(dir: &Path, name: &str, driver: &str, data_source: &str) -> PathBuf {
    let p = dir.join(name);
    let body = serde_json::json!({"driver": driver, "data_source": data_source});
    fs::write(&p, body.to_string()).unwrap();
    p
}

/// `sign -db-config`: the certificate PEM it printed.
pub fn sign(dir: &Path, db_json: &str) -> String {
    sign_by(dir, &cfssl_bin(), &["-db-config", db_json])
}

/// `cfssl sign` without a database: a certificate no database knows yet.
pub fn sign_unrecorded(dir: &Path) -> String {
    sign_by(dir, &cfssl_bin(), &[])
}

/// `bin sign` of the fixture CSR by the fixture CA with `extra` flags, whatever happens.
pub fn sign_out(dir: &Path, bin: &Path, extra: &[&str]) -> Output {
    let args = [&["sign"][..], &SIGNER_FLAGS, extra, &["req.csr"]].concat();
    run_in(dir, bin, &args)
}

/// Our `sign -db-config db_json` that must fail: exit status 1, no certificate printed
/// (none without its row). Its output, for the error text.
pub fn sign_fails(dir: &Path, db_json: &str) -> Output {
    let out = sign_out(dir, &cfssl_bin(), &["-db-config", db_json]);
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{}", out.both());
    assert!(
        !out.stdout.contains("BEGIN CERTIFICATE"),
        "no certificate without its row"
    );
    out
}

/// `bin sign` of the fixture CSR by the fixture CA with `extra` flags: the PEM.
pub fn sign_by(dir: &Path, bin: &Path, extra: &[&str]) -> String {
    let out = sign_out(dir, bin, extra);
    assert!(
        out.success(),
        "{} sign {extra:?}: {}",
        bin.display(),
        out.both()
    );
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    v["cert"].as_str().unwrap().to_string()
}

/// (decimal serial, lower-case hex AKI) of a PEM certificate, read by openssl.
pub fn serial_and_aki(dir: &Path, pem: &str) -> (String, String) {
    let p = dir.join("probe.pem");
    fs::write(&p, pem).unwrap();
    let out = run_bounded(
        {
            let mut c = Command::new(require_tool("openssl"));
            c.args([
                "x509",
                "-noout",
                "-serial",
                "-ext",
                "authorityKeyIdentifier",
                "-in",
            ])
            .arg(&p);
            c
        },
        None,
        T,
    );
    assert!(out.success(), "{}", out.both());
    let hex_serial = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("serial=")
        .to_string();
    let aki = out
        .stdout
        .lines()
        .nth(2)
        .unwrap()
        .trim()
        .trim_start_matches("keyid:")
        .replace(':', "")
        .to_lowercase();
    (hex_to_decimal(&hex_serial), aki)
}

pub fn hex_to_decimal(hex: &str) -> String {
    let mut digits: Vec<u32> = vec![0];
    for c in hex.chars() {
        let mut carry = c.to_digit(16).unwrap();
        for d in digits.iter_mut() {
            let v = *d * 16 + carry;
            *d = v % 10;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    }
    while digits.len() > 1 && *digits.last().unwrap() == 0 {
        digits.pop();
    }
    digits
        .iter()
        .rev()
        .map(|d| char::from_digit(*d, 10).unwrap())
        .collect()
}

/// `openssl crl -text` of a base64 DER CRL line, after verifying its signature with the CA.
pub fn crl_text(dir: &Path, base64_line: &str) -> String {
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64_line.trim())
        .expect("CRL is one base64 line");
    let p = dir.join("probe.crl");
    fs::write(&p, der).unwrap();
    let mut c = Command::new(require_tool("openssl"));
    c.args(["crl", "-inform", "DER", "-noout", "-text", "-CAfile"])
        .arg(dir.join("root-ca.pem"))
        .arg("-in")
        .arg(&p);
    let out = run_bounded(c, None, T);
    assert!(out.success(), "openssl crl: {}", out.both());
    assert!(
        out.stderr.contains("verify OK"),
        "CRL signature: {}",
        out.both()
    );
    out.stdout
}

/// The uppercase hex serial as openssl prints it in a CRL, for a decimal serial.
pub fn decimal_to_hex(dec: &str) -> String {
    let mut bytes: Vec<u8> = vec![0];
    for c in dec.bytes() {
        let mut carry = u32::from(c - b'0');
        for b in bytes.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// In CI a missing database server is a failure; elsewhere the test says so and skips.
pub fn skip_or_fail(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is required in CI (install it: see .ci/run)"
    );
    eprintln!("SKIPPED: {what} not available");
}

/// Children to stop when the test process exits (libtest ends with `exit`, which runs
/// atexit handlers; statics are never dropped).
static AT_EXIT: Mutex<Vec<(u32, i32)>> = Mutex::new(Vec::new());

extern "C" fn stop_all() {
    if let Ok(list) = AT_EXIT.lock() {
        for &(pid, sig) in list.iter() {
            unsafe { libc::kill(pid as i32, sig) };
        }
    }
}

fn stop_at_exit(pid: u32, sig: i32) {
    let mut list = AT_EXIT.lock().unwrap();
    if list.is_empty() {
        unsafe { libc::atexit(stop_all) };
    }
    list.push((pid, sig));
}

fn forget_at_exit(pid: u32) {
    AT_EXIT.lock().unwrap().retain(|(p, _)| *p != pid);
}

/// A running database server: the server's own PID (from its pid file; the child we
/// spawned may be `runuser`), the signal that shuts it down fast, and the child's guard.
struct Daemon {
    pid: u32,
    signal: i32,
    guard: ProcGuard,
}

impl Daemon {
    /// Registers the server to be stopped at exit.
    fn new(guard: ProcGuard, pid: u32, signal: i32) -> Daemon {
        stop_at_exit(pid, signal);
        Daemon { pid, signal, guard }
    }

    /// Signals the server by its PID, then waits for the child, bounded.
    fn stop(mut self) {
        unsafe { libc::kill(self.pid as i32, self.signal) };
        forget_at_exit(self.pid);
        self.guard.terminate(Duration::from_secs(30));
    }
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not come up within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// `prog args` as `user` when we are root (the servers refuse to run as root).
fn as_user(user: &str, prog: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--"]).arg(prog);
        c
    } else {
        Command::new(prog)
    }
}

/// A temp dir the server's user can own.
fn server_dir(user: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    if is_root() {
        let st = Command::new("chown")
            .arg(user)
            .arg(d.path())
            .status()
            .unwrap();
        assert!(st.success());
    }
    d
}

fn pg_bin_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGBIN") {
        return Some(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// A throwaway PostgreSQL cluster.
pub struct Postgres {
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    server: Option<Daemon>,
}

impl Postgres {
    /// None (after a loud skip, or a failure in CI) when PostgreSQL is not installed.
    pub fn start() -> Option<Postgres> {
        let Some(bin) = pg_bin_dir() else {
            skip_or_fail("PostgreSQL (initdb/postgres)");
            return None;
        };
        let dir = server_dir("postgres");
        let data = dir.path().join("data");
        let mut c = as_user("postgres", &bin.join("initdb"));
        c.arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        let out = run_bounded(c, None, Duration::from_secs(180));
        assert!(out.success(), "initdb: {}", out.both());
        let mut pg = Postgres {
            dir,
            bin,
            port: free_ports(1)[0],
            server: None,
        };
        pg.start_again();
        Some(pg)
    }

    /// Starts the server (again, after `stop`) on the same port and data.
    pub fn start_again(&mut self) {
        let mut c = as_user("postgres", &self.bin.join("postgres"));
        c.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(fs::File::create(self.dir.path().join("server.log")).unwrap());
        let guard = ProcGuard::new("postgres", c.spawn().unwrap());
        let (bin, port) = (self.bin.clone(), self.port);
        wait_until("postgres", Duration::from_secs(60), || {
            Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
        let pid_text = fs::read_to_string(self.dir.path().join("data/postmaster.pid")).unwrap();
        let pid: u32 = pid_text.lines().next().unwrap().trim().parse().unwrap();
        self.server = Some(Daemon::new(guard, pid, libc::SIGINT));
    }

    /// Fast shutdown by the postmaster's PID (SIGINT), bounded.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut c = Command::new(self.bin.join("psql"));
        // Escape output shows the text held in cfssl's bytea columns as text.
        c.env("PGOPTIONS", "-c bytea_output=escape");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            db,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-F", "|", "-c", sql]);
        let out = run_bounded(c, None, T);
        assert!(out.success(), "psql {sql}: {}", out.both());
        out.stdout
    }

    /// A fresh, empty database.
    pub fn create_db(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.dsn(name)
    }

    pub fn dsn(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db} sslmode=disable",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A throwaway MariaDB server.
pub struct Mariadb {
    pub dir: tempfile::TempDir,
    pub port: u16,
    server: Option<Daemon>,
    mariadbd: PathBuf,
}

fn find(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|n| {
        which(n).or_else(|| {
            let p = Path::new("/usr/sbin").join(n);
            p.is_file().then_some(p)
        })
    })
}

impl Mariadb {
    pub fn start() -> Option<Mariadb> {
        let (Some(install), Some(mariadbd), Some(_)) = (
            find(&["mariadb-install-db", "mysql_install_db"]),
            find(&["mariadbd", "mysqld"]),
            find(&["mariadb", "mysql"]),
        ) else {
            skip_or_fail("MariaDB (mariadb-install-db/mariadbd)");
            return None;
        };
        let dir = server_dir("mysql");
        let mut c = as_user("mysql", &install);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        let out = run_bounded(c, None, Duration::from_secs(180));
        assert!(out.success(), "mariadb-install-db: {}", out.both());
        let mut m = Mariadb {
            dir,
            port: free_ports(1)[0],
            server: None,
            mariadbd,
        };
        m.start_again();
        Some(m)
    }

    pub fn start_again(&mut self) {
        let d = self.dir.path();
        let mut c = as_user("mysql", &self.mariadbd);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("sock").display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--pid-file={}", d.join("pid").display()))
            .args([
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=300",
            ])
            .stdout(Stdio::null())
            .stderr(fs::File::create(d.join("server.log")).unwrap());
        let guard = ProcGuard::new("mariadbd", c.spawn().unwrap());
        let sock = d.join("sock");
        wait_until("mariadbd", Duration::from_secs(60), || {
            let mut c = mariadb_client();
            c.arg("-S")
                .arg(&sock)
                .args(["-u", "root", "-e", "select 1"]);
            c.stdout(Stdio::null()).stderr(Stdio::null());
            c.status().map(|s| s.success()).unwrap_or(false)
        });
        // The server's own PID (not runuser's), from its pid file.
        let pid: u32 = fs::read_to_string(d.join("pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        self.server = Some(Daemon::new(guard, pid, libc::SIGTERM));
    }

    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    pub fn sql(&self, db: &str, sql: &str) -> String {
        let mut c = mariadb_client();
        c.arg("-S")
            .arg(self.dir.path().join("sock"))
            .args(["-u", "root", "-N", "-B", "-r"]);
        if !db.is_empty() {
            c.args(["-D", db]);
        }
        c.args(["-e", sql]);
        let out = run_bounded(c, None, T);
        assert!(out.success(), "mariadb {sql}: {}", out.both());
        out.stdout
    }

    pub fn create_db(&self, name: &str) -> String {
        self.sql("", &format!("CREATE DATABASE {name}"));
        self.dsn(name)
    }

    pub fn dsn(&self, db: &str) -> String {
        format!("root@tcp(127.0.0.1:{})/{db}?parseTime=true", self.port)
    }
}

fn mariadb_client() -> Command {
    let mut c = Command::new(find(&["mariadb", "mysql"]).unwrap());
    c.arg("--no-defaults");
    c
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The reference cfssl 1.6.5, if `CFSSL_REF` names it (interop tests skip loudly
/// without it, and fail in CI).
pub fn cfssl_ref() -> Option<PathBuf> {
    match std::env::var_os("CFSSL_REF") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            skip_or_fail("CFSSL_REF (the reference cfssl 1.6.5)");
            None
        }
    }
}

/// The flow every dialect must pass, with `query` reading the database by the server's
/// own client: migrate, sign and gencert store rows as cfssl does, certinfo reads one
/// back, revoke marks one, and the CRL lists exactly the revoked one, verified by openssl.
pub fn dialect_flow(dir: &Path, db_json: &str, query: &dyn Fn(&str) -> String) {
    let out = migrate(dir, db_json);
    assert_eq!(out.stdout.trim(), "schema version 2");
    let again = run_in(dir, &migrate_bin(), &["-db-config", db_json]);
    assert_eq!(again.stdout.trim(), "schema version 2", "{}", again.both());
    let goose = query("SELECT version_id FROM goose_db_version ORDER BY id");
    assert_eq!(
        goose.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2"]
    );

    let pem = sign(dir, db_json);
    let (serial, aki) = serial_and_aki(dir, &pem);
    let out = cfssl(
        dir,
        &[
            &["gencert"][..],
            &SIGNER_FLAGS,
            &["-db-config", db_json, "web-csr.json"],
        ]
        .concat(),
    );
    assert!(out.success(), "gencert: {}", out.both());
    let gen: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let (gen_serial, _) = serial_and_aki(dir, gen["cert"].as_str().unwrap());

    let row = query(&format!(
        "SELECT status, reason, ca_label, common_name, sans, metadata FROM certificates WHERE serial_number = '{serial}'"
    ));
    let row = row.trim().replace(['\t', '|'], ",").replace(' ', "");
    assert_eq!(row, r#"good,0,,leaf.example.com,["leaf.example.com"],null"#);
    let pem_in_db = query(&format!(
        "SELECT pem FROM certificates WHERE serial_number = '{serial}' AND authority_key_identifier = '{aki}'"
    ));
    assert_eq!(
        pem_in_db.trim(),
        pem.trim(),
        "the stored PEM is the issued one"
    );

    let info = cfssl(
        dir,
        &[
            "certinfo",
            "-db-config",
            db_json,
            "-serial",
            &serial,
            "-aki",
            &aki.to_uppercase(),
        ],
    );
    assert!(info.success(), "certinfo -db-config: {}", info.both());
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["serial_number"], serde_json::json!(serial));
    assert_eq!(v["pem"].as_str().unwrap().trim(), pem.trim());

    revoke_with(dir, &cfssl_bin(), db_json, &serial, &aki, "keyCompromise");
    let st = query(&format!(
        "SELECT status, reason FROM certificates WHERE serial_number = '{serial}'"
    ));
    assert_eq!(st.trim().replace(['\t', '|'], ","), "revoked,1");
    let out = revoke_out(dir, &cfssl_bin(), db_json, "42", &aki, "1");
    assert!(!out.success());
    assert!(
        out.stderr.contains("certificate not found"),
        "{}",
        out.both()
    );

    let text = crl_by(dir, &cfssl_bin(), db_json, &[]);
    assert!(
        text.contains(&decimal_to_hex(&serial)),
        "revoked serial in the CRL:\n{text}"
    );
    assert!(
        !text.contains(&decimal_to_hex(&gen_serial)),
        "good serial not in the CRL:\n{text}"
    );
    assert_eq!(text.matches("Serial Number:").count(), 1, "{text}");
}

/// cfssl 1.6.5 and we share one migrated database: the rows both write for the same
/// `sign` agree column by column (apart from serial, PEM and clock values), each revokes
/// what the other issued, and each one's CRL lists both.
pub fn interop_flow(dir: &Path, cfssl_ref: &Path, db_json: &str, query: &dyn Fn(&str) -> String) {
    let sign_with = |bin: &Path| serial_and_aki(dir, &sign_by(dir, bin, &["-db-config", db_json]));
    let (theirs, aki) = sign_with(cfssl_ref);
    let (ours, _) = sign_with(&cfssl_bin());
    let cols = "authority_key_identifier, ca_label, status, reason, revoked_at, metadata, sans, common_name";
    let row = |serial: &str| {
        query(&format!(
            "SELECT {cols} FROM certificates WHERE serial_number = '{serial}'"
        ))
    };
    let (r_theirs, r_ours) = (row(&theirs), row(&ours));
    assert!(!r_theirs.trim().is_empty(), "cfssl's row is there");
    assert_eq!(r_ours, r_theirs, "rows of the same sign agree ({cols})");

    // We revoke cfssl's, cfssl revokes ours.
    revoke_with(dir, &cfssl_bin(), db_json, &theirs, &aki, "keyCompromise");
    revoke_with(dir, cfssl_ref, db_json, &ours, &aki, "superseded");
    let (r_theirs, r_ours) = (row(&theirs), row(&ours));
    // Cells apart from the reason (index 3) and the revocation time.
    let cells = |r: &str| -> Vec<String> {
        r.trim()
            .split(['|', '\t'])
            .enumerate()
            .filter(|(i, c)| *i != 3 && !c.contains(':'))
            .map(|(_, c)| c.to_string())
            .collect()
    };
    assert_eq!(
        cells(&r_ours),
        cells(&r_theirs),
        "revoked rows agree apart from reason and time"
    );
    for bin in [cfssl_bin(), cfssl_ref.to_path_buf()] {
        let text = crl_by(dir, &bin, db_json, &[]);
        for s in [&theirs, &ours] {
            assert!(
                text.contains(&decimal_to_hex(s)),
                "{} lists {s}:\n{text}",
                bin.display()
            );
        }
    }
}

/// [`interop_flow`] on a fresh database of `driver` at `dsn`, migrated by us first.
pub fn interop_on(driver: &str, dsn: &str, query: &dyn Fn(&str) -> String) {
    let Some(reference) = cfssl_ref() else { return };
    let d = scratch();
    let cfg = write_db_config(d.path(), "db.json", driver, dsn);
    let cfg = cfg.to_str().unwrap();
    migrate(d.path(), cfg);
    interop_flow(d.path(), &reference, cfg, query);
}

/// A server (`cfssl serve`, `cfssl ocspserve`, or the reference's) started in `dir` on a
/// free loopback port; the guard stops it.
pub struct Served {
    pub guard: ProcGuard,
    pub port: u16,
}

impl Served {
    /// `bin sub -address 127.0.0.1 -port P args...`, up once the port accepts.
    pub fn start(dir: &Path, bin: &Path, sub: &str, args: &[&str]) -> Served {
        let port = free_ports(1)[0];
        let mut cmd = clean_command(bin);
        cmd.current_dir(dir)
            .args([sub, "-address", "127.0.0.1", "-port", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join(format!("{sub}-{port}.log"))).unwrap());
        let mut guard = ProcGuard::new(sub, cmd.spawn().unwrap());
        wait_until(&format!("{sub} on port {port}"), T, || {
            assert!(
                guard.is_running(),
                "{sub} exited: {}",
                Served::log_of(dir, sub, port)
            );
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Served { guard, port }
    }

    fn log_of(dir: &Path, sub: &str, port: u16) -> String {
        fs::read_to_string(dir.join(format!("{sub}-{port}.log"))).unwrap_or_default()
    }

    /// One HTTP/1.0 request (so the body is never chunked): (status, body).
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = request_head(method, path, "HTTP/1.0", body.len());
        let r = http_exchange(self.port, &head, body, T);
        assert_ne!(r.status, 0, "{method} {path}: no HTTP answer: {r:?}");
        (r.status, r.body)
    }

    /// A POST to cfssl's API: (status, envelope).
    pub fn api(&self, endpoint: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, raw) = self.request(
            "POST",
            &format!("/api/v1/cfssl/{endpoint}"),
            body.as_bytes(),
        );
        let v = serde_json::from_slice(&raw)
            .unwrap_or_else(|e| panic!("{endpoint}: {e}: {}", String::from_utf8_lossy(&raw)));
        (status, v)
    }
}

/// `(code, message)` of the first error of a cfssl envelope.
pub fn api_error(v: &serde_json::Value) -> (i64, String) {
    let e = &v["errors"][0];
    (
        e["code"].as_i64().unwrap_or(-1),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// A migrated SQLite database in `dir`: its `-db-config` file and the database path.
pub fn migrated_sqlite(dir: &Path, name: &str) -> (String, PathBuf) {
    let db = dir.join(format!("{name}.db"));
    let cfg = write_db_config(
        dir,
        &format!("{name}.json"),
        "sqlite3",
        db.to_str().unwrap(),
    );
    migrate(dir, cfg.to_str().unwrap());
    (cfg.to_str().unwrap().to_string(), db)
}

/// `bin revoke -db-config cfg -serial -aki -reason`, whatever happens.
pub fn revoke_out(
    dir: &Path,
    bin: &Path,
    cfg: &str,
    serial: &str,
    aki: &str,
    reason: &str,
) -> Output {
    run_in(
        dir,
        bin,
        &[
            "revoke",
            "-db-config",
            cfg,
            "-serial",
            serial,
            "-aki",
            aki,
            "-reason",
            reason,
        ],
    )
}

/// `bin revoke -db-config cfg -serial -aki -reason`, which must succeed.
pub fn revoke_with(dir: &Path, bin: &Path, cfg: &str, serial: &str, aki: &str, reason: &str) {
    let out = revoke_out(dir, bin, cfg, serial, aki, reason);
    assert!(out.success(), "{} revoke: {}", bin.display(), out.both());
}

/// `bin crl -db-config cfg` by the fixture CA with `extra` flags, which must succeed:
/// the CRL as openssl prints it (verified against the fixture CA).
pub fn crl_by(dir: &Path, bin: &Path, cfg: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "crl",
        "-db-config",
        cfg,
        "-ca",
        "root-ca.pem",
        "-ca-key",
        "root-ca-key.pem",
    ];
    args.extend_from_slice(extra);
    let out = run_in(dir, bin, &args);
    assert!(out.success(), "{} crl: {}", bin.display(), out.both());
    crl_text(dir, &out.stdout)
}

/// `cfssl-migrate -db-config cfg`, which must succeed.
pub fn migrate(dir: &Path, cfg: &str) -> Output {
    let out = run_in(dir, &migrate_bin(), &["-db-config", cfg]);
    assert!(out.success(), "migrate: {}", out.both());
    out
}

/// `sqlite3 -batch` running `sql` on `db`: its output, trimmed (`|` between columns).
pub fn sqlite(db: &Path, sql: &str) -> String {
    let mut c = Command::new(require_tool("sqlite3"));
    c.args(["-batch", "-separator", "|"]).arg(db);
    let out = run_bounded(c, Some(sql.as_bytes()), T);
    assert!(out.success(), "sqlite3 {sql}: {}", out.both());
    out.stdout.trim().to_string()
}

/// cfssl's SQLite schema made by `sqlite3` from its migration files (their `Up`
/// sections), as the golden cases make it: a database neither side migrated.
pub fn cfssl_sqlite_schema(db: &Path) {
    for f in ["sqlite-001.sql", "sqlite-002.sql"] {
        let text = fs::read_to_string(fixtures().join(f)).unwrap();
        sqlite(db, text.split("-- +goose Down").next().unwrap());
    }
}

/// Another process (sqlite3) holding `db` locked with BEGIN EXCLUSIVE until the guard
/// ends it. The lock is taken shortly after this returns, once sqlite3 has read its
/// input.
pub fn sqlite_exclusive_lock(db: &Path) -> (std::process::ChildStdin, ProcGuard) {
    use std::io::Write as _;
    let mut locker = Command::new(require_tool("sqlite3"))
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = locker.stdin.take().unwrap();
    stdin.write_all(b"BEGIN EXCLUSIVE;\nSELECT 1;\n").unwrap();
    stdin.flush().unwrap();
    (stdin, ProcGuard::new("sqlite3 locker", locker))
}
