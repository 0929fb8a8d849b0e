//! `cfssljson`: splits cfssl's JSON output into certificate, key and CSR files.

mod cli;
mod split;

fn main() {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(cli::run(&args));
}
