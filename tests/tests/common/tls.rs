//! In-process TLS with rustls (aws-lc-rs provider) and webpki verification.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub fn certs(path: &Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

pub fn key(path: &Path) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_file(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

pub fn roots(ca: &Path) -> Arc<RootCertStore> {
    let mut r = RootCertStore::empty();
    for c in certs(ca) {
        r.add(c).expect("CA certificate accepted as a trust anchor");
    }
    Arc::new(r)
}

/// A client config trusting `ca`, optionally presenting `client` = (cert, key).
pub fn client_config(ca: &Path, client: Option<(&Path, &Path)>) -> Arc<ClientConfig> {
    let b = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca));
    let cfg = match client {
        Some((c, k)) => b
            .with_client_auth_cert(certs(c), key(k))
            .expect("client cert/key usable"),
        None => b.with_no_client_auth(),
    };
    Arc::new(cfg)
}

/// A server config presenting (cert, key) and requiring a client certificate from `ca`.
pub fn server_config(ca: &Path, cert: &Path, k: &Path) -> Arc<ServerConfig> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca), provider())
        .build()
        .unwrap();
    let cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(cert), key(k))
        .expect("server cert/key usable");
    Arc::new(cfg)
}

pub fn loopback() -> ServerName<'static> {
    ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into())
}

/// Connect to 127.0.0.1:port, send `request`, read the reply until EOF.
/// Err carries the TLS/IO error text (handshake failures and alerts included).
pub fn tls_request(cfg: Arc<ClientConfig>, port: u16, request: &[u8]) -> Result<Vec<u8>, String> {
    let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let conn = rustls::ClientConnection::new(cfg, loopback()).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(request).map_err(|e| format!("write: {e}"))?;
    tls.flush().map_err(|e| format!("flush: {e}"))?;
    let mut buf = Vec::new();
    match tls.read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        // etcd/Go may close without close_notify after a complete response
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => Ok(buf),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// Result of one in-process mutual-TLS exchange.
pub struct Exchange {
    pub client: Result<Vec<u8>, String>,
    pub server: Result<(), String>,
}

/// Run a rustls server (one connection) and a rustls client against each other over
/// loopback. The server echoes one line back.
pub fn mutual_tls(server: Arc<ServerConfig>, client: Arc<ClientConfig>) -> Exchange {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let srv = std::thread::spawn(move || -> Result<(), String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        sock.set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let conn = rustls::ServerConnection::new(server).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let mut line = [0u8; 5];
        tls.read_exact(&mut line)
            .map_err(|e| format!("server read: {e}"))?;
        tls.write_all(b"pong\n")
            .map_err(|e| format!("server write: {e}"))?;
        tls.conn.send_close_notify();
        tls.flush().map_err(|e| format!("server flush: {e}"))?;
        Ok(())
    });
    let client = tls_request(client, port, b"ping\n");
    let server = srv
        .join()
        .unwrap_or_else(|_| Err("server thread panicked".into()));
    Exchange { client, server }
}
