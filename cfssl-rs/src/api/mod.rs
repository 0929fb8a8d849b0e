//! `cfssl serve`'s HTTP API (cfssl's `api/` packages and `cli/serve`): the endpoint
//! table, the router, the one generic handler every endpoint goes through, and the
//! accept loop (plain TCP or rustls).
//!
//! Each endpoint is a file with a sync `process(&App, &Request) -> Result<Reply,
//! ApiError>`; the async side (method check, bounded body read, the blocking pool,
//! the envelope, the request log line) is written once, here.

pub mod envelope;
pub mod error;

pub(crate) mod authsign;
mod bundle;
mod certadd;
mod certinfo;
mod crl;
mod gencrl;
mod health;
pub(crate) mod info;
mod init_ca;
mod newcert;
mod newkey;
mod ocspsign;
mod revoke;
mod scan;
mod scaninfo;
mod server;
pub(crate) mod sign;
mod ui;

use crate::certdb::CertDb;
use crate::config::{Config, Signing};
use crate::error::Error;
use crate::log;
use crate::signer::{Local, Signer};
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use envelope::Reply;
use error::ApiError;
use http_body_util::BodyExt;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use server::{serve, shutdown_signal, tls_plan, Tls, TlsPlan};

/// cfssl's prefix for every API endpoint.
pub const PREFIX: &str = "/api/v1/cfssl/";

/// Largest request body accepted: the same cap as every input file.
pub const MAX_BODY: u64 = crate::input::MAX_INPUT;

/// A client gets this long to send its request head, and as long again for the body.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server is started with: `cfssl serve`'s flags, still as text.
#[derive(Debug, Default)]
pub struct ServeOptions {
    pub ca: String,
    pub ca_key: String,
    /// `CFSSL_CA_PK_PASSWORD`.
    pub ca_key_password: Option<Vec<u8>>,
    pub config: Option<Config>,
    pub responder: String,
    pub responder_key: String,
    /// `-key`: the responder key when `-responder-key` is not given (as in cfssl).
    pub key: String,
    /// `-interval`: how long the OCSP responses the server signs are valid.
    pub ocsp_interval_ns: i64,
    /// `-db-ocsp`: store an OCSP response in the database for every certificate issued,
    /// revoked or added, signed by the OCSP signer.
    pub db_ocsp: bool,
    pub tls_cert: String,
    pub tls_key: String,
    pub min_tls_version: String,
    pub mutual_tls_ca: String,
    pub mutual_tls_cn: String,
    /// `-disable`: comma-separated endpoint names.
    pub disable: String,
    /// `-ca-bundle`, `-int-bundle`, `-int-dir`, `-metadata` for `/bundle`.
    pub bundler: crate::bundler::Options,
}

/// Everything a request may use, built once before the server binds. Parts that could
/// not be set up are `None`, and the endpoints that need them are not registered.
pub struct App {
    pub signer: Option<Arc<dyn Signer>>,
    /// The local signer behind `signer`, whose CA and key sign `/crl`.
    pub local: Option<Arc<Local>>,
    /// `-db-config`'s certificate database.
    pub db: Option<Arc<dyn CertDb>>,
    /// Why there is no signer, for the "endpoint is disabled" lines.
    pub signer_error: String,
    /// The OCSP signer from `-ca`, `-responder`, `-responder-key` (`/ocspsign`).
    pub ocsp: Option<Arc<crate::ocsp::Signer>>,
    /// `-db-ocsp`: `/revoke` and `/certadd` store the OCSP response of the certificate
    /// they change (the signer does the same for what it issues).
    pub db_ocsp: bool,
    /// `/bundle`'s bundler, or why it could not be built.
    pub bundler: Option<Arc<crate::bundler::Bundler>>,
    pub bundler_error: String,
    /// multirootca's signers by label; `None` in `cfssl serve`, whose one signer
    /// serves every label.
    pub labels: Option<Labels>,
    /// Caps the CPU-bound work (key generation, signing) running at once.
    work: tokio::sync::Semaphore,
    /// Whether a signature request is [`Work::Quick`] here: no database row to wait
    /// for and a CA key whose signatures take microseconds (ECDSA, Ed25519), not the
    /// milliseconds of an RSA one.
    quick_signing: bool,
}

impl App {
    /// An app around `signer` (or none); the server's other parts are added by
    /// [`App::build`].
    pub fn new(signer: Option<Arc<dyn Signer>>) -> App {
        App {
            signer,
            local: None,
            db: None,
            signer_error: "signer not initialized".into(),
            ocsp: None,
            db_ocsp: false,
            bundler: None,
            bundler_error: "bundler not initialized".into(),
            labels: None,
            work: tokio::sync::Semaphore::new(work_slots(false)),
            quick_signing: false,
        }
    }

    /// cfssl serve's start-up (spec §1 step 2-3): the signer from `-ca`/`-ca-key`/
    /// `-config`, the OCSP signer; each failure is a warning that disables endpoints.
    pub fn build(opts: &ServeOptions) -> App {
        App::build_with_db(opts, None)
    }

    /// [`App::build`] with `-db-config`'s database, opened by the caller (cfssl opens it
    /// first and exits when that fails): the signer stores what it issues there.
    pub fn build_with_db(opts: &ServeOptions, db: Option<Arc<dyn CertDb>>) -> App {
        log::info("Initializing signer");
        let policy = opts
            .config
            .as_ref()
            .map(|c| c.signing.clone())
            .unwrap_or_default();
        let signer = match Local::load(
            &opts.ca,
            &opts.ca_key,
            opts.ca_key_password.as_deref(),
            policy,
        ) {
            Ok(s) => Some(s.with_db(db.clone())),
            Err(e) => {
                log::warning(&format!("couldn't initialize signer: {e}"));
                None
            }
        };
        let key = match opts.responder_key.as_str() {
            "" => opts.key.as_str(),
            k => k,
        };
        let ocsp = match crate::ocsp::Signer::from_files(
            &opts.ca,
            &opts.responder,
            key,
            opts.ocsp_interval_ns,
        ) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                log::warning(&format!("couldn't initialize ocsp signer: {e}"));
                None
            }
        };
        let db_ocsp = opts.db_ocsp && db.is_some() && ocsp.is_some();
        if db_ocsp {
            log::info("OCSP responses are stored in the certificate database (-db-ocsp)");
        }
        let signer = signer.map(|s| match db_ocsp {
            true => Arc::new(s.with_ocsp(ocsp.clone())),
            false => Arc::new(s),
        });
        let (bundler, bundler_error) = match crate::bundler::Bundler::new(&opts.bundler) {
            Ok(b) => (Some(Arc::new(b)), String::new()),
            Err(e) => (None, e.to_string()),
        };
        let quick_signing = db.is_none()
            && signer
                .as_ref()
                .is_some_and(|s| !matches!(s.key().key_type, crate::keys::KeyType::Rsa { .. }));
        App {
            work: tokio::sync::Semaphore::new(work_slots(db.is_some())),
            quick_signing,
            local: signer.clone(),
            db,
            ocsp,
            db_ocsp,
            bundler,
            bundler_error,
            ..App::new(signer.map(|s| s as Arc<dyn Signer>))
        }
    }

    /// The signer for a request's `label`: multirootca's signer for it (cfssl's
    /// `MultiHandler` answers "bad label" for one it does not have), or the one CA.
    pub fn signer(&self, label: &str) -> Result<&dyn Signer, ApiError> {
        if let Some(labels) = &self.labels {
            return labels.get(label).ok_or_else(|| {
                log::warning("request for invalid endpoint");
                ApiError::bad_request("bad label")
            });
        }
        self.signer
            .as_deref()
            .ok_or_else(|| ApiError::Other(self.signer_error.clone()))
    }
}

/// multirootca's signers, one per label of its roots file, and the `-l` label that a
/// request without one gets.
pub struct Labels {
    pub signers: BTreeMap<String, Arc<dyn Signer>>,
    pub default: String,
}

impl Labels {
    /// The signer of the label a request names (the default when it names none).
    pub fn get(&self, label: &str) -> Option<&dyn Signer> {
        let label = match label {
            "" => self.default.as_str(),
            l => l,
        };
        self.signers.get(label).map(|s| s.as_ref())
    }
}

/// How many requests may be doing their work at once: two per CPU for the CPU-bound
/// work (key generation, signing). With a database each request also waits for its
/// row's commit, and commits only share their fsyncs (SQLite's group commit in
/// `certdb::sqlite`, PostgreSQL's own) when many are in flight: as many more as a
/// database pool holds connections.
fn work_slots(db: bool) -> usize {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    cpus * 2
        + if db {
            crate::certdb::MAX_CONNECTIONS
        } else {
            0
        }
}

/// What an endpoint needs from the [`App`] to be registered (cfssl serve's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    Signer,
    /// A signer whose policy has a profile without authentication (`sign`).
    UnauthSigner,
    /// A signer whose policy has a profile with authentication (`authsign`).
    AuthSigner,
    /// A certificate database (and, for `crl`, a signer).
    Db {
        signer: bool,
    },
    OcspSigner,
    /// The bundler built from `-ca-bundle`/`-int-bundle`.
    Bundler,
}

impl Needs {
    /// `Err(why)` when the app lacks it: the text of cfssl's "is disabled" line.
    fn check(self, app: &App) -> Result<(), String> {
        let policy = || -> Result<&Signing, String> {
            Ok(app
                .signer
                .as_deref()
                .ok_or_else(|| app.signer_error.clone())?
                .policy())
        };
        let invalid_policy = || Error::coded(5200, "Invalid or unknown policy").to_string();
        match self {
            Needs::Nothing => Ok(()),
            Needs::Signer => policy().map(|_| ()),
            Needs::UnauthSigner => match policy()?.profiles_all().any(|p| p.auth.is_none()) {
                true => Ok(()),
                false => Err(invalid_policy()),
            },
            Needs::AuthSigner => match policy()?.profiles_all().any(|p| p.auth.is_some()) {
                true => Ok(()),
                false => Err(invalid_policy()),
            },
            Needs::Db { signer } => {
                if signer {
                    policy()?;
                }
                match app.db {
                    Some(_) => Ok(()),
                    None => Err("cert db not configured (missing -db-config)".into()),
                }
            }
            Needs::OcspSigner => match app.ocsp {
                Some(_) => Ok(()),
                None => Err("signer not initialized".into()),
            },
            Needs::Bundler => match app.bundler {
                Some(_) => Ok(()),
                None => Err(app.bundler_error.clone()),
            },
        }
    }
}

/// Decodes a body the way `json.Unmarshal` into a struct does: Go's syntax error
/// first, then what `decode` (the struct's field rules) reports.
pub fn decode_body<T>(
    body: &[u8],
    decode: impl FnOnce(&crate::gojson::Value) -> Result<T, String>,
) -> Result<T, String> {
    decode(&crate::gojson::parse(body)?)
}

/// What an endpoint's work gets: the raw body and query, and the time of the request.
pub struct Request<'a> {
    pub body: &'a [u8],
    pub query: &'a str,
    pub now: DateTime<Utc>,
}

pub type Process = fn(&App, &Request) -> Result<Reply, ApiError>;

/// Where an endpoint's work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Work that may take long (key generation, scans, database round trips): on the
    /// blocking pool, a bounded number at a time.
    Blocking,
    /// A signature request: one CSR signature check and one signature. Where the app
    /// says that is quick ([`App::quick_signing`]), it runs on the async worker that
    /// read the request: handing work of ~100 us to the blocking pool and back cost
    /// about a third as much CPU again (futex wake-ups, thread switches, memory freed
    /// on another thread than the one that allocated it). Otherwise as `Blocking`.
    /// Either way its few log lines are written together when it ends.
    Signing,
}

pub enum Handler {
    /// A cfssl API handler: only these methods, the envelope, the request log line.
    Api {
        methods: &'static [Method],
        process: Process,
        work: Work,
    },
    /// The static UI at `/`.
    Ui,
}

pub struct Endpoint {
    /// The name in `-disable` and in the "is disabled" log lines.
    pub name: &'static str,
    pub needs: Needs,
    pub handler: Handler,
    /// A line cfssl logs when it sets the endpoint up.
    pub setup_log: Option<&'static str>,
}

impl Endpoint {
    /// The URL path: the name under [`PREFIX`], or the name itself when it is a path.
    pub fn path(&self) -> String {
        match self.name.starts_with('/') {
            true => self.name.to_string(),
            false => format!("{PREFIX}{}", self.name),
        }
    }
}

const POST: &[Method] = &[Method::POST];
const GET: &[Method] = &[Method::GET];

const fn api(
    name: &'static str,
    needs: Needs,
    methods: &'static [Method],
    work: Work,
    process: Process,
) -> Endpoint {
    Endpoint {
        name,
        needs,
        handler: Handler::Api {
            methods,
            process,
            work,
        },
        setup_log: None,
    }
}

/// Every endpoint of cfssl 1.6.5's server. cfssl registers them from a Go map, in
/// random order; this is one of those orders.
pub static ENDPOINTS: &[Endpoint] = &[
    api(
        "sign",
        Needs::UnauthSigner,
        POST,
        Work::Signing,
        sign::process,
    ),
    api(
        "authsign",
        Needs::AuthSigner,
        POST,
        Work::Signing,
        authsign::process,
    ),
    api("info", Needs::Signer, POST, Work::Blocking, info::process),
    api(
        "crl",
        Needs::Db { signer: true },
        GET,
        Work::Blocking,
        crl::process,
    ),
    api(
        "gencrl",
        Needs::Signer,
        POST,
        Work::Blocking,
        gencrl::process,
    ),
    api(
        "newcert",
        Needs::Signer,
        POST,
        Work::Blocking,
        newcert::process,
    ),
    Endpoint {
        setup_log: Some("bundler API ready"),
        ..api(
            "bundle",
            Needs::Bundler,
            POST,
            Work::Blocking,
            bundle::process,
        )
    },
    Endpoint {
        setup_log: Some("setting up key / CSR generator"),
        ..api(
            "newkey",
            Needs::Nothing,
            POST,
            Work::Blocking,
            newkey::process,
        )
    },
    api(
        "init_ca",
        Needs::Nothing,
        POST,
        Work::Blocking,
        init_ca::process,
    ),
    api("scan", Needs::Nothing, GET, Work::Blocking, scan::process),
    api(
        "scaninfo",
        Needs::Nothing,
        GET,
        Work::Blocking,
        scaninfo::process,
    ),
    api(
        "certinfo",
        Needs::Nothing,
        POST,
        Work::Blocking,
        certinfo::process,
    ),
    api(
        "ocspsign",
        Needs::OcspSigner,
        POST,
        Work::Blocking,
        ocspsign::process,
    ),
    api(
        "revoke",
        Needs::Db { signer: false },
        POST,
        Work::Blocking,
        revoke::process,
    ),
    Endpoint {
        name: "/",
        needs: Needs::Nothing,
        handler: Handler::Ui,
        setup_log: None,
    },
    api(
        "health",
        Needs::Nothing,
        GET,
        Work::Blocking,
        health::process,
    ),
    api(
        "certadd",
        Needs::Nothing,
        POST,
        Work::Blocking,
        certadd::process,
    ),
];

pub type AppState = Arc<App>;

/// The router for the endpoints that `app` can serve and `disable` (comma-separated
/// names) does not exclude, with cfssl's log line for each.
pub fn router(app: AppState, disable: &str) -> Router {
    let disabled: Vec<&str> = disable.split(',').collect();
    let mut router = Router::new();
    for ep in ENDPOINTS {
        if disabled.contains(&ep.name) {
            log::info(&format!("endpoint '{}' is explicitly disabled", ep.name));
            continue;
        }
        if let Err(why) = ep.needs.check(&app) {
            log::warning(&format!("endpoint '{}' is disabled: {why}", ep.name));
            continue;
        }
        if let Some(line) = ep.setup_log {
            log::info(line);
        }
        let path = ep.path();
        log::info(&format!("endpoint '{path}' is enabled"));
        router = match &ep.handler {
            Handler::Api {
                methods,
                process,
                work,
            } => router.route(&path, api_route(methods, *process, *work)),
            Handler::Ui => router.merge(ui::routes()),
        };
    }
    log::info("Handler set up complete.");
    finish(router, app)
}

/// A cfssl API handler's route: `process` behind [`handle`].
pub fn api_route(
    methods: &'static [Method],
    process: Process,
    work: Work,
) -> MethodRouter<AppState> {
    any(move |State(app): State<AppState>, req| handle(app, methods, process, work, req))
}

/// What every server's router ends with: Go's 404 for other paths, and the app.
pub fn finish(router: Router<AppState>, app: AppState) -> Router {
    router.fallback(|| async { not_found() }).with_state(app)
}

/// Go's `http.NotFound`.
pub fn not_found() -> Response {
    text_response(StatusCode::NOT_FOUND, "404 page not found\n")
}

/// Go's `http.Error`: plain text, no sniffing, a trailing newline.
pub fn text_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Who sent a request: the TCP peer and, with mutual TLS, its certificate's CN.
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: SocketAddr,
}

/// The request an API answer is logged under: `<addr> - "<METHOD> <URL>" <code>`,
/// one line per request, after the endpoint's own lines.
struct Logged {
    peer: Option<SocketAddr>,
    method: Method,
    url: String,
}

impl Logged {
    fn of(req: &hyper::Request<Body>) -> Logged {
        let uri = req.uri();
        Logged {
            peer: req.extensions().get::<Peer>().map(|p| p.addr),
            method: req.method().clone(),
            url: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string()),
        }
    }

    fn answer(&self, result: Result<Reply, ApiError>) -> Response {
        let (response, code) = match result {
            Ok(reply) => {
                let mut r = (StatusCode::OK, envelope::success(&reply)).into_response();
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                (r, 200)
            }
            Err(e) => (text_response(e.status(), envelope::failure(&e)), e.code()),
        };
        let addr = self.peer.map_or_else(String::new, |a| a.to_string());
        log::info(&format!("{addr} - \"{} {}\" {code}", self.method, self.url));
        response
    }
}

/// cfssl's `HTTPHandler`: the method check, then the body (bounded in size and time),
/// then the endpoint's work where `work` says.
async fn handle(
    app: AppState,
    methods: &'static [Method],
    process: Process,
    work: Work,
    req: hyper::Request<Body>,
) -> Response {
    let logged = Logged::of(&req);
    if !methods.contains(req.method()) {
        return logged.answer(Err(ApiError::method_not_allowed(req.method().as_str())));
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return logged.answer(Err(e)),
    };
    let run = move |app: &App| {
        let request = Request {
            body: &body,
            query: &query,
            now: Utc::now(),
        };
        match work {
            Work::Signing => log::held_back(|| process(app, &request)),
            Work::Blocking => process(app, &request),
        }
    };
    match work {
        // The request line joins the endpoint's held-back lines: one write per request.
        Work::Signing if app.quick_signing => log::held_back(|| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&app)))
                .unwrap_or_else(|panic| {
                    let why = match panic.downcast_ref::<&str>() {
                        Some(s) => s.to_string(),
                        None => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
                    };
                    Err(handler_failed(format!("panicked with message {why:?}")))
                });
            logged.answer(result)
        }),
        _ => logged.answer(blocking(app, run).await),
    }
}

/// A request whose work panicked (a bug): logged, and a 500 for that request only.
fn handler_failed(why: impl std::fmt::Display) -> ApiError {
    log::error(&format!("request handler failed: {why}"));
    ApiError::Other("internal error".into())
}

/// A request body, bounded in size and time (413 and 408 answers otherwise).
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY as usize);
    match tokio::time::timeout(REQUEST_TIMEOUT, limited.collect()).await {
        Err(_) => Err(ApiError::Http(
            StatusCode::REQUEST_TIMEOUT,
            "request body not received in time".into(),
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::Http(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {MAX_BODY} bytes"),
        )),
        Ok(Err(e)) => Err(ApiError::Other(e.to_string())),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Runs CPU-bound work off the async threads, a bounded number at a time. A panic in
/// it is a bug, but it costs that one request a 500, not the server.
pub async fn blocking<T: Send + 'static>(
    app: AppState,
    work: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let Ok(_permit) = app.work.acquire().await else {
        return Err(ApiError::Other("server is shutting down".into()));
    };
    let task = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || work(&app))
    };
    match task.await {
        Ok(result) => result,
        Err(e) => Err(handler_failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_is_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<App>();
    }

    fn panics(_: &App, _: &Request) -> Result<Reply, ApiError> {
        panic!("a bug in an endpoint")
    }

    #[test]
    fn a_panicking_request_costs_a_500_inline_or_on_the_pool() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        for (quick, work) in [
            (true, Work::Signing),
            (false, Work::Signing),
            (true, Work::Blocking),
        ] {
            let mut app = App::new(None);
            app.quick_signing = quick;
            let app = Arc::new(app);
            let answers = rt.block_on(async {
                let mut answers = Vec::new();
                // The server goes on answering on the same worker after the panic.
                for _ in 0..2 {
                    let req = hyper::Request::post("/x").body(Body::from("{}")).unwrap();
                    let r = handle(app.clone(), POST, panics, work, req).await;
                    let status = r.status();
                    let body = r.into_body().collect().await.unwrap().to_bytes();
                    answers.push((status, body));
                }
                answers
            });
            for (status, body) in answers {
                assert_eq!(
                    status,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{quick} {work:?}"
                );
                assert_eq!(
                    &body[..],
                    b"{\"success\":false,\"result\":null,\"errors\":[{\"code\":0,\"message\":\"internal error\"}],\"messages\":[]}\n"
                );
            }
        }
    }

    #[test]
    fn endpoint_names_are_unique() {
        for (i, a) in ENDPOINTS.iter().enumerate() {
            assert!(ENDPOINTS[i + 1..].iter().all(|b| b.name != a.name));
        }
    }
}
