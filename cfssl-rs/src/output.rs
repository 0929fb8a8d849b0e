//! Bytes on their way out: PEM text as Go's `encoding/pem` writes it.

use base64::Engine as _;

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

#[cfg(test)]
mod tests {
    #[test]
    fn pem_lines_are_64_columns_with_lf() {
        let p = super::pem("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        assert!(!p.contains('\r') && p.ends_with("-----\n"));
    }
}
