//! `cfssl info`: the CA certificate, usages and expiry that a signer applies under a
//! profile, asked of a remote (`-remote`) or read from `-ca`/`-ca-key`/`-config`.

use super::universal::{self, Route};
use super::{Command, Context};
use crate::error::{Error, Result};
use crate::info::{Req, Resp};
use crate::remote::Remote;

pub static COMMAND: Command = Command {
    name: "info",
    usage: "cfssl info -- get info about a remote signer

Usage:

Get info about a remote signer:
cfssl info -remote remote_host [-label label] [-profile profile] [-label label] 

Flags:
",
    own_flags: &["remote", "label", "profile", "config", "loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    if !f.positionals().is_empty() {
        return Err(Error::plain(
            "argument is provided but not defined; please refer to the usage by flag -h.",
        ));
    }
    let req = Req {
        label: f.get_str("label").to_string(),
        profile: f.get_str("profile").to_string(),
    };
    let resp = if !f.get_str("remote").is_empty() {
        // cfssl builds this client without the signer's log lines.
        let tls = crate::tls::client_config(
            f.get_str("tls-remote-ca"),
            f.get_str("mutual-tls-client-cert"),
            f.get_str("mutual-tls-client-key"),
        )?;
        from_remote(&Remote::new(f.get_str("remote"), tls)?, &req)?
    } else if ctx.config.is_some() {
        match universal::route(ctx)? {
            Route::Remote { remote, .. } => from_remote(&remote, &req)?,
            Route::Local => local(ctx, &req)?,
        }
    } else {
        return Err(Error::plain(
            "Either -remote or -config must be given. Refer to cfssl info -h for usage.",
        ));
    };
    Ok(resp.to_json())
}

/// The remote's answer, whose certificate must parse as cfssl's client insists.
fn from_remote(remote: &Remote, req: &Req) -> Result<Resp> {
    let resp = remote.info(req)?;
    crate::ca::parse_cert_pem(resp.certificate.as_bytes())?;
    Ok(resp)
}

/// cfssl's local signer's answer: the `-ca` certificate (the key must load, but need
/// not match it) and the profile's values as written in the config.
fn local(ctx: &Context, req: &Req) -> Result<Resp> {
    let f = ctx.flags;
    if f.get_str("ca-key").is_empty() {
        return Err(Error::coded(2000, "Unknown private key error"));
    }
    let password = super::ca_key_password();
    let (cert, _key) = crate::ca::load(f.get_str("ca"), f.get_str("ca-key"), password.as_deref())?;
    let profile = ctx
        .config
        .as_ref()
        .map(|c| c.signing.get(&req.profile).clone())
        .unwrap_or_else(crate::config::Profile::default_signing);
    let pem = crate::output::pem("CERTIFICATE", &cert.der);
    Ok(Resp {
        certificate: pem.trim_end().to_string(),
        usages: (!profile.usages.is_empty()).then_some(profile.usages),
        expiry: profile.expiry_string,
    })
}
