//! `cfssl serve`: the HTTP API server. Flags become [`api::ServeOptions`], the app is
//! built once, then a multi-thread runtime serves until SIGINT or SIGTERM.

use super::{Command, Context};
use crate::api::{self, App, ServeOptions};
use crate::error::{Error, Result};
use crate::log;
use std::sync::Arc;

pub static COMMAND: Command = Command {
    name: "serve",
    usage: "cfssl serve -- set up a HTTP server handles CF SSL requests

Usage of serve:
        cfssl serve [-address address] [-min-tls-version version] [-ca cert] [-ca-bundle bundle] \\
                    [-ca-key key] [-int-bundle bundle] [-int-dir dir] [-port port] \\
                    [-metadata file] [-remote remote_host] [-config config] \\
                    [-responder cert] [-responder-key key] \\
                    [-tls-cert cert] [-tls-key key] [-mutual-tls-ca ca] [-mutual-tls-cn regex] \\
                    [-tls-remote-ca ca] [-mutual-tls-client-cert cert] [-mutual-tls-client-key key] \\
                    [-db-config db-config] [-disable endpoint[,endpoint]]

Flags:
",
    own_flags: &[
        "address",
        "port",
        "min-tls-version",
        "ca",
        "ca-key",
        "ca-bundle",
        "int-bundle",
        "int-dir",
        "metadata",
        "remote",
        "config",
        "responder",
        "responder-key",
        "tls-key",
        "tls-cert",
        "mutual-tls-ca",
        "mutual-tls-cn",
        "tls-remote-ca",
        "mutual-tls-client-cert",
        "mutual-tls-client-key",
        "db-config",
        "disable",
        "db-ocsp",
        "loglevel",
    ],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    super::refuse_arguments(f, "")?;
    // cfssl opens the database before anything else and exits if that fails.
    let db = crate::certdb::open_optional(f.get_str("db-config"))?;
    if !f.get_str("remote").is_empty() {
        return Err(Error::coded(
            5300,
            "serve -remote: a remote signer behind this server is not supported by cfssl-rs yet",
        ));
    }
    let opts = ServeOptions {
        ca: f.get_str("ca").into(),
        ca_key: f.get_str("ca-key").into(),
        ca_key_password: super::ca_key_password(),
        config: ctx.config.clone(),
        responder: f.get_str("responder").into(),
        responder_key: f.get_str("responder-key").into(),
        key: f.get_str("key").into(),
        ocsp_interval_ns: crate::duration::parse(f.get_str("interval")).map_err(Error::plain)?,
        db_ocsp: f.get_bool("db-ocsp"),
        tls_cert: f.get_str("tls-cert").into(),
        tls_key: f.get_str("tls-key").into(),
        min_tls_version: f.get_str("min-tls-version").into(),
        mutual_tls_ca: f.get_str("mutual-tls-ca").into(),
        mutual_tls_cn: f.get_str("mutual-tls-cn").into(),
        disable: f.get_str("disable").into(),
        bundler: crate::bundler::Options {
            ca_bundle: f.get_str("ca-bundle").into(),
            int_bundle: f.get_str("int-bundle").into(),
            int_dir: f.get_str("int-dir").into(),
            metadata: f.get_str("metadata").into(),
        },
    };
    let addr = crate::gourl::join_host_port(f.get_str("address"), f.get_int("port"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::plain(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async {
        let want_db_ocsp = opts.db_ocsp && db.is_some();
        let app = Arc::new(App::build_with_db(&opts, db));
        if opts.db_ocsp && !app.db_ocsp {
            return Err(Error::plain(match want_db_ocsp {
                false => "serve -db-ocsp: no certificate database (give -db-config)",
                true => "serve -db-ocsp: no OCSP signer (give -responder and -responder-key; see the warning above)",
            }));
        }
        let router = api::router(app, &opts.disable);
        let plan = api::tls_plan(&opts)?;
        log::info(&match (&plan, opts.mutual_tls_ca.is_empty()) {
            (None, _) => format!("Now listening on {addr}"),
            (Some(_), true) => format!("Now listening on https://{addr}"),
            (Some(_), false) => format!("Now listening with mutual TLS on https://{addr}"),
        });
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
            Error::plain(format!(
                "listen tcp {addr}: bind: {}",
                crate::error::go_errno_text(&e)
            ))
        })?;
        let tls = plan.map(|p| p.finish(&opts)).transpose()?;
        let _queued = log::queued();
        api::serve(listener, router, tls, api::shutdown_signal())
            .await
            .map_err(|e| Error::plain(e.to_string()))
    })?;
    Ok(String::new())
}
