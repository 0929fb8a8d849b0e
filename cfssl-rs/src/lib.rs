//! cfssl-rs: Cloudflare's cfssl certificate toolkit, rebuilt in Rust.
//!
//! One module per cfssl concept; see the README's architecture section for the flow.

pub mod cli;
pub mod error;
pub mod gojson;
pub mod log;
pub mod output;

pub use error::{Error, Result};
pub mod api;
pub mod asn1;
pub mod auth;
pub mod bundler;
pub mod ca;
pub mod certdb;
pub mod certinfo;
pub mod check;
pub mod config;
pub mod crl;
pub mod csr;
pub mod duration;
pub mod gobase64;
pub mod gourl;
pub mod hosts;
pub mod initca;
pub mod input;
pub mod keys;
pub mod mkbundle;
pub mod multiroot;
pub mod ocsp;
pub mod pemcrypt;
pub mod pemfile;
pub mod remote;
pub mod signer;
pub mod tls;
pub mod ubiquity;
pub mod whitelist;
