//! The `cfssl` command line: one shared Go-style flag set, a registry of subcommands
//! (one file each), and the dispatch, usage and exit-status rules of spec §0.

pub mod bundle;
pub mod certinfo;
pub mod cfssl_certinfo;
pub mod check;
pub mod crl;
pub mod flags;
pub mod gencert;
pub mod gencrl;
pub mod gencsr;
pub mod genkey;
pub mod info;
pub mod ocspdump;
pub mod ocsprefresh;
pub mod ocspserve;
pub mod ocspsign;
pub mod print_defaults;
pub mod renewca;
pub mod revoke;
pub mod selfsign;
pub mod serve;
pub mod sign;
pub mod unimplemented;
pub mod universal;
pub mod version;

use crate::config::Config;
use crate::error::Error;
use crate::log;
use crate::signer::{Local, SignRequest, Signer};
use flags::{Flag, Outcome, Parsed};

/// Every subcommand parses the same flag set, as cfssl does: any of these is accepted
/// anywhere, even where it has no effect. Help only lists a command's own flags.
pub static FLAGS: &[Flag] = &[
    Flag::string("hostname", "", "Hostname for the cert, could be a comma-separated hostname list"),
    Flag::string("cert", "", "Client certificate that contains the public key"),
    Flag::string("csr", "", "Certificate signature request file for new public key"),
    Flag::string("ca", "", "CA used to sign the new certificate -- accepts '[file:]fname' or 'env:varname'"),
    Flag::string("ca-key", "", "CA private key -- accepts '[file:]fname' or 'env:varname'"),
    Flag::string("tls-cert", "", "Other endpoint CA to set up TLS protocol"),
    Flag::string("tls-key", "", "Other endpoint CA private key"),
    Flag::string("mutual-tls-ca", "", "Mutual TLS - require clients be signed by this CA "),
    Flag::string("mutual-tls-cn", "", "Mutual TLS - regex for whitelist of allowed client CNs"),
    Flag::string("tls-remote-ca", "", "CAs to trust for remote TLS requests"),
    Flag::string("mutual-tls-client-cert", "", "Mutual TLS - client certificate to call remote instance requiring client certs"),
    Flag::string("mutual-tls-client-key", "", "Mutual TLS - client key to call remote instance requiring client certs"),
    Flag::string("key", "", "private key for the certificate"),
    Flag::string("intermediates", "", "intermediate certs"),
    Flag::string("ca-bundle", "", "path to root certificate store"),
    Flag::string("int-bundle", "", "path to intermediate certificate store"),
    Flag::string("address", "127.0.0.1", "Address to bind"),
    Flag::int("port", "8888", "Port to bind"),
    Flag::string("min-tls-version", "", "Minimum version of TLS to use, defaults to 1.0"),
    Flag::string("config", "", "path to configuration file"),
    Flag::string("profile", "", "signing profile to use"),
    Flag::bool("initca", "false", "initialise new CA"),
    Flag::bool("renewca", "false", "re-generate a CA certificate from existing CA certificate/key"),
    Flag::string("int-dir", "", "specify intermediates directory"),
    Flag::string("flavor", "ubiquitous", "Bundle Flavor: ubiquitous, optimal and force."),
    Flag::string("metadata", "", "Metadata file for root certificate presence. The content of the file is a json dictionary (k,v): each key k is SHA-1 digest of a root certificate while value v is a list of key store filenames."),
    Flag::string("domain", "", "remote server domain name"),
    Flag::string("ip", "", "remote server ip"),
    Flag::string("remote", "", "remote CFSSL server"),
    Flag::string("label", "", "key label to use in remote CFSSL server"),
    Flag::string("authkey", "", "key to authenticate requests to remote CFSSL server"),
    Flag::string("responder", "", "Certificate for OCSP responder"),
    Flag::string("responder-key", "", "private key for OCSP responder certificate"),
    Flag::string("status", "good", "Status of the certificate: good, revoked, unknown"),
    Flag::string("reason", "0", "Reason code for revocation"),
    Flag::string("revoked-at", "now", "Date of revocation (YYYY-MM-DD)"),
    Flag::duration("interval", "96h0m0s", "Interval between OCSP updates (default: 96h)"),
    Flag::bool("list", "false", "list possible scanners"),
    Flag::string("family", "", "scanner family regular expression"),
    Flag::string("scanner", "", "scanner regular expression"),
    Flag::duration("timeout", "5m0s", "duration (ns, us, ms, s, m, h) to scan each host before timing out"),
    Flag::string("csv", "", "file containing CSV of hosts"),
    Flag::int("num-workers", "10", "number of workers to use for scan"),
    Flag::int("max-hosts", "100", "maximum number of hosts to scan"),
    Flag::string("responses", "", "file to load OCSP responses from"),
    Flag::string("path", "/", "Path on which the server will listen"),
    Flag::string("crl", "", "CRL URL Override"),
    Flag::string("password", "0", "Password for accessing PKCS #12 data passed to bundler"),
    Flag::string("usage", "", "usage of private key"),
    Flag::string("pgp-private", "", "file to load a PGP Private key decryption"),
    Flag::string("pgp-name", "", "PGP public key name, can be a comma-sepearted key name list"),
    Flag::string("serial", "", "certificate serial number"),
    Flag::string("cn", "", "certificate common name (CN)"),
    Flag::string("aki", "", "certificate issuer (authority) key identifier"),
    Flag::string("db-config", "", "certificate db configuration file"),
    Flag::duration("expiry", "168h0m0s", "time from now after which the CRL will expire (default: one week)"),
    Flag::int("loglevel", "1", "Log level (0 = DEBUG, 5 = FATAL)"),
    Flag::string("disable", "", "endpoints to disable"),
    Flag::bool("db-ocsp", "false", "store an OCSP response in -db-config's database for every certificate issued, revoked or added (needs -responder)"),
    Flag::list("etcd-config", "an etcd member's --config-file YAML (repeat for each member)"),
    Flag::string("dir", "", "directory relative paths in the etcd configs resolve against (default: the config file's)"),
    Flag::list("client", "a client identity CERT,KEY[,CA] as etcdctl --cert/--key/--cacert (repeatable)"),
    Flag::string("users", "", "file with the etcd user names, one per line (etcdctl user list)"),
    Flag::string("run-as", "", "the user the etcd members run as (default: the invoking user)"),
    Flag::string("at", "", "judge validity at this RFC 3339 time instead of now"),
    Flag::string("within", "", "also warn about certificates expiring within this duration"),
    Flag::string("format", "text", "report format: text or json"),
];

/// What a subcommand gets: its parsed flags and the `-config` file, already loaded.
pub struct Context<'a> {
    pub flags: &'a Parsed,
    pub config: Option<Config>,
}

impl Context<'_> {
    /// The signer `gencert` and `sign` use (cfssl's universal signer): a remote one when
    /// the `-profile` chosen from the `-config` policy (every profile, with `-remote`)
    /// names a server, else the CA of `-ca`/`-ca-key` under that policy (cfssl's
    /// default policy without one).
    pub fn signer(&self) -> Result<Box<dyn Signer>, Error> {
        // cfssl opens the database before it reads the CA.
        let db = crate::certdb::open_optional(self.flags.get_str("db-config"))?;
        match universal::route(self)? {
            universal::Route::Remote(remote) => Ok(Box::new(remote)),
            universal::Route::Local(policy) => {
                let password = ca_key_password();
                Ok(Box::new(
                    Local::load(
                        self.flags.get_str("ca"),
                        self.flags.get_str("ca-key"),
                        password.as_deref(),
                        policy,
                    )?
                    .with_db(db),
                ))
            }
        }
    }

    /// A sign request with the flags' `-profile` and `-label`.
    pub fn sign_request(&self) -> SignRequest {
        SignRequest {
            profile: self.flags.get_str("profile").to_string(),
            label: self.flags.get_str("label").to_string(),
            require_subject_or_san: true,
            ..SignRequest::default()
        }
    }
}

pub struct Command {
    pub name: &'static str,
    /// The usage paragraph cfssl prints (after a tab) before the flag list.
    pub usage: &'static str,
    /// The flags listed in this command's usage, in cfssl's order.
    pub own_flags: &'static [&'static str],
    /// Runs the command and returns what goes to stdout.
    pub run: fn(&Context) -> Result<String, Error>,
}

/// Commands cfssl-rs adds to cfssl's set; left out of the top-level usage.
const OWN_COMMANDS: &[&str] = &["check"];

pub static COMMANDS: &[&Command] = &[
    &gencert::COMMAND,
    &genkey::COMMAND,
    &gencsr::COMMAND,
    &print_defaults::COMMAND,
    &version::COMMAND,
    &selfsign::COMMAND,
    &certinfo::COMMAND,
    &sign::COMMAND,
    &gencrl::COMMAND,
    &bundle::COMMAND,
    &serve::COMMAND,
    &revoke::COMMAND,
    &info::COMMAND,
    &crl::COMMAND,
    &ocspsign::COMMAND,
    &ocspserve::COMMAND,
    &ocsprefresh::COMMAND,
    &ocspdump::COMMAND,
    &check::COMMAND,
];

/// `CFSSL_CA_PK_PASSWORD`, which cfssl's local signer and `gencrl` use to decrypt a
/// legacy-encrypted CA key (spec §6.2); unset and empty both mean no password.
pub fn ca_key_password() -> Option<Vec<u8>> {
    std::env::var_os("CFSSL_CA_PK_PASSWORD")
        .filter(|p| !p.is_empty())
        .map(std::ffi::OsString::into_encoded_bytes)
}

/// cfssl's refusal of positional arguments by a command that takes none. The sentence
/// is the same in each, but `info` ends it with a period and `revoke`, `serve` and
/// `ocspserve` do not (the golden and bad-input cases pin both).
pub fn refuse_arguments(f: &Parsed, ending: &str) -> Result<(), Error> {
    if f.positionals().is_empty() {
        return Ok(());
    }
    Err(Error::plain(format!(
        "argument is provided but not defined; please refer to the usage by flag -h{ending}"
    )))
}

fn command_usage(cmd: &Command) -> String {
    let own = cmd
        .own_flags
        .iter()
        .filter_map(|n| FLAGS.iter().find(|f| f.name == *n));
    format!("\t{}{}", cmd.usage, flags::usage_lines(own))
}

fn top_level_usage() -> String {
    let mut out = String::from("Usage:\nAvailable commands:\n");
    // cfssl lists its commands in Go map order, which is random; sorted is one of them.
    // Commands of our own (`check`) stay out of the list, so that scripts and the golden
    // corpus see cfssl's exact usage text; `cfssl check -h` documents itself.
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|n| !OWN_COMMANDS.contains(n))
        .collect();
    names.extend_from_slice(unimplemented::NAMES);
    names.sort_unstable();
    for name in names {
        out.push('\t');
        out.push_str(name);
        out.push('\n');
    }
    out.push_str("Top-level flags:\n");
    out
}

/// Prints a CRL as cfssl does (one line of base64 DER, then a newline). A CRL of a
/// million entries is tens of megabytes, so it is encoded straight to stdout instead of
/// into the command's returned string, which would be a second copy.
pub fn print_crl_line(crl: &crate::crl::Crl) -> Result<(), Error> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    crl.write_base64(&mut out)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("write", "/dev/stdout", &e))
}

/// Writes a command's output to stdout; a failed write is reported and is exit status 1.
pub fn print_stdout(out: &str) -> i32 {
    match crate::output::write_stdout(out.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            crate::output::write_stderr(&format!("{e}\n"));
            1
        }
    }
}

/// Runs `cfssl` with `args` (program name excluded) and returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let stderr = crate::output::write_stderr;
    let Some(name) = args.first() else {
        stderr(&format!("No command is given.\n{}", top_level_usage()));
        return 1;
    };
    if name.starts_with('-') {
        return match flags::parse(&[], &args[..1]) {
            Ok(Outcome::Help) => {
                stderr(&top_level_usage());
                0
            }
            Ok(Outcome::Parsed(_)) | Err(_) => {
                let flag = name.trim_start_matches('-').split('=').next().unwrap_or("");
                stderr(&format!(
                    "flag provided but not defined: -{flag}\n{}",
                    top_level_usage()
                ));
                2
            }
        };
    }
    if unimplemented::NAMES.contains(&name.as_str()) {
        stderr(&format!("{}\n", unimplemented::error(name)));
        return 1;
    }
    let Some(cmd) = COMMANDS.iter().find(|c| c.name == name) else {
        stderr(&format!(
            "Command {name} is not defined.\n{}",
            top_level_usage()
        ));
        return 1;
    };
    let parsed = match flags::parse(FLAGS, &args[1..]) {
        Ok(Outcome::Parsed(p)) => p,
        Ok(Outcome::Help) => {
            stderr(&command_usage(cmd));
            return 0;
        }
        Err(e) => {
            stderr(&format!("{e}\n{}", command_usage(cmd)));
            return 2;
        }
    };
    log::set_level(parsed.get_int("loglevel"));

    let config = match parsed.get_str("config") {
        "" => None,
        path => match crate::config::load(path) {
            Ok(c) => Some(c),
            // Where cfssl panics, our one line and its exit status.
            Err(e @ Error::Abort(_)) => {
                stderr(&format!("Failed to load config file: {e}\n"));
                return e.exit_code();
            }
            Err(e) => {
                // cfssl prints this one without a trailing newline.
                stderr(&format!("Failed to load config file: {e}"));
                return 1;
            }
        },
    };
    let ctx = Context {
        flags: &parsed,
        config,
    };
    match (cmd.run)(&ctx) {
        Ok(out) => print_stdout(&out),
        Err(Error::Reported) => 1,
        Err(e) => {
            stderr(&format!("{e}\n"));
            e.exit_code()
        }
    }
}
