//! `cfssl check` (cfssl-rs's own command): will etcd accept this certificate tree?
//! Reads the members' configurations and client identities, prints the report, and
//! exits 0 when everything works, 1 when something fails, 2 on bad usage.

use super::{Command, Context};
use crate::check::{self, etcdconf, keys::RunAs, report, Client, Options};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

pub static COMMAND: Command = Command {
    name: "check",
    usage: "cfssl check -- predict whether etcd 3.4 accepts a certificate tree, connection by connection

Usage of check:
\tcfssl check -etcd-config FILE [-etcd-config FILE ...] [-dir DIR] [-client CERT,KEY[,CA] ...]
\t            [-users FILE] [-run-as USER] [-at TIME] [-within DURATION] [-format text|json]

Flags:
",
    own_flags: &[
        "etcd-config",
        "dir",
        "client",
        "users",
        "run-as",
        "at",
        "within",
        "format",
    ],
    run,
};

fn usage(msg: String) -> Error {
    Error::abort(format!("check: {msg}"))
}

fn options(ctx: &Context) -> Result<(Options, bool)> {
    let f = ctx.flags;
    if let Some(extra) = f.positionals().first() {
        return Err(usage(format!(
            "unexpected argument {}",
            crate::gojson::go_quote(extra)
        )));
    }
    let configs = f.get_list("etcd-config");
    if configs.is_empty() {
        return Err(usage("at least one -etcd-config FILE is required".into()));
    }
    let dir = match f.get_str("dir") {
        "" => None,
        d => Some(PathBuf::from(d)),
    };
    let mut members = Vec::new();
    for c in &configs {
        let m = etcdconf::load(Path::new(c), dir.as_deref()).map_err(usage)?;
        if members.iter().any(|x: &etcdconf::Member| x.name == m.name) {
            return Err(usage(format!(
                "{c}: member name {} is used twice",
                crate::gojson::go_quote(&m.name)
            )));
        }
        members.push(m);
    }
    let clients = f
        .get_list("client")
        .iter()
        .map(|s| Client::parse(s))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(usage)?;
    let users = match f.get_str("users") {
        "" => None,
        path => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                usage(format!(
                    "-users: open {path}: {}",
                    crate::error::go_errno_text(&e)
                ))
            })?;
            Some(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        }
    };
    let run_as = match f.get_str("run-as") {
        "" => None,
        u => Some(RunAs::lookup(u).map_err(usage)?),
    };
    let at = match f.get_str("at") {
        "" => chrono::Utc::now().timestamp(),
        t => chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|e| {
                usage(format!(
                    "-at {}: not an RFC 3339 time ({e})",
                    crate::gojson::go_quote(t)
                ))
            })?
            .timestamp(),
    };
    let within = match f.get_str("within") {
        "" => None,
        d => Some(
            crate::duration::parse(d).map_err(|e| usage(format!("-within: {e}")))? / 1_000_000_000,
        ),
    };
    let json = match f.get_str("format") {
        "text" => false,
        "json" => true,
        other => {
            return Err(usage(format!(
                "-format {}: expected text or json",
                crate::gojson::go_quote(other)
            )))
        }
    };
    Ok((
        Options {
            members,
            clients,
            users,
            run_as,
            at,
            within,
        },
        json,
    ))
}

fn run(ctx: &Context) -> Result<String> {
    let (opts, json) = options(ctx)?;
    let r = check::check(&opts);
    let out = if json {
        report::json(&r)
    } else {
        report::text(&r)
    };
    if r.works() {
        return Ok(out);
    }
    // A failing tree still prints its report, then exits 1.
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| Error::io("write", "/dev/stdout", &e))?;
    Err(Error::Reported)
}
