//! Reading command inputs: plain paths with `-` for stdin, and cfssl's
//! "value or location" arguments (`file:path`, `env:VAR`, or a bare path).

use crate::error::{Error, Result};
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};

/// Inputs larger than this are refused rather than read into memory: no certificate,
/// key, CSR or request JSON comes anywhere near it.
pub const MAX_INPUT: u64 = 16 << 20;

/// A positional input opened for reading piece by piece, for inputs that can be far
/// larger than [`MAX_INPUT`] (a CA's serial list) and are consumed as they arrive.
pub struct Stream {
    source: Source,
    /// The path as errors name it (`/dev/stdin` for `-`).
    path: String,
    /// A named pipe or socket given by path: a read before any writer has opened it
    /// would report end-of-file, so we wait for data (or a writer's close) first.
    is_pipe: bool,
    /// The next read must wait for readiness first.
    must_wait: bool,
    /// The one-time "waiting for" notice has been printed.
    noticed: bool,
}

enum Source {
    Stdin(std::io::Stdin),
    File(std::fs::File),
}

/// Opens a positional input; `-` means stdin.
pub fn open(path: &str) -> Result<Stream> {
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    if path == "-" {
        return Ok(Stream {
            source: Source::Stdin(std::io::stdin()),
            path: "/dev/stdin".into(),
            is_pipe: false,
            must_wait: false,
            noticed: false,
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        // Opening a named pipe blocks until a writer opens it; open without blocking
        // and wait for data in `read` instead, where the wait can explain itself.
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io("open", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(Error::plain(format!("read {path}: is a directory")));
    }
    let is_pipe = meta.file_type().is_fifo() || meta.file_type().is_socket();
    Ok(Stream {
        source: Source::File(file),
        path: path.into(),
        is_pipe,
        must_wait: is_pipe,
        noticed: false,
    })
}

impl Stream {
    /// The input as errors name it: the path, or `/dev/stdin`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The next bytes into `buf`; 0 at the end of the input.
    ///
    /// A non-blocking descriptor (one we opened that way, or stdin inherited
    /// non-blocking from a parent such as Node or asyncio, where a plain read fails with
    /// EAGAIN) is waited on until it is readable, as Go's poller does. A named pipe
    /// that stays silent for a second gets one line on stderr naming it, so a stuck
    /// pipeline explains itself.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            if self.must_wait {
                let timeout = (self.is_pipe && !self.noticed).then_some(PIPE_NOTICE_AFTER);
                let ready = wait_readable(self.fd(), timeout)
                    .map_err(|e| Error::io("read", &self.path, &e))?;
                if !ready {
                    self.noticed = true;
                    crate::output::write_stderr(&format!(
                        "waiting for data on named pipe {}\n",
                        self.path
                    ));
                    continue;
                }
                self.must_wait = false;
            }
            let got = match &mut self.source {
                Source::Stdin(s) => s.read(buf),
                Source::File(f) => f.read(buf),
            };
            match got {
                Ok(n) => {
                    // After the first data, silence is just a slow writer.
                    self.noticed |= n > 0;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.must_wait = true,
                Err(e) => return Err(Error::io("read", &self.path, &e)),
            }
        }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match &self.source {
            Source::Stdin(s) => s.as_fd(),
            Source::File(f) => f.as_fd(),
        }
    }

    /// The whole input, or `None` when it is larger than `limit` bytes.
    fn read_to_end(&mut self, limit: u64) -> Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut chunk)? {
                0 => return Ok(Some(buf)),
                n => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() as u64 > limit {
                return Ok(None);
            }
        }
    }
}

/// How long a named pipe may stay silent before we say what we are waiting for.
const PIPE_NOTICE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

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

/// Reads a positional input file; `-` means stdin.
pub fn read_file_or_stdin(path: &str) -> Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT)
}

/// Like [`read_file_or_stdin`] with another size limit (cfssljson reads what gencert
/// printed, which can be a few times the size of gencert's own input).
pub fn read_bounded(path: &str, limit: u64) -> Result<Vec<u8>> {
    open(path)?.read_to_end(limit)?.ok_or_else(|| {
        Error::plain(match path {
            "-" => format!("standard input: larger than {limit} bytes"),
            _ => format!("{path}: larger than {limit} bytes; not a certificate, key or request"),
        })
    })
}

pub fn read_file(path: &str) -> Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT)
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
