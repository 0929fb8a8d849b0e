//! Every rustls configuration the project builds, from file paths, before anything
//! binds or connects; all on the aws-lc-rs provider.

use crate::error::{Error, Result};
use crate::{input, keys, pemfile};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

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
            builder.with_client_cert_verifier(Arc::new(GoAlerts(verifier)))
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

/// webpki's client certificate verification, refusing with the TLS alerts Go's server
/// sends (a client sees them as `remote error: tls: ...`): a chain broken anywhere is
/// `unknown certificate authority` (webpki: `decrypt_error` for a bad signature, as from
/// an issuer with the CA's name and another key), a missing client-auth usage is
/// `bad certificate` (webpki: `unsupported certificate`).
#[derive(Debug)]
struct GoAlerts(Arc<dyn rustls::server::danger::ClientCertVerifier>);

impl rustls::server::danger::ClientCertVerifier for GoAlerts {
    fn offer_client_auth(&self) -> bool {
        self.0.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.0.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        self.0
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(go_alert)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The certificate error whose alert is the one Go sends for `e` (see [`GoAlerts`]).
fn go_alert(e: rustls::Error) -> rustls::Error {
    use rustls::CertificateError as C;
    match e {
        #[allow(deprecated)]
        rustls::Error::InvalidCertificate(
            C::BadSignature
            | C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. },
        ) => rustls::Error::InvalidCertificate(C::UnknownIssuer),
        rustls::Error::InvalidCertificate(C::InvalidPurpose | C::InvalidPurposeContext { .. }) => {
            rustls::Error::InvalidCertificate(C::BadEncoding)
        }
        other => other,
    }
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

// The remote client's side (`-tls-remote-ca`, `-mutual-tls-client-cert`,
// `-mutual-tls-client-key`): ureq builds its rustls `ClientConfig` itself from a
// `ureq::tls::TlsConfig`, so that is what we hand it, on the same provider.

/// The client's TLS settings: trust `remote_ca` (PEM certificates) or, when it is empty,
/// the system's roots; present `client_cert`/`client_key` when both are given (cfssl
/// ignores one without the other).
pub fn client_config(remote_ca: &str, client_cert: &str, client_key: &str) -> Result<TlsConfig> {
    let mut builder = TlsConfig::builder().unversioned_rustls_crypto_provider(provider());
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

/// Go's name for a TLS alert (crypto/tls `alert.String`), as in `remote error: tls: NAME`.
pub fn go_alert_text(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    let name = match alert {
        A::CloseNotify => "close notify",
        A::UnexpectedMessage => "unexpected message",
        A::BadRecordMac => "bad record MAC",
        A::DecryptionFailed => "decryption failed",
        A::RecordOverflow => "record overflow",
        A::DecompressionFailure => "decompression failure",
        A::HandshakeFailure => "handshake failure",
        A::BadCertificate => "bad certificate",
        A::UnsupportedCertificate => "unsupported certificate",
        A::CertificateRevoked => "revoked certificate",
        A::CertificateExpired => "expired certificate",
        A::CertificateUnknown => "unknown certificate",
        A::IllegalParameter => "illegal parameter",
        A::UnknownCA => "unknown certificate authority",
        A::AccessDenied => "access denied",
        A::DecodeError => "error decoding message",
        A::DecryptError => "error decrypting message",
        A::ExportRestriction => "export restriction",
        A::ProtocolVersion => "protocol version not supported",
        A::InsufficientSecurity => "insufficient security level",
        A::InternalError => "internal error",
        A::InappropriateFallback => "inappropriate fallback",
        A::UserCanceled => "user canceled",
        A::NoRenegotiation => "no renegotiation",
        A::MissingExtension => "missing extension",
        A::UnsupportedExtension => "unsupported extension",
        A::CertificateUnobtainable => "certificate unobtainable",
        A::UnrecognisedName => "unrecognized name",
        A::BadCertificateStatusResponse => "bad certificate status response",
        A::BadCertificateHashValue => "bad certificate hash value",
        A::UnknownPSKIdentity => "unknown PSK identity",
        A::CertificateRequired => "certificate required",
        A::NoApplicationProtocol => "no application protocol",
        A::EncryptedClientHelloRequired => "encrypted client hello required",
        other => return format!("alert({})", u8::from(other)),
    };
    name.to_string()
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

    #[test]
    fn regex_errors_read_like_go() {
        assert_eq!(
            cn_regex("((").unwrap_err().to_string(),
            "malformed CN regex: error parsing regexp: missing closing ): `((`"
        );
        assert!(cn_regex("^admin-").unwrap().is_match("admin-1"));
    }

    #[test]
    fn client_certificate_refusals_get_go_alerts() {
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        let alert = |c: C| match go_alert(E::InvalidCertificate(c)) {
            E::InvalidCertificate(c) => A::from(c),
            other => panic!("{other:?}"),
        };
        assert_eq!(alert(C::BadSignature), A::UnknownCA);
        assert_eq!(alert(C::UnknownIssuer), A::UnknownCA);
        assert_eq!(alert(C::InvalidPurpose), A::BadCertificate);
        assert_eq!(alert(C::Expired), A::CertificateExpired);
        assert!(matches!(go_alert(E::DecryptError), E::DecryptError));
    }

    #[test]
    fn alerts_are_named_as_go_names_them() {
        use rustls::AlertDescription as A;
        assert_eq!(go_alert_text(A::UnknownCA), "unknown certificate authority");
        assert_eq!(
            go_alert_text(A::CertificateRequired),
            "certificate required"
        );
        assert_eq!(go_alert_text(A::BadRecordMac), "bad record MAC");
        assert_eq!(go_alert_text(A::Unknown(200)), "alert(200)");
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

/// cfssl's dialer timeout for `certinfo -domain`: connect and handshake together.
const DOMAIN_TIMEOUT: Duration = Duration::from_secs(10);

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
    let (host, port) = split_host_port(domain);
    let mut chain = peer_chain(&host, &port, &host, DOMAIN_TIMEOUT)?;
    Ok(chain.swap_remove(0))
}

/// Go's `tls.DialWithDialer` with a dialer timeout and `InsecureSkipVerify`: the TCP
/// connection to `host:port` and the TLS handshake (SNI `server_name`) share one
/// `timeout`, and the chain the server sends (leaf first, never empty) is returned
/// unverified, for the caller to judge against its own pool. Errors read like Go's.
pub fn peer_chain(
    host: &str,
    port: &str,
    server_name: &str,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>> {
    use std::net::{TcpStream, ToSocketAddrs};
    let deadline = Instant::now() + timeout;
    let no_host = || Error::plain(crate::error::go_no_such_host(host));
    let joined = crate::gourl::join_host_port(host, port);
    let addrs: Vec<std::net::SocketAddr> =
        joined.to_socket_addrs().map_err(|_| no_host())?.collect();
    let mut last = no_host();
    let mut stream = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last = Error::plain(format!("dial tcp {addr}: i/o timeout"));
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
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
    let provider = provider();
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::plain(format!("tls: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
        .with_no_client_auth();
    // Go sends any name as SNI; a name rustls refuses goes out without one (as an IP).
    let name = rustls::pki_types::ServerName::try_from(server_name.to_string())
        .or_else(|_| stream.peer_addr().map(|a| a.ip().into()))
        .map_err(|e| Error::plain(format!("tls: {e}")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Error::plain(format!("tls: {e}")))?;
    let timed_out = || Error::plain("context deadline exceeded");
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        let _ = stream.set_read_timeout(Some(left));
        let _ = stream.set_write_timeout(Some(left));
        conn.complete_io(&mut stream).map_err(|e| {
            let text = e.to_string();
            match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => timed_out(),
                std::io::ErrorKind::UnexpectedEof => Error::plain("EOF"),
                _ if text.contains("InvalidContentType") || text.contains("corrupt message") => {
                    Error::plain("tls: first record does not look like a TLS handshake")
                }
                _ => Error::plain(format!("tls: {text}")),
            }
        })?;
    }
    let chain: Vec<Vec<u8>> = conn
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    if chain.is_empty() {
        return Err(Error::plain("received no server certificates"));
    }
    Ok(chain)
}
