//! `cfssl-migrate -db-config FILE`: creates or completes cfssl's certificate database
//! schema, as `goose up` with cfssl's migrations does (cfssl itself never creates its
//! tables). Thin: the work is `cfssl::certdb`.

use cfssl::cli::flags::{self, Flag, Outcome};

static FLAGS: &[Flag] = &[Flag::string(
    "db-config",
    "",
    "certificate db configuration file",
)];

const USAGE: &str = "Usage of cfssl-migrate:
\tcfssl-migrate -db-config config_file

Creates cfssl's certificate database tables (or adds what an older schema lacks),
recording each step in goose's goose_db_version table.

Flags:
";

fn run(args: &[String]) -> Result<String, String> {
    let parsed = match flags::parse(FLAGS, args).map_err(|e| e.to_string())? {
        Outcome::Help => return Err(format!("{USAGE}{}", flags::usage_lines(FLAGS))),
        Outcome::Parsed(p) => p,
    };
    if !parsed.positionals().is_empty() {
        return Err("cfssl-migrate takes no arguments".into());
    }
    let path = parsed.get_str("db-config");
    if path.is_empty() {
        return Err("need DB config file (provide with -db-config)".into());
    }
    let db = cfssl::certdb::open_config_file(path).map_err(|e| e.to_string())?;
    let version = db.migrate().map_err(|e| e.to_string())?;
    Ok(format!("schema version {version}\n"))
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match run(&args) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
