//! The `cfssl` command line: Go-style flags and one file per subcommand.
pub mod flags;
