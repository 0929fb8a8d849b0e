//! `multirootca`: an authenticated-signing-only server with one CA per label (cfssl's
//! `cmd/multirootca`). The roots file ([`config`]) names each label's key,
//! certificate, signing policy, network whitelist and database; requests pick a CA with
//! their `label` (default `-l`). Endpoints: `/api/v1/cfssl/authsign` ([`authsign`]),
//! `/api/v1/cfssl/info` (cfssl serve's handler, through `App::signer(label)`) and
//! `/metrics` ([`metrics`]).

pub mod authsign;
pub mod config;
pub mod metrics;

use crate::api::{self, App, AppState, Labels};
use crate::cli::flags::{self, Flag};
use crate::error::Error;
use crate::log;
use crate::signer::{Local, Signer};
use crate::whitelist::NetAcl;
use axum::routing::any;
use axum::Router;
use std::collections::BTreeMap;
use std::sync::Arc;

const FLAGS: &[Flag] = &[
    Flag::string("a", ":8888", "listening address"),
    Flag::string("roots", "", "configuration file specifying root keys"),
    Flag::string("l", "", "specify a default label"),
    Flag::string("tls-cert", "", "server certificate"),
    Flag::string("tls-key", "", "server private key"),
    Flag::int("loglevel", "1", "Log level (0 = DEBUG, 5 = FATAL)"),
];

/// What multirootca's own handlers share besides the [`App`].
pub struct Multiroot {
    /// The labels whose roots have `nets`; the others take any client.
    pub whitelists: BTreeMap<String, NetAcl>,
    pub metrics: metrics::Metrics,
}

/// The signers and whitelists of a roots file, with cfssl's "loaded signer" lines.
fn load(path: &str, default_label: &str) -> Result<(Labels, Multiroot), Error> {
    let mut signers: BTreeMap<String, Arc<dyn Signer>> = BTreeMap::new();
    let mut whitelists = BTreeMap::new();
    // Every signer is built before any is announced: a bad root stops the start with
    // one line.
    for (label, root) in config::parse(path)? {
        let signer = Local::new(root.certificate, root.key, root.policy)
            .map_err(|e| Error::plain(format!("{e} (section [{label}] of {path})")))?
            .with_db(root.db);
        signers.insert(label.clone(), Arc::new(signer));
        if let Some(acl) = root.acl {
            whitelists.insert(label, acl);
        }
    }
    for label in signers.keys() {
        log::info(&format!("loaded signer {label}"));
    }
    if !default_label.is_empty() && !signers.contains_key(default_label) {
        log::warning(&format!(
            "the default label {} is not in {path}: requests must name a label",
            crate::gojson::go_quote(default_label)
        ));
    }
    let labels = Labels {
        signers,
        default: default_label.to_string(),
    };
    let mr = Multiroot {
        whitelists,
        metrics: metrics::Metrics::default(),
    };
    Ok((labels, mr))
}

fn router(app: AppState, mr: Arc<Multiroot>) -> Router {
    let signing = mr.clone();
    let routes = Router::new()
        .route(
            &format!("{}authsign", api::PREFIX),
            any(
                move |axum::extract::State(app): axum::extract::State<AppState>, req| {
                    authsign::handle(app, signing.clone(), req)
                },
            ),
        )
        .route(
            &format!("{}info", api::PREFIX),
            api::api_route(
                &[hyper::Method::POST],
                api::info::process,
                api::Work::Blocking,
            ),
        )
        .route(
            "/metrics",
            any(move || {
                let body = mr.metrics.render();
                async move {
                    let mut r = axum::response::IntoResponse::into_response(body);
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static(
                            "text/plain; version=0.0.4; charset=utf-8",
                        ),
                    );
                    r
                }
            }),
        );
    api::finish(routes, app)
}

/// Go's `net.Listen("tcp", addr)` for the forms `-a` takes: `host:port`, and `:port`
/// for every interface (IPv6 and IPv4 when the host has IPv6).
async fn listen(addr: &str) -> Result<tokio::net::TcpListener, Error> {
    let bind_error = |e: std::io::Error| {
        Error::plain(format!(
            "listen tcp {addr}: bind: {}",
            crate::error::go_errno_text(&e)
        ))
    };
    match addr.strip_prefix(':') {
        Some(port) => match tokio::net::TcpListener::bind(format!("[::]:{port}")).await {
            Ok(l) => Ok(l),
            Err(_) => tokio::net::TcpListener::bind(format!("0.0.0.0:{port}"))
                .await
                .map_err(bind_error),
        },
        None => tokio::net::TcpListener::bind(addr)
            .await
            .map_err(bind_error),
    }
}

fn run(parsed: &flags::Parsed) -> Result<(), Error> {
    let roots = parsed.get_str("roots");
    if roots.is_empty() {
        return Err(Error::plain("no root file specified"));
    }
    let (labels, mr) = load(roots, parsed.get_str("l"))?;
    let mut app = App::new(None);
    app.labels = Some(labels);
    let (cert, key) = (parsed.get_str("tls-cert"), parsed.get_str("tls-key"));
    let addr = parsed.get_str("a");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::plain(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async {
        let router = router(Arc::new(app), Arc::new(mr));
        // As Go's ListenAndServeTLS: TLS when either file is named, the files read
        // once the port is bound.
        let https = !(cert.is_empty() && key.is_empty());
        log::info(&match https {
            true => format!("Now listening on https:// {addr}"),
            false => format!("Now listening on {addr}"),
        });
        let listener = listen(addr).await?;
        let tls = match https {
            true => Some(api::Tls {
                config: crate::tls::server_config(cert, key, None, "")?,
                cn_regex: None,
            }),
            false => None,
        };
        let _queued = log::queued();
        api::serve(listener, router, tls, api::shutdown_signal())
            .await
            .map_err(|e| Error::plain(e.to_string()))
    })
}

/// Runs multirootca with `args` (program name first) and returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let program = args.first().map_or("multirootca", String::as_str);
    let usage = || format!("Usage of {program}:\n{}", flags::go_print_defaults(FLAGS));
    let parsed = match flags::parse_program(FLAGS, args.get(1..).unwrap_or_default(), usage) {
        Ok(p) => p,
        Err(status) => return status,
    };
    log::set_level(parsed.get_int("loglevel"));
    match run(&parsed) {
        Ok(()) => 0,
        Err(e) => {
            log::log(log::Level::Fatal, &e.to_string());
            1
        }
    }
}
