//! Bad input and faults: never a panic, never a half-written key.
//!
//! A data-driven suite of malformed and hostile inputs across the five input kinds
//! (request JSON, signing config, CA certificate and key files, cfssljson input, the
//! command line). Every case runs the built binary in a fresh directory with a timeout
//! and checks the common contract:
//!
//! * it finishes within [`TIMEOUT`] (a FIFO or a huge input must not hang it);
//! * it exits non-zero, by `exit` and not by a signal, and not with 101 (a Rust panic);
//! * stderr is a clear error: non-empty, no `panicked at` / `RUST_BACKTRACE`, and it
//!   contains the case's expected fragments (cfssl's own texts where the golden corpus
//!   has them, otherwise the file, field or flag at fault);
//! * stdout is empty, no file other than the inputs is left in the run directory, and
//!   no key file there is group- or world-accessible.
//!
//! A few cases are robustness cases (`Expect::Either`): accepting the input is fine, as
//! long as the run is bounded, clean and produces well-formed output. Others check what
//! a successful run leaves behind (a symlink at the key path is replaced, not followed;
//! a loose existing key file comes back 0600).
//!
//! Cases for known, not yet fixed bugs carry `bug: Some("...")`: they run as ignored
//! tests (listed loudly at startup) so `make test` stays green; run them with
//! `cargo test -p cfssl-tests --test bad_input -- --ignored`.

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);
const HUGE: usize = (16 << 20) + 1024;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn bin(var: &str, name: &str) -> PathBuf {
    let p = match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => workspace_root().join("target/release").join(name),
    };
    assert!(
        p.is_file(),
        "binary under test {} does not exist (set {var})",
        p.display()
    );
    fs::canonicalize(p).unwrap()
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Cfssl,
    Cfssljson,
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Must fail cleanly.
    Fail,
    /// May succeed (with JSON or file output) or fail cleanly; must be bounded.
    Either,
    /// Must succeed; `check` verifies what it left behind.
    Success,
}

type Hook = Arc<dyn Fn(&Path) + Send + Sync>;

#[derive(Clone)]
struct Case {
    name: String,
    tool: Tool,
    args: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    /// Every fragment must appear in stderr.
    stderr_has: Vec<String>,
    expect: Expect,
    setup: Option<Hook>,
    check: Option<Hook>,
    bug: Option<&'static str>,
    /// Send stdout to /dev/full (every write fails with ENOSPC).
    stdout_full: bool,
}

impl Case {
    fn new(name: impl Into<String>, tool: Tool, args: &[&str]) -> Case {
        Case {
            name: name.into(),
            tool,
            args: args.iter().map(|s| s.to_string()).collect(),
            files: Vec::new(),
            stdin: Vec::new(),
            env: Vec::new(),
            stderr_has: Vec::new(),
            expect: Expect::Fail,
            setup: None,
            check: None,
            bug: None,
            stdout_full: false,
        }
    }
    fn file(mut self, name: &str, data: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.into(), data.into()));
        self
    }
    fn stdin(mut self, data: impl Into<Vec<u8>>) -> Case {
        self.stdin = data.into();
        self
    }
    fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }
    fn err(mut self, fragment: &str) -> Case {
        self.stderr_has.push(fragment.into());
        self
    }
    fn either(mut self) -> Case {
        self.expect = Expect::Either;
        self
    }
    fn success(mut self) -> Case {
        self.expect = Expect::Success;
        self
    }
    fn setup(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        self.setup = Some(Arc::new(f));
        self
    }
    fn check(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        self.check = Some(Arc::new(f));
        self
    }
    fn stdout_full(mut self) -> Case {
        self.stdout_full = true;
        self
    }
    fn bug(mut self, why: &'static str) -> Case {
        self.bug = Some(why);
        self
    }
}

// ---------------------------------------------------------------------------------
// Fixtures: a real CA made by the binary under test, and a second, unrelated key.

struct Fixtures {
    ca: String,
    ca_key: String,
    other_key: String,
    leaf_csr: String,
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let initca = |cn: &str| -> serde_json::Value {
            fs::write(dir.path().join("r.json"), format!(r#"{{"CN":"{cn}"}}"#)).unwrap();
            let out = Command::new(bin("CFSSL_BIN", "cfssl"))
                .args(["gencert", "-initca", "r.json"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "fixture initca failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let a = initca("Bad Input Test CA");
        let b = initca("Other CA");
        let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
        Fixtures {
            ca: s(&a, "cert"),
            ca_key: s(&a, "key"),
            other_key: s(&b, "key"),
            leaf_csr: s(&a, "csr"),
        }
    })
}

// ---------------------------------------------------------------------------------
// Running one case.

fn list_dir(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A named pipe with a producer that opens it once the reader does and writes `bytes`:
/// the input is read like a file (cfssl waits for the writer, so a pipe nobody ever
/// writes to hangs cfssl and us alike, and is no bad-input case).
fn fifo_with_writer(path: &Path, bytes: &'static [u8]) {
    mkfifo(path);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Write as _;
        if let Ok(mut w) = fs::OpenOptions::new().write(true).open(path) {
            let _ = w.write_all(bytes);
        }
    });
}

fn run_case(case: &Case) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let run = dir.path();
    for (name, data) in &case.files {
        fs::write(run.join(name), data).map_err(|e| format!("writing input {name}: {e}"))?;
        if name.ends_with("-key.pem") {
            fs::set_permissions(run.join(name), fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    if let Some(setup) = &case.setup {
        setup(run);
    }
    let before = list_dir(run);
    let program = match case.tool {
        Tool::Cfssl => bin("CFSSL_BIN", "cfssl"),
        Tool::Cfssljson => bin("CFSSLJSON_BIN", "cfssljson"),
    };
    let mut cmd = Command::new(&program);
    cmd.args(&case.args)
        .current_dir(run)
        .env_remove("CFSSL_CA_PK_PASSWORD")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if case.stdout_full {
        cmd.stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .map_err(|e| e.to_string())?,
        );
    }
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().unwrap();
    let input = case.stdin.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut v);
        }
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            // A FIFO reader may keep a pipe thread blocked; do not join.
            return Err(format!("timed out after {TIMEOUT:?} (hang)").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let _ = feeder.join();
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let mut problems = Vec::new();
    let code = status.code();
    let show = |s: &str| -> String { s.chars().take(1500).collect() };

    if stderr.contains("panicked at") || stderr.contains("RUST_BACKTRACE") || code == Some(101) {
        problems.push("Rust panic".to_string());
    }
    if code.is_none() {
        problems.push(format!("killed by a signal: {status:?}"));
    }
    let failed = code != Some(0);
    match case.expect {
        Expect::Fail if !failed => problems.push("exit status 0, expected failure".into()),
        Expect::Success if failed => {
            problems.push(format!("exit status {code:?}, expected success"))
        }
        _ => {}
    }
    if failed {
        if stderr.trim().is_empty() {
            problems.push("stderr is empty".into());
        }
        if !stdout.is_empty() {
            problems.push(format!("stdout not empty ({} bytes)", stdout.len()));
        }
        for frag in &case.stderr_has {
            if !stderr.contains(frag.as_str()) {
                problems.push(format!("stderr lacks {frag:?}"));
            }
        }
        let after = list_dir(run);
        let extra: Vec<_> = after.difference(&before).collect();
        if !extra.is_empty() {
            problems.push(format!("files left behind: {extra:?}"));
        }
    } else if case.tool == Tool::Cfssl
        && !stdout.is_empty()
        && serde_json::from_slice::<serde_json::Value>(&stdout).is_err()
    {
        problems.push("stdout is not JSON".into());
    }
    // Key files are never group- or world-accessible, whatever happened.
    for name in list_dir(run) {
        if name.ends_with("-key.pem") || name.ends_with("-key.enc") {
            if let Ok(m) = fs::symlink_metadata(run.join(&name)) {
                if m.file_type().is_file() && m.permissions().mode() & 0o077 != 0 {
                    problems.push(format!(
                        "{name} has mode {:o}",
                        m.permissions().mode() & 0o777
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        if let Some(check) = &case.check {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(run)));
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                problems.push(format!("check failed: {msg}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n  args: {:?}\n  exit: {code:?} after {elapsed:?}\n  stderr: {}",
            problems.join("; "),
            case.args,
            show(&stderr)
        )
        .into())
    }
}

// ---------------------------------------------------------------------------------
// The cases.

fn deep(open: &str, n: usize) -> Vec<u8> {
    open.repeat(n).into_bytes()
}

fn huge_json_string(n: usize) -> String {
    "A".repeat(n)
}

/// Request-JSON cases; run against `gencert -initca` and against sign mode.
fn request_cases() -> Vec<(String, Vec<u8>, Vec<&'static str>, Expect)> {
    use Expect::*;
    let mut v: Vec<(String, Vec<u8>, Vec<&'static str>, Expect)> = Vec::new();
    let mut add = |name: &str, body: Vec<u8>, frags: &[&'static str], e: Expect| {
        v.push((name.to_string(), body, frags.to_vec(), e));
    };
    add(
        "empty",
        b"".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "only-open-brace",
        b"{".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "whitespace-only",
        b" \n\t ".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "array-top",
        b"[]".to_vec(),
        &["cannot unmarshal array"],
        Fail,
    );
    add(
        "string-top",
        br#""CN""#.to_vec(),
        &["cannot unmarshal string"],
        Fail,
    );
    add(
        "number-top",
        b"42".to_vec(),
        &["cannot unmarshal number"],
        Fail,
    );
    add("cn-number", br#"{"CN":1}"#.to_vec(), &["CN"], Fail);
    add(
        "hosts-string",
        br#"{"CN":"a","hosts":"a.example"}"#.to_vec(),
        &["hosts"],
        Fail,
    );
    add(
        "hosts-number-item",
        br#"{"CN":"a","hosts":[1]}"#.to_vec(),
        &["hosts"],
        Fail,
    );
    add(
        "names-object",
        br#"{"CN":"a","names":{}}"#.to_vec(),
        &["names"],
        Fail,
    );
    add(
        "names-number-item",
        br#"{"CN":"a","names":[1]}"#.to_vec(),
        &["names"],
        Fail,
    );
    add(
        "names-C-number",
        br#"{"CN":"a","names":[{"C":1}]}"#.to_vec(),
        &["C"],
        Fail,
    );
    add(
        "key-string",
        br#"{"CN":"a","key":"ecdsa"}"#.to_vec(),
        &["key"],
        Fail,
    );
    add(
        "key-rsa-1024",
        br#"{"CN":"a","key":{"algo":"rsa","size":1024}}"#.to_vec(),
        &["2400", "RSA key is too weak"],
        Fail,
    );
    add(
        "key-rsa-negative",
        br#"{"CN":"a","key":{"algo":"rsa","size":-1}}"#.to_vec(),
        &["RSA key is too weak"],
        Fail,
    );
    add(
        "key-rsa-huge",
        br#"{"CN":"a","key":{"algo":"rsa","size":100000}}"#.to_vec(),
        &["RSA key size too large"],
        Fail,
    );
    add(
        "key-ecdsa-1",
        br#"{"CN":"a","key":{"algo":"ecdsa","size":1}}"#.to_vec(),
        &["invalid curve"],
        Fail,
    );
    add(
        "key-algo-dsa",
        br#"{"CN":"a","key":{"algo":"dsa","size":2048}}"#.to_vec(),
        &["invalid algorithm"],
        Fail,
    );
    add(
        "key-algo-upper-RSA",
        br#"{"CN":"a","key":{"algo":"RSA","size":2048}}"#.to_vec(),
        &["invalid algorithm"],
        Fail,
    );
    add(
        "key-size-string",
        br#"{"CN":"a","key":{"size":"256"}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-float",
        br#"{"CN":"a","key":{"size":256.5}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-1e400",
        br#"{"CN":"a","key":{"size":1e400}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-bigint",
        br#"{"CN":"a","key":{"size":99999999999999999999999999}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "trailing-data",
        br#"{"CN":"a"} trailing"#.to_vec(),
        &["invalid character 't' after top-level value"],
        Fail,
    );
    add(
        "trailing-comma",
        br#"{"CN":"a",}"#.to_vec(),
        &["invalid character '}'"],
        Fail,
    );
    add(
        "single-quotes",
        br#"{'CN':'a'}"#.to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "NaN",
        br#"{"CN":NaN}"#.to_vec(),
        &["invalid character 'N'"],
        Fail,
    );
    add(
        "utf8-bom",
        b"\xEF\xBB\xBF{\"CN\":\"a\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "nul-byte-raw-in-string",
        b"{\"CN\":\"a\x00b\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "nul-byte-leading",
        b"\x00{\"CN\":\"a\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "bad-escape",
        br#"{"CN":"\q"}"#.to_vec(),
        &["invalid character 'q' in string escape code"],
        Fail,
    );
    add(
        "invalid-utf8-host",
        b"{\"CN\":\"a\",\"hosts\":[\"\xff\xfe.example\"]}".to_vec(),
        &["cannot be encoded"],
        Fail,
    );
    add(
        "non-ascii-host",
        "{\"CN\":\"a\",\"hosts\":[\"ümlaut.example\"]}"
            .as_bytes()
            .to_vec(),
        &["cannot be encoded"],
        Fail,
    );
    add(
        "oid-bad-part",
        br#"{"CN":"a","names":[{"OID":{"abc":"v"}}]}"#.to_vec(),
        &["invalid OID part abc"],
        Fail,
    );
    add(
        "oid-value-number",
        br#"{"CN":"a","names":[{"OID":{"1.2.3":1}}]}"#.to_vec(),
        &["OID"],
        Fail,
    );
    add(
        "extensions-id-string",
        br#"{"CN":"a","extensions":[{"id":"1.2.3","value":"BQA="}]}"#.to_vec(),
        &["extensions"],
        Fail,
    );
    add(
        "extensions-bad-base64",
        br#"{"CN":"a","extensions":[{"id":[1,2,3],"value":"!!!!"}]}"#.to_vec(),
        &["illegal base64 data"],
        Fail,
    );
    add(
        "delegation-string",
        br#"{"CN":"a","delegation_enabled":"yes"}"#.to_vec(),
        &["delegation_enabled"],
        Fail,
    );
    // Go encodes any int arc; an arc over u32 must be encoded or refused, never wrap.
    add(
        "oid-arc-over-u32",
        br#"{"CN":"a","names":[{"OID":{"1.2.4294967296":"v"}}]}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "oid-arc-huge",
        br#"{"CN":"a","names":[{"OID":{"1.2.99999999999999999999999":"v"}}]}"#.to_vec(),
        &["99999999999999999999999"],
        Fail,
    );
    add(
        "extensions-id-arc-over-u32",
        br#"{"CN":"a","extensions":[{"id":[1,2,4294967296],"value":"BQA="}]}"#.to_vec(),
        &[],
        Either,
    );
    // Go cannot marshal these OIDs and fails; a CSR with an empty OID must not be made.
    add(
        "extensions-id-negative",
        br#"{"CN":"a","extensions":[{"id":[-1,5],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add(
        "extensions-id-empty",
        br#"{"CN":"a","extensions":[{"id":[],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add(
        "extensions-id-one-arc",
        br#"{"CN":"a","extensions":[{"id":[1],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add("deep-arrays-100k", deep("[", 100_000), &["depth"], Fail);
    add(
        "deep-objects-100k",
        deep("{\"a\":", 100_000),
        &["depth"],
        Fail,
    );
    let mut nested = br#"{"CN":"a","names":"#.to_vec();
    nested.extend(deep("[", 100_000));
    add("deep-inside-names", nested, &["depth"], Fail);
    add(
        "huge-file",
        {
            let mut b = br#"{"CN":""#.to_vec();
            b.extend(std::iter::repeat_n(b'A', HUGE));
            b.extend(br#""}"#);
            b
        },
        &["larger than"],
        Fail,
    );
    add("huge-whitespace", vec![b' '; HUGE], &["larger than"], Fail);
    // Robustness: big but under the limit; accepting or refusing are both fine.
    add(
        "cn-1MiB",
        format!(r#"{{"CN":"{}"}}"#, huge_json_string(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    add(
        "host-1MiB",
        format!(r#"{{"CN":"a","hosts":["{}"]}}"#, huge_json_string(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("\"h{i}.example.com\""))
        .collect();
    add(
        "hosts-10000",
        format!(r#"{{"CN":"a","hosts":[{}]}}"#, hosts.join(",")).into_bytes(),
        &[],
        Either,
    );
    let ips: Vec<String> = (0..10_000)
        .map(|i| format!("\"10.0.{}.{}\"", i / 256, i % 256))
        .collect();
    add(
        "ip-hosts-10000",
        format!(r#"{{"CN":"a","hosts":[{}]}}"#, ips.join(",")).into_bytes(),
        &[],
        Either,
    );
    let names: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"O":"org{i}"}}"#))
        .collect();
    add(
        "names-10000",
        format!(r#"{{"CN":"a","names":[{}]}}"#, names.join(",")).into_bytes(),
        &[],
        Either,
    );
    add(
        "invalid-utf8-cn",
        b"{\"CN\":\"\xff\xfe\"}".to_vec(),
        &[],
        Either,
    );
    add(
        "lone-surrogate-cn",
        br#"{"CN":"\ud800"}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "escaped-nul-cn",
        br#"{"CN":"a\u0000b"}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "long-number",
        format!(r#"{{"CN":"a","x":{}}}"#, "9".repeat(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    v
}

fn initca_only_cases() -> Vec<Case> {
    let gen = |name: &str, body: &[u8], frags: &[&str]| {
        let mut c = Case::new(
            format!("request/initca/{name}"),
            Tool::Cfssl,
            &["gencert", "-initca", "req.json"],
        )
        .file("req.json", body.to_vec());
        for f in frags {
            c = c.err(f);
        }
        c
    };
    vec![
        gen(
            "ca-expiry-1y",
            br#"{"CN":"a","ca":{"expiry":"1y"}}"#,
            &[r#"time: unknown unit "y" in duration "1y""#],
        ),
        gen(
            "ca-expiry-zz",
            br#"{"CN":"a","ca":{"expiry":"zz"}}"#,
            &[r#"time: invalid duration "zz""#],
        ),
        gen(
            "ca-backdate-no-unit",
            br#"{"CN":"a","ca":{"backdate":"10"}}"#,
            &[r#"time: missing unit in duration "10""#],
        ),
        gen(
            "ca-expiry-overflow",
            br#"{"CN":"a","ca":{"expiry":"9999999999999999h"}}"#,
            &["invalid duration"],
        ),
        gen(
            "ca-expiry-number",
            br#"{"CN":"a","ca":{"expiry":8760}}"#,
            &["expiry"],
        ),
        gen(
            "ca-expiry-invalid-utf8",
            b"{\"CN\":\"a\",\"ca\":{\"expiry\":\"1\xffh\"}}",
            &["time:"],
        ),
        gen(
            "ca-pathlen-minus-2",
            br#"{"CN":"a","ca":{"pathlen":-2}}"#,
            &["invalid MaxPathLen"],
        ),
        gen(
            "ca-pathlen-string",
            br#"{"CN":"a","ca":{"pathlen":"1"}}"#,
            &["pathlen"],
        ),
        gen(
            "ca-pathlenzero-string",
            br#"{"CN":"a","ca":{"pathlenzero":"true"}}"#,
            &["pathlenzero"],
        ),
        gen("ca-array", br#"{"CN":"a","ca":[]}"#, &["ca"]),
        gen("no-subject", br#"{}"#, &["missing subject information"]),
        gen(
            "blank-names",
            br#"{"names":[{"C":" "}]}"#,
            &["missing subject information"],
        ),
        gen("null-top", b"null", &["missing subject information"]),
    ]
}

fn signing_config_cases() -> Vec<Case> {
    let good_default = r#""default":{"expiry":"1h","usages":["signing"]}"#;
    let cases: Vec<(&str, String, Vec<&str>, Option<&'static str>)> = vec![
        ("empty-object", "{}".into(), vec![r#"No "signing" field present"#], None),
        ("empty-file", "".into(), vec!["failed to unmarshal configuration: unexpected end of JSON input"], None),
        ("signing-number", r#"{"signing":1}"#.into(), vec!["failed to unmarshal configuration"], None),
        ("signing-null", r#"{"signing":null}"#.into(), vec![r#"No "signing" field present"#], None),
        ("trailing-garbage", r#"{"signing":{}} x"#.into(), vec!["failed to unmarshal configuration", "invalid character 'x'"], None),
        ("no-expiry", r#"{"signing":{"default":{"usages":["signing"]}}}"#.into(), vec!["empty expiry string"], None),
        ("expiry-1y", r#"{"signing":{"default":{"expiry":"1y","usages":["signing"]}}}"#.into(), vec![r#"time: unknown unit \"y\" in duration \"1y\""#], None),
        ("expiry-zz", r#"{"signing":{"default":{"expiry":"zz","usages":["signing"]}}}"#.into(), vec![r#"time: invalid duration \"zz\""#], None),
        ("expiry-overflow", r#"{"signing":{"default":{"expiry":"99999999999999999h","usages":["signing"]}}}"#.into(), vec!["invalid duration"], None),
        ("expiry-number", r#"{"signing":{"default":{"expiry":3600,"usages":["signing"]}}}"#.into(), vec!["expiry"], None),
        ("Expiry-string-binds-duration", r#"{"signing":{"default":{"Expiry":"1h","usages":["signing"]}}}"#.into(), vec!["Expiry of type time.Duration"], None),
        ("expiry-invalid-utf8", "{\"signing\":{\"default\":{\"expiry\":\"1\u{fffd}h\",\"usages\":[\"signing\"]}}}".into(), vec!["time:"], None),
        ("backdate-no-unit", r#"{"signing":{"default":{"expiry":"1h","backdate":"5","usages":["signing"]}}}"#.into(), vec![r#"time: missing unit in duration \"5\""#], None),
        ("default-expiry-0s", r#"{"signing":{"default":{"expiry":"0s","usages":["signing"]}}}"#.into(), vec!["invalid configuration"], None),
        ("profile-unknown-usage", format!(r#"{{"signing":{{{good_default},"profiles":{{"p":{{"expiry":"1h","usages":["nope"]}}}}}}}}"#), vec!["invalid configuration"], None),
        ("profile-no-usages", format!(r#"{{"signing":{{{good_default},"profiles":{{"p":{{"expiry":"1h"}}}}}}}}"#), vec!["invalid configuration"], None),
        ("usages-string", r#"{"signing":{"default":{"expiry":"1h","usages":"signing"}}}"#.into(), vec!["usages"], None),
        ("usages-number-item", r#"{"signing":{"default":{"expiry":"1h","usages":[1]}}}"#.into(), vec!["usages"], None),
        ("default-only-unknown-usages", r#"{"signing":{"default":{"expiry":"1h","usages":["bogus"]}}}"#.into(), vec!["5100", "no key usage available"], None),
        ("not-before-garbage", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"not_before":"yesterday"}}}"#.into(), vec!["failed to unmarshal configuration"], None),
        ("not-after-before-not-before", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"not_before":"2030-01-01T00:00:00Z","not_after":"2020-01-01T00:00:00Z"}}}"#.into(), vec![], None),
        ("whitelist-bad-regex", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"name_whitelist":"("}}}"#.into(), vec!["failed to compile name whitelist section"], None),
        ("policy-qualifier-type", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"1.2.3","Qualifiers":[{"Type":"bogus","Value":"x"}]}]}}}"#.into(), vec!["invalid policy qualifier type"], None),
        ("policy-id-no-digit", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"abc"}]}}}"#.into(), vec!["Invalid OID"], None),
        ("policy-id-bad-part", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":"1.x.3"}]}}}"#.into(), vec!["strconv.Atoi"], None),
        ("policy-id-number", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"policies":[{"ID":123}]}}}"#.into(), vec!["OID JSON string not wrapped in quotes"], None),
        ("unknown-remote", r#"{"signing":{"default":{"remote":"nope"}}}"#.into(), vec!["failed to find remote in remotes section"], None),
        ("missing-auth-key", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"auth_key":"k"}}}"#.into(), vec!["failed to find auth_key in auth_keys section"], None),
        ("auth-key-type", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"auth_key":"k"}},"auth_keys":{"k":{"type":"foo","key":"00"}}}"#.into(), vec!["unknown authentication type"], None),
        ("lint-level-int", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"lint_error_level":5}}}"#.into(), vec!["bad LintStatus JSON value"], None),
        ("lint-source-unknown", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ignored_lint_sources":["X"]}}}"#.into(), vec![r#"unknown source \"X\""#], None),
        ("max-path-len-string", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ca_constraint":{"is_ca":true,"max_path_len":"x"}}}}"#.into(), vec!["max_path_len"], None),
        ("client-serials", r#"{"signing":{"default":{"expiry":"1h","usages":["signing"],"ClientProvidesSerialNumbers":true}}}"#.into(), vec!["1400", "Missing serial number in request"], None),
        ("nul-byte", "{\"signing\":{\"default\":{\"expiry\":\"1h\u{0}\"}}}".into(), vec!["failed to unmarshal configuration", "invalid character"], None),
    ];
    let mut out = Vec::new();
    for (name, body, frags, bug) in cases {
        let mut c = sign_case(
            &format!("config/{name}"),
            br#"{"CN":"leaf","hosts":["a.example"]}"#,
        )
        .file("config.json", body)
        .err_all(&frags);
        if let Some(b) = bug {
            c = c.bug(b);
        }
        out.push(c);
    }
    let sign_cfg = |name: &str| sign_case(&format!("config/{name}"), br#"{"CN":"leaf"}"#);
    out.push(
        sign_cfg("deep-nesting")
            .file("config.json", deep("{\"signing\":", 100_000))
            .err("Failed to load config file")
            .err("depth"),
    );
    out.push(
        sign_cfg("missing-file")
            .err(r#"Failed to load config file: {"code":5200,"message":"could not read configuration file"}"#),
    );
    out.push(
        sign_cfg("directory")
            .setup(|d| fs::create_dir(d.join("config.json")).unwrap())
            .err("Failed to load config file"),
    );
    out.push(
        sign_cfg("fifo")
            .setup(|d| fifo_with_writer(&d.join("config.json"), b"{not json"))
            .err("Failed to load config file"),
    );
    out.push(
        sign_cfg("huge-file")
            .file("config.json", vec![b' '; HUGE])
            .err("Failed to load config file")
            .err("larger than"),
    );
    out
}

trait ErrAll {
    fn err_all(self, frags: &[&str]) -> Self;
}
impl ErrAll for Case {
    fn err_all(mut self, frags: &[&str]) -> Self {
        for f in frags {
            self = self.err(f);
        }
        self
    }
}

/// `gencert -ca ca.pem -ca-key ca-key.pem -config config.json req.json` with good
/// defaults for every input; cases override one of them.
fn sign_case(name: &str, req: &[u8]) -> Case {
    let f = fixtures();
    Case::new(
        name,
        Tool::Cfssl,
        &[
            "gencert",
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
            "-config",
            "config.json",
            "req.json",
        ],
    )
    .file("ca.pem", f.ca.clone())
    .file("ca-key.pem", f.ca_key.clone())
    .file("req.json", req.to_vec())
}

fn good_config() -> &'static str {
    r#"{"signing":{"default":{"expiry":"1h","usages":["signing","key encipherment","server auth"]}}}"#
}

/// Replaces an input file of a case (later writes win).
fn with(case: Case, name: &str, data: impl Into<Vec<u8>>) -> Case {
    case.file(name, data)
}

const EC_PARAMETERS_ONLY: &str =
    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
const X25519_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIIBOJwvm5mC1GmRHVyNOHnk1XOCPl7ibr3qZoQoF6IxG\n-----END PRIVATE KEY-----\n";
const SECP256K1_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHQCAQEEIF0y9LD/5GcbKUnGmcVmLoFtH6PfcecDv1bPlOHsKwQJoAcGBSuBBAAK\noUQDQgAEIRecfOcGI813H5ddo886A1RculTvexL99fSnyx498h0Q7rBKCQc4oZoN\nj50V3Zqn0mxicf7+OYXArR5OND1C0Q==\n-----END EC PRIVATE KEY-----\n";
const EXPLICIT_PARAMS_EC_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMIIBaAIBAQQgKdaHcOLQdjAswDhZBdFQLFu822VI4CxncW57Ufe1t+WggfowgfcC\nAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAAAAAAAAAAAAAA////////////////\nMFsEIP////8AAAABAAAAAAAAAAAAAAAA///////////////8BCBaxjXYqjqT57Pr\nvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSdNgiG5wSTamZ44ROdJreBn36QBEEE\naxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54W\nK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA//////////+85vqtpxeehPO5ysL8\nYyVRAgEBoUQDQgAEsKacK4pTOpyzVzQNHEklC9Lgqm3jPjx9Zbk6cyD16a74Bk7U\n62dy1CGUZLCjvuoTcuSXD+XikOnt8wt2KU+iIw==\n-----END EC PRIVATE KEY-----\n";

fn ca_file_cases() -> Vec<Case> {
    let f = fixtures();
    let sc = |name: &str| {
        sign_case(
            &format!("ca-files/{name}"),
            br#"{"CN":"leaf","hosts":["a.example"]}"#,
        )
        .file("config.json", good_config())
    };
    let cert_der = pem_der(&f.ca);
    let key_der = pem_der(&f.ca_key);
    let half = |s: &str| s[..s.len() / 2].to_string();
    let legacy_encrypted = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ\n-----END EC PRIVATE KEY-----\n";
    let pem = |label: &str, der: &[u8]| {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    };
    let mut truncated_cert_der = cert_der.clone();
    truncated_cert_der.truncate(cert_der.len() / 2);
    let mut truncated_key_der = key_der.clone();
    truncated_key_der.truncate(key_der.len() / 2);
    let mut flipped_cert = cert_der.clone();
    flipped_cert[0] = 0x31;
    vec![
        sc("ca-missing").setup(|d| fs::remove_file(d.join("ca.pem")).unwrap()).err("open ca.pem: no such file or directory"),
        with(sc("ca-der"), "ca.pem", cert_der.clone()).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-json"), "ca.pem", "{}").err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-empty"), "ca.pem", "").err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-truncated-pem"), "ca.pem", half(&f.ca)).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        with(sc("ca-bad-base64"), "ca.pem", f.ca.replacen("MII", "M!I", 1)).err("1002"),
        with(sc("ca-is-a-key"), "ca.pem", f.ca_key.clone()).err(r#"{"code":1003,"message":"Failed to parse certificate"}"#),
        with(sc("ca-is-a-csr"), "ca.pem", f.leaf_csr.clone()).err(r#"{"code":1003,"message":"Failed to parse certificate"}"#),
        with(sc("ca-truncated-der"), "ca.pem", pem("CERTIFICATE", &truncated_cert_der)).err(r#""code":1003"#),
        with(sc("ca-corrupt-der"), "ca.pem", pem("CERTIFICATE", &flipped_cert)).err(r#""code":1003"#),
        with(sc("ca-empty-pem"), "ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n").err(r#""code":1003"#),
        with(sc("ca-two-certs"), "ca.pem", format!("{}{}", f.ca, f.ca)).err("the PEM file should contain only one object"),
        with(sc("ca-trailing-text"), "ca.pem", format!("{}garbage\n", f.ca)).err("the PEM file should contain only one object"),
        with(sc("ca-nul-bytes"), "ca.pem", vec![0u8; 4096]).err("1002"),
        with(sc("ca-huge"), "ca.pem", vec![b'\n'; HUGE]).err("larger than"),
        sc("ca-env-unset")
            .tap_args(|a| a[2] = "env:CFSSL_BAD_INPUT_SURELY_UNSET".into())
            .err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        sc("ca-unknown-prefix").tap_args(|a| a[2] = "foo:ca.pem".into()).err("unknown prefix: foo"),
        sc("ca-directory").setup(|d| {
            fs::remove_file(d.join("ca.pem")).unwrap();
            fs::create_dir(d.join("ca.pem")).unwrap();
        }).err("ca.pem"),
        sc("ca-fifo").setup(|d| {
            fs::remove_file(d.join("ca.pem")).unwrap();
            fifo_with_writer(&d.join("ca.pem"), b"not a certificate\n");
        }).err(r#"{"code":1002,"message":"Failed to decode certificate"}"#),
        sc("key-missing").setup(|d| fs::remove_file(d.join("ca-key.pem")).unwrap())
            .err(r#"{"code":1001,"message":"open ca-key.pem: no such file or directory"}"#),
        sc("key-unknown-prefix").tap_args(|a| a[4] = "foo:k.pem".into()).err(r#"{"code":1001,"message":"unknown prefix: foo"}"#),
        with(sc("key-garbage"), "ca-key.pem", "not a key at all\n").err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-empty"), "ca-key.pem", "").err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-der"), "ca-key.pem", key_der.clone()).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-truncated-pem"), "ca-key.pem", half(&f.ca_key)).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-is-a-cert"), "ca-key.pem", f.ca.clone()).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-truncated-der"), "ca-key.pem", pem("EC PRIVATE KEY", &truncated_key_der)).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-random-der"), "ca-key.pem", pem("PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00])).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-empty-pem"), "ca-key.pem", "-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----\n").err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-encrypted-pkcs8"), "ca-key.pem", pem("ENCRYPTED PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00])).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-legacy-encrypted"), "ca-key.pem", legacy_encrypted).err(r#"{"code":2100,"message":"Private key is encrypted."}"#),
        with(sc("key-legacy-encrypted-wrong-password"), "ca-key.pem", legacy_encrypted)
            .env("CFSSL_CA_PK_PASSWORD", "wrong")
            .err("x509: decryption password incorrect"),
        with(sc("key-mismatched"), "ca-key.pem", f.other_key.clone())
            .err(r#"{"code":1000,"message":"x509: provided PrivateKey doesn't match parent's PublicKey"}"#),
        with(sc("key-nul-bytes"), "ca-key.pem", vec![0u8; 4096]).err("2002"),
        with(sc("key-huge"), "ca-key.pem", vec![b'\n'; HUGE]).err("larger than"),
        sc("key-directory").setup(|d| {
            fs::remove_file(d.join("ca-key.pem")).unwrap();
            fs::create_dir(d.join("ca-key.pem")).unwrap();
        }).err("ca-key.pem"),
        sc("key-fifo").setup(|d| {
            fs::remove_file(d.join("ca-key.pem")).unwrap();
            fifo_with_writer(&d.join("ca-key.pem"), b"not a key\n");
        }).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-ec-parameters-only"), "ca-key.pem", EC_PARAMETERS_ONLY).err(r#"{"code":2002,"message":"Failed to decode private key"}"#),
        with(sc("key-x25519"), "ca-key.pem", X25519_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-secp256k1"), "ca-key.pem", SECP256K1_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        with(sc("key-explicit-params"), "ca-key.pem", EXPLICIT_PARAMS_EC_KEY).err(r#"{"code":2003,"message":"Failed to parse private key"}"#),
        Case::new("ca-files/initca-key-x25519", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", X25519_KEY).err("2003"),
        Case::new("ca-files/renewca-key-secp256k1", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", f.ca.clone()).file("k.pem", SECP256K1_KEY).err("2003"),
        // -initca with an existing key.
        Case::new("ca-files/initca-key-garbage", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", "garbage").err("2002"),
        Case::new("ca-files/initca-key-encrypted", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", legacy_encrypted).err("2100"),
        Case::new("ca-files/initca-key-missing", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).err("k.pem"),
        Case::new("ca-files/initca-key-is-cert", Tool::Cfssl, &["gencert", "-initca", "-ca-key", "k.pem", "req.json"])
            .file("req.json", r#"{"CN":"x"}"#).file("k.pem", f.ca.clone()).err("2003"),
        // -renewca.
        Case::new("ca-files/renewca-mismatched", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", f.ca.clone()).file("k.pem", f.other_key.clone())
            .err(r#"{"code":2300,"message":"Private key does not match public key"}"#),
        Case::new("ca-files/renewca-ca-garbage", Tool::Cfssl, &["gencert", "-renewca", "-ca", "ca.pem", "-ca-key", "k.pem"])
            .file("ca.pem", "garbage").file("k.pem", f.ca_key.clone()).err("1002"),
        Case::new("ca-files/renewca-no-flags", Tool::Cfssl, &["gencert", "-renewca"]).err("open : no such file or directory"),
    ]
}

trait TapArgs {
    fn tap_args(self, f: impl FnOnce(&mut Vec<String>)) -> Self;
}
impl TapArgs for Case {
    fn tap_args(mut self, f: impl FnOnce(&mut Vec<String>)) -> Self {
        f(&mut self.args);
        self
    }
}

fn pem_der(pem_text: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = pem_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn cfssljson_cases() -> Vec<Case> {
    let bare = |name: &str, input: &[u8]| {
        Case::new(
            format!("cfssljson/{name}"),
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(input.to_vec())
    };
    let env = |name: &str, input: &[u8]| {
        Case::new(format!("cfssljson/{name}"), Tool::Cfssljson, &["out"]).stdin(input.to_vec())
    };
    let mut v = vec![
        bare("empty", b"").err("Failed to parse input: unexpected end of JSON input"),
        bare("open-brace", b"{").err("Failed to parse input: unexpected end of JSON input"),
        bare("array", b"[]").err("Failed to parse input"),
        bare("string", br#""x""#).err("Failed to parse input"),
        bare("number", b"1").err("Failed to parse input"),
        bare("trailing", br#"{"cert":"C"} x"#).err("Failed to parse input"),
        bare("invalid-utf8", b"\xff\xfe").err("Failed to parse input"),
        bare("nul-byte", b"{\"cert\":\"C\x00\"}").err("Failed to parse input"),
        bare("nul-leading", b"\x00").err("Failed to parse input"),
        bare("deep-arrays", &deep("[", 100_000)).err("Failed to parse input"),
        bare("deep-objects", &deep("{\"a\":", 100_000)).err("Failed to parse input"),
        bare("huge", &vec![b' '; 4 * HUGE]).err("larger than"),
        bare("ocsp-bad-base64", br#"{"ocspResponse":"!!!"}"#)
            .err("Failed to parse ocspResponse: illegal base64 data at input byte 0"),
        bare(
            "ocsp-bad-base64-after-cert",
            br#"{"cert":"C","key":"K","ocspResponse":"!!!"}"#,
        )
        .err("illegal base64 data"),
        bare(
            "bundle-missing-inner",
            br#"{"cert":"C","result":{"bundle":{"root":"R"}}}"#,
        )
        .err("inner bundle parsing failed!"),
        bare(
            "bundle-missing-root",
            br#"{"cert":"C","result":{"bundle":{"bundle":"B"}}}"#,
        )
        .err("root parsing failed!"),
        bare(
            "bundle-inner-number",
            br#"{"result":{"bundle":{"bundle":1,"root":"R"}}}"#,
        )
        .err("inner bundle parsing failed!"),
        env("envelope-missing-success", br#"{"cert":"C"}"#).err("Request failed"),
        env(
            "envelope-success-false",
            br#"{"success":false,"errors":[{"code":1,"message":"boom"}]}"#,
        )
        .err("Request failed")
        .err("boom"),
        env("envelope-invalid-json", b"{")
            .err("Failed to parse input: unexpected end of JSON input"),
        env("envelope-result-array", br#"{"success":true,"result":[]}"#)
            .err("Failed to parse input"),
        env(
            "envelope-success-string",
            br#"{"success":"yes","result":{}}"#,
        )
        .err("Failed to parse input: json: cannot unmarshal string into Go struct field Response.success of type bool"),
        env(
            "envelope-result-cert-number",
            br#"{"success":true,"result":{"cert":1}}"#,
        )
        .err("cert"),
        Case::new(
            "cfssljson/input-missing",
            Tool::Cfssljson,
            &["-bare", "-f", "nope.json", "out"],
        )
        .err("Failed to read input: open nope.json: no such file or directory"),
        Case::new(
            "cfssljson/input-directory",
            Tool::Cfssljson,
            &["-bare", "-f", "d", "out"],
        )
        .setup(|d| fs::create_dir(d.join("d")).unwrap())
        .err("Failed to read input")
        .err("d"),
        Case::new(
            "cfssljson/input-fifo",
            Tool::Cfssljson,
            &["-bare", "-f", "p", "out"],
        )
        .setup(|d| fifo_with_writer(&d.join("p"), b"[1]"))
        .err("Failed to parse input: json: cannot unmarshal array into Go value of type map[string]interface {}"),
        Case::new(
            "cfssljson/input-huge-file",
            Tool::Cfssljson,
            &["-bare", "-f", "big.json", "out"],
        )
        // cfssljson reads up to four times cfssl's input limit (what gencert can print).
        .file("big.json", vec![b' '; 4 * HUGE])
        .err("larger than"),
        Case::new(
            "cfssljson/output-dir-missing",
            Tool::Cfssljson,
            &["-bare", "nodir/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("open nodir/out.pem: no such file or directory"),
        Case::new(
            "cfssljson/output-under-a-file",
            Tool::Cfssljson,
            &["-bare", "f/out"],
        )
        .file("f", "x")
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("f/out.pem"),
        Case::new(
            "cfssljson/output-unwritable-dir",
            Tool::Cfssljson,
            &["-bare", "/proc/cfssl-bad-input/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("/proc/cfssl-bad-input/out.pem"),
        Case::new(
            "cfssljson/output-readonly-fs",
            Tool::Cfssljson,
            &["-bare", "/proc/self/out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .err("/proc/self/out.pem"),
        // The cert could be written, the key cannot: neither may be left behind.
        Case::new(
            "cfssljson/key-path-is-directory",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| fs::create_dir(d.join("out-key.pem")).unwrap())
        .stdin(br#"{"cert":"C","key":"K","csr":"R"}"#.to_vec())
        .err("out-key.pem"),
        Case::new(
            "cfssljson/csr-path-is-directory",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| fs::create_dir(d.join("out.csr")).unwrap())
        .stdin(br#"{"cert":"C","key":"K","csr":"R"}"#.to_vec())
        .err("out.csr"),
        Case::new("cfssljson/flag-needs-argument", Tool::Cfssljson, &["-f"])
            .err("flag needs an argument: -f"),
        Case::new("cfssljson/flag-unknown", Tool::Cfssljson, &["-bogus"])
            .err("flag provided but not defined: -bogus"),
        Case::new("cfssljson/flag-bad-bool", Tool::Cfssljson, &["-bare=maybe"])
            .err("invalid boolean value \"maybe\" for -bare"),
    ];
    for key in [
        "cert",
        "certificate",
        "key",
        "private_key",
        "encrypted_key",
        "csr",
        "certificate_request",
        "ocspResponse",
    ] {
        for (kind, val) in [
            ("number", "1"),
            ("null", "null"),
            ("object", "{}"),
            ("array", r#"["a"]"#),
            ("bool", "true"),
        ] {
            if kind != "number" && !matches!(key, "cert" | "key") {
                continue;
            }
            v.push(
                bare(
                    &format!("non-string-{key}-{kind}"),
                    format!(r#"{{"{key}":{val}}}"#).as_bytes(),
                )
                .err(key),
            );
        }
    }
    // A later non-string value must stop the earlier, valid ones from being written.
    v.push(
        bare(
            "valid-cert-then-bad-csr",
            br#"{"cert":"C","key":"K","csr":7}"#,
        )
        .err("csr"),
    );
    v
}

fn success_cases() -> Vec<Case> {
    vec![
        Case::new(
            "cfssljson/symlink-at-key-path-replaced",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| {
            fs::write(d.join("victim"), "precious").unwrap();
            fs::set_permissions(d.join("victim"), fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::symlink(d.join("victim"), d.join("out-key.pem")).unwrap();
            std::os::unix::fs::symlink(d.join("victim2"), d.join("out.pem")).unwrap();
        })
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .success()
        .check(|d| {
            assert_eq!(
                fs::read(d.join("victim")).unwrap(),
                b"precious",
                "link target was written"
            );
            assert!(
                !d.join("victim2").exists(),
                "dangling link target was created"
            );
            let m = fs::symlink_metadata(d.join("out-key.pem")).unwrap();
            assert!(m.file_type().is_file(), "out-key.pem is still a link");
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::read(d.join("out-key.pem")).unwrap(), b"K");
            assert!(fs::symlink_metadata(d.join("out.pem"))
                .unwrap()
                .file_type()
                .is_file());
            assert_eq!(
                fs::metadata(d.join("victim")).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }),
        Case::new(
            "cfssljson/loose-existing-key-becomes-0600",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| {
            fs::write(d.join("out-key.pem"), "old key").unwrap();
            fs::set_permissions(d.join("out-key.pem"), fs::Permissions::from_mode(0o644)).unwrap();
            fs::write(d.join("out-key.enc"), "old").unwrap();
            fs::set_permissions(d.join("out-key.enc"), fs::Permissions::from_mode(0o666)).unwrap();
        })
        .stdin(br#"{"cert":"C","key":"NEW","encrypted_key":"E"}"#.to_vec())
        .success()
        .check(|d| {
            let mode = |n: &str| fs::metadata(d.join(n)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode("out-key.pem"), 0o600);
            assert_eq!(mode("out-key.enc"), 0o600);
            assert_eq!(fs::read(d.join("out-key.pem")).unwrap(), b"NEW");
        }),
        Case::new(
            "cfssljson/new-key-is-0600-under-umask-0",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .success()
        .check(|d| {
            let m = fs::metadata(d.join("out-key.pem"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(m, 0o600);
            let left: Vec<_> = list_dir(d)
                .into_iter()
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            assert!(left.is_empty(), "temporary files left: {left:?}");
        }),
        Case::new(
            "cfssljson/huge-value-1MiB",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(format!(r#"{{"cert":"{}"}}"#, "A".repeat(1 << 20)).into_bytes())
        .success()
        .check(|d| assert_eq!(fs::metadata(d.join("out.pem")).unwrap().len(), 1 << 20)),
    ]
}

fn command_line_cases() -> Vec<Case> {
    let c = |name: &str, args: &[&str]| Case::new(format!("cli/{name}"), Tool::Cfssl, args);
    let req = br#"{"CN":"a"}"#.to_vec();
    vec![
        c("no-command", &[]).err("No command is given."),
        c("unknown-command", &["bogus"]).err("Command bogus is not defined."),
        c("flag-before-command", &["-loglevel", "0", "version"]).err("flag provided but not defined: -loglevel"),
        c("gencert-no-args", &["gencert"]).err("not enough arguments are supplied --- please refer to the usage"),
        // cfssl 1.6.5's wording for commands that take no arguments: info's sentence ends
        // with a period, the others' does not.
        c("info-argument", &["info", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h.\n"),
        c("revoke-argument", &["revoke", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("serve-argument", &["serve", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("ocspserve-argument", &["ocspserve", "x"]).err("argument is provided but not defined; please refer to the usage by flag -h\n"),
        c("gencert-two-args", &["gencert", "-initca", "a.json", "b.json"]).file("a.json", req.clone()).file("b.json", req.clone())
            .err("only one argument is accepted, please check with usage"),
        c("gencert-flag-after-arg", &["gencert", "a.json", "-initca"]).file("a.json", req.clone())
            .err("only one argument is accepted, please check with usage"),
        c("gencert-double-dash-only", &["gencert", "--"]).err("not enough arguments"),
        c("flag-needs-argument", &["gencert", "-ca"]).err("flag needs an argument: -ca"),
        c("flag-unknown", &["gencert", "-bogus", "x"]).err("flag provided but not defined: -bogus"),
        c("flag-bad-bool", &["gencert", "-initca=maybe", "a.json"]).err(r#"invalid boolean value "maybe" for -initca"#),
        c("flag-bad-int", &["gencert", "-loglevel", "abc", "a.json"]).err(r#"invalid value "abc" for flag -loglevel"#),
        c("flag-int-overflow", &["gencert", "-port", "99999999999999999999999", "a.json"]).err("-port"),
        c("flag-bad-duration", &["gencert", "-expiry", "1y", "a.json"]).err("-expiry"),
        c("request-missing", &["gencert", "-initca", "nope.json"]).err("open nope.json: no such file or directory"),
        c("request-directory", &["gencert", "-initca", "d"]).setup(|d| fs::create_dir(d.join("d")).unwrap()).err("d"),
        c("request-fifo", &["gencert", "-initca", "p"]).setup(|d| fifo_with_writer(&d.join("p"), b"{\"CN\":5}")).err("json: cannot unmarshal number into Go struct field CertificateRequest.CN of type string"),
        c("request-stdin-empty", &["gencert", "-initca", "-"]).err("unexpected end of JSON input"),
        c("request-stdin-huge", &["gencert", "-initca", "-"]).stdin(vec![b' '; HUGE]).err("larger than"),
        c("request-invalid-utf8-path", &["gencert", "-initca", "\u{fffd}x.json"]).err("x.json"),
        c("config-missing", &["gencert", "-initca", "-config", "nope.json", "a.json"]).file("a.json", req.clone())
            .err(r#"Failed to load config file: {"code":5200,"message":"could not read configuration file"}"#),
        c("config-empty-with-key-only", &["gencert", "-ca-key", "k.pem", "-config", "c.json", "a.json"])
            .file("a.json", req.clone())
            .file("c.json", good_config())
            .file("k.pem", fixtures().ca_key.clone())
            .err("open : no such file or directory"),
        c("config-no-ca-key", &["gencert", "-ca", "ca.pem", "-config", "c.json", "a.json"])
            .file("a.json", req.clone())
            .file("c.json", good_config())
            .file("ca.pem", fixtures().ca.clone())
            .err(r#"{"code":2000,"message":"Unknown private key error"}"#),
        c("sign-mode-ca-section", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "a.json"])
            .file("a.json", br#"{"CN":"a","ca":{}}"#.to_vec())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .err("ca section only permitted in initca"),
        c("hostname-non-ascii", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", "ümlaut.example", "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .err("cannot be encoded"),
        c("hostname-100KiB", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", &"h".repeat(100 << 10), "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .either(),
        c("hostname-5000-commas", &["gencert", "-ca", "ca.pem", "-ca-key", "k.pem", "-hostname", &",".repeat(5000), "a.json"])
            .file("a.json", req.clone())
            .file("ca.pem", fixtures().ca.clone())
            .file("k.pem", fixtures().ca_key.clone())
            .either(),
        c("cn-non-ascii-flag", &["gencert", "-initca", "-cn", "\u{fffd}\u{0001}", "a.json"]).file("a.json", req.clone()).either(),
    ]
}

/// Output that cannot be written is an error with a message, not a panic or a silent 1.
fn stdout_full_cases() -> Vec<Case> {
    let c = |name: &str, tool: Tool, args: &[&str]| {
        Case::new(format!("stdout-full/{name}"), tool, args).stdout_full()
    };
    vec![
        c("cfssl-version", Tool::Cfssl, &["version"]).err("/dev/stdout"),
        c(
            "cfssl-print-defaults",
            Tool::Cfssl,
            &["print-defaults", "csr"],
        )
        .err("/dev/stdout"),
        c(
            "cfssl-gencert-initca",
            Tool::Cfssl,
            &["gencert", "-initca", "r.json"],
        )
        .file("r.json", r#"{"CN":"a"}"#)
        .err("/dev/stdout"),
        c("cfssljson-version", Tool::Cfssljson, &["-version"]).err("/dev/stdout"),
        c("cfssljson-stdout", Tool::Cfssljson, &["-bare", "-stdout"])
            .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
            .err("/dev/stdout"),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, body, frags, expect) in request_cases() {
        let mut a = Case::new(
            format!("request/initca/{name}"),
            Tool::Cfssl,
            &["gencert", "-initca", "req.json"],
        )
        .file("req.json", body.clone())
        .err_all(&frags);
        a.expect = expect;
        cases.push(a);
        let mut b = sign_case(&format!("request/sign/{name}"), &body)
            .file("config.json", good_config())
            .err_all(&frags);
        b.expect = expect;
        cases.push(b);
    }
    cases.extend(initca_only_cases());
    cases.extend(signing_config_cases());
    cases.extend(ca_file_cases());
    cases.extend(cfssljson_cases());
    cases.extend(success_cases());
    cases.extend(command_line_cases());
    cases.extend(stdout_full_cases());
    cases
}

/// Open bugs by case name: the cases run as ignored tests until they are fixed.
const KNOWN_BUGS: &[(&str, &str)] = &[];

fn main() {
    let args = Arguments::from_args();
    let mut cases = all_cases();
    for c in &mut cases {
        if let Some((_, why)) = KNOWN_BUGS.iter().find(|(n, _)| *n == c.name) {
            c.bug = Some(why);
        }
    }
    let bugs: Vec<&Case> = cases.iter().filter(|c| c.bug.is_some()).collect();
    if !bugs.is_empty() {
        eprintln!(
            "\n!!! bad_input: {} case(s) skipped for known open bugs:",
            bugs.len()
        );
        for c in &bugs {
            eprintln!("!!!   {}: {}", c.name, c.bug.unwrap());
        }
        eprintln!();
    }
    let trials = cases
        .into_iter()
        .map(|c| {
            let ignored = c.bug.is_some();
            let name = c.name.clone();
            Trial::test(name, move || run_case(&c)).with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
