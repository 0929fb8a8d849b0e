//! Reading command inputs: plain paths with `-` for stdin, and cfssl's
//! "value or location" arguments (`file:path`, `env:VAR`, or a bare path).

use crate::error::{Error, Result};
use std::io::Read;

/// Inputs larger than this are refused rather than read into memory: no certificate,
/// key, CSR or request JSON comes anywhere near it.
pub const MAX_INPUT: u64 = 16 << 20;

/// A positional input opened for reading piece by piece, for inputs that can be far
/// larger than [`MAX_INPUT`] (a CA's serial list) and are consumed as they arrive.
pub struct Stream {
    source: Source,
    /// The path as errors name it (`/dev/stdin` for `-`).
    path: String,
    /// A named pipe or socket given by path, which must deliver something.
    is_pipe: bool,
    read_any: bool,
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
            read_any: false,
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        // Non-blocking, so that opening a named pipe nobody writes to cannot hang.
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io("open", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(Error::plain(format!("read {path}: is a directory")));
    }
    Ok(Stream {
        source: Source::File(file),
        path: path.into(),
        is_pipe: meta.file_type().is_fifo() || meta.file_type().is_socket(),
        read_any: false,
    })
}

impl Stream {
    /// The input as errors name it: the path, or `/dev/stdin`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The next bytes into `buf`; 0 at the end of the input.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            let got = match &mut self.source {
                Source::Stdin(s) => s.read(buf),
                Source::File(f) => f.read(buf),
            };
            match got {
                Ok(0) if self.is_pipe && !self.read_any && !buf.is_empty() => {
                    return Err(Error::plain(format!(
                        "read {}: named pipe with no writer (or nothing written)",
                        self.path
                    )))
                }
                Ok(n) => {
                    self.read_any |= n > 0;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // A pipe opened without blocking whose writer has not written yet.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(2))
                }
                Err(e) => return Err(Error::io("read", &self.path, &e)),
            }
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

/// Reads a positional input file; `-` means stdin.
pub fn read_file_or_stdin(path: &str) -> Result<Vec<u8>> {
    if path != "-" {
        return read_file(path);
    }
    open(path)?
        .read_to_end(MAX_INPUT)?
        .ok_or_else(|| Error::plain(format!("standard input: larger than {MAX_INPUT} bytes")))
}

pub fn read_file(path: &str) -> Result<Vec<u8>> {
    open(path)?.read_to_end(MAX_INPUT)?.ok_or_else(|| {
        Error::plain(format!(
            "{path}: larger than {MAX_INPUT} bytes; not a certificate, key or request"
        ))
    })
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
