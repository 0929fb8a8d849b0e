//! The command line: Go flag rules, then read, split, and write or print.

use crate::split::{self, Failure, Output};
use base64::Engine as _;
use cfssl::cli::flags::{self, Flag};
use cfssl::output::{self, OutFile};
use std::io::Write as _;

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
    let parsed = match flags::parse_program(FLAGS, args.get(1..).unwrap_or_default(), usage) {
        Ok(p) => p,
        Err(status) => return status,
    };
    if parsed.get_bool("version") {
        return cfssl::cli::print_stdout(&cfssl::cli::version::text());
    }
    // Go's flag rules leave anything after the basename as ignored extra positionals.
    let base = parsed.positionals().first().map_or("cert", String::as_str);
    match split_input(parsed.get_str("f"), parsed.get_bool("bare"), base) {
        Ok(outs) if parsed.get_bool("stdout") => print_outputs(&outs),
        Ok(outs) => write_outputs(&outs),
        Err(failure) => {
            eprint!("{failure}");
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

fn read_input(source: &str) -> cfssl::Result<Vec<u8>> {
    // Bounded (16 MiB) and safe on a named pipe with no writer; `-` is stdin.
    cfssl::input::read_file_or_stdin(source)
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
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&text).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", cfssl::Error::io("write", "/dev/stdout", &e));
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
            eprintln!("{e}");
            1
        }
    }
}
