//! What etcd does with a certificate/key pair and a trust file before any connection:
//! read them as the user it runs as, then Go's `tls.X509KeyPair` (certificate blocks,
//! the first `PRIVATE KEY` block, PKCS#1 / PKCS#8 / SEC1, key matches certificate) and
//! etcd's `NewCertPool` (every PEM block of the trust file must be a certificate).

use super::chain::{Cert, Pool, PublicKey};
use super::Fault;
use crate::pemfile;
use std::path::Path;

/// The user etcd runs as, for file permission checks. `None` means "whoever runs the
/// check": the files are then simply opened.
#[derive(Debug, Clone)]
pub struct RunAs {
    pub name: String,
    uid: u32,
    gids: Vec<u32>,
}

impl RunAs {
    /// Looks `name` up in the user database (names or numeric ids).
    pub fn lookup(name: &str) -> Result<RunAs, String> {
        let cname = std::ffi::CString::new(name).map_err(|_| format!("unknown user {name:?}"))?;
        // SAFETY: getpwnam/getpwuid return a pointer into static storage that stays valid
        // until the next call; we copy what we need before making another.
        let pw = unsafe {
            let p = libc::getpwnam(cname.as_ptr());
            if p.is_null() {
                match name.parse::<u32>() {
                    Ok(uid) => libc::getpwuid(uid),
                    Err(_) => p,
                }
            } else {
                p
            }
        };
        if pw.is_null() {
            return Err(format!(
                "-run-as: unknown user {}",
                crate::gojson::go_quote(name)
            ));
        }
        let (uid, gid, pw_name) = unsafe {
            (
                (*pw).pw_uid,
                (*pw).pw_gid,
                std::ffi::CStr::from_ptr((*pw).pw_name).to_owned(),
            )
        };
        let mut n: libc::c_int = 64;
        let mut groups: Vec<libc::gid_t> = vec![0; n as usize];
        // SAFETY: the buffer holds n entries; getgrouplist updates n to the count.
        let rc = unsafe { libc::getgrouplist(pw_name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
        if rc < 0 {
            groups.resize(n.max(0) as usize, 0);
            unsafe { libc::getgrouplist(pw_name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
        }
        groups.truncate(n.max(0) as usize);
        if !groups.contains(&gid) {
            groups.push(gid);
        }
        Ok(RunAs {
            name: name.to_string(),
            uid,
            gids: groups,
        })
    }

    /// Whether this user may open `path` for reading: search permission on every
    /// directory on the way, read permission on the file (root may read anything).
    fn may_read(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        if self.uid == 0 {
            return true;
        }
        let allowed = |meta: &std::fs::Metadata, bit: u32| {
            let mode = meta.mode();
            if meta.uid() == self.uid {
                mode & (bit << 6) != 0
            } else if self.gids.contains(&meta.gid()) {
                mode & (bit << 3) != 0
            } else {
                mode & bit != 0
            }
        };
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        for dir in abs.ancestors().skip(1) {
            match std::fs::metadata(dir) {
                Ok(m) if allowed(&m, 0o1) => {}
                _ => return false,
            }
        }
        matches!(std::fs::metadata(&abs), Ok(m) if allowed(&m, 0o4))
    }
}

/// Reads a file as etcd would; the error is Go's `open PATH: ...` text.
pub fn read(path: &Path, run_as: Option<&RunAs>) -> Result<Vec<u8>, Fault> {
    let shown = path.display().to_string();
    let fault = |why: String, fix: &str| Fault::new(&[path], why, fix);
    if let Some(user) = run_as {
        if path.exists() && !user.may_read(path) {
            return Err(fault(
                format!(
                    "open {shown}: permission denied (etcd runs as {})",
                    user.name
                ),
                &format!(
                    "let {} read the file (chown or chmod; keys stay 0600 for their owner)",
                    user.name
                ),
            ));
        }
    }
    std::fs::read(path).map_err(|e| {
        fault(
            format!("open {shown}: {}", crate::error::go_errno_text(&e)),
            "point the configuration at an existing, readable file",
        )
    })
}

/// A loaded certificate file and key: the chain a side presents.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// Leaf first, then the extra certificates of the file, sent as intermediates.
    pub chain: Vec<Cert>,
    pub key_desc: String,
}

impl KeyPair {
    pub fn leaf(&self) -> &Cert {
        &self.chain[0]
    }

    pub fn intermediates(&self) -> Pool {
        Pool::new(self.chain[1..].to_vec())
    }
}

/// `tlsutil.NewCert` + Go's `tls.X509KeyPair`.
pub fn load_pair(
    cert_path: &Path,
    key_path: &Path,
    run_as: Option<&RunAs>,
) -> Result<KeyPair, Fault> {
    let cert_pem = read(cert_path, run_as)?;
    let key_pem = read(key_path, run_as)?;
    let cert_fault = |why: String, fix: &str| Fault::new(&[cert_path], why, fix);
    let key_fault = |why: String, fix: &str| Fault::new(&[key_path], why, fix);
    let blocks = pemfile::blocks(&cert_pem);
    let (certs, skipped): (Vec<_>, Vec<_>) = blocks.iter().partition(|b| b.label == "CERTIFICATE");
    if certs.is_empty() {
        let skipped: Vec<&str> = skipped.iter().map(|b| b.label.as_str()).collect();
        return Err(match skipped.as_slice() {
            [] => cert_fault(
                "tls: failed to find any PEM data in certificate input".into(),
                "the certificate file must hold PEM (-----BEGIN CERTIFICATE-----); convert DER with `openssl x509 -inform der`",
            ),
            [one] if one.ends_with("PRIVATE KEY") => Fault::new(
                &[cert_path, key_path],
                "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched".into(),
                "swap cert-file and key-file",
            ),
            _ => cert_fault(
                format!("tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: [{}]", skipped.join(" ")),
                "point cert-file at the certificate",
            ),
        });
    }
    let mut skipped = Vec::new();
    let Some(key_block) = pemfile::blocks(&key_pem).into_iter().find(|b| {
        let is_key = b.label == "PRIVATE KEY" || b.label.ends_with(" PRIVATE KEY");
        if !is_key {
            skipped.push(b.label.clone());
        }
        is_key
    }) else {
        return Err(match skipped.as_slice() {
            [] => key_fault(
                "tls: failed to find any PEM data in key input".into(),
                "the key file must be PEM; convert a DER key with `openssl pkey -inform der`",
            ),
            [one] if one == "CERTIFICATE" => Fault::new(
                &[key_path],
                "tls: found a certificate rather than a key in the PEM for the private key".into(),
                "point key-file at the private key",
            ),
            _ => key_fault(
                format!("tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: [{}]", skipped.join(" ")),
                "point key-file at the private key",
            ),
        });
    };
    let mut chain = Vec::new();
    for (i, b) in certs.iter().enumerate() {
        let c = Cert::parse(&b.der).map_err(|e| {
            cert_fault(
                if i == 0 {
                    e
                } else {
                    format!("tls: failed to parse certificate from server: {e}")
                },
                "replace the certificate file",
            )
        })?;
        chain.push(c);
    }
    let encrypted =
        crate::pemcrypt::is_encrypted(&key_block) || key_block.label == "ENCRYPTED PRIVATE KEY";
    let public = match private_public(&key_block.der) {
        Ok(p) => p,
        Err(e) => {
            let fix = if encrypted {
                "etcd cannot use an encrypted key: decrypt it (`openssl pkey -in KEY -out KEY.plain`) and keep it 0600"
            } else {
                "the key must be PKCS#1, SEC1 or unencrypted PKCS#8 PEM"
            };
            let why = if encrypted {
                format!("{e} (the key is encrypted)")
            } else {
                e
            };
            return Err(key_fault(why, fix));
        }
    };
    let leaf = &chain[0];
    let same_type = matches!(
        (&leaf.key, &public),
        (PublicKey::Rsa { .. }, PublicKey::Rsa { .. })
            | (PublicKey::Ec { .. }, PublicKey::Ec { .. })
            | (PublicKey::Ed25519(_), PublicKey::Ed25519(_))
    );
    let mismatch = |why: &str| {
        Err(Fault::new(
            &[cert_path, key_path],
            why.into(),
            "use the key the certificate was issued for (cfssl writes NAME.pem with NAME-key.pem)",
        ))
    };
    if leaf.key == PublicKey::Unknown {
        return mismatch("tls: unknown public key algorithm");
    }
    if !same_type {
        return mismatch("tls: private key type does not match public key type");
    }
    let matches = match (&leaf.key, &public) {
        (PublicKey::Rsa { modulus: a, .. }, PublicKey::Rsa { modulus: b, .. }) => a == b,
        (
            PublicKey::Ec {
                curve: c1,
                point: p1,
            },
            PublicKey::Ec {
                curve: c2,
                point: p2,
            },
        ) => c1 == c2 && p1 == p2,
        (a, b) => a == b,
    };
    if !matches {
        return mismatch("tls: private key does not match public key");
    }
    Ok(KeyPair {
        key_desc: public.describe(),
        chain,
    })
}

/// Go's `parsePrivateKey` (crypto/tls), down to the public key it implies.
fn private_public(der: &[u8]) -> Result<PublicKey, String> {
    use pkcs8::der::Decode;
    let failed = || "tls: failed to parse private key".to_string();
    if let Ok(k) = pkcs1::RsaPrivateKey::from_der(der) {
        return Ok(rsa_public(k.modulus.as_bytes()));
    }
    if let Ok(info) = pkcs8::PrivateKeyInfo::from_der(der) {
        let alg = info.algorithm.oid.to_string();
        return match alg.as_str() {
            "1.2.840.113549.1.1.1" => pkcs1::RsaPrivateKey::from_der(info.private_key)
                .map(|k| rsa_public(k.modulus.as_bytes()))
                .map_err(|_| failed()),
            "1.2.840.10045.2.1" => {
                let curve = info.algorithm.parameters_oid().ok().map(|o| o.to_string());
                ec_public(info.private_key, curve.as_deref()).ok_or_else(failed)
            }
            "1.3.101.112" => {
                let seed =
                    der::asn1::OctetString::from_der(info.private_key).map_err(|_| failed())?;
                let pair =
                    aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed.as_bytes())
                        .map_err(|_| failed())?;
                use aws_lc_rs::signature::KeyPair as _;
                Ok(PublicKey::Ed25519(pair.public_key().as_ref().to_vec()))
            }
            _ => Err(failed()),
        };
    }
    ec_public(der, None).ok_or_else(failed)
}

fn rsa_public(modulus: &[u8]) -> PublicKey {
    let skip = modulus.iter().take_while(|&&b| b == 0).count();
    let m = modulus[skip..].to_vec();
    let bits = match m.first() {
        Some(f) => (m.len() - 1) * 8 + (8 - f.leading_zeros() as usize),
        None => 0,
    };
    PublicKey::Rsa { modulus: m, bits }
}

/// A SEC1 key's public point, computed from the scalar as Go does.
fn ec_public(der: &[u8], curve_hint: Option<&str>) -> Option<PublicKey> {
    use pkcs8::der::Decode;
    let ec = sec1::EcPrivateKey::from_der(der).ok()?;
    let curve = ec
        .parameters
        .and_then(|p| p.named_curve())
        .map(|o| o.to_string())
        .or(curve_hint.map(str::to_string))?;
    let s = ec.private_key;
    let (name, point) = match curve.as_str() {
        "1.2.840.10045.3.1.7" => (
            "P-256",
            p256::SecretKey::from_slice(s)
                .ok()?
                .public_key()
                .to_sec1_bytes()
                .to_vec(),
        ),
        "1.3.132.0.34" => (
            "P-384",
            p384::SecretKey::from_slice(s)
                .ok()?
                .public_key()
                .to_sec1_bytes()
                .to_vec(),
        ),
        "1.3.132.0.35" => (
            "P-521",
            p521::SecretKey::from_slice(s)
                .ok()?
                .public_key()
                .to_sec1_bytes()
                .to_vec(),
        ),
        _ => return None,
    };
    Some(PublicKey::Ec { curve: name, point })
}

/// etcd's `tlsutil.NewCertPool`: every PEM block must parse as a certificate.
pub fn load_pool(path: &Path, run_as: Option<&RunAs>) -> Result<Pool, Fault> {
    let data = read(path, run_as)?;
    let mut certs = Vec::new();
    for b in pemfile::blocks(&data) {
        let c = Cert::parse(&b.der).map_err(|e| {
            Fault::new(
                &[path],
                e,
                "the trusted CA file must hold only CA certificates in PEM",
            )
        })?;
        certs.push(c);
    }
    Ok(Pool::new(certs))
}
