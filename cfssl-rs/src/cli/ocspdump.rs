//! `cfssl ocspdump`: the unexpired responses of the database, base64, one per line,
//! ready for `ocspserve -responses` (spec §5).

use super::{Command, Context};
use crate::error::{Error, Result};
use base64::Engine as _;

pub static COMMAND: Command = Command {
    name: "ocspdump",
    usage: "cfssl ocspdump -- generates a series of concatenated OCSP responses
for use with ocspserve from all OCSP responses in the cert db

Usage of ocspdump:
        cfssl ocspdump -db-config db-config

Flags:
",
    own_flags: &["db-config", "loglevel"],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let path = ctx.flags.get_str("db-config");
    if path.is_empty() {
        return Err(Error::plain(
            "need DB config file (provide with -db-config)",
        ));
    }
    let db = crate::certdb::open_config_file(path)?;
    let mut out = String::new();
    for record in db.unexpired_ocsps()? {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(&record.body));
        out.push('\n');
    }
    Ok(out)
}
