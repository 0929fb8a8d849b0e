//! Every rustls configuration the project builds, from file paths, before anything
//! binds or connects; all on the aws-lc-rs provider.

use crate::error::{Error, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read(path: &str) -> Result<Vec<u8>> {
    crate::input::read_file(path)
}

fn certificates(path: &str, data: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(data)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::plain(format!("{path}: {e:?}")))?;
    if certs.is_empty() {
        return Err(Error::plain(format!("{path}: no PEM certificate found")));
    }
    Ok(certs)
}

/// The TLS versions for cfssl's `-min-tls-version`. cfssl knows `1.1` and `1.2` and
/// reads anything else as TLS 1.0; rustls offers only 1.2 and 1.3, so `1.0`/`1.1` are
/// refused and every other value keeps both.
fn versions(min: &str) -> Result<&'static [&'static rustls::SupportedProtocolVersion]> {
    match min {
        "1.0" | "1.1" => Err(Error::plain(format!(
            "-min-tls-version {min}: TLS versions below 1.2 are not supported"
        ))),
        _ => Ok(rustls::DEFAULT_VERSIONS),
    }
}

/// `-mutual-tls-ca`: the certificates client certificates must chain to.
pub fn client_roots(path: &str) -> Result<rustls::RootCertStore> {
    let failed = |e: Error| Error::plain(format!("failed to load mutual TLS CA file: {e}"));
    let data = read(path).map_err(failed)?;
    let mut roots = rustls::RootCertStore::empty();
    for c in certificates(path, &data).map_err(failed)? {
        roots
            .add(c)
            .map_err(|e| failed(Error::plain(format!("{path}: {e}"))))?;
    }
    Ok(roots)
}

/// The private key of `-tls-key`, refused with Go's `tls.X509KeyPair` texts.
fn tls_key(path: &str) -> Result<PrivateKeyDer<'static>> {
    let data = read(path)?;
    PrivateKeyDer::from_pem_slice(&data).map_err(|_| {
        let has_cert = crate::pemfile::decode(&data)
            .is_some_and(|(block, _)| block.label.ends_with("CERTIFICATE"));
        Error::plain(match has_cert {
            true => "tls: found a certificate rather than a key in the PEM for the private key",
            false => "tls: failed to find any PEM data in key input",
        })
    })
}

/// The server side of `cfssl serve`: `cert`/`key` (PEM), and with `client_roots` a
/// client certificate is required and must chain to one of them.
pub fn server_config(
    cert: &str,
    key: &str,
    client_roots: Option<rustls::RootCertStore>,
    min_version: &str,
) -> Result<Arc<rustls::ServerConfig>> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(min_version)?)
        .map_err(|e| Error::plain(format!("TLS setup: {e}")))?;
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some(roots) => {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .map_err(|e| Error::plain(format!("failed to load mutual TLS CA file: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let cert_data = read(cert)?;
    let chain = certificates(cert, &cert_data).map_err(|_| {
        let has_key = crate::pemfile::decode(&cert_data)
            .is_some_and(|(block, _)| block.label.ends_with("PRIVATE KEY"));
        Error::plain(match has_key {
            true => "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched",
            false => "tls: failed to find any PEM data in certificate input",
        })
    })?;
    let mut config = builder
        .with_single_cert(chain, tls_key(key)?)
        .map_err(|_| Error::plain("tls: private key does not match public key"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The subject CN of a DER certificate (empty when it has none), as Go's
/// `Subject.CommonName` (the last CN attribute).
pub fn common_name(der: &[u8]) -> String {
    use x509_parser::prelude::*;
    X509Certificate::from_der(der)
        .ok()
        .and_then(|(_, c)| {
            c.subject()
                .iter_common_name()
                .last()
                .and_then(|cn| cn.as_str().ok().map(String::from))
        })
        .unwrap_or_default()
}

/// `-mutual-tls-cn`, compiled; errors read like Go's `regexp.Compile`.
pub fn cn_regex(re: &str) -> Result<regex::Regex> {
    let go_error = |what: &str, arg: &str| {
        Error::plain(format!(
            "malformed CN regex: error parsing regexp: {what}: `{arg}`"
        ))
    };
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(re) {
        use regex_syntax::ast::ErrorKind as K;
        let span = e.span();
        let at = &re[span.start.offset..span.end.offset.max(span.start.offset)];
        let from = &re[span.start.offset..];
        return Err(match e.kind() {
            K::GroupUnclosed => go_error("missing closing )", re),
            K::GroupUnopened => go_error("unexpected )", re),
            K::ClassUnclosed => go_error("missing closing ]", from),
            K::RepetitionMissing => go_error("missing argument to repetition operator", at),
            K::EscapeUnrecognized => go_error("invalid escape sequence", at),
            K::EscapeUnexpectedEof => go_error("trailing backslash at end of expression", ""),
            K::ClassRangeInvalid => go_error("invalid character class range", at),
            K::RepetitionCountInvalid => go_error("invalid repeat count", at),
            other => go_error(&other.to_string(), re),
        });
    }
    regex::Regex::new(re)
        .map_err(|e| Error::plain(format!("malformed CN regex: error parsing regexp: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_read_like_go() {
        assert_eq!(
            cn_regex("((").unwrap_err().to_string(),
            "malformed CN regex: error parsing regexp: missing closing ): `((`"
        );
        assert!(cn_regex("^admin-").unwrap().is_match("admin-1"));
    }

    #[test]
    fn old_tls_versions_are_refused() {
        assert!(versions("1.1").is_err());
        assert!(versions("1.0").is_err());
        assert!(versions("1.3").is_ok());
        assert!(versions("").is_ok());
    }
}

/// Accepts any server certificate: `certinfo -domain` shows what a server presents,
/// trusted or not (cfssl's `InsecureSkipVerify`). Handshake signatures are still
/// checked, so the peer does hold the key of the certificate it sent.
#[derive(Debug)]
struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// cfssl's dial timeout for `certinfo -domain`, also used for the handshake.
const DOMAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Go's `net.SplitHostPort`, with cfssl's fallback: no port means the whole text is
/// the host and the port is 443.
fn split_host_port(domain: &str) -> (String, String) {
    if let Some(rest) = domain.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once("]:") {
            return (host.to_string(), port.to_string());
        }
    } else if let Some((host, port)) = domain.rsplit_once(':') {
        if !host.contains(':') {
            return (host.to_string(), port.to_string());
        }
    }
    (domain.to_string(), "443".to_string())
}

/// Connects to `domain` (`host[:port]`) with TLS, verifying nothing, and returns the
/// first certificate the server sends. Errors read like Go's.
pub fn fetch_server_certificate(domain: &str) -> Result<Vec<u8>> {
    use std::net::{TcpStream, ToSocketAddrs};
    let (host, port) = split_host_port(domain);
    let joined = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let addrs: Vec<std::net::SocketAddr> = joined
        .to_socket_addrs()
        .map_err(|_| Error::plain(format!("dial tcp: lookup {host}: no such host")))?
        .collect();
    let mut last = Error::plain(format!("dial tcp: lookup {host}: no such host"));
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, DOMAIN_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::TimedOut => "i/o timeout".to_string(),
                    _ => format!("connect: {}", crate::error::go_errno_text(&e)),
                };
                last = Error::plain(format!("dial tcp {addr}: {why}"));
            }
        }
    }
    let mut stream = stream.ok_or(last)?;
    let _ = stream.set_read_timeout(Some(DOMAIN_TIMEOUT));
    let _ = stream.set_write_timeout(Some(DOMAIN_TIMEOUT));
    let provider = provider();
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::plain(format!("tls: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|_| Error::plain(format!("tls: invalid server name {host:?}")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Error::plain(format!("tls: {e}")))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut stream).map_err(|e| {
            let text = e.to_string();
            Error::plain(
                if text.contains("InvalidContentType") || text.contains("corrupt message") {
                    "tls: first record does not look like a TLS handshake".to_string()
                } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    "EOF".to_string()
                } else {
                    format!("tls: {text}")
                },
            )
        })?;
    }
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| Error::plain("received no server certificates"))?;
    Ok(cert.as_ref().to_vec())
}
