//! The `serve-sign-ceiling` row of `make bench`: the least work a `/sign` server can do
//! per request on this machine, to show how far the real server is from the hardware's
//! limit. Per request it reads the body, checks one P-256 ECDSA signature (what the
//! CSR's self-signature check costs), makes one P-256 ECDSA signature (the
//! certificate's) and answers ~1.4 KB of JSON, on the same runtime (tokio, two
//! workers) and HTTP stack (hyper 1) as `cfssl serve`. Nothing is parsed, checked or
//! logged, so no real server can beat it.
//!
//! Usage: sign-ceiling PORT

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{server::conn::http1, service::service_fn, Request, Response};
use std::sync::Arc;

struct Work {
    key: EcdsaKeyPair,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl Work {
    fn new() -> Work {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).expect("P-256 key");
        // About the size of a CSR's signed part.
        let message = vec![0x5a; 300];
        let signature = key.sign(&rng, &message).expect("sign").as_ref().to_vec();
        Work { key, message, signature }
    }

    fn answer(&self, body: &[u8]) -> Result<String, &'static str> {
        let public = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, self.key.public_key());
        public.verify(&self.message, &self.signature).map_err(|_| "verify failed")?;
        let tbs = &body[..body.len().min(400)];
        let sig = self.key.sign(&SystemRandom::new(), tbs).map_err(|_| "sign failed")?;
        let mut out = String::with_capacity(1500);
        out.push_str("{\"success\":true,\"result\":{\"certificate\":\"");
        for b in sig.as_ref() {
            out.push_str(&format!("{b:02x}"));
        }
        while out.len() < 1400 {
            out.push('A');
        }
        out.push_str("\"},\"errors\":[],\"messages\":[]}\n");
        Ok(out)
    }
}

#[tokio::main(worker_threads = 2)]
async fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        Some(Ok(p)) => p,
        _ => {
            eprintln!("usage: sign-ceiling PORT");
            std::process::exit(2);
        }
    };
    let work = Arc::new(Work::new());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("sign-ceiling: listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let work = work.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let work = work.clone();
                async move {
                    let body = req.into_body().collect().await?.to_bytes();
                    let (status, text) = match work.answer(&body) {
                        Ok(text) => (200, text),
                        Err(why) => (500, why.to_string()),
                    };
                    let mut r = Response::new(Full::new(Bytes::from(text)));
                    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
                    Ok::<_, hyper::Error>(r)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
