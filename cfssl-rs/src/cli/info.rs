//! `cfssl info`: the CA certificate, usages and expiry that a signer applies under a
//! profile, asked of a remote (`-remote`) or read from `-ca`/`-ca-key`/`-config`.

use super::universal::{self, Route};
use super::{Command, Context};
use crate::config::Signing;
use crate::error::{Error, Result};
use crate::gojson::{write_string, write_string_list};
use crate::remote::Remote;
use crate::signer::{Info, InfoRequest, Signer as _};

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
    super::refuse_arguments(f, ".")?;
    let req = InfoRequest {
        label: f.get_str("label").to_string(),
        profile: f.get_str("profile").to_string(),
    };
    let info = if !f.get_str("remote").is_empty() {
        // cfssl builds this client without the signer's log lines.
        let tls = crate::tls::client_config(
            f.get_str("tls-remote-ca"),
            f.get_str("mutual-tls-client-cert"),
            f.get_str("mutual-tls-client-key"),
        )?;
        checked(Remote::new(f.get_str("remote"), tls)?.info(&req)?)?
    } else if ctx.config.is_some() {
        match universal::route(ctx)? {
            Route::Remote(remote) => checked(remote.info(&req)?)?,
            Route::Local(policy) => return local(ctx, &policy, &req),
        }
    } else {
        return Err(Error::plain(
            "Either -remote or -config must be given. Refer to cfssl info -h for usage.",
        ));
    };
    Ok(to_json(&info, false))
}

/// A remote's answer, whose certificate must parse, as cfssl's client insists.
fn checked(info: Info) -> Result<Info> {
    crate::ca::parse_cert_pem(info.certificate.as_bytes())?;
    Ok(info)
}

/// cfssl's local signer's answer: the `-ca` certificate (the key must load but need not
/// match it: cfssl checks that only when it signs) and the profile's values as written.
fn local(ctx: &Context, policy: &Signing, req: &InfoRequest) -> Result<String> {
    let f = ctx.flags;
    if f.get_str("ca-key").is_empty() {
        return Err(Error::coded(2000, "Unknown private key error"));
    }
    let password = super::ca_key_password();
    let (cert, _key) = crate::ca::load(f.get_str("ca"), f.get_str("ca-key"), password.as_deref())?;
    let profile = policy.get(&req.profile);
    let info = Info {
        certificate: crate::output::pem("CERTIFICATE", &cert.der)
            .trim_end()
            .to_string(),
        usages: profile.usages.clone(),
        expiry: profile.expiry_string.clone(),
    };
    Ok(to_json(&info, true))
}

/// `info.Resp` as Go marshals it. A local profile without usages has a nil list
/// (`null`); a remote's answer always carries a list.
fn to_json(info: &Info, nil_if_empty: bool) -> String {
    let mut out = String::from("{\"certificate\":");
    write_string(&mut out, &info.certificate);
    out.push_str(",\"usages\":");
    if nil_if_empty && info.usages.is_empty() {
        out.push_str("null");
    } else {
        write_string_list(&mut out, info.usages.iter().map(String::as_str));
    }
    out.push_str(",\"expiry\":");
    write_string(&mut out, &info.expiry);
    out.push('}');
    out
}
