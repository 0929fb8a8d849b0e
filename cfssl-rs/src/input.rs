//! Reading command inputs: plain paths with `-` for stdin, and cfssl's
//! "value or location" arguments (`file:path`, `env:VAR`, or a bare path).

use crate::error::{Error, Result};
use std::io::Read;
use std::os::fd::{AsFd as _, BorrowedFd};

/// Inputs larger than this are refused rather than read into memory: no certificate,
/// key, CSR or request JSON comes anywhere near it.
pub const MAX_INPUT: u64 = 16 << 20;

/// Reads a positional input file; `-` means stdin.
pub fn read_file_or_stdin(path: &str) -> Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT)
}

/// Like [`read_file_or_stdin`] with another size limit (cfssljson reads what gencert
/// printed, which can be a few times the size of gencert's own input).
pub fn read_bounded(path: &str, limit: u64) -> Result<Vec<u8>> {
    if path == "-" {
        let stdin = std::io::stdin();
        let buf = read_all(&mut stdin.lock(), stdin.as_fd(), "/dev/stdin", limit, None)?;
        if buf.len() as u64 > limit {
            return Err(Error::plain(format!(
                "standard input: larger than {limit} bytes"
            )));
        }
        return Ok(buf);
    }
    read_file_limited(path, limit)
}

pub fn read_file(path: &str) -> Result<Vec<u8>> {
    read_file_limited(path, MAX_INPUT)
}

fn read_file_limited(path: &str, limit: u64) -> Result<Vec<u8>> {
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    let file = std::fs::OpenOptions::new()
        .read(true)
        // Opening a named pipe blocks until a writer opens it; open without blocking
        // and wait for data in `read_all` instead, where the wait can explain itself.
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io("open", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(Error::plain(format!("read {path}: is a directory")));
    }
    let is_pipe = meta.file_type().is_fifo() || meta.file_type().is_socket();
    let buf = read_all(
        &mut &file,
        file.as_fd(),
        path,
        limit,
        is_pipe.then_some(path),
    )?;
    if buf.len() as u64 > limit {
        return Err(Error::plain(format!(
            "{path}: larger than {limit} bytes; not a certificate, key or request"
        )));
    }
    Ok(buf)
}

/// How long a named pipe may stay silent before we say what we are waiting for.
const PIPE_NOTICE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads to the end (at most `limit + 1` bytes, so the caller can refuse more), waiting
/// for readiness whenever the descriptor is non-blocking: one we opened that way, or
/// stdin inherited non-blocking from a parent such as Node or asyncio, where a plain
/// read fails with EAGAIN. Go's runtime waits in its poller the same way.
///
/// `pipe` names a named pipe: there, a read before any writer has opened it would
/// report end-of-file, so we first wait for data or for a writer's close, and if
/// nothing has come after a second we say once on stderr which pipe we are waiting for.
fn read_all(
    r: &mut impl Read,
    fd: BorrowedFd<'_>,
    name: &str,
    limit: u64,
    pipe: Option<&str>,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut must_wait = pipe.is_some();
    let mut noticed = false;
    loop {
        if must_wait {
            let timeout = match (pipe, noticed) {
                (Some(_), false) if buf.is_empty() => Some(PIPE_NOTICE_AFTER),
                _ => None,
            };
            if !wait_readable(fd, timeout).map_err(|e| Error::io("read", name, &e))? {
                noticed = true;
                crate::output::write_stderr(&format!(
                    "waiting for data on named pipe {}\n",
                    pipe.unwrap_or(name)
                ));
                continue;
            }
            must_wait = false;
        }
        let room = (limit + 1).saturating_sub(buf.len() as u64);
        if room == 0 {
            break;
        }
        let want = chunk.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        match r.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => must_wait = true,
            Err(e) => return Err(Error::io("read", name, &e)),
        }
    }
    Ok(buf)
}

/// Waits until `fd` has data or its writer has gone; `false` if `timeout` passed first.
fn wait_readable(
    fd: BorrowedFd<'_>,
    timeout: Option<std::time::Duration>,
) -> std::io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let timeout = timeout.map(|d| Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    });
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// cfssl's `-ca`/`-ca-key`/`-key` values (spec §0.7): split on the first `:`.
pub fn read_value_or_location(value: &str) -> Result<Vec<u8>> {
    match value.split_once(':') {
        None => read_file(value),
        Some(("file", path)) => read_file(path),
        Some(("env", var)) => Ok(std::env::var_os(var)
            .map(|v| v.into_encoded_bytes())
            .unwrap_or_default()),
        Some((prefix, _)) => Err(Error::plain(format!("unknown prefix: {prefix}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_or_location_forms() {
        assert_eq!(
            read_value_or_location("foo:ca.pem")
                .unwrap_err()
                .to_string(),
            "unknown prefix: foo"
        );
        assert_eq!(
            read_value_or_location("file:/nonexistent/x")
                .unwrap_err()
                .to_string(),
            "open /nonexistent/x: no such file or directory"
        );
        assert_eq!(
            read_value_or_location("env:CFSSL_RS_SURELY_UNSET").unwrap(),
            b""
        );
    }
}
