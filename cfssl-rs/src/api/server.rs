//! The listener under every server's router: accepting connections, TLS (with
//! `-mutual-tls-ca` and `-mutual-tls-cn`), the per-connection timeouts, and draining
//! on SIGINT/SIGTERM.

use super::{text_response, Peer, ServeOptions, REQUEST_TIMEOUT};
use crate::error::Error;
use crate::log;
use crate::tls;
use axum::body::Body;
use axum::Router;
use hyper::StatusCode;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A TLS client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, requests in flight get this long to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// SIGINT or SIGTERM: the servers stop accepting and drain.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// TLS for the listener: the rustls config and `-mutual-tls-cn`.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub cn_regex: Option<(regex::Regex, String)>,
}

/// The TLS set-up cfssl does before it logs "Now listening": the mutual TLS CA and
/// the `-mutual-tls-cn` regex. `None` without `-tls-cert` and `-tls-key`.
pub struct TlsPlan {
    client_roots: Option<rustls::RootCertStore>,
    cn_regex: Option<(regex::Regex, String)>,
}

pub fn tls_plan(opts: &ServeOptions) -> Result<Option<TlsPlan>, Error> {
    if opts.tls_cert.is_empty() || opts.tls_key.is_empty() {
        return Ok(None);
    }
    if opts.mutual_tls_ca.is_empty() {
        return Ok(Some(TlsPlan {
            client_roots: None,
            cn_regex: None,
        }));
    }
    let client_roots = Some(tls::client_roots(&opts.mutual_tls_ca)?);
    let cn_regex = match opts.mutual_tls_cn.as_str() {
        "" => None,
        re => Some((tls::cn_regex(re)?, re.to_string())),
    };
    Ok(Some(TlsPlan {
        client_roots,
        cn_regex,
    }))
}

impl TlsPlan {
    /// The rest, as cfssl does it once listening: the certificate and key.
    pub fn finish(self, opts: &ServeOptions) -> Result<Tls, Error> {
        let config = tls::server_config(
            &opts.tls_cert,
            &opts.tls_key,
            self.client_roots,
            &opts.min_tls_version,
        )?;
        Ok(Tls {
            config,
            cn_regex: self.cn_regex,
        })
    }
}

/// Serves `router` on an already bound `listener` until `shutdown` completes, then lets
/// requests in flight finish (bounded). Each connection gets header, body and
/// handshake timeouts; with `tls`, plain HTTP gets Go's 400 answer.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let tls = tls.map(Arc::new);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors or a reset before accept: keep serving.
                Err(e) => {
                    log::warning(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match tls {
                None => serve_connection(stream, addr, router, None, watcher).await,
                Some(tls) => {
                    if let Some(stream) = tls_accept(stream, &tls).await {
                        serve_connection(stream, addr, router, Some(tls), watcher).await
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}

/// The TLS handshake, bounded in time. Plain HTTP gets Go's answer, and a failed
/// handshake just closes the connection, as Go's server does.
async fn tls_accept(
    stream: tokio::net::TcpStream,
    tls: &Tls,
) -> Option<tokio_rustls::server::TlsStream<tokio::net::TcpStream>> {
    let mut head = [0u8; 5];
    let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            match stream.peek(&mut head).await {
                Ok(n) if n >= head.len() || n == 0 => return n,
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(_) => return 0,
            }
        }
    })
    .await
    .unwrap_or(0);
    if peeked < head.len() {
        return None;
    }
    if looks_like_http(&head) {
        use tokio::io::AsyncWriteExt;
        let mut stream = stream;
        let _ = stream
            .write_all(
                b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
            )
            .await;
        let _ = stream.shutdown().await;
        // Closing with the request still unread would reset the connection and the
        // client could lose the answer (Go's server waits too: rstAvoidanceDelay).
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            use tokio::io::AsyncReadExt;
            let mut sink = [0u8; 4096];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
        return None;
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
        .await
        .ok()?
        .ok()
}

/// Go's `tlsRecordHeaderLooksLikeHTTP`.
fn looks_like_http(head: &[u8; 5]) -> bool {
    matches!(head, b"GET /" | b"HEAD " | b"POST " | b"PUT /" | b"OPTIO")
}

trait PeerCn {
    fn peer_cn(&self) -> Option<String>;
}

impl PeerCn for tokio::net::TcpStream {
    fn peer_cn(&self) -> Option<String> {
        None
    }
}

impl PeerCn for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {
    fn peer_cn(&self) -> Option<String> {
        let cert = self.get_ref().1.peer_certificates()?.first()?;
        Some(tls::common_name(cert.as_ref()))
    }
}

async fn serve_connection<S>(
    stream: S,
    addr: SocketAddr,
    router: Router,
    tls: Option<Arc<Tls>>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + PeerCn + 'static,
{
    let peer = Peer { addr };
    let cn = stream.peer_cn();
    let rejected_cn: Option<String> = match tls.as_deref().and_then(|t| t.cn_regex.as_ref()) {
        Some((re, text)) => match &cn {
            Some(cn) if re.is_match(cn) => None,
            Some(cn) => Some(format!(
                "Rejected client cert CN \"{cn}\" does not match regex {text}"
            )),
            None => Some(String::new()),
        },
        None => None,
    };
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let router = router.clone();
            let peer = peer.clone();
            let rejected = rejected_cn.clone();
            async move {
                if let Some(line) = rejected {
                    if !line.is_empty() {
                        log::warning(&line);
                    }
                    return Ok::<_, std::convert::Infallible>(text_response(
                        StatusCode::FORBIDDEN,
                        "Invalid CN\n",
                    ));
                }
                req.extensions_mut().insert(peer);
                use tower::ServiceExt;
                Ok(router
                    .oneshot(req.map(Body::new))
                    .await
                    .unwrap_or_else(|e| match e {}))
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(REQUEST_TIMEOUT)
        .keep_alive(true);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    let _ = watcher.watch(conn).await;
}
