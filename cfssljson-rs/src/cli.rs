//! The command line: Go flag rules, then read, split, and write or print.

use crate::split::{self, Failure, Output};
use base64::Engine as _;
use cfssl::cli::flags::{self, Flag, Outcome};
use cfssl::output::{self, OutFile};

const FLAGS: &[Flag] = &[
    Flag::bool(
        "bare",
        "false",
        "the response from CFSSL is not wrapped in the API standard response",
    ),
    Flag::string("f", "-", "JSON input"),
    Flag::bool(
        "stdout",
        "false",
        "output the response instead of saving to a file",
    ),
    Flag::bool("version", "false", "print version and exit"),
];

/// Runs cfssljson with `args` (program name first) and returns the exit status.
pub fn run(args: &[String]) -> i32 {
    let program = args.first().map_or("cfssljson", String::as_str);
    let usage = || format!("Usage of {program}:\n{}", flags::go_print_defaults(FLAGS));
    let parsed = match flags::parse(FLAGS, args.get(1..).unwrap_or_default()) {
        Ok(Outcome::Parsed(p)) => p,
        Ok(Outcome::Help) => {
            output::write_stderr(&usage());
            return 0;
        }
        Err(e) => {
            output::write_stderr(&format!("{e}\n{}", usage()));
            return 2;
        }
    };
    if parsed.get_bool("version") {
        return print(cfssl::cli::version::text().as_bytes());
    }
    // Go's flag rules leave anything after the basename as ignored extra positionals.
    let base = parsed.positionals().first().map_or("cert", String::as_str);
    match split_input(parsed.get_str("f"), parsed.get_bool("bare"), base) {
        Ok(outs) if parsed.get_bool("stdout") => print_outputs(&outs),
        Ok(outs) => write_outputs(&outs),
        Err(failure) => {
            output::write_stderr(&failure.to_string());
            failure.exit_code()
        }
    }
}

fn split_input(source: &str, bare: bool, base: &str) -> Result<Vec<Output>, Failure> {
    let data = read_input(source)
        .map_err(|e| Failure::Fatal(cfssl::Error::plain(format!("Failed to read input: {e}"))))?;
    let map = split::input_map(&data, bare)?;
    split::outputs(&map, base)
}

/// The largest input cfssljson reads. gencert accepts a request of up to
/// `MAX_INPUT` bytes and can print a certificate and a CSR that each carry every host
/// of it: DER about as long as the JSON hosts, base64 (4/3) in 64-column lines whose
/// newlines the JSON escapes, twice. Four times the request limit covers that.
const MAX_JSON_INPUT: u64 = 4 * cfssl::input::MAX_INPUT;

fn read_input(source: &str) -> cfssl::Result<Vec<u8>> {
    // `-` is stdin; a named pipe is waited for, as cfssl does.
    cfssl::input::read_bounded(source, MAX_JSON_INPUT)
}

fn print_outputs(outs: &[Output]) -> i32 {
    let mut text = Vec::new();
    for out in outs {
        if out.binary {
            text.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(&out.contents)
                    .as_bytes(),
            );
        } else {
            text.extend_from_slice(&out.contents);
        }
        text.push(b'\n');
    }
    print(&text)
}

fn print(bytes: &[u8]) -> i32 {
    match output::write_stdout(bytes) {
        Ok(()) => 0,
        Err(e) => {
            output::write_stderr(&format!("{e}\n"));
            1
        }
    }
}

fn write_outputs(outs: &[Output]) -> i32 {
    let files: Vec<OutFile> = outs
        .iter()
        .map(|o| OutFile {
            path: &o.path,
            contents: &o.contents,
            mode: o.mode,
        })
        .collect();
    match output::write_files(&files) {
        Ok(()) => 0,
        Err(e) => {
            output::write_stderr(&format!("{e}\n"));
            1
        }
    }
}
