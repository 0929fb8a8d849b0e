//! Running a case's `cmd` in a fresh copy of its folder (FORMAT.md, steps 1-3).

use super::EXPECTED_DIR;
use crate::content::RunTimes;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    pub(super) fn to_value(&self) -> Value {
        match self {
            Exit::Code(c) => json!(c),
            Exit::Timeout => json!("timeout"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Entry {
    File { mode: u32, data: Vec<u8> },
    Dir { mode: u32 },
    Symlink { mode: u32, target: Vec<u8> },
    Other { mode: u32 },
}

impl Entry {
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Entry::File { .. } => "file",
            Entry::Dir { .. } => "dir",
            Entry::Symlink { .. } => "symlink",
            Entry::Other { .. } => "other",
        }
    }

    pub(super) fn mode(&self) -> u32 {
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
    pub(super) before: Snapshot,
    pub(super) after: Snapshot,
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
