//! Command-line flags with the semantics of Go's `flag` package, which cfssl and
//! cfssljson use and which scripts such as etcd's tls-setup Makefile rely on.
//!
//! Clap alone cannot read these command lines: Go flags are long names behind a single
//! dash, so clap reads `-initca` as the short flags `-i -n -i -t -c -a`; Go booleans
//! take a value only as `-initca=false` (a following `false` is a positional); the first
//! positional ends flag parsing; and the error texts users see are Go's. So a small pass
//! below walks the arguments exactly as `flag.FlagSet.Parse` does, validates values with
//! Go's syntax and errors, and hands clap a normalized `--name=value ... -- positionals`
//! line built from the same table; clap then stores the typed values.

use crate::gojson::go_quote;
use crate::{Error, Result};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    String,
    Int,
    /// Stored as the text given; the value was checked against Go's duration syntax.
    Duration,
    /// A string flag that may be repeated, every value kept in order (cfssl-rs's own
    /// `check` command; Go's `flag.Value` slices behave this way).
    List,
}

/// One declared flag. `default` is the text Go would show in usage (`false`, `1`, `""`
/// is the empty string, `168h0m0s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub usage: &'static str,
}

impl Flag {
    pub const fn bool(name: &'static str, default: &'static str, usage: &'static str) -> Self {
        Flag {
            name,
            kind: Kind::Bool,
            default,
            usage,
        }
    }
    pub const fn string(name: &'static str, default: &'static str, usage: &'static str) -> Self {
        Flag {
            name,
            kind: Kind::String,
            default,
            usage,
        }
    }
    pub const fn int(name: &'static str, default: &'static str, usage: &'static str) -> Self {
        Flag {
            name,
            kind: Kind::Int,
            default,
            usage,
        }
    }
    pub const fn duration(name: &'static str, default: &'static str, usage: &'static str) -> Self {
        Flag {
            name,
            kind: Kind::Duration,
            default,
            usage,
        }
    }
    pub const fn list(name: &'static str, usage: &'static str) -> Self {
        Flag {
            name,
            kind: Kind::List,
            default: "",
            usage,
        }
    }
}

/// What a command line asked for. `-h`, `-help` and `--help` (when not declared) ask for
/// the usage, which Go prints with exit status 0.
#[derive(Debug)]
pub enum Outcome {
    Parsed(Parsed),
    Help,
}

/// The parsed values; flags not given hold their declared default.
#[derive(Debug)]
pub struct Parsed {
    matches: ArgMatches,
    positionals: Vec<String>,
}

/// Clap ids are free text; a NUL keeps this one from ever colliding with a flag name.
const POSITIONALS: &str = "\0positionals";

impl Parsed {
    pub fn get_str(&self, name: &str) -> &str {
        match self.matches.try_get_one::<String>(name) {
            Ok(Some(v)) => v,
            _ => "",
        }
    }

    pub fn get_bool(&self, name: &str) -> bool {
        matches!(self.matches.try_get_one::<bool>(name), Ok(Some(true)))
    }

    /// Every value of a repeatable flag, in command-line order.
    pub fn get_list(&self, name: &str) -> Vec<String> {
        match self.matches.try_get_many::<String>(name) {
            Ok(Some(v)) => v.cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn get_int(&self, name: &str) -> i64 {
        match self.matches.try_get_one::<i64>(name) {
            Ok(Some(v)) => *v,
            _ => 0,
        }
    }

    /// The arguments after the flags, in order.
    pub fn positionals(&self) -> &[String] {
        &self.positionals
    }

    /// Whether the flag was given on the command line (even with its default value).
    pub fn is_set(&self, name: &str) -> bool {
        self.matches.value_source(name) == Some(ValueSource::CommandLine)
    }
}

/// Parses `args` (everything after the program or command name) against `table`.
/// An `Err` is a usage error whose text is Go's; the caller prints it with the usage and
/// exits 2.
pub fn parse(table: &[Flag], args: &[String]) -> Result<Outcome> {
    let mut normalized: Vec<String> = Vec::with_capacity(args.len() + 1);
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let bytes = arg.as_bytes();
        if bytes.len() < 2 || bytes[0] != b'-' {
            break;
        }
        let minuses = if bytes[1] == b'-' {
            if bytes.len() == 2 {
                i += 1;
                break;
            }
            2
        } else {
            1
        };
        let spec = &arg[minuses..];
        if spec.is_empty() || spec.starts_with('-') || spec.starts_with('=') {
            return Err(Error::plain(format!("bad flag syntax: {arg}")));
        }
        i += 1;
        // Go looks for `=` from the second byte on, so a name is never empty.
        let (name, inline) = match spec.bytes().skip(1).position(|b| b == b'=') {
            Some(p) => (&spec[..p + 1], Some(&spec[p + 2..])),
            None => (spec, None),
        };
        let Some(flag) = table.iter().find(|f| f.name == name) else {
            if name == "help" || name == "h" {
                return Ok(Outcome::Help);
            }
            return Err(Error::plain(format!(
                "flag provided but not defined: -{name}"
            )));
        };
        let canonical = if flag.kind == Kind::Bool {
            match inline {
                None => "true".to_string(),
                Some(v) => go_parse_bool(v)
                    .ok_or_else(|| {
                        Error::plain(format!(
                            "invalid boolean value {} for -{name}: parse error",
                            go_quote(v)
                        ))
                    })?
                    .to_string(),
            }
        } else {
            let value = match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| Error::plain(format!("flag needs an argument: -{name}")))?;
                    i += 1;
                    v.as_str()
                }
            };
            canonical_value(flag.kind, value).map_err(|reason| {
                Error::plain(format!(
                    "invalid value {} for flag -{name}: {reason}",
                    go_quote(value)
                ))
            })?
        };
        normalized.push(format!("--{name}={canonical}"));
    }
    normalized.push("--".into());
    normalized.extend(args[i..].iter().cloned());

    let matches = command(table)?
        .try_get_matches_from(normalized)
        .map_err(|e| Error::plain(e.to_string()))?;
    let positionals = match matches.try_get_many::<String>(POSITIONALS) {
        Ok(Some(values)) => values.cloned().collect(),
        _ => Vec::new(),
    };
    Ok(Outcome::Parsed(Parsed {
        matches,
        positionals,
    }))
}

fn command(table: &[Flag]) -> Result<Command> {
    let mut cmd = Command::new("cfssl")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        // Go keeps the last value of a repeated flag.
        .args_override_self(true);
    for flag in table {
        if flag.kind == Kind::List {
            cmd = cmd.arg(
                Arg::new(flag.name)
                    .long(flag.name)
                    .num_args(1)
                    .action(ArgAction::Append)
                    .value_parser(clap::value_parser!(String)),
            );
            continue;
        }
        // Clap keeps defaults as `&'static str`, so the declared text must already be in
        // the form its typed parsers read (a boolean is mapped onto one of two literals).
        let default = match canonical_value(flag.kind, flag.default).as_deref() {
            Ok("true") if flag.kind == Kind::Bool => "true",
            Ok("false") if flag.kind == Kind::Bool => "false",
            Ok(c) if c == flag.default => flag.default,
            _ => {
                return Err(Error::plain(format!(
                    "invalid default {} for flag -{}",
                    go_quote(flag.default),
                    flag.name
                )))
            }
        };
        let arg = Arg::new(flag.name)
            .long(flag.name)
            .num_args(1)
            .action(ArgAction::Set)
            .default_value(default);
        cmd = cmd.arg(match flag.kind {
            Kind::Bool => arg.value_parser(clap::value_parser!(bool)),
            Kind::Int => arg.value_parser(clap::value_parser!(i64)),
            Kind::String | Kind::Duration | Kind::List => {
                arg.value_parser(clap::value_parser!(String))
            }
        });
    }
    Ok(cmd.arg(
        Arg::new(POSITIONALS)
            .num_args(0..)
            .action(ArgAction::Append)
            .value_parser(clap::value_parser!(String)),
    ))
}

/// The value in the form clap's typed parsers read, or Go's reason for rejecting it.
fn canonical_value(kind: Kind, value: &str) -> std::result::Result<String, &'static str> {
    match kind {
        Kind::Bool => go_parse_bool(value)
            .map(|b| b.to_string())
            .ok_or("parse error"),
        Kind::Int => go_parse_int(value).map(|n| n.to_string()),
        Kind::Duration => {
            if go_duration_ok(value) {
                Ok(value.to_string())
            } else {
                Err("parse error")
            }
        }
        Kind::String | Kind::List => Ok(value.to_string()),
    }
}

/// `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0` bases, `_`
/// between digits. Errors carry the text Go's flag package prints.
fn go_parse_int(s0: &str) -> std::result::Result<i64, &'static str> {
    const SYNTAX: &str = "parse error";
    const RANGE: &str = "value out of range";
    let (negative, unsigned) = match s0.as_bytes().first() {
        Some(b'-') => (true, &s0[1..]),
        Some(b'+') => (false, &s0[1..]),
        _ => (false, s0),
    };
    let b = unsigned.as_bytes();
    if b.is_empty() {
        return Err(SYNTAX);
    }
    let (base, digits): (u32, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            c if c.is_ascii_alphabetic() => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return Err(SYNTAX),
        };
        if d >= base {
            return Err(SYNTAX);
        }
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(RANGE)?;
    }
    if underscores && !go_underscores_ok(unsigned) {
        return Err(SYNTAX);
    }
    if negative {
        match n {
            0..=0x7fff_ffff_ffff_ffff => Ok(-(n as i64)),
            0x8000_0000_0000_0000 => Ok(i64::MIN),
            _ => Err(RANGE),
        }
    } else {
        i64::try_from(n).map_err(|_| RANGE)
    }
}

/// Go's `underscoreOK`: an underscore must sit between digits (a base prefix counts as
/// a digit).
fn go_underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// `time.ParseDuration` acceptance: `[-+]?(digits[.digits]unit)+` or `0`, units ns, us,
/// µs, μs, ms, s, m, h, and a total that fits in an int64 of nanoseconds.
fn go_duration_ok(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
            if int_len == 0 && frac_len == 0 {
                return false;
            }
        } else if int_len == 0 {
            return false;
        }
        let unit_len = rest
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let nanos_per_unit: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return false,
        };
        rest = &rest[unit_len..];
        let number: f64 = format!(
            "{}.{}0",
            if int_part.is_empty() { "0" } else { int_part },
            frac_part
        )
        .parse()
        .unwrap_or(f64::INFINITY);
        total += number * nanos_per_unit;
    }
    // Go's limits are 2^63-1 ns, or 2^63 for a negative duration; in f64 both are 2^63.
    total <= i64::MAX as f64
}

/// Flag handling for a standalone program (cfssljson, mkbundle, cfssl-certinfo) that
/// uses Go's `flag.Parse` with `ExitOnError`: `-h` prints the usage and exits 0, a bad
/// flag prints the error and the usage and exits 2. `Err` holds that exit status.
pub fn parse_program(
    table: &[Flag],
    args: &[String],
    usage: impl Fn() -> String,
) -> std::result::Result<Parsed, i32> {
    match parse(table, args) {
        Ok(Outcome::Parsed(p)) => Ok(p),
        Ok(Outcome::Help) => {
            crate::output::write_stderr(&usage());
            Err(0)
        }
        Err(e) => {
            crate::output::write_stderr(&format!("{e}\n{}", usage()));
            Err(2)
        }
    }
}

/// cfssl's own usage list: one `  -<name>=<default>: <usage>` line per flag, in the
/// order given; an empty default shows as `""`.
pub fn usage_lines<'a>(flags: impl IntoIterator<Item = &'a Flag>) -> String {
    let mut out = String::new();
    for f in flags {
        let default = if f.default.is_empty() {
            "\"\""
        } else {
            f.default
        };
        out.push_str(&format!("  -{}={}: {}\n", f.name, default, f.usage));
    }
    out
}

/// Go's `flag.PrintDefaults` (what a program using the standard `flag.Parse` shows for
/// `-h`): flags sorted by name, the type name after the flag, usage on the next line
/// behind four spaces and a tab (same line for one-letter booleans), and the default
/// when it is not the type's zero value.
pub fn go_print_defaults(table: &[Flag]) -> String {
    let mut flags: Vec<&Flag> = table.iter().collect();
    flags.sort_by_key(|f| f.name);
    let mut out = String::new();
    for f in flags {
        let (type_name, usage) = unquote_usage(f);
        let mut line = format!("  -{}", f.name);
        if !type_name.is_empty() {
            line.push(' ');
            line.push_str(&type_name);
        }
        line.push_str(if line.len() <= 4 { "\t" } else { "\n    \t" });
        line.push_str(&usage.replace('\n', "\n    \t"));
        let zero = match f.kind {
            Kind::Bool => "false",
            Kind::String | Kind::List => "",
            Kind::Int => "0",
            Kind::Duration => "0s",
        };
        if f.default != zero {
            if f.kind == Kind::String {
                line.push_str(&format!(" (default {})", go_quote(f.default)));
            } else {
                line.push_str(&format!(" (default {})", f.default));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Go's `flag.UnquoteUsage`: a back-quoted word in the usage names the value.
fn unquote_usage(f: &Flag) -> (String, String) {
    if let Some(start) = f.usage.find('`') {
        if let Some(len) = f.usage[start + 1..].find('`') {
            let name = &f.usage[start + 1..start + 1 + len];
            let usage = format!(
                "{}{}{}",
                &f.usage[..start],
                name,
                &f.usage[start + 2 + len..]
            );
            return (name.to_string(), usage);
        }
    }
    let type_name = match f.kind {
        Kind::Bool => "",
        Kind::String | Kind::List => "string",
        Kind::Int => "int",
        Kind::Duration => "duration",
    };
    (type_name.to_string(), f.usage.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Flag] = &[
        Flag::bool("initca", "false", "initialise new CA"),
        Flag::string("ca", "", "CA used to sign the new certificate"),
        Flag::string("f", "-", "JSON input"),
        Flag::int("loglevel", "1", "Log level (0 = DEBUG, 5 = FATAL)"),
        Flag::duration(
            "expiry",
            "168h0m0s",
            "time from now after which the CRL will expire",
        ),
    ];

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn ok(a: &[&str]) -> Parsed {
        match parse(TABLE, &args(a)) {
            Ok(Outcome::Parsed(p)) => p,
            other => panic!("{a:?}: {other:?}"),
        }
    }

    fn err(a: &[&str]) -> String {
        match parse(TABLE, &args(a)) {
            Err(e) => e.to_string(),
            other => panic!("{a:?}: {other:?}"),
        }
    }

    #[test]
    fn all_four_value_forms() {
        for form in [
            &["-ca", "x.pem"][..],
            &["-ca=x.pem"],
            &["--ca", "x.pem"],
            &["--ca=x.pem"],
        ] {
            let p = ok(form);
            assert_eq!(p.get_str("ca"), "x.pem", "{form:?}");
            assert!(p.is_set("ca"));
            assert!(p.positionals().is_empty());
        }
    }

    #[test]
    fn defaults_when_absent() {
        let p = ok(&[]);
        assert_eq!(p.get_str("ca"), "");
        assert_eq!(p.get_str("f"), "-");
        assert_eq!(p.get_int("loglevel"), 1);
        assert_eq!(p.get_str("expiry"), "168h0m0s");
        assert!(!p.get_bool("initca"));
        assert!(!p.is_set("ca") && !p.is_set("initca"));
    }

    #[test]
    fn values_may_look_like_flags_or_be_empty() {
        let p = ok(&["-ca", "-initca", "x"]);
        assert_eq!(p.get_str("ca"), "-initca");
        assert!(!p.get_bool("initca"));
        assert_eq!(p.positionals(), ["x"]);
        assert_eq!(ok(&["-ca="]).get_str("ca"), "");
        assert_eq!(ok(&["-ca=a=b"]).get_str("ca"), "a=b");
    }

    #[test]
    fn booleans_take_a_value_only_with_equals() {
        assert!(ok(&["-initca"]).get_bool("initca"));
        assert!(ok(&["--initca=true"]).get_bool("initca"));
        for t in ["1", "t", "T", "TRUE", "True"] {
            assert!(ok(&[&format!("-initca={t}")]).get_bool("initca"));
        }
        let p = ok(&["-initca=false"]);
        assert!(!p.get_bool("initca") && p.is_set("initca"));
        let p = ok(&["-initca", "false"]);
        assert!(p.get_bool("initca"));
        assert_eq!(p.positionals(), ["false"]);
    }

    #[test]
    fn parsing_stops_at_first_positional_or_double_dash() {
        let p = ok(&["-initca", "csr.json", "-ca", "x"]);
        assert_eq!(p.positionals(), ["csr.json", "-ca", "x"]);
        assert_eq!(p.get_str("ca"), "");
        let p = ok(&["--", "-initca"]);
        assert!(!p.get_bool("initca"));
        assert_eq!(p.positionals(), ["-initca"]);
        let p = ok(&["-", "-initca"]);
        assert_eq!(p.positionals(), ["-", "-initca"]);
        assert_eq!(ok(&["-ca", "a", "--", "--"]).positionals(), ["--"]);
        assert_eq!(ok(&["x", "--", "-y"]).positionals(), ["x", "--", "-y"]);
    }

    #[test]
    fn last_repeated_value_wins() {
        assert_eq!(ok(&["-ca", "a", "-ca=b"]).get_str("ca"), "b");
        assert_eq!(
            ok(&["-loglevel=3", "-loglevel", "0"]).get_int("loglevel"),
            0
        );
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(err(&["-X"]), "flag provided but not defined: -X");
        assert_eq!(err(&["--bogus=1"]), "flag provided but not defined: -bogus");
        assert_eq!(err(&["-ca"]), "flag needs an argument: -ca");
        assert_eq!(
            err(&["-initca=maybe"]),
            "invalid boolean value \"maybe\" for -initca: parse error"
        );
        assert_eq!(
            err(&["-initca="]),
            "invalid boolean value \"\" for -initca: parse error"
        );
        assert_eq!(
            err(&["-loglevel=abc"]),
            "invalid value \"abc\" for flag -loglevel: parse error"
        );
        assert_eq!(
            err(&["-loglevel", "99999999999999999999"]),
            "invalid value \"99999999999999999999\" for flag -loglevel: value out of range"
        );
        assert_eq!(
            err(&["-expiry", "5 days"]),
            "invalid value \"5 days\" for flag -expiry: parse error"
        );
        assert_eq!(err(&["---x"]), "bad flag syntax: ---x");
        assert_eq!(err(&["-=x"]), "bad flag syntax: -=x");
        assert_eq!(
            err(&["-loglevel", "a\tb\u{1}"]),
            "invalid value \"a\\tb\\x01\" for flag -loglevel: parse error"
        );
    }

    #[test]
    fn undeclarable_defaults_are_errors_not_panics() {
        let table = [Flag::int("n", "0x10", "")];
        assert_eq!(
            parse(&table, &[]).unwrap_err().to_string(),
            "invalid default \"0x10\" for flag -n"
        );
    }

    #[test]
    fn help_is_its_own_outcome() {
        for h in ["-h", "-help", "--help", "--h", "-help=1"] {
            assert!(
                matches!(parse(TABLE, &args(&[h])), Ok(Outcome::Help)),
                "{h}"
            );
        }
        // a declared `h` is an ordinary flag
        let table = [Flag::bool("h", "false", "")];
        assert!(matches!(
            parse(&table, &args(&["-h"])),
            Ok(Outcome::Parsed(_))
        ));
    }

    #[test]
    fn go_integer_syntax() {
        for (text, n) in [
            ("0x10", 16),
            ("0X1f", 31),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("-5", -5),
            ("+7", 7),
            ("1_000", 1000),
            ("0x_ff", 255),
            ("0", 0),
            ("-9223372036854775808", i64::MIN),
            ("9223372036854775807", i64::MAX),
        ] {
            assert_eq!(go_parse_int(text), Ok(n), "{text}");
        }
        for bad in [
            "", "-", "0x", "08", "1__0", "_1", "1_", "1.5", "0b2", "abc", "1e3",
        ] {
            assert_eq!(go_parse_int(bad), Err("parse error"), "{bad}");
        }
        assert_eq!(
            go_parse_int("9223372036854775808"),
            Err("value out of range")
        );
        assert_eq!(
            go_parse_int("-9223372036854775809"),
            Err("value out of range")
        );
        assert_eq!(ok(&["-loglevel", "0x2"]).get_int("loglevel"), 2);
    }

    #[test]
    fn go_duration_syntax() {
        for good in [
            "0", "5m", "1h30m", "1.5h", ".5s", "3.s", "-2h", "+1us", "1µs", "2562047h",
        ] {
            assert!(go_duration_ok(good), "{good}");
        }
        for bad in [
            "",
            "5",
            "h",
            "1d",
            "1h30",
            ".s",
            "- 1h",
            "9999999999h",
            "1h 2m",
        ] {
            assert!(!go_duration_ok(bad), "{bad}");
        }
        assert_eq!(ok(&["-expiry=8760h"]).get_str("expiry"), "8760h");
    }

    #[test]
    fn cfssl_usage_lines_quote_only_empty_defaults() {
        assert_eq!(
            usage_lines(&TABLE[..2]),
            "  -initca=false: initialise new CA\n  -ca=\"\": CA used to sign the new certificate\n"
        );
        assert_eq!(
            usage_lines([&TABLE[3]]),
            "  -loglevel=1: Log level (0 = DEBUG, 5 = FATAL)\n"
        );
    }

    #[test]
    fn go_print_defaults_layout() {
        let table = [
            Flag::bool("bare", "false", "the response is bare"),
            Flag::string("f", "-", "JSON input"),
            Flag::bool("x", "false", "one letter"),
            Flag::int("n", "0", "a `count` of things"),
        ];
        assert_eq!(
            go_print_defaults(&table),
            "  -bare\n    \tthe response is bare\n  -f string\n    \tJSON input (default \"-\")\n  -n count\n    \ta count of things\n  -x\tone letter\n"
        );
    }
}
