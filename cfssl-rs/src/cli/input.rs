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
    let file = std::fs::File::open(path).map_err(|e| Error::io("open", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(Error::plain(format!("read {path}: is a directory")));
    }
    let mut buf = Vec::new();
    file.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("read", path, &e))?;
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
