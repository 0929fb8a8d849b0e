//! Running one golden case and comparing it with its recorded expectations
//! (`tests/golden/FORMAT.md` is the specification).

use crate::content::{self, Block, Content, Normalizer, RunTimes};
use crate::facts::{self, Object};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const EXPECTED_DIR: &str = "expected";
/// rounding of notBefore to the minute, plus margin
const TIME_SLACK_S: i64 = 60;
/// CRL thisUpdate is "now", not rounded
const CRL_TIME_SLACK_S: i64 = 5;
/// nextUpdate / revocationDate minus thisUpdate: cfssl reads the clock several times
const CRL_DELTA_SLACK_S: i64 = 2;
const VARIES: &str = "varies";

pub struct Binaries {
    pub cfssl: PathBuf,
    pub cfssljson: PathBuf,
    /// `$MULTIROOTCA` and `$MKBUNDLE` of the multirootca-* and mkbundle-* cases.
    pub multirootca: PathBuf,
    pub mkbundle: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    Code(i64),
    Timeout,
}

impl Exit {
    fn to_value(&self) -> Value {
        match self {
            Exit::Code(c) => json!(c),
            Exit::Timeout => json!("timeout"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    File { mode: u32, data: Vec<u8> },
    Dir { mode: u32 },
    Symlink { mode: u32, target: Vec<u8> },
    Other { mode: u32 },
}

impl Entry {
    fn type_name(&self) -> &'static str {
        match self {
            Entry::File { .. } => "file",
            Entry::Dir { .. } => "dir",
            Entry::Symlink { .. } => "symlink",
            Entry::Other { .. } => "other",
        }
    }

    fn mode(&self) -> u32 {
        match self {
            Entry::File { mode, .. }
            | Entry::Dir { mode }
            | Entry::Symlink { mode, .. }
            | Entry::Other { mode } => *mode,
        }
    }
}

type Snapshot = BTreeMap<String, Entry>;

fn snapshot(root: &Path) -> std::io::Result<Snapshot> {
    fn walk(root: &Path, dir: &Path, snap: &mut Snapshot) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&p)?;
            let mode = meta.permissions().mode() & 0o7777;
            let ft = meta.file_type();
            let entry = if ft.is_symlink() {
                use std::os::unix::ffi::OsStrExt;
                Entry::Symlink {
                    mode,
                    target: std::fs::read_link(&p)?.as_os_str().as_bytes().to_vec(),
                }
            } else if ft.is_dir() {
                walk(root, &p, snap)?;
                Entry::Dir { mode }
            } else if ft.is_file() {
                Entry::File {
                    mode,
                    data: std::fs::read(&p)?,
                }
            } else {
                Entry::Other { mode }
            };
            snap.insert(rel, entry);
        }
        Ok(())
    }
    let mut snap = Snapshot::new();
    walk(root, root, &mut snap)?;
    Ok(snap)
}

/// Copy a case folder without `expected/`, with modes 0644 / 0755.
fn copy_case(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if top && name == EXPECTED_DIR {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type()?;
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ft.is_dir() {
            copy_case(&src, &dst, false)?;
        } else {
            std::fs::write(&dst, std::fs::read(&src)?)?;
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// The raw result of running a case once.
pub struct Run {
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub times: RunTimes,
    /// the run folder, then its real path if that differs (it is deleted by now)
    pub rundirs: Vec<String>,
    before: Snapshot,
    after: Snapshot,
}

/// Run `bash cmd` of a case in a fresh copy of it (FORMAT.md, steps 1-3).
pub fn run_case(case_dir: &Path, bins: &Binaries, timeout: Duration) -> std::io::Result<Run> {
    let base = tempfile::Builder::new().prefix("golden-").tempdir()?;
    let rundir = base.path().join("run");
    copy_case(case_dir, &rundir, true)?;
    let before = snapshot(&rundir)?;
    let mut cmd = Command::new("bash");
    cmd.arg("cmd")
        .current_dir(&rundir)
        .env_clear()
        .env(
            "PATH",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        )
        .env("HOME", &rundir)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("CFSSL", &bins.cfssl)
        .env("CFSSLJSON", &bins.cfssljson)
        .env("MULTIROOTCA", &bins.multirootca)
        .env("MKBUNDLE", &bins.mkbundle)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Ok(tmp) = std::env::var("TMPDIR") {
        cmd.env("TMPDIR", tmp);
    }
    // SAFETY: umask and setsid are async-signal-safe; the new session lets a
    // timeout kill everything the case started.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            libc::setsid();
            Ok(())
        });
    }
    let start = now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as i32;
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
        child
    });
    let exit = match rx.recv_timeout(timeout) {
        Ok(status) => {
            let status = status?;
            Exit::Code(
                status
                    .code()
                    .map_or_else(|| -i64::from(status.signal().unwrap_or(0)), i64::from),
            )
        }
        Err(_) => {
            // SAFETY: plain kill(2) of the process group we created
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = rx.recv();
            Exit::Timeout
        }
    };
    let _ = waiter.join();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let end = now();
    let after = snapshot(&rundir)?;
    let mut rundirs = vec![rundir.to_string_lossy().into_owned()];
    if let Ok(real) = std::fs::canonicalize(&rundir) {
        let real = real.to_string_lossy().into_owned();
        if real != rundirs[0] {
            rundirs.push(real);
        }
    }
    Ok(Run {
        exit,
        stdout,
        stderr,
        times: RunTimes { start, end },
        rundirs,
        before,
        after,
    })
}

// ---------------------------------------------------------------------------
// what was observed

pub struct ProducedFile {
    pub type_name: &'static str,
    pub change: &'static str,
    pub mode: Option<String>,
    pub normalized: Option<Vec<u8>>,
    pub content: Option<Content>,
}

pub struct Observed {
    pub exit: Exit,
    pub stdout_norm: Vec<u8>,
    pub stderr_norm: String,
    pub stdout: Content,
    pub files: BTreeMap<String, ProducedFile>,
    /// object id -> [{issuer, name_matches, aki_matches_issuer_ski}]
    pub issued_by: BTreeMap<String, Vec<Value>>,
    pub key_groups: Vec<Vec<String>>,
    /// OCSP response id -> its `ocsp_cert_ids` relation
    pub ocsp_cert_ids: BTreeMap<String, Value>,
}

pub fn observe(run: &Run, bins: &Binaries) -> Observed {
    let norm = Normalizer {
        cfssl: bins.cfssl.to_string_lossy().into_owned(),
        cfssljson: bins.cfssljson.to_string_lossy().into_owned(),
        rundirs: run.rundirs.clone(),
    };
    let stdout_norm = norm.bytes(&run.stdout);
    let stderr_norm = String::from_utf8_lossy(&norm.bytes(&run.stderr)).into_owned();
    let stdout = Content::analyze(&stdout_norm, Some(run.times));
    let mut files = BTreeMap::new();
    let mut inputs: Vec<(String, Content)> = Vec::new();
    let paths: BTreeSet<&String> = run.before.keys().chain(run.after.keys()).collect();
    for path in paths {
        let (b, a) = (run.before.get(path), run.after.get(path));
        if b == a {
            if let Some(Entry::File { data, .. }) = b {
                inputs.push((path.clone(), Content::analyze(data, None)));
            }
            continue;
        }
        let change = if a.is_none() {
            "deleted"
        } else if b.is_none() {
            "created"
        } else {
            "modified"
        };
        let Some(a) = a.or(b) else { continue };
        let mut f = ProducedFile {
            type_name: a.type_name(),
            change,
            mode: None,
            normalized: None,
            content: None,
        };
        if change != "deleted" {
            f.mode = Some(format!("{:04o}", a.mode()));
            if let Entry::File { data, .. } = a {
                let n = norm.bytes(data);
                f.content = Some(Content::analyze(&n, Some(run.times)));
                f.normalized = Some(n);
            }
        }
        files.insert(path.clone(), f);
    }
    let mut objects: Vec<(String, &Object, bool)> = Vec::new();
    push_blocks(&mut objects, "stdout", &stdout, false);
    for (path, f) in &files {
        if let Some(c) = &f.content {
            push_blocks(&mut objects, &format!("file:{path}"), c, false);
        }
    }
    for (path, c) in &inputs {
        push_blocks(&mut objects, &format!("input:{path}"), c, true);
    }
    let Relations {
        issued_by,
        key_groups,
        ocsp_cert_ids,
    } = relations(&objects);
    Observed {
        exit: run.exit.clone(),
        stdout_norm,
        stderr_norm,
        stdout,
        files,
        issued_by,
        key_groups,
        ocsp_cert_ids,
    }
}

/// Objects are named `stdout#K`, `file:<path>#K` and `input:<path>#K`.
fn push_blocks<'a>(
    objects: &mut Vec<(String, &'a Object, bool)>,
    prefix: &str,
    c: &'a Content,
    is_input: bool,
) {
    for (i, b) in c.blocks.iter().enumerate() {
        objects.push((format!("{prefix}#{i}"), &b.object, is_input));
    }
}

struct Relations {
    issued_by: BTreeMap<String, Vec<Value>>,
    key_groups: Vec<Vec<String>>,
    ocsp_cert_ids: BTreeMap<String, Value>,
}

fn relations(objects: &[(String, &Object, bool)]) -> Relations {
    let certs: Vec<(&String, &[u8])> = objects
        .iter()
        .filter(|(_, o, _)| o.kind == "certificate")
        .filter_map(|(id, o, _)| Some((id, o.der.as_deref()?)))
        .collect();
    let mut issued = BTreeMap::new();
    let mut ocsp_cert_ids = BTreeMap::new();
    for (id, o, is_input) in objects {
        let Some(der) = o.der.as_deref() else {
            continue;
        };
        if !*is_input && o.kind == "ocsp" {
            let (found, ids) = crate::ocsp::relations(der, &certs);
            issued.insert(id.clone(), found);
            ocsp_cert_ids.insert(id.clone(), ids);
            continue;
        }
        if *is_input || !(o.kind == "certificate" || o.kind == "crl") {
            continue;
        }
        let mut found = Vec::new();
        for (iid, issuer_der) in &certs {
            if facts::verify_signed(der, issuer_der) != Some(true) {
                continue;
            }
            if let Some(rel) = facts::issuer_relation(der, &o.kind, issuer_der) {
                found.push(json!({
                    "issuer": iid,
                    "name_matches": rel.name_matches,
                    "aki_matches_issuer_ski": rel.aki_matches_issuer_ski,
                }));
            }
        }
        found.sort_by(|a, b| a["issuer"].as_str().cmp(&b["issuer"].as_str()));
        issued.insert(id.clone(), found);
    }
    let mut groups: BTreeMap<&[u8], Vec<(&String, bool)>> = BTreeMap::new();
    for (id, o, is_input) in objects {
        if let Some(spki) = o.spki.as_deref() {
            groups.entry(spki).or_default().push((id, *is_input));
        }
    }
    let mut key_groups: Vec<Vec<String>> = groups
        .into_values()
        .filter(|m| m.len() >= 2 && m.iter().any(|(_, inp)| !inp))
        .map(|m| {
            let mut ids: Vec<String> = m.into_iter().map(|(id, _)| id.clone()).collect();
            ids.sort();
            ids
        })
        .collect();
    key_groups.sort();
    Relations {
        issued_by: issued,
        key_groups,
        ocsp_cert_ids,
    }
}

// ---------------------------------------------------------------------------
// expectations

pub struct Expected {
    pub result: Value,
    stdout: Option<Vec<u8>>,
    stderr: Vec<u8>,
    /// normalized bytes of the deterministic produced files
    files: BTreeMap<String, Vec<u8>>,
}

pub fn load_expected(case_dir: &Path) -> Result<Expected, String> {
    let edir = case_dir.join(EXPECTED_DIR);
    let text = std::fs::read_to_string(edir.join("result.json"))
        .map_err(|e| format!("{}: {e}", edir.join("result.json").display()))?;
    let result: Value = serde_json::from_str(&text).map_err(|e| format!("result.json: {e}"))?;
    let mut files = BTreeMap::new();
    for f in result["files"].as_array().into_iter().flatten() {
        if f["deterministic"] == json!(true) {
            let path = f["path"].as_str().unwrap_or_default();
            if let Ok(data) = std::fs::read(edir.join("files").join(path)) {
                files.insert(path.to_string(), data);
            }
        }
    }
    Ok(Expected {
        stdout: std::fs::read(edir.join("stdout")).ok(),
        stderr: std::fs::read(edir.join("stderr")).unwrap_or_default(),
        files,
        result,
    })
}

// ---------------------------------------------------------------------------
// comparison

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 200 {
        s
    } else {
        format!("{}...", s.chars().take(197).collect::<String>())
    }
}

fn short_str(s: &str) -> String {
    short(&json!(s))
}

/// Every difference between two JSON values, as `path: expected X, got Y`.
/// A differing `der` is reported only when nothing decoded from it differs.
pub fn diff_values(exp: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (exp, got) {
        (Value::Object(e), Value::Object(g)) => {
            let before = out.len();
            let keys: BTreeSet<&String> = e.keys().chain(g.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (e.get(k), g.get(k)) {
                    (Some(_), Some(_)) if k == "der" => {}
                    (Some(ev), None) => out.push(format!("{p}: missing (expected {})", short(ev))),
                    (None, Some(gv)) => out.push(format!("{p}: unexpected {}", short(gv))),
                    (Some(ev), Some(gv)) => diff_values(ev, gv, &p, out),
                    (None, None) => {}
                }
            }
            if let (Some(ed), Some(gd), true) = (e.get("der"), g.get("der"), out.len() == before) {
                if ed != gd {
                    out.push(format!("{path}.der: expected {ed}, got {gd}"));
                }
            }
        }
        (Value::Array(e), Value::Array(g)) if e.iter().chain(g).any(Value::is_object) => {
            for i in 0..e.len().max(g.len()) {
                // name extensions by their name, which reads better than an index
                let name = e
                    .get(i)
                    .or(g.get(i))
                    .and_then(|x| x.get("name"))
                    .and_then(Value::as_str);
                let label = match name {
                    Some(n) => format!("{path}[{i} {n}]"),
                    None => format!("{path}[{i}]"),
                };
                match (e.get(i), g.get(i)) {
                    (Some(ev), None) => {
                        out.push(format!("{label}: missing (expected {})", short(ev)))
                    }
                    (None, Some(gv)) => out.push(format!("{label}: unexpected {}", short(gv))),
                    (Some(ev), Some(gv)) => diff_values(ev, gv, &label, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(g)) if e != g => {
            // lists of names and values: show where they start to differ
            let i = e.iter().zip(g).take_while(|(a, b)| a == b).count();
            let tail = |v: &[Value]| short(&json!(v[i.min(v.len())..(i + 3).min(v.len())]));
            let lens = if e.len() == g.len() {
                String::new()
            } else {
                format!(" ({} entries, expected {})", g.len(), e.len())
            };
            out.push(format!(
                "{path}[{i}:]: expected {}, got {}{lens}",
                tail(e),
                tail(g)
            ));
        }
        _ if exp != got => out.push(format!(
            "{path}: expected {}, got {}",
            short(exp),
            short(got)
        )),
        _ => {}
    }
}

fn int_field(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// The `random` section compared by shape (FORMAT.md, "random").
fn shape_problems(exp: &Value, got: &Value, facts: &Value, path: &str, out: &mut Vec<String>) {
    let (Value::Object(e), Value::Object(g)) = (exp, got) else {
        diff_values(exp, got, path, out);
        return;
    };
    let sig_name = facts["signature_algorithm"]["name"]
        .as_str()
        .unwrap_or_default();
    let algo = match &facts["algorithm"] {
        Value::Null => facts["public_key"]["type"].as_str().unwrap_or_default(),
        a => a.as_str().unwrap_or_default(),
    };
    let keys: BTreeSet<&String> = e.keys().chain(g.keys()).collect();
    for k in keys {
        let p = format!("{path}.{k}");
        let (ev, gv) = match (e.get(k), g.get(k)) {
            (Some(ev), Some(gv)) => (ev, gv),
            (Some(ev), None) => {
                out.push(format!("{p}: missing (expected {})", short(ev)));
                continue;
            }
            (None, Some(gv)) => {
                out.push(format!("{p}: unexpected {}", short(gv)));
                continue;
            }
            (None, None) => continue,
        };
        let (eb, gb) = (int_field(ev, "bytes"), int_field(gv, "bytes"));
        match k.as_str() {
            "serial" => {
                if gb > eb.max(20) {
                    out.push(format!(
                        "{p}.bytes: {gb} bytes (expected at most {})",
                        eb.max(20)
                    ));
                }
                let (ebits, gbits) = (int_field(ev, "bits"), int_field(gv, "bits"));
                if gbits < ebits.min(159) - 24 {
                    out.push(format!("{p}.bits: {gbits} bits (expected about {ebits})"));
                }
            }
            "signature" if sig_name.starts_with("ecdsa") => {
                if (gb - eb).abs() > 6 {
                    out.push(format!("{p}.bytes: expected about {eb}, got {gb}"));
                }
            }
            "responses" => match (ev.as_array(), gv.as_array()) {
                (Some(el), Some(gl)) => {
                    if el.len() != gl.len() {
                        out.push(format!("{p}: {} entries, expected {}", gl.len(), el.len()));
                    }
                    for (j, (ej, gj)) in el.iter().zip(gl).enumerate() {
                        shape_problems(ej, gj, facts, &format!("{p}[{j}]"), out);
                    }
                }
                _ => diff_values(ev, gv, &p, out),
            },
            "der" if algo == "rsa" => {
                if (gb - eb).abs() > 16 {
                    out.push(format!("{p}.bytes: expected about {eb}, got {gb}"));
                }
            }
            _ => diff_values(ev, gv, &p, out),
        }
    }
}

fn time_problems(exp: &Value, got: &Value, crl: bool, path: &str, out: &mut Vec<String>) {
    let (first, second, slack) = if crl {
        ("this_update", "next_update", CRL_TIME_SLACK_S)
    } else {
        ("not_before", "not_after", TIME_SLACK_S)
    };
    if exp[first] != got[first] || exp[second] != got[second] {
        let start_key = format!("{first}_minus_run_start_s");
        let end_key = format!("{first}_minus_run_end_s");
        match (exp.get(&start_key), got.get(&start_key)) {
            (Some(_), Some(_)) => {
                let lo_e = int_field(exp, &end_key) - slack;
                let hi_e = int_field(exp, &start_key) + slack;
                let (lo_g, hi_g) = (int_field(got, &end_key), int_field(got, &start_key));
                if hi_g < lo_e || lo_g > hi_e {
                    out.push(format!(
                        "{path}: {first} is {lo_g:+}..{hi_g:+} s from the run time, expected {:+}..{:+} s",
                        lo_e + slack,
                        hi_e - slack
                    ));
                }
            }
            _ => out.push(format!(
                "{path}: expected {first} {}, got {}",
                exp[first], got[first]
            )),
        }
    }
    if !crl {
        return;
    }
    for k in [
        "next_update_minus_this_update_s",
        "revocation_minus_this_update_s",
    ] {
        let (e, g) = (&exp[k], &got[k]);
        let as_list = |v: &Value| -> Vec<i64> {
            match v {
                Value::Array(a) => a.iter().map(|x| x.as_i64().unwrap_or(0)).collect(),
                v => vec![v.as_i64().unwrap_or(0)],
            }
        };
        let differs = match (e.is_null(), g.is_null()) {
            (true, true) => false,
            (false, false) => {
                let (el, gl) = (as_list(e), as_list(g));
                el.len() != gl.len()
                    || el
                        .iter()
                        .zip(&gl)
                        .any(|(a, b)| (a - b).abs() > CRL_DELTA_SLACK_S)
            }
            _ => true,
        };
        if differs {
            out.push(format!(
                "{path}.{k}: expected {e} (+-{CRL_DELTA_SLACK_S} s), got {g}"
            ));
        }
    }
}

fn compare_blocks(exp: &[Value], got: &[Block], path: &str, out: &mut Vec<String>) {
    if exp.len() != got.len() {
        out.push(format!(
            "{path}: {} PEM block(s), expected {}",
            got.len(),
            exp.len()
        ));
    }
    for (i, (e, g)) in exp.iter().zip(got).enumerate() {
        let p = format!(
            "{path} <PEM#{i} {}>",
            e["where"].as_str().unwrap_or(&g.location)
        );
        let o = &g.object;
        if e["kind"] != json!(o.kind) {
            out.push(format!("{p}: kind {}, expected {}", o.kind, e["kind"]));
            continue;
        }
        let mut got_facts = o.facts.clone();
        if e["facts"]["validity"]["not_before_second"] == json!(VARIES) {
            if let Some(v) = got_facts.get_mut("validity").and_then(Value::as_object_mut) {
                v.insert("not_before_second".into(), json!(VARIES));
            }
        }
        diff_values(&e["facts"], &got_facts, &format!("{p}.facts"), out);
        let empty = json!({});
        shape_problems(
            e.get("random").unwrap_or(&empty),
            &o.random,
            &e["facts"],
            &format!("{p}.random"),
            out,
        );
        if o.kind == "ocsp" {
            let got_time = o.time.clone().map_or(Value::Null, Value::Object);
            let exp_time = e.get("time").unwrap_or(&Value::Null);
            crate::ocsp::time_problems(exp_time, &got_time, &format!("{p}.time"), out);
        }
        if o.kind == "certificate" || o.kind == "crl" {
            let got_time = o.time.clone().map_or(Value::Null, Value::Object);
            let exp_time = e.get("time").unwrap_or(&Value::Null);
            let tp = format!("{p}.time");
            match (exp_time.is_null(), got_time.is_null()) {
                (true, true) => {}
                (false, false) => time_problems(exp_time, &got_time, o.kind == "crl", &tp, out),
                _ => out.push(format!(
                    "{tp}: expected {}, got {}",
                    short(exp_time),
                    short(&got_time)
                )),
            }
        }
    }
}

fn first_diff_line(exp: &str, got: &str) -> String {
    let (el, gl) = (content::split_lines(exp), content::split_lines(got));
    for i in 0..el.len().max(gl.len()) {
        let (a, b) = (el.get(i).copied(), gl.get(i).copied());
        if a != b {
            let show = |x: Option<&str>| x.map_or("<end>".to_string(), short_str);
            return format!("line {}: expected {}, got {}", i + 1, show(a), show(b));
        }
    }
    // the texts differ only in line endings
    format!("expected {}, got {}", short_str(exp), short_str(got))
}

/// Compare stdout or a produced file (FORMAT.md, "What a passing case means").
fn compare_content(
    exp: &Value,
    blob: Option<&[u8]>,
    got_norm: &[u8],
    got: &Content,
    path: &str,
    out: &mut Vec<String>,
) {
    if exp["deterministic"] == json!(true) {
        if let Some(blob) = blob {
            if blob == got_norm {
                return;
            }
            out.push(format!(
                "{path}: bytes differ: {}",
                first_diff_line(
                    &String::from_utf8_lossy(blob),
                    &String::from_utf8_lossy(got_norm)
                )
            ));
        }
    }
    let exp_binary = exp["binary"] == json!(true);
    if exp_binary || got.binary {
        if exp_binary != got.binary {
            out.push(format!(
                "{path}: expected {} content",
                if exp_binary { "binary" } else { "text" }
            ));
        }
        return;
    }
    let exp_skeleton = exp["skeleton"].as_str().unwrap_or_default();
    if exp_skeleton != got.skeleton {
        out.push(format!(
            "{path}: text outside PEM blocks differs: {}",
            first_diff_line(exp_skeleton, &got.skeleton)
        ));
    }
    let exp_json = exp["json"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if exp_json != got.json.as_slice() {
        // the first object whose path or keys differ tells the most
        let i = exp_json
            .iter()
            .zip(&got.json)
            .take_while(|(a, b)| a == b)
            .count();
        let show = |v: Option<&Value>| match v {
            Some(o) => format!(
                "{} {}",
                o["path"].as_str().unwrap_or("?"),
                short(&o["keys"])
            ),
            None => "nothing".to_string(),
        };
        out.push(format!(
            "{path}: JSON object #{i} ({} objects, expected {}): expected {}, got {}",
            got.json.len(),
            exp_json.len(),
            show(exp_json.get(i)),
            show(got.json.get(i))
        ));
    }
    let exp_pems = exp["pems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    compare_blocks(exp_pems, &got.blocks, path, out);
}

/// Every way the observed run differs from the expectations; empty means pass.
pub fn compare(exp: &Expected, ob: &Observed) -> Vec<String> {
    let r = &exp.result;
    let mut out = Vec::new();
    if r["exit_status"] != ob.exit.to_value() {
        out.push(format!(
            "exit status: expected {}, got {}",
            r["exit_status"],
            ob.exit.to_value()
        ));
    }
    compare_content(
        &r["stdout"],
        exp.stdout.as_deref(),
        &ob.stdout_norm,
        &ob.stdout,
        "stdout",
        &mut out,
    );

    let want = String::from_utf8_lossy(&exp.stderr);
    match r["stderr"]["mode"].as_str() {
        Some("exact") if want != ob.stderr_norm => {
            out.push(format!(
                "stderr: {}",
                first_diff_line(&want, &ob.stderr_norm)
            ));
        }
        Some("unordered_lines") => {
            let (mut w, mut g) = (
                content::split_lines(&want),
                content::split_lines(&ob.stderr_norm),
            );
            w.sort_unstable();
            g.sort_unstable();
            if w != g {
                out.push(format!(
                    "stderr (any line order): {}",
                    first_diff_line(&w.join("\n"), &g.join("\n"))
                ));
            }
        }
        _ => {}
    }

    let exp_files: BTreeMap<&str, &Value> = r["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f["path"].as_str().unwrap_or_default(), f))
        .collect();
    let paths: BTreeSet<&str> = exp_files
        .keys()
        .copied()
        .chain(ob.files.keys().map(String::as_str))
        .collect();
    for path in paths {
        let (e, g) = match (exp_files.get(path), ob.files.get(path)) {
            (Some(e), Some(g)) => (e, g),
            (Some(e), None) => {
                out.push(format!(
                    "file {path}: missing (expected {} {})",
                    e["change"], e["type"]
                ));
                continue;
            }
            (None, Some(g)) => {
                out.push(format!(
                    "file {path}: unexpected ({} {})",
                    g.change, g.type_name
                ));
                continue;
            }
            (None, None) => continue,
        };
        if e["type"] != json!(g.type_name) {
            out.push(format!(
                "file {path}: type {}, expected {}",
                g.type_name, e["type"]
            ));
        }
        if e["change"] != json!(g.change) {
            out.push(format!(
                "file {path}: change {}, expected {}",
                g.change, e["change"]
            ));
        }
        if e["mode"] != json!(g.mode) {
            out.push(format!(
                "file {path}: mode {}, expected {}",
                json!(g.mode),
                e["mode"]
            ));
        }
        if let (Some(c), Some(n), true) = (&g.content, &g.normalized, e["type"] == "file") {
            let mut ec = e["content"].clone();
            ec["deterministic"] = e["deterministic"].clone();
            let blob = exp.files.get(path).map(Vec::as_slice);
            compare_content(&ec, blob, n, c, &format!("file {path}"), &mut out);
        }
    }

    let no_relations = json!({});
    let exp_issued = r["relations"]["issued_by"]
        .as_object()
        .unwrap_or_else(|| no_relations.as_object().unwrap());
    for (id, g) in &ob.issued_by {
        // a certificate missing on one side has been reported as a missing file or block
        let Some(e) = exp_issued.get(id) else {
            continue;
        };
        let g = json!(g);
        if *e != g {
            let issuers = |v: &Value| -> Vec<Value> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| x["issuer"].clone())
                    .collect()
            };
            if issuers(e) != issuers(&g) {
                out.push(format!(
                    "chain: {id} is signed by {}, expected {}",
                    short(&json!(issuers(&g))),
                    short(&json!(issuers(e)))
                ));
            } else {
                diff_values(e, &g, &format!("chain {id}"), &mut out);
            }
        }
    }
    let exp_groups = &r["relations"]["key_groups"];
    if *exp_groups != json!(ob.key_groups) {
        out.push(format!(
            "key pairing: expected {}, got {}",
            short(exp_groups),
            short(&json!(ob.key_groups))
        ));
    }
    let exp_ids = &r["relations"]["ocsp_cert_ids"];
    for (id, g) in &ob.ocsp_cert_ids {
        if let Some(e) = exp_ids.get(id) {
            diff_values(e, g, &format!("ocsp cert ids {id}"), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("golden")
            .join("cases")
    }

    /// The facts of a recorded output, extracted by this crate, must be the
    /// facts recorded with it (the recording is the first of the reference runs,
    /// which is also what expected/stdout, files/ and sample/ hold).
    fn check_recorded(exp: &Value, data: &[u8], what: &str, out: &mut Vec<String>) {
        let c = Content::analyze(data, None);
        if exp["binary"] == json!(true) {
            return;
        }
        if exp["skeleton"] != json!(c.skeleton) {
            out.push(format!("{what}: skeleton {:?}", c.skeleton));
        }
        if *exp.get("json").unwrap_or(&json!([])) != json!(c.json) {
            out.push(format!("{what}: json keys"));
        }
        let pems = exp["pems"].as_array().cloned().unwrap_or_default();
        if pems.len() != c.blocks.len() {
            out.push(format!(
                "{what}: {} blocks, expected {}",
                c.blocks.len(),
                pems.len()
            ));
        }
        for (e, b) in pems.iter().zip(&c.blocks) {
            let p = format!("{what} {}", b.location);
            assert_eq!(e["where"], json!(b.location), "{p}");
            assert_eq!(e["kind"], json!(b.object.kind), "{p}");
            let mut facts = b.object.facts.clone();
            if e["facts"]["validity"]["not_before_second"] == json!(VARIES) {
                facts["validity"]["not_before_second"] = json!(VARIES);
            }
            diff_values(&e["facts"], &facts, &format!("{p}.facts"), out);
            diff_values(&e["random"], &b.object.random, &format!("{p}.random"), out);
            if let Some(time) = &b.object.time {
                for (k, v) in time {
                    if !within(&e["time"][k], v) {
                        out.push(format!("{p}.time.{k}: expected {}, got {v}", e["time"][k]));
                    }
                }
            }
        }
    }

    /// `got` equals `exp` apart from object keys only `exp` has (the run-relative
    /// times, which a recording analysed without its run lacks).
    fn within(exp: &Value, got: &Value) -> bool {
        match (exp, got) {
            (Value::Object(e), Value::Object(g)) => g
                .iter()
                .all(|(k, v)| e.get(k).is_some_and(|ev| within(ev, v))),
            (Value::Array(e), Value::Array(g)) => {
                e.len() == g.len() && e.iter().zip(g).all(|(a, b)| within(a, b))
            }
            _ => exp == got,
        }
    }

    #[test]
    fn facts_of_every_recorded_output_match_the_recording() {
        let mut problems = Vec::new();
        let mut checked = 0;
        for entry in std::fs::read_dir(cases_dir()).unwrap() {
            let dir = entry.unwrap().path();
            let Ok(exp) = load_expected(&dir) else {
                continue;
            };
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(stdout) = &exp.stdout {
                check_recorded(
                    &exp.result["stdout"],
                    stdout,
                    &format!("{name} stdout"),
                    &mut problems,
                );
                checked += 1;
            }
            for f in exp.result["files"].as_array().unwrap() {
                let path = f["path"].as_str().unwrap();
                let sub = if f["deterministic"] == json!(true) {
                    "files"
                } else {
                    "sample"
                };
                if let Ok(data) = std::fs::read(dir.join(EXPECTED_DIR).join(sub).join(path)) {
                    check_recorded(
                        &f["content"],
                        &data,
                        &format!("{name} {path}"),
                        &mut problems,
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} recorded outputs found");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    fn input_files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == EXPECTED_DIR {
                continue;
            }
            if p.is_dir() {
                input_files(root, &p, out);
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }

    /// The relations recomputed from the recorded outputs and the inputs must
    /// be the recorded relations: this exercises signature checks and public
    /// key derivation for every key type in the corpus.
    #[test]
    fn relations_of_every_recording_match() {
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(cases_dir()).unwrap() {
            let dir = entry.unwrap().path();
            let Ok(exp) = load_expected(&dir) else {
                continue;
            };
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let stdout = Content::analyze(exp.stdout.as_deref().unwrap_or_default(), None);
            let mut produced = Vec::new();
            for f in exp.result["files"].as_array().unwrap() {
                let path = f["path"].as_str().unwrap().to_string();
                let sub = if f["deterministic"] == json!(true) {
                    "files"
                } else {
                    "sample"
                };
                if let Ok(data) = std::fs::read(dir.join(EXPECTED_DIR).join(sub).join(&path)) {
                    produced.push((path, Content::analyze(&data, None)));
                } else {
                    produced.push((path, Content::default()));
                }
            }
            let mut raw_inputs = Vec::new();
            input_files(&dir, &dir, &mut raw_inputs);
            let inputs: Vec<(String, Content)> = raw_inputs
                .into_iter()
                .filter(|(p, _)| !produced.iter().any(|(q, _)| q == p))
                .map(|(p, data)| (p, Content::analyze(&data, None)))
                .collect();
            let mut objects = Vec::new();
            push_blocks(&mut objects, "stdout", &stdout, false);
            for (path, c) in &produced {
                push_blocks(&mut objects, &format!("file:{path}"), c, false);
            }
            for (path, c) in &inputs {
                push_blocks(&mut objects, &format!("input:{path}"), c, true);
            }
            let got = relations(&objects);
            let rel = &exp.result["relations"];
            if rel["issued_by"] != json!(got.issued_by) {
                problems.push(format!("{name}: issued_by {}", json!(got.issued_by)));
            }
            if rel["key_groups"] != json!(got.key_groups) {
                problems.push(format!("{name}: key_groups {}", json!(got.key_groups)));
            }
            let want_ids = rel.get("ocsp_cert_ids").cloned().unwrap_or(json!({}));
            if want_ids != json!(got.ocsp_cert_ids) {
                problems.push(format!(
                    "{name}: ocsp_cert_ids {}",
                    json!(got.ocsp_cert_ids)
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn known_facts_of_a_sample_certificate() {
        let pem = std::fs::read_to_string(cases_dir().join("gencrl-basic/root-ca.pem")).unwrap();
        let objs = facts::pem_objects(&pem);
        assert_eq!(objs.len(), 1);
        let f = &objs[0].facts;
        assert_eq!(f["type"], "certificate");
        assert_eq!(f["version"], 3);
        assert_eq!(f["subject_equals_issuer"], true);
        assert_eq!(f["self_signature_verifies"], true);
        assert_eq!(f["public_key"]["type"], "rsa");
        assert_eq!(
            f["subject"][5],
            json!([["2.5.4.3", "PrintableString", "Golden CLI Root CA"]])
        );
        assert_eq!(f["pem"]["label"], "CERTIFICATE");
    }
}
