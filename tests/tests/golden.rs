//! The golden corpus: one test per folder of `tests/golden/cases/`, run with
//! the binaries in $CFSSL_BIN / $CFSSLJSON_BIN (default: target/release), and
//! $MULTIROOTCA_BIN / $MKBUNDLE_BIN (default: beside $CFSSL_BIN).
//!
//!     cargo test -p cfssl-tests --test golden -- gencert-
//!
//! GOLDEN_TIMEOUT_S changes the time one case may take (default 60 s).

use cfssl_tests::golden::{self, Binaries};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn binary(var: &str, default: &Path) -> Result<PathBuf, String> {
    let path = std::env::var_os(var).map_or_else(|| default.to_path_buf(), PathBuf::from);
    // the path is substituted textually in outputs, so it must be absolute
    let path = std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !path.is_file() {
        return Err(format!(
            "{} does not exist: run `cargo build --release` first, or set {var} to the binary",
            path.display()
        ));
    }
    if path.to_string_lossy().contains(' ') {
        return Err(format!(
            "{var}={}: the path must not contain spaces",
            path.display()
        ));
    }
    Ok(path)
}

fn binaries() -> Result<Binaries, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().unwrap_or(manifest);
    let release = workspace.join("target").join("release");
    let cfssl = binary("CFSSL_BIN", &release.join("cfssl"))?;
    // Beside $CFSSL_BIN unless given, as compare.py does; only the cases that use them
    // fail when they are missing.
    let beside = |var: &str, name: &str| -> Result<PathBuf, String> {
        let path = std::env::var_os(var).map_or_else(|| cfssl.with_file_name(name), PathBuf::from);
        std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    Ok(Binaries {
        multirootca: beside("MULTIROOTCA_BIN", "multirootca")?,
        mkbundle: beside("MKBUNDLE_BIN", "mkbundle")?,
        cfssljson: binary("CFSSLJSON_BIN", &release.join("cfssljson"))?,
        cfssl,
    })
}

fn run_one(case_dir: &Path, bins: &Binaries, timeout: Duration) -> Result<(), Failed> {
    let expected = golden::load_expected(case_dir)?;
    let run = golden::run_case(case_dir, bins, timeout)
        .map_err(|e| format!("could not run the case: {e}"))?;
    let problems = golden::compare(&expected, &golden::observe(&run, bins));
    if problems.is_empty() {
        return Ok(());
    }
    let name = case_dir.file_name().unwrap_or_default().to_string_lossy();
    Err(format!(
        "case {name}: {} difference(s) from the cfssl 1.6.5 recording\n  {}",
        problems.len(),
        problems.join("\n  ")
    )
    .into())
}

fn main() {
    let args = Arguments::from_args();
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join("cases");
    let timeout = Duration::from_secs(
        std::env::var("GOLDEN_TIMEOUT_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let mut names: Vec<String> = std::fs::read_dir(&cases_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", cases_dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("cmd").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let bins = std::sync::Arc::new(binaries());
    let trials = names
        .into_iter()
        .map(|name| {
            let dir = cases_dir.join(&name);
            let bins = bins.clone();
            // A case whose command is not built yet carries a PENDING file saying why: it
            // stays in the corpus and shows up as ignored instead of failing every run.
            let pending = dir.join("PENDING").is_file();
            Trial::test(name, move || match bins.as_ref() {
                Ok(b) => run_one(&dir, b, timeout),
                Err(e) => Err(e.clone().into()),
            })
            .with_ignored_flag(pending)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
