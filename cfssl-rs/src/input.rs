//! Reading command inputs: plain paths with `-` for stdin, and cfssl's
//! "value or location" arguments (`file:path`, `env:VAR`, or a bare path).

use crate::error::{Error, Result};
use std::io::Read;

/// Inputs larger than this are refused rather than read into memory: no certificate,
/// key, CSR or request JSON comes anywhere near it.
pub const MAX_INPUT: u64 = 16 << 20;

/// Reads a positional input file; `-` means stdin.
pub fn read_file_or_stdin(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("read", "/dev/stdin", &e))?;
        if buf.len() as u64 > MAX_INPUT {
            return Err(Error::plain(format!(
                "standard input: larger than {MAX_INPUT} bytes"
            )));
        }
        return Ok(buf);
    }
    read_file(path)
}

pub fn read_file(path: &str) -> Result<Vec<u8>> {
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
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
    let is_pipe = meta.file_type().is_fifo() || meta.file_type().is_socket();
    let mut buf = Vec::new();
    let mut limited = file.take(MAX_INPUT + 1);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A pipe opened without blocking whose writer has not written yet.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(2))
            }
            Err(e) => return Err(Error::io("read", path, &e)),
        }
    }
    if is_pipe && buf.is_empty() {
        return Err(Error::plain(format!(
            "read {path}: named pipe with no writer (or nothing written)"
        )));
    }
    if buf.len() as u64 > MAX_INPUT {
        return Err(Error::plain(format!(
            "{path}: larger than {MAX_INPUT} bytes; not a certificate, key or request"
        )));
    }
    Ok(buf)
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
