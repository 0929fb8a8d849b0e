//! cfssl's `standard` authentication provider: a shared HMAC-SHA256 key. A token is
//! the MAC of the request bytes; the server checks it in constant time.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// An `auth_keys` key. Its bytes never appear in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("auth::Key(<redacted>)")
    }
}

impl Key {
    /// cfssl's `auth.New`: `env:VAR` (the variable's value), `file:PATH` (the file,
    /// trimmed) or the literal text, which must then be hex.
    pub fn parse(spec: &str) -> Result<Key> {
        let text = if let Some(var) = spec.strip_prefix("env:") {
            std::env::var(var).unwrap_or_default()
        } else if let Some(path) = spec.strip_prefix("file:") {
            let data = crate::input::read_file(path)?;
            String::from_utf8_lossy(&data).trim().to_string()
        } else {
            spec.to_string()
        };
        hex_decode(&text)
            .map(Key)
            .ok_or_else(|| Error::plain("encoding/hex: invalid key"))
    }

    /// The token for `request` (what a client sends in `authsign`'s `token`).
    pub fn token(&self, request: &[u8]) -> Vec<u8> {
        self.mac(request).finalize().into_bytes().to_vec()
    }

    /// Whether `token` is this key's token for `request`; an empty token never is.
    pub fn verify(&self, request: &[u8], token: &[u8]) -> bool {
        !token.is_empty() && self.mac(request).verify_slice(token).is_ok()
    }

    fn mac(&self, request: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(request);
        mac
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_as_rfc4231() {
        // RFC 4231 test case 2.
        let key = Key(b"Jefe".to_vec());
        let token = key.token(b"what do ya want for nothing?");
        assert_eq!(
            token[..4],
            [0x5b, 0xdc, 0xc1, 0x46],
            "HMAC-SHA256 prefix from RFC 4231"
        );
        assert!(key.verify(b"what do ya want for nothing?", &token));
        assert!(!key.verify(b"what do ya want for nothing!", &token));
        assert!(!key.verify(b"x", &[]));
    }

    #[test]
    fn keys_parse_as_cfssl() {
        assert_eq!(Key::parse("0aff").unwrap(), Key(vec![0x0a, 0xff]));
        assert!(Key::parse("abc").is_err());
        assert!(Key::parse("zz").is_err());
        assert!(Key::parse("file:/nonexistent/key").is_err());
        assert_eq!(format!("{:?}", Key(vec![1])), "auth::Key(<redacted>)");
    }
}
