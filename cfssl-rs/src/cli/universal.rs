//! cfssl's universal signer, as `gencert`, `sign` and `info` meet it: the policy (from
//! `-config` or the built-in default, with `-remote` overriding every profile's
//! server) decides once whether the chosen profile is signed here or by a remote.
//! Nothing network- or TLS-related is built unless a profile is remote.

use super::Context;
use crate::config::{Profile, Signing};
use crate::error::{Error, Result};
use crate::log;
use crate::remote::Remote;

pub enum Route {
    Local,
    Remote {
        remote: Remote,
        profile: Box<Profile>,
    },
}

/// Picks the signer for `-profile`, with cfssl's log lines along the way (the TLS
/// files it uses, and the "points to a remote signer" warning of every policy check).
pub fn route(ctx: &Context) -> Result<Route> {
    let f = ctx.flags;
    let mut policy = match &ctx.config {
        Some(cfg) => cfg.signing.clone(),
        None => Signing {
            default: Profile::default_signing(),
            profiles: Vec::new(),
        },
    };
    let forced = f.get_str("remote");
    if !forced.is_empty() {
        policy.override_remotes(forced);
    }
    // cfssl validates the policy (and warns) in the universal signer, then again in
    // each signer it builds.
    policy.warn_skipped_settings();
    let name = f.get_str("profile");
    let profile = if !forced.is_empty() || !policy.needs_local() {
        policy.warn_skipped_settings();
        policy.get(name).clone()
    } else if policy.needs_remote() {
        if f.get_str("ca-key").is_empty() {
            return Err(Error::coded(2000, "Unknown private key error"));
        }
        policy.warn_skipped_settings();
        policy.warn_skipped_settings();
        let chosen = policy.chosen(name)?;
        if chosen.remote_server.is_empty() {
            return Ok(Route::Local);
        }
        chosen.clone()
    } else {
        return Ok(Route::Local);
    };
    let remote = Remote::new(&profile.remote_server, tls_config(ctx)?)?;
    Ok(Route::Remote {
        remote,
        profile: Box::new(profile),
    })
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
