//! `cfssl bundle`: the chain to serve for a certificate, as JSON (spec §6).

use super::{Command, Context};
use crate::bundler::{Bundler, Flavor, Options};
use crate::error::{Error, Result};
use crate::input;

pub static COMMAND: Command = Command {
    name: "bundle",
    usage: "cfssl bundle -- create a certificate bundle that contains the client cert

Usage of bundle:
\t- Bundle local certificate files
        cfssl bundle -cert file [-ca-bundle file] [-int-bundle file] [-int-dir dir] [-metadata file] [-key keyfile] [-flavor optimal|ubiquitous|force] [-password password]
\t- Bundle certificate from remote server.
        cfssl bundle -domain domain_name [-ip ip_address] [-ca-bundle file] [-int-bundle file] [-int-dir dir] [-metadata file]

Flags:
",
    own_flags: &[
        "cert",
        "key",
        "ca-bundle",
        "int-bundle",
        "flavor",
        "int-dir",
        "metadata",
        "domain",
        "ip",
        "password",
        "loglevel",
    ],
    run,
};

fn run(ctx: &Context) -> Result<String> {
    let f = ctx.flags;
    let flavor = Flavor::parse(f.get_str("flavor"));
    let bundler = match flavor {
        Flavor::Force => Bundler::force_only(),
        _ => Bundler::new(&Options {
            ca_bundle: f.get_str("ca-bundle").into(),
            int_bundle: f.get_str("int-bundle").into(),
            int_dir: f.get_str("int-dir").into(),
            metadata: f.get_str("metadata").into(),
        })?,
    };
    let cert_file = f.get_str("cert");
    let key_file = f.get_str("key");
    let now = chrono::Utc::now().timestamp();
    if cert_file.is_empty() {
        let domain = f.get_str("domain");
        if domain.is_empty() {
            return Err(Error::plain(
                "Must specify bundle target through -cert or -domain",
            ));
        }
        let bundle = bundler.bundle_from_remote(domain, f.get_str("ip"), &flavor, now)?;
        return Ok(bundle.to_json());
    }
    let (certs, key) = if cert_file == "-" {
        let certs = input::read_file_or_stdin(cert_file)?;
        let key = match key_file {
            "" => Vec::new(),
            k => input::read_file_or_stdin(k)?,
        };
        (certs, key)
    } else {
        let certs = input::read_file(cert_file).map_err(|e| Error::coded(1001, e.message()))?;
        let key = match key_file {
            "" => Vec::new(),
            k => {
                let key = input::read_file(k).map_err(|e| Error::coded(2001, e.message()))?;
                // cfssl panics on an empty key file.
                if key.is_empty() {
                    return Err(Error::coded(2002, "Failed to decode private key"));
                }
                key
            }
        };
        (certs, key)
    };
    let bundle = bundler.bundle_from_pem_or_der(&certs, &key, &flavor, now)?;
    Ok(bundle.to_json())
}
