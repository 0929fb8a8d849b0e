//! cfssl's `standard` authentication provider: an HMAC-SHA-256 key named in a config's
//! `auth_keys`, the token it puts on an `authsign` request, and the check of one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// An HMAC key. Its bytes never appear in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("auth::Key(<redacted>)")
    }
}

/// Why a key spec did not give a key (cfssl only says "failed to create new standard
/// auth provider"; the reason is for our own diagnostics and tests).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyError {
    #[error("unknown key prefix: {0}")]
    UnknownPrefix(String),
    #[error("open {0}: {1}")]
    File(String, String),
    #[error("encoding/hex: invalid byte or odd length")]
    NotHex,
}

impl Key {
    /// A key as `auth_keys.<name>.key` spells it: hex, `env:VAR` (hex in the variable) or
    /// `file:PATH` (hex in the file, surrounding whitespace ignored).
    pub fn parse(spec: &str) -> Result<Key, KeyError> {
        let text = match spec.split_once(':') {
            None => spec.to_string(),
            Some(("env", var)) => std::env::var(var).unwrap_or_default(),
            Some(("file", path)) => std::fs::read_to_string(path)
                .map_err(|e| KeyError::File(path.into(), crate::error::go_errno_text(&e)))?
                .trim()
                .to_string(),
            Some((prefix, _)) => return Err(KeyError::UnknownPrefix(prefix.into())),
        };
        decode_hex(&text).map(Key).ok_or(KeyError::NotHex)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        HmacSha256::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }

    /// The token of a request body: HMAC-SHA-256 over exactly these bytes.
    pub fn token(&self, request: &[u8]) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(request);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `token` is this key's token for `request`, compared in constant time.
    pub fn verify(&self, request: &[u8], token: &[u8]) -> bool {
        let mut mac = self.mac();
        mac.update(request);
        mac.verify_slice(token).is_ok()
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_env_and_file_keys() {
        assert_eq!(Key::parse("00ff").unwrap(), Key(vec![0, 255]));
        assert_eq!(Key::parse("").unwrap(), Key(vec![]));
        assert_eq!(Key::parse("0g").unwrap_err(), KeyError::NotHex);
        assert_eq!(Key::parse("abc").unwrap_err(), KeyError::NotHex);
        assert_eq!(
            Key::parse("vault:x").unwrap_err(),
            KeyError::UnknownPrefix("vault".into())
        );
        let dir = std::env::temp_dir().join(format!("cfssl-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("k");
        std::fs::write(&f, " 0102\n").unwrap();
        assert_eq!(
            Key::parse(&format!("file:{}", f.display())).unwrap(),
            Key(vec![1, 2])
        );
        assert!(matches!(
            Key::parse(&format!("file:{}", dir.join("none").display())),
            Err(KeyError::File(_, m)) if m == "no such file or directory"
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        // An unset variable is an empty key, as in cfssl.
        assert_eq!(
            Key::parse("env:CFSSL_RS_TEST_UNSET_AUTH_KEY").unwrap(),
            Key(vec![])
        );
    }

    #[test]
    fn token_is_rfc4231_hmac_sha256() {
        // RFC 4231 test case 2.
        let key = Key(b"Jefe".to_vec());
        let token = key.token(b"what do ya want for nothing?");
        let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(key.verify(b"what do ya want for nothing?", &token));
        assert!(!key.verify(b"what do ya want for nothing!", &token));
        assert!(!key.verify(b"what do ya want for nothing?", &token[..31]));
        assert_eq!(format!("{key:?}"), "auth::Key(<redacted>)");
    }
}
