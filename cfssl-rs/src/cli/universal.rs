//! cfssl's universal signer, as `gencert`, `sign` and `info` meet it: the policy (from
//! `-config` or the built-in default, with `-remote` overriding every profile's
//! server) decides once whether the chosen profile is signed here or by a remote.
//! Nothing network- or TLS-related is built unless a profile is remote.

use super::Context;
use crate::config::Signing;
use crate::error::{Error, Result};
use crate::log;
use crate::remote;

pub enum Route {
    /// Sign with the `-ca`/`-ca-key` CA under this policy.
    Local(Signing),
    Remote(remote::Signer),
}

/// Picks the signer for `-profile`, with cfssl's log lines along the way (the TLS
/// files it uses, and the "points to a remote signer" warning of every policy check).
pub fn route(ctx: &Context) -> Result<Route> {
    let f = ctx.flags;
    let mut policy = ctx
        .config
        .as_ref()
        .map(|c| c.signing.clone())
        .unwrap_or_default();
    let forced = f.get_str("remote");
    if !forced.is_empty() {
        policy.override_remotes(forced);
    }
    // cfssl validates the policy (and warns) in the universal signer, then again in
    // each signer it builds.
    policy.warn_skipped_settings();
    if forced.is_empty() && policy.needs_local() {
        if !policy.needs_remote() {
            return Ok(Route::Local(policy));
        }
        if f.get_str("ca-key").is_empty() {
            return Err(Error::coded(2000, "Unknown private key error"));
        }
        // Both signers are built (and check the policy) before one is picked.
        policy.warn_skipped_settings();
        policy.warn_skipped_settings();
        if policy
            .chosen(f.get_str("profile"))?
            .remote_server
            .is_empty()
        {
            return Ok(Route::Local(policy));
        }
    } else {
        policy.warn_skipped_settings();
    }
    Ok(Route::Remote(remote::Signer::new(policy, tls_config(ctx)?)))
}

/// The remote's TLS settings from `-tls-remote-ca` and the `-mutual-tls-client-*`
/// pair, logged as cfssl's signer logs them.
fn tls_config(ctx: &Context) -> Result<ureq::tls::TlsConfig> {
    let f = ctx.flags;
    let (ca, cert, key) = (
        f.get_str("tls-remote-ca"),
        f.get_str("mutual-tls-client-cert"),
        f.get_str("mutual-tls-client-key"),
    );
    let config = crate::tls::client_config(ca, cert, key)?;
    if !cert.is_empty() && !key.is_empty() {
        log::info(&format!(
            "Using client auth with mutual-tls-cert: {cert} and mutual-tls-key: {key}"
        ));
    }
    if !ca.is_empty() {
        log::info(&format!("Using trusted CA from tls-remote-ca: {ca}"));
    }
    Ok(config)
}
