//! TLS settings built from the command line's file paths, once, before any connection.
//!
//! The client side serves the remote signer (`-tls-remote-ca`,
//! `-mutual-tls-client-cert`, `-mutual-tls-client-key`). ureq builds its rustls
//! `ClientConfig` itself from a [`ureq::tls::TlsConfig`], so that is what we hand it,
//! with the aws-lc-rs provider the rest of the project uses.

use crate::error::{Error, Result};
use crate::{input, keys, pemfile};
use std::sync::Arc;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

/// The client's TLS settings: trust `remote_ca` (PEM certificates) or, when it is empty,
/// the system's roots; present `client_cert`/`client_key` when both are given (cfssl
/// ignores one without the other).
pub fn client_config(remote_ca: &str, client_cert: &str, client_key: &str) -> Result<TlsConfig> {
    let mut builder = TlsConfig::builder().unversioned_rustls_crypto_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ));
    if !client_cert.is_empty() && !client_key.is_empty() {
        builder = builder.client_cert(Some(load_client_cert(client_cert, client_key)?));
    }
    let roots = match remote_ca {
        "" => None,
        path => cert_pool(&input::read_file(path)?)?,
    };
    Ok(builder
        .root_certs(roots.unwrap_or_else(system_roots))
        .build())
}

/// Go's `PEMToCertPool`: no bytes means "no pool" (the system roots then apply); bytes
/// without a single certificate are an error.
fn cert_pool(pem: &[u8]) -> Result<Option<RootCerts>> {
    if pem.is_empty() {
        return Ok(None);
    }
    let certs: Vec<Certificate<'static>> = pemfile::blocks(pem)
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE" && b.headers.is_empty())
        .filter(|b| crate::ca::parse_cert_der(&b.der).is_ok())
        .map(|b| Certificate::from_der(&b.der).to_owned())
        .collect();
    if certs.is_empty() {
        return Err(Error::plain("failed to load cert pool"));
    }
    Ok(Some(RootCerts::from(certs)))
}

/// The system trust store, as Go's `x509.SystemCertPool` would find it. Unreadable
/// entries are skipped; with none left every server fails verification.
fn system_roots() -> RootCerts {
    let found = rustls_native_certs::load_native_certs();
    RootCerts::from(
        found
            .certs
            .into_iter()
            .map(|c| Certificate::from_der(&c).to_owned())
            .collect::<Vec<_>>(),
    )
}

/// Go's `tls.LoadX509KeyPair`: a certificate chain and the key of its first certificate.
fn load_client_cert(cert_path: &str, key_path: &str) -> Result<ClientCert> {
    let failed = |e: Error| {
        crate::log::log(
            crate::log::Level::Critical,
            &format!(
                "Unable to read client certificate from file: {cert_path} or key from file: {key_path}"
            ),
        );
        e
    };
    let cert_pem = input::read_file(cert_path).map_err(failed)?;
    let key_pem = input::read_file(key_path).map_err(failed)?;
    let chain: Vec<Certificate<'static>> = pemfile::blocks(&cert_pem)
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| Certificate::from_der(&b.der).to_owned())
        .collect();
    let Some(leaf) = chain.first() else {
        return Err(failed(Error::plain(
            "tls: failed to find any PEM data in certificate input",
        )));
    };
    let leaf = crate::ca::parse_cert_der(leaf.der()).map_err(failed)?;
    let key = keys::parse_pem(&key_pem).map_err(failed)?;
    if key.spki_der() != leaf.spki_der {
        return Err(failed(Error::plain(
            "tls: private key does not match public key",
        )));
    }
    // Our parser has accepted the key; ureq's reads the same PEM block.
    let key = PrivateKey::from_pem(&key_pem).map_err(|_| {
        failed(Error::plain(
            "tls: failed to find any PEM data in key input",
        ))
    })?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_pool_follows_go() {
        assert!(cert_pool(b"").unwrap().is_none());
        assert_eq!(
            cert_pool(b"not pem").unwrap_err().to_string(),
            "failed to load cert pool"
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(cert_pool(garbage.as_bytes()).is_err());
    }
}
