//! multirootca's `POST /api/v1/cfssl/authsign`: an authenticated sign request, signed
//! by the CA of the request's `label` (cfssl's `dispatchRequest`).
//!
//! It is not cfssl serve's `authsign`: the checks come in another order (the label's
//! network whitelist first, an unknown profile is refused), every refusal is code 1
//! with its own HTTP status, is logged as `[HTTP n] 1 - message (detail)` and dumps the
//! request head on stdout, and no request log line is written.

use super::metrics::SIGN;
use super::Multiroot;
use crate::api::{self, envelope, AppState, Peer};
use crate::gojson::Value;
use crate::log;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use std::sync::Arc;

/// A refused request: the status, the message the client gets, and the detail only
/// the log gets.
struct Refusal {
    status: StatusCode,
    message: String,
    detail: String,
}

fn refuse(status: StatusCode, message: impl Into<String>, detail: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        detail: detail.into(),
    }
}

/// Go's `CanonicalMIMEHeaderKey` for the token names hyper stores in lower case.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// The request as Go's `httputil.DumpRequest` prints a server request: the request
/// line, `Host`, the other headers sorted by name, a blank line, then `body`.
fn dump(head: &hyper::http::request::Parts, body: &[u8]) -> String {
    let version = match head.version {
        hyper::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let mut out = format!("{} {} {version}\r\n", head.method, head.uri);
    let value = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).trim().to_string();
    if let Some(host) = head.headers.get(hyper::header::HOST) {
        out.push_str(&format!("Host: {}\r\n", value(host)));
    }
    if let Some(te) = head.headers.get(hyper::header::TRANSFER_ENCODING) {
        out.push_str(&format!("Transfer-Encoding: {}\r\n", value(te)));
    }
    let closes = head
        .headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .any(|v| value(v).eq_ignore_ascii_case("close"));
    if closes {
        out.push_str("Connection: close\r\n");
    }
    let mut names: Vec<(String, &hyper::header::HeaderName)> = head
        .headers
        .keys()
        .filter(|n| {
            ![
                hyper::header::HOST,
                hyper::header::TRANSFER_ENCODING,
                hyper::header::TRAILER,
            ]
            .contains(n)
        })
        .map(|n| (canonical(n.as_str()), n))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (shown, name) in names {
        for v in head.headers.get_all(name) {
            out.push_str(&format!("{shown}: {}\r\n", value(v)));
        }
    }
    out.push_str("\r\n");
    out.push_str(&String::from_utf8_lossy(body));
    out
}

/// Go's `fmt.Fprint` of a JSON-encoded answer: the status, no declared type, so Go's
/// content sniffing labels it plain text.
fn reply(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn fail(mr: &Multiroot, head: &hyper::http::request::Parts, body: &[u8], r: Refusal) -> Response {
    mr.metrics.bad_input(SIGN);
    let detail = match r.detail.as_str() {
        "" => String::new(),
        d => format!(" ({d})"),
    };
    log::error(&format!(
        "[HTTP {}] 1 - {}{detail}",
        r.status.as_u16(),
        r.message
    ));
    // A stdout nobody drains must stall this request only, not an async worker.
    let text = format!("{}\n", dump(head, body));
    tokio::task::block_in_place(|| {
        let _ = crate::output::write_stdout(text.as_bytes());
    });
    reply(r.status, envelope::error_body(1, &r.message))
}

/// What the checks and the signature produce, off the async threads.
struct Signed {
    certificate: String,
    label: String,
    profile: String,
    serial: String,
}

/// The checks in cfssl's order, then the signature. `peer` is the client's address.
fn process(
    app: &api::App,
    mr: &Multiroot,
    body: &[u8],
    peer: Option<std::net::SocketAddr>,
) -> Result<Signed, Refusal> {
    let bad = StatusCode::BAD_REQUEST;
    let auth = api::decode_body(body, api::authsign::decode)
        .map_err(|e| refuse(bad, e, "while unmarshaling request body"))?;
    let mut request = api::decode_body(&auth.request, api::sign::decode)
        .map_err(|e| refuse(bad, e, "while unmarshalling authenticated request"))?
        .sign;
    let labels = app
        .labels
        .as_ref()
        .ok_or_else(|| refuse(StatusCode::INTERNAL_SERVER_ERROR, "no signers", ""))?;
    // The defaulted label is the request's from here on: the certificate database
    // records it as the CA label, as cfssl does.
    if request.label.is_empty() {
        request.label = labels.default.clone();
    }
    let label = request.label.clone();
    if let Some(acl) = mr.whitelists.get(&label) {
        let Some(peer) = peer else {
            return Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "missing address",
                "while getting request IP",
            ));
        };
        if !acl.permitted(peer.ip()) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "not authorised",
                "because IP is not whitelisted",
            ));
        }
    }
    let Some(signer) = labels.get(&label) else {
        return Err(refuse(
            bad,
            "bad request",
            format!("request is for non-existent label {label}"),
        ));
    };
    mr.metrics.request(SIGN, &label);
    let policy = signer.policy();
    // A named profile must exist, unless the policy has none (cfssl looks the name up
    // only in a non-empty map).
    let name = request.profile.as_str();
    let profile = match name.is_empty() || policy.profiles.is_empty() {
        true => &policy.default,
        false => policy
            .profiles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                refuse(
                    bad,
                    "invalid profile",
                    format!("failed to look up profile with name: {name}"),
                )
            })?,
    };
    let Some(key) = &profile.auth else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "authorisation required",
            "received unauthenticated request",
        ));
    };
    if !profile.token_valid(key, &auth.request, &auth.token) {
        return Err(refuse(
            bad,
            "invalid token",
            "received authenticated request with invalid token",
        ));
    }
    if request.request.is_empty() {
        return Err(refuse(bad, "invalid request", "empty request"));
    }
    let certificate = signer.sign(&request, chrono::Utc::now()).map_err(|e| {
        mr.metrics.errored(SIGN, &label);
        refuse(bad, "bad request", format!("signature failed: {e}"))
    })?;
    let serial = crate::pemfile::decode(certificate.as_bytes())
        .and_then(|(block, _)| {
            let (_, cert) = x509_parser::parse_x509_certificate(&block.der).ok()?;
            Some(crate::signer::serial_decimal(cert.raw_serial()))
        })
        .ok_or_else(|| {
            mr.metrics.errored(SIGN, &label);
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "bad certificate",
                "the signer returned a certificate that does not parse",
            )
        })?;
    Ok(Signed {
        certificate,
        label,
        profile: request.profile,
        serial,
    })
}

pub async fn handle(app: AppState, mr: Arc<Multiroot>, req: hyper::Request<Body>) -> Response {
    let peer = req.extensions().get::<Peer>().map(|p| p.addr);
    let (head, body) = req.into_parts();
    if head.method != Method::POST {
        // Go's dump reads what the handler left unread: here, all of it.
        let unread = api::read_body(body).await.unwrap_or_default();
        let r = refuse(StatusCode::METHOD_NOT_ALLOWED, "only POST is permitted", "");
        return fail(&mr, &head, &unread, r);
    }
    let body = match api::read_body(body).await {
        Ok(b) => b,
        Err(e) => {
            let r = refuse(e.status(), e.message(), "while reading request body");
            return fail(&mr, &head, b"", r);
        }
    };
    let worker = mr.clone();
    let outcome = api::blocking(app, move |app| Ok(process(app, &worker, &body, peer))).await;
    let signed = match outcome {
        Ok(Ok(s)) => s,
        Ok(Err(r)) => return fail(&mr, &head, b"", r),
        Err(e) => {
            let r = refuse(StatusCode::INTERNAL_SERVER_ERROR, e.message(), "");
            return fail(&mr, &head, b"", r);
        }
    };
    let requester = peer.map_or_else(String::new, |a| {
        std::net::SocketAddr::new(a.ip().to_canonical(), a.port()).to_string()
    });
    log::info(&format!(
        "signature: requester={requester}, label={}, profile={}, serialno={}",
        signed.label, signed.profile, signed.serial
    ));
    let result = Value::object([("certificate", Value::string(signed.certificate))]);
    reply(
        StatusCode::OK,
        envelope::success(&envelope::Reply::new(result)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_as_go_writes_them() {
        assert_eq!(canonical("content-length"), "Content-Length");
        assert_eq!(canonical("x-forwarded-for"), "X-Forwarded-For");
        assert_eq!(canonical("accept"), "Accept");
    }

    #[test]
    fn request_dump_as_go_prints_it() {
        let req = hyper::Request::post("/api/v1/cfssl/authsign")
            .header("host", "127.0.0.1:8888")
            .header("user-agent", "curl/8")
            .header("content-length", "1")
            .header("accept", "*/*")
            .body(())
            .unwrap();
        let (head, ()) = req.into_parts();
        assert_eq!(
            dump(&head, b""),
            "POST /api/v1/cfssl/authsign HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\
             Accept: */*\r\nContent-Length: 1\r\nUser-Agent: curl/8\r\n\r\n"
        );
    }
}
