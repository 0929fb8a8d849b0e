//! The `cfssl-certinfo` program cfssl ships beside `cfssl`: `cfssl certinfo` with its
//! own, smaller flag set (no `-csr`).

use super::flags::{self, Flag};
use super::{certinfo, Context};

const FLAGS: &[Flag] = &[
    Flag::string(
        "cert",
        "",
        "Client certificate that contains the public key",
    ),
    Flag::string("domain", "", "remote server domain name"),
    Flag::string("serial", "", "certificate serial number"),
    Flag::string("aki", "", "certificate issuer (authority) key identifier"),
    Flag::string("db-config", "", "certificate db configuration file"),
];

/// The flags in the order cfssl's certinfo command lists them.
const LISTED: &[&str] = &["aki", "cert", "db-config", "domain", "serial"];

const USAGE: &str = "cfssl-certinfo -- output certinfo about the given cert

\tUsage of certinfo:
\t\t- Data from local certificate files
        \tcertinfo -cert file
\t\t- Data from certificate from remote server.
        \tcertinfo -domain domain_name
\t\t- Data from CA storage
        \tcertinfo -serial serial_number -aki authority_key_id (requires -db-config)

\tFlags:
\t";

fn usage() -> String {
    let listed = LISTED
        .iter()
        .filter_map(|n| FLAGS.iter().find(|f| f.name == *n));
    format!("\t{USAGE}{}", flags::usage_lines(listed))
}

/// Runs cfssl-certinfo with `args` (program name excluded) and returns the exit status.
/// cfssl's exits 0 even when it printed an error; this one exits 1 then.
pub fn main(args: &[String]) -> i32 {
    let parsed = match flags::parse_program(FLAGS, args, usage) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let ctx = Context {
        flags: &parsed,
        config: None,
    };
    match (certinfo::COMMAND.run)(&ctx) {
        Ok(out) => super::print_stdout(&out),
        Err(e) => {
            crate::output::write_stderr(&format!("{e}\n"));
            1
        }
    }
}
