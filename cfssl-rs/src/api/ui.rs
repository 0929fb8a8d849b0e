//! The static page cfssl serves at `/` (our own minimal page, not cfssl's assets);
//! `/bundle`, `/scan` and `/packages` show the same page, as in cfssl.

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper::header::{HeaderValue, CONTENT_TYPE};

const INDEX: &str = include_str!("index.html");

async fn index() -> Response {
    let mut r = INDEX.into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ["/", "/index.html", "/bundle", "/scan", "/packages"]
        .into_iter()
        .fold(Router::new(), |r, path| r.route(path, get(index)))
}
