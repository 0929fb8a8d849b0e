//! Legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED` + `DEK-Info`), decrypted
//! the way Go's `x509.DecryptPEMBlock` does (RFC 1423): the key is
//! `EVP_BytesToKey(MD5, password, salt = IV[..8], 1 iteration)`, the body is CBC with
//! PKCS#7-style padding, and bad padding is taken to mean a wrong password.

use crate::error::{Error, Result};
use crate::pemfile::Block;
use cbc::cipher::{BlockDecryptMut, BlockSizeUser, KeyIvInit};
use md5::{Digest, Md5};

pub const INCORRECT_PASSWORD: &str = "x509: decryption password incorrect";

#[derive(Clone, Copy)]
enum Cipher {
    Des,
    Des3,
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "DES-CBC" => Self::Des,
            "DES-EDE3-CBC" => Self::Des3,
            "AES-128-CBC" => Self::Aes128,
            "AES-192-CBC" => Self::Aes192,
            "AES-256-CBC" => Self::Aes256,
            _ => return None,
        })
    }

    fn key_size(self) -> usize {
        match self {
            Self::Des => 8,
            Self::Des3 | Self::Aes192 => 24,
            Self::Aes128 => 16,
            Self::Aes256 => 32,
        }
    }

    fn block_size(self) -> usize {
        match self {
            Self::Des | Self::Des3 => 8,
            _ => 16,
        }
    }

    /// Decrypts whole blocks in place, without touching the padding.
    fn decrypt(self, key: &[u8], iv: &[u8], data: &mut [u8]) -> Result<()> {
        fn run<C>(key: &[u8], iv: &[u8], data: &mut [u8]) -> Result<()>
        where
            C: BlockDecryptMut + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
        {
            let mut dec = cbc::Decryptor::<C>::new_from_slices(key, iv)
                .map_err(|e| Error::plain(format!("x509: {e}")))?;
            let bs = <C as BlockSizeUser>::block_size();
            for chunk in data.chunks_exact_mut(bs) {
                dec.decrypt_block_mut(chunk.into());
            }
            Ok(())
        }
        match self {
            Self::Des => run::<des::Des>(key, iv, data),
            Self::Des3 => run::<des::TdesEde3>(key, iv, data),
            Self::Aes128 => run::<aes::Aes128>(key, iv, data),
            Self::Aes192 => run::<aes::Aes192>(key, iv, data),
            Self::Aes256 => run::<aes::Aes256>(key, iv, data),
        }
    }
}

/// `EVP_BytesToKey` with MD5 and one iteration, as Go's `rfc1423Algo.deriveKey`.
fn derive_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut digest: Vec<u8> = Vec::new();
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&digest);
        h.update(password);
        h.update(salt);
        digest = h.finalize().to_vec();
        out.extend_from_slice(&digest);
    }
    out.truncate(len);
    out
}

/// Go's `pem.Decode` keeps headers in a map, so the last of repeated keys wins.
pub fn header<'a>(block: &'a Block, name: &str) -> Option<&'a str> {
    block
        .headers
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether the block carries legacy encryption (`Proc-Type` mentions `ENCRYPTED`).
pub fn is_encrypted(block: &Block) -> bool {
    header(block, "Proc-Type").is_some_and(|v| v.contains("ENCRYPTED"))
}

/// `x509.DecryptPEMBlock`: the plaintext DER, or Go's error text (all plain errors).
pub fn decrypt(block: &Block, password: &[u8]) -> Result<Vec<u8>> {
    let dek = header(block, "DEK-Info")
        .ok_or_else(|| Error::plain("x509: no DEK-Info header in block"))?;
    let (mode, hex_iv) = dek
        .split_once(',')
        .ok_or_else(|| Error::plain("x509: malformed DEK-Info header"))?;
    let cipher =
        Cipher::by_name(mode).ok_or_else(|| Error::plain("x509: unknown encryption mode"))?;
    let iv = go_hex_decode(hex_iv.as_bytes())?;
    let bs = cipher.block_size();
    if iv.len() != bs {
        return Err(Error::plain("x509: incorrect IV size"));
    }
    let key = derive_key(password, &iv[..8], cipher.key_size());
    if !block.der.len().is_multiple_of(bs) {
        return Err(Error::plain(
            "x509: encrypted PEM data is not a multiple of the block size",
        ));
    }
    let mut data = block.der.clone();
    cipher.decrypt(&key, &iv, &mut data)?;
    let last = match data.last() {
        Some(&b) => b as usize,
        None => return Err(Error::plain("x509: invalid padding")),
    };
    if last == 0 || last > bs || last > data.len() {
        return Err(Error::plain(INCORRECT_PASSWORD));
    }
    if data[data.len() - last..]
        .iter()
        .any(|&b| b as usize != last)
    {
        return Err(Error::plain(INCORRECT_PASSWORD));
    }
    data.truncate(data.len() - last);
    Ok(data)
}

/// Go's `hex.DecodeString`, with its error messages.
fn go_hex_decode(src: &[u8]) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    fn invalid(c: u8) -> Error {
        // `%#U` of the byte as a rune: the character is shown only when printable.
        let printable = (0x20..0x7f).contains(&c) || (c >= 0xa1 && c != 0xad);
        let shown = if printable {
            format!(" '{}'", c as char)
        } else {
            String::new()
        };
        Error::plain(format!("encoding/hex: invalid byte: U+{c:04X}{shown}"))
    }
    let mut out = Vec::with_capacity(src.len() / 2);
    for pair in src.chunks_exact(2) {
        let hi = nibble(pair[0]).ok_or_else(|| invalid(pair[0]))?;
        let lo = nibble(pair[1]).ok_or_else(|| invalid(pair[1]))?;
        out.push(hi << 4 | lo);
    }
    if let [.., last] = src {
        if src.len() % 2 == 1 {
            nibble(*last).ok_or_else(|| invalid(*last))?;
            return Err(Error::plain("encoding/hex: odd length hex string"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(headers: &[(&str, &str)], der: &[u8]) -> Block {
        Block {
            label: "RSA PRIVATE KEY".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            der: der.to_vec(),
        }
    }

    fn err(headers: &[(&str, &str)], der: &[u8]) -> String {
        decrypt(&block(headers, der), b"pw")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn key_derivation_matches_openssl_evp_bytes_to_key() {
        // `openssl enc -aes-256-cbc -md md5 -S 0011223344556677 -pass pass:secret -P`
        let salt = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
        let key = derive_key(b"secret", &salt, 32);
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(
            hex,
            "6C634F48357975117B982645F825E6E69BAEF03EB9B45A39B409BEFD557EB185"
        );
        assert_eq!(derive_key(b"secret", &salt, 24), key[..24]);
        assert_eq!(derive_key(b"secret", &salt, 8), key[..8]);
    }

    #[test]
    fn header_errors_match_go() {
        let enc = ("Proc-Type", "4,ENCRYPTED");
        let aes = |iv: &'static str| [enc, ("DEK-Info", iv)];
        assert_eq!(err(&[enc], &[0; 16]), "x509: no DEK-Info header in block");
        assert_eq!(
            err(&aes("AES-128-CBC"), &[0; 16]),
            "x509: malformed DEK-Info header"
        );
        assert_eq!(
            err(&aes("AES-512-CBC,00"), &[0; 16]),
            "x509: unknown encryption mode"
        );
        assert_eq!(
            err(
                &aes("aes-128-cbc,00112233445566778899AABBCCDDEEFF"),
                &[0; 16]
            ),
            "x509: unknown encryption mode"
        );
        assert_eq!(
            err(&aes("AES-128-CBC,0011X2"), &[0; 16]),
            "encoding/hex: invalid byte: U+0058 'X'"
        );
        assert_eq!(
            err(&aes("AES-128-CBC,001"), &[0; 16]),
            "encoding/hex: odd length hex string"
        );
        assert_eq!(
            err(&aes("AES-128-CBC,00G"), &[0; 16]),
            "encoding/hex: invalid byte: U+0047 'G'"
        );
        assert_eq!(
            err(&aes("AES-128-CBC,0011223344556677"), &[0; 16]),
            "x509: incorrect IV size"
        );
        assert_eq!(
            err(
                &aes("AES-128-CBC,00112233445566778899AABBCCDDEEFF"),
                &[0; 15]
            ),
            "x509: encrypted PEM data is not a multiple of the block size"
        );
        assert_eq!(
            err(&aes("AES-128-CBC,00112233445566778899AABBCCDDEEFF"), &[]),
            "x509: invalid padding"
        );
    }

    #[test]
    fn last_repeated_header_wins_as_in_go() {
        let b = block(
            &[("Proc-Type", "4,ENCRYPTED"), ("Proc-Type", "4,MIC-ONLY")],
            &[],
        );
        assert!(!is_encrypted(&b));
        let b = block(
            &[("Proc-Type", "4,MIC-ONLY"), ("Proc-Type", "4,ENCRYPTED")],
            &[],
        );
        assert!(is_encrypted(&b));
    }
}
