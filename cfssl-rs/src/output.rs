//! Bytes on their way out: PEM text as Go's `encoding/pem` writes it, and files written
//! so that a reader never sees a half-written certificate or a key with loose permissions.

use crate::{Error, Result};
use base64::Engine as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// PEM with LF line endings and 64-column base64, ending in a newline (Go's format; the
/// `pem` crate would write CRLF by default).
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Writes all of `bytes` to stdout, or says why not: a closed stdout (`>&-`) or a full
/// disk is an error here, where Go's `fmt.Print` and Rust's `print!` lose the output.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    if stdout_was_closed() {
        return Err(Error::io(
            "write",
            "/dev/stdout",
            &std::io::Error::from_raw_os_error(libc::EBADF),
        ));
    }
    write_all_fd(rustix::stdio::stdout(), bytes).map_err(|e| Error::io("write", "/dev/stdout", &e))
}

/// Writes to stderr; there is nowhere left to report a failure.
pub fn write_stderr(text: &str) {
    let _ = write_all_fd(rustix::stdio::stderr(), text.as_bytes());
}

/// `write(2)` until done, waiting for readiness when the descriptor is non-blocking
/// (inherited from a parent such as Node or asyncio; a plain write fails with EAGAIN
/// once the pipe is full), as Go's poller does.
fn write_all_fd(fd: std::os::fd::BorrowedFd<'_>, mut bytes: &[u8]) -> std::io::Result<()> {
    use rustix::event::{poll, PollFd, PollFlags};
    use rustix::io::Errno;
    while !bytes.is_empty() {
        match rustix::io::write(fd, bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => match poll(&mut [PollFd::new(&fd, PollFlags::OUT)], None) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Rust's runtime reopens a closed standard descriptor on `/dev/null` before `main`
/// runs, which turns `cfssl ... >&-` into `>/dev/null` and loses the certificate
/// without a word. A constructor runs before that and remembers whether fd 1 was open.
/// (No crate covers this; `ctor` would do the same with more machinery.)
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[used]
#[link_section = ".init_array"]
static PROBE_STDOUT: extern "C" fn() = probe_stdout;

extern "C" fn probe_stdout() {
    if rustix::io::fcntl_getfd(rustix::stdio::stdout()) == Err(rustix::io::Errno::BADF) {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn stdout_was_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// One file of a set written by [`write_files`].
#[derive(Debug, Clone, Copy)]
pub struct OutFile<'a> {
    /// The path as the user gave it; error messages name it verbatim, as Go's do.
    pub path: &'a str,
    pub contents: &'a [u8],
    /// Permissions for a newly created file, before the umask (cfssl: cert 0664, key
    /// 0600, CSR and others 0644).
    pub mode: u32,
}

/// Writes one file atomically; see [`write_files`].
pub fn write_file(path: &str, contents: &[u8], mode: u32) -> Result<()> {
    write_files(&[OutFile {
        path,
        contents,
        mode,
    }])
}

/// Writes every file of the set, or none of them if any fails.
///
/// Each file is first written in full to a fresh temporary file beside its target and
/// synced; only when all are ready are they renamed over their targets. So a crash or a
/// full disk never leaves a truncated certificate, a reader sees either the old or the
/// new file, and a symlink planted at a target is replaced rather than followed.
///
/// The set is replaced as a whole: the previous files are kept (hard-linked aside)
/// until every rename has succeeded, and if one fails the ones already replaced are
/// put back, so a certificate never ends up beside the wrong key. SIGTERM, SIGINT and
/// SIGHUP are held off while the set is replaced and act right after, when no
/// temporary file (each may hold a private key) is left. Concurrent writers of the same
/// directory take turns on a lock on it, and the first removes what a writer killed by
/// SIGKILL left behind for the same targets. A failed sync of the directory, which
/// would let the renames vanish in a crash, is an error.
///
/// Modes: a private file (a `-key.pem` / `-key.enc` path, or a `mode` with no group or
/// other bits) is created 0600 from its first byte, even when it replaces a looser file.
/// Any other file that already exists keeps its mode, as cfssl's in-place rewrite does;
/// a new one gets `mode` masked by the umask.
pub fn write_files(files: &[OutFile]) -> Result<()> {
    replace_set(files, |from, to| fs::rename(from, to))
}

/// [`write_files`] with the rename step given, so tests can make one fail.
fn replace_set(
    files: &[OutFile],
    rename: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> Result<()> {
    let _signals = HeldSignals::hold();
    let mut dirs: Vec<&Path> = files
        .iter()
        .map(|f| parent_dir(Path::new(f.path)))
        .collect();
    dirs.sort();
    dirs.dedup();
    // Sorted, so that two writers never wait on each other's second directory.
    let locks: Vec<Option<File>> = dirs.iter().map(|d| lock_dir(d)).collect();
    for file in files {
        remove_stale(Path::new(file.path));
    }
    let mut staged: Vec<Staged> = Vec::with_capacity(files.len());
    for file in files {
        match stage(file) {
            Ok(s) => staged.push(s),
            Err(e) => {
                for s in &staged {
                    s.discard();
                }
                return Err(e);
            }
        }
    }
    for (i, s) in staged.iter().enumerate() {
        if let Err(e) = rename(&s.temp, Path::new(s.target)) {
            // Put the previous set back: restore what was replaced, remove what was new.
            for done in &staged[..i] {
                match &done.backup {
                    Some(old) => {
                        let _ = fs::rename(old, done.target);
                    }
                    None if !done.existed => {
                        let _ = fs::remove_file(done.target);
                    }
                    None => {}
                }
            }
            for rest in &staged[i..] {
                rest.discard();
            }
            // Go reports a failed write of the target as an `open` error on its name.
            return Err(Error::io("open", s.target, &e));
        }
    }
    for s in &staged {
        if let Some(old) = &s.backup {
            let _ = fs::remove_file(old);
        }
    }
    // The renames must reach the disk for the new files to survive a crash; one sync
    // per directory covers every rename in it.
    for (dir, lock) in dirs.iter().zip(&locks) {
        if let Some(handle) = lock {
            sync_dir(handle, dir, File::sync_all)?;
        }
    }
    Ok(())
}

/// Syncs a directory after renames in it; a failure means they may not survive a crash.
fn sync_dir(handle: &File, dir: &Path, sync: impl Fn(&File) -> std::io::Result<()>) -> Result<()> {
    sync(handle).map_err(|e| Error::io("sync", &dir.to_string_lossy(), &e))
}

/// Opens `dir` and takes an exclusive lock on it, waiting for other writers. `None`
/// when the directory cannot be opened for reading (a `-wx` directory): then there is
/// neither a lock nor a directory sync, as before this existed.
fn lock_dir(dir: &Path) -> Option<File> {
    let handle = File::open(dir).ok()?;
    loop {
        match rustix::fs::flock(&handle, rustix::fs::FlockOperation::LockExclusive) {
            Err(rustix::io::Errno::INTR) => {}
            _ => return Some(handle),
        }
    }
}

/// SIGTERM, SIGINT and SIGHUP blocked for the life of the value; on drop the thread's
/// previous mask comes back and a pending signal takes its default effect then.
struct HeldSignals(Option<libc::sigset_t>);

impl HeldSignals {
    fn hold() -> Self {
        // SAFETY: `sigset_t` is plain data that `sigemptyset` initializes, and
        // `pthread_sigmask` only reads `set` and writes `old`, both valid here. The
        // signal API has no safe wrapper in the crates we use (rustix keeps it to its
        // runtime feature, unsafe too).
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            let ok = libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) == 0;
            HeldSignals(ok.then_some(old))
        }
    }
}

impl Drop for HeldSignals {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            // SAFETY: restores the mask saved by `hold`.
            unsafe {
                libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
            }
        }
    }
}

/// The prefix of every temporary and backup name for `target`: fixed length (so any
/// name that fits the filesystem still works), and the same for every run, so that
/// what a killed run left behind can be found.
fn temp_prefix(target: &Path) -> String {
    use sha2::Digest as _;
    let name = target
        .file_name()
        .map(|n| n.as_encoded_bytes())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(name);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!(".cfssl-{hex}-")
}

/// Removes temporaries and backups of `target` left by a run killed with SIGKILL; only
/// called with the directory locked, so no live writer owns them.
fn remove_stale(target: &Path) {
    let prefix = temp_prefix(target);
    let Ok(entries) = fs::read_dir(parent_dir(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && (name.ends_with(".tmp") || name.ends_with(".old")) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

struct Staged<'a> {
    temp: PathBuf,
    target: &'a str,
    existed: bool,
    /// A hard link to the file being replaced, to put it back if the set fails.
    backup: Option<PathBuf>,
}

impl Staged<'_> {
    fn discard(&self) {
        let _ = fs::remove_file(&self.temp);
        if let Some(old) = &self.backup {
            let _ = fs::remove_file(old);
        }
    }
}

fn is_private(file: &OutFile) -> bool {
    file.path.ends_with("-key.pem") || file.path.ends_with("-key.enc") || file.mode & 0o077 == 0
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn stage<'a>(file: &OutFile<'a>) -> Result<Staged<'a>> {
    let target = Path::new(file.path);
    let is_a_dir = || Error::io("open", file.path, &std::io::ErrorKind::IsADirectory.into());
    if file.path.ends_with('/') {
        return Err(is_a_dir());
    }
    let private = is_private(file);
    let (existed, kept_mode) = match fs::symlink_metadata(target) {
        Ok(m) if m.is_dir() => return Err(is_a_dir()),
        Ok(m) if m.is_file() && !private => (true, Some(m.permissions().mode() & 0o777)),
        Ok(_) => (true, None),
        Err(_) => (false, None),
    };
    let create_mode = if private {
        0o600
    } else {
        kept_mode.unwrap_or(file.mode & 0o777)
    };
    let (temp, mut handle) =
        create_temp(target, create_mode).map_err(|e| Error::io("open", file.path, &e))?;
    let fill = |handle: &mut File| -> Result<()> {
        if let Some(mode) = kept_mode {
            // The umask applies at creation, but an existing file's mode was the user's
            // choice and cfssl leaves it alone; set it before any byte is written.
            handle
                .set_permissions(fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io("chmod", file.path, &e))?;
        }
        handle
            .write_all(file.contents)
            .map_err(|e| Error::io("write", file.path, &e))?;
        // The bytes must be on disk before the rename publishes them; the data sync is
        // enough (no need to flush timestamps).
        handle
            .sync_data()
            .map_err(|e| Error::io("sync", file.path, &e))
    };
    if let Err(e) = fill(&mut handle) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    let backup = if existed {
        let old = temp.with_extension("old");
        // A filesystem without hard links loses only the restore-on-failure.
        fs::hard_link(target, &old).is_ok().then_some(old)
    } else {
        None
    };
    Ok(Staged {
        temp,
        target: file.path,
        existed,
        backup,
    })
}

/// A new file beside `target`, created exclusively so that nothing planted under the
/// temporary name can be followed or reused.
fn create_temp(target: &Path, mode: u32) -> std::io::Result<(PathBuf, File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = parent_dir(target);
    let prefix = temp_prefix(target);
    let mut attempt = 0;
    loop {
        let temp = dir.join(format!(
            "{prefix}{}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
        {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_columns_with_lf() {
        let p = super::pem("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        assert!(!p.contains('\r') && p.ends_with("-----\n"));
    }

    /// A fresh directory per test (tests run in parallel in one process), removed
    /// when the test ends.
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for Scratch {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cfssl-output-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn mode_of(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_bytes_exactly_and_keys_private() {
        let dir = scratch("basic");
        let cert = dir.join("a.pem");
        let key = dir.join("a-key.pem");
        write_files(&[
            OutFile {
                path: cert.to_str().unwrap(),
                contents: b"C",
                mode: 0o664,
            },
            OutFile {
                path: key.to_str().unwrap(),
                contents: b"K",
                mode: 0o600,
            },
        ])
        .unwrap();
        assert_eq!(fs::read(&cert).unwrap(), b"C");
        assert_eq!(fs::read(&key).unwrap(), b"K");
        assert_eq!(mode_of(&key), 0o600);
        assert_eq!(entries(&dir), ["a-key.pem", "a.pem"]);
    }

    #[test]
    fn existing_file_keeps_its_mode_but_key_is_tightened() {
        let dir = scratch("modes");
        let cert = dir.join("c.pem");
        let key = dir.join("c-key.enc");
        for p in [&cert, &key] {
            fs::write(p, "old contents that are longer").unwrap();
            fs::set_permissions(p, fs::Permissions::from_mode(0o666)).unwrap();
        }
        write_file(cert.to_str().unwrap(), b"new", 0o664).unwrap();
        write_file(key.to_str().unwrap(), b"", 0o600).unwrap();
        assert_eq!(
            (fs::read(&cert).unwrap(), mode_of(&cert)),
            (b"new".to_vec(), 0o666)
        );
        assert_eq!(
            (fs::read(&key).unwrap(), mode_of(&key)),
            (Vec::new(), 0o600)
        );
    }

    #[test]
    fn planted_symlink_is_replaced_not_followed() {
        let dir = scratch("symlink");
        let victim = dir.join("victim");
        fs::write(&victim, "precious").unwrap();
        let link = dir.join("x-key.pem");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_file(link.to_str().unwrap(), b"secret", 0o600).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(mode_of(&link), 0o600);
    }

    #[test]
    fn errors_name_the_final_path() {
        let err = write_file("no/such/dir/x.pem", b"x", 0o664).unwrap_err();
        assert_eq!(
            err.to_string(),
            "open no/such/dir/x.pem: no such file or directory"
        );
        let dir = scratch("isdir");
        let sub = dir.join("d.pem");
        fs::create_dir(&sub).unwrap();
        let path = sub.to_str().unwrap();
        assert_eq!(
            write_file(path, b"x", 0o644).unwrap_err().to_string(),
            format!("open {path}: is a directory")
        );
    }

    fn out<'a>(path: &'a Path, contents: &'a [u8]) -> OutFile<'a> {
        OutFile {
            path: path.to_str().unwrap(),
            contents,
            mode: 0o644,
        }
    }

    #[test]
    fn a_rename_failing_midway_puts_the_previous_set_back() {
        let dir = scratch("restore");
        let (cert, key, csr) = (dir.join("s.pem"), dir.join("s-key.pem"), dir.join("s.csr"));
        fs::write(&cert, "old cert").unwrap();
        fs::write(&key, "old key").unwrap();
        let calls = std::cell::Cell::new(0);
        let err = replace_set(
            &[
                out(&cert, b"new cert"),
                out(&key, b"new key"),
                out(&csr, b"new csr"),
            ],
            |from, to| {
                calls.set(calls.get() + 1);
                match calls.get() {
                    3 => Err(std::io::Error::from_raw_os_error(libc::EIO)),
                    _ => fs::rename(from, to),
                }
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with("s.csr: input/output error"),
            "{err}"
        );
        assert_eq!(fs::read(&cert).unwrap(), b"old cert");
        assert_eq!(fs::read(&key).unwrap(), b"old key");
        assert_eq!(
            entries(&dir),
            ["s-key.pem", "s.pem"],
            "no temporaries, no new file"
        );
    }

    #[test]
    fn any_name_that_fits_the_filesystem_works() {
        let dir = scratch("long");
        let name = format!("{}.pem", "n".repeat(251));
        let path = dir.join(&name);
        write_file(path.to_str().unwrap(), b"x", 0o644).unwrap();
        write_file(path.to_str().unwrap(), b"y", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"y");
        assert_eq!(entries(&dir), [name]);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed() {
        let dir = scratch("stale");
        let cert = dir.join("k.pem");
        let prefix = temp_prefix(&cert);
        for leftover in [format!("{prefix}1-0.tmp"), format!("{prefix}1-1.old")] {
            fs::write(dir.join(leftover), "PRIVATE KEY").unwrap();
        }
        fs::write(dir.join(".unrelated.tmp"), "keep").unwrap();
        write_file(cert.to_str().unwrap(), b"C", 0o644).unwrap();
        assert_eq!(entries(&dir), [".unrelated.tmp", "k.pem"]);
    }

    #[test]
    fn a_failed_directory_sync_is_an_error() {
        let dir = scratch("sync");
        let handle = File::open(&dir).unwrap();
        let err = sync_dir(&handle, &dir, |_| {
            Err(std::io::Error::from_raw_os_error(libc::EIO))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("sync {}: input/output error", dir.display())
        );
        assert!(sync_dir(&handle, &dir, File::sync_all).is_ok());
    }

    #[test]
    fn a_failing_set_writes_nothing() {
        let dir = scratch("set");
        let good = dir.join("s.pem");
        let bad = dir.join("missing").join("s.csr");
        let err = write_files(&[
            OutFile {
                path: good.to_str().unwrap(),
                contents: b"C",
                mode: 0o664,
            },
            OutFile {
                path: bad.to_str().unwrap(),
                contents: b"R",
                mode: 0o644,
            },
        ])
        .unwrap_err();
        assert!(err
            .to_string()
            .ends_with("missing/s.csr: no such file or directory"));
        assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    }
}
