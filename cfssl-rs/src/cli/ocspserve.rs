//! `cfssl ocspserve`: an HTTP OCSP responder (RFC 5019, GET and POST) answering from a
//! file of responses or from the certificate database (spec §5). The lookup logic is
//! `ocsp::responder`; this file owns the runtime and the HTTP mapping.

use super::{Command, Context};
use crate::error::{Error, Result};
use crate::log;
use crate::ocsp::responder::{self, Method, Source};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, Method as HttpMethod, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub static COMMAND: Command = Command {
    name: "ocspserve",
    usage: "cfssl ocspserve -- set up an HTTP server that handles OCSP requests from either a file or directly from a database (see RFC 5019)

  Usage of ocspserve:
          cfssl ocspserve [-address address] [-port port] [-responses file] [-db-config db-config]

  Flags:
  ",
    own_flags: &["address", "port", "responses", "db-config", "loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    super::refuse_arguments(f, "")?;
    let source: Arc<dyn Source> = match (f.get_str("responses"), f.get_str("db-config")) {
        ("", "") => {
            return Err(Error::plain(
                "no response file or db-config provided, please set the one of these using either -responses or -db-config flags",
            ))
        }
        ("", db) => Arc::new(responder::DbSource::new(
            crate::certdb::open_config_file(db)
                .map_err(|_| Error::plain("unable to read configuration file"))?,
        )),
        (file, _) => Arc::new(responder::load_responses_file(file)?),
    };
    log::info("Registering OCSP responder handler");
    let addr = crate::gourl::join_host_port(f.get_str("address"), f.get_int("port"));
    serve(&addr, f.get_str("path"), source)?;
    Ok(String::new())
}

struct Responder {
    source: Arc<dyn Source>,
    prefix: String,
}

/// Binds `addr` and answers OCSP requests under `prefix` until SIGINT or SIGTERM.
fn serve(addr: &str, prefix: &str, source: Arc<dyn Source>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::plain(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::plain(format!(
                "listen tcp {addr}: bind: {}",
                crate::error::go_errno_text(&e)
            ))
        })?;
        log::info(&format!("Now listening on {addr}"));
        let state = Arc::new(Responder {
            source,
            prefix: prefix.to_string(),
        });
        let app = axum::Router::new().fallback(handle).with_state(state);
        let _queued = log::queued();
        axum::serve(listener, app)
            .with_graceful_shutdown(crate::api::shutdown_signal())
            .await
            .map_err(|e| Error::plain(format!("serve: {e}")))
    })
}

async fn handle(State(st): State<Arc<Responder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // cfssl mounts the responder on `-path` (a subtree when it ends in '/'); the
    // request is what follows it. cfssl passes the whole path on, which breaks
    // decoding under any prefix but "/"; stripping it makes `-path` usable.
    let rest = match parts.uri.path().strip_prefix(st.prefix.as_str()) {
        Some(rest) if st.prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/') => rest,
        _ => return (StatusCode::NOT_FOUND, "404 page not found\n").into_response(),
    };
    // Read the way axum's `Bytes` extractor reads a body, with its default size limit.
    let posted = match parts.method {
        HttpMethod::POST => match Bytes::from_request(Request::new(body), &()).await {
            Ok(b) => b,
            Err(rejection) => return rejection.into_response(),
        },
        _ => Bytes::new(),
    };
    let method = match parts.method {
        HttpMethod::GET => Method::Get(rest),
        HttpMethod::POST => Method::Post(&posted),
        _ => Method::Other,
    };
    let if_none_match = parts
        .headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok());
    let answer = match responder::decode(method) {
        Err(answer) => answer,
        Ok(decoded) => {
            // A lookup that can be had without waiting (memory, an unlocked SQLite file)
            // runs right here: a hop to the blocking pool costs more than the lookup.
            let (decoded, found) = match st.source.response_now(&decoded.req) {
                Some(found) => (decoded, found),
                None => {
                    let source = st.source.clone();
                    let waited = tokio::task::spawn_blocking(move || {
                        let found = source.response(&decoded.req);
                        (decoded, found)
                    })
                    .await;
                    match waited {
                        Ok(done) => done,
                        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            };
            responder::respond(&decoded, found, if_none_match, chrono::Utc::now())
        }
    };
    // Built by hand so that no Content-Type is added where cfssl sends none.
    let mut response = Response::new(axum::body::Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = response.headers_mut();
    for (name, value) in answer.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    response
}
