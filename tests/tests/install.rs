//! `make install` for real: the Makefile's own install recipe copies the binaries that
//! `make test` built (the directory of CFSSL_BIN; `-o build` keeps make from building
//! them again) into a temporary DESTDIR + PREFIX, and every installed program then runs
//! from there: its usage text, and one real command each (a CA made with `cfssl` and
//! split by `cfssljson`, read back by `cfssl-certinfo`, bundled by `mkbundle`, served
//! by `multirootca`, and a certificate database created by `cfssl-migrate` and read by
//! `cfssl`).

mod common;

use common::{
    cfssl_bin, clean_command, free_ports, loud, post_json, run_bounded, wait_for_port,
    workspace_root, ProcGuard,
};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// What `make install` installs, as the Makefile names them.
const PROGRAMS: [&str; 6] = [
    "cfssl",
    "cfssljson",
    "cfssl-certinfo",
    "mkbundle",
    "multirootca",
    "cfssl-migrate",
];

const PREFIX: &str = "/opt/cfssl-rs";

fn run(bin: &Path, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> common::Output {
    let mut cmd = clean_command(bin);
    cmd.current_dir(dir).args(args);
    let out = run_bounded(cmd, stdin, Duration::from_secs(60));
    assert!(out.success(), "{} {args:?}: {out}", bin.display());
    out
}

/// `make install` into `dest`, from the directory of the binaries under test; `None`
/// when that directory does not hold all of them (CFSSL_BIN pointing elsewhere).
fn make_install(dest: &Path) -> Option<PathBuf> {
    let built = cfssl_bin().parent().unwrap().to_path_buf();
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|p| !built.join(p).is_file())
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "SKIPPED: make install: {} lacks {missing:?} (run `make test` or `cargo build`)",
            built.display()
        );
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        loud(&msg);
        return None;
    }
    let make = common::require_tool("make");
    let mut cmd = clean_command(make);
    cmd.arg("-C")
        .arg(workspace_root())
        .args(["-o", "build", "install"])
        .arg(format!("DESTDIR={}", dest.display()))
        .arg(format!("PREFIX={PREFIX}"))
        .arg(format!("RELEASE_DIR={}", built.display()));
    let out = run_bounded(cmd, None, Duration::from_secs(120));
    assert!(out.success(), "make install: {out}");
    let bin = dest.join(PREFIX.trim_start_matches('/')).join("bin");
    for p in PROGRAMS {
        let installed = bin.join(p);
        let mode = std::fs::metadata(&installed)
            .unwrap_or_else(|e| panic!("{}: {e}", installed.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755, "{p}");
        assert!(
            std::fs::read(&installed).unwrap() == std::fs::read(built.join(p)).unwrap(),
            "{p} is not the built binary"
        );
    }
    Some(bin)
}

#[test]
fn make_install_installs_every_program_and_each_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(bin) = make_install(&tmp.path().join("dest")) else {
        return;
    };
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let exe = |p: &str| bin.join(p);

    for p in ["cfssl-certinfo", "mkbundle", "multirootca", "cfssljson"] {
        run(&exe(p), &work, &["-h"], None);
    }
    let version = run(&exe("cfssl"), &work, &["version"], None);
    assert!(version.stdout.starts_with("Version: 1.6.5\n"), "{version}");

    // cfssl + cfssljson: a CA, its key 0600.
    std::fs::write(
        work.join("csr.json"),
        r#"{"CN":"Install Test CA","key":{"algo":"ecdsa","size":256}}"#,
    )
    .unwrap();
    let ca = run(
        &exe("cfssl"),
        &work,
        &["gencert", "-initca", "csr.json"],
        None,
    );
    run(
        &exe("cfssljson"),
        &work,
        &["-bare", "ca"],
        Some(ca.stdout.as_bytes()),
    );
    let key_mode = std::fs::metadata(work.join("ca-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);

    // cfssl-certinfo reads it back.
    let info = run(&exe("cfssl-certinfo"), &work, &["-cert", "ca.pem"], None);
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["subject"]["common_name"], "Install Test CA", "{info}");

    // mkbundle bundles the directory holding it.
    std::fs::create_dir(work.join("cas")).unwrap();
    std::fs::copy(work.join("ca.pem"), work.join("cas/ca.pem")).unwrap();
    run(&exe("mkbundle"), &work, &["-f", "bundle.pem", "cas"], None);
    let ca_pem = std::fs::read_to_string(work.join("ca.pem")).unwrap();
    let bundle = std::fs::read_to_string(work.join("bundle.pem")).unwrap();
    assert_eq!(bundle.trim(), ca_pem.trim());

    // cfssl-migrate creates the tables `cfssl certinfo -serial` looks in.
    let db = work.join("certs.db");
    let db_json = serde_json::json!({"driver": "sqlite3", "data_source": db}).to_string();
    std::fs::write(work.join("db.json"), db_json).unwrap();
    run(
        &exe("cfssl-migrate"),
        &work,
        &["-db-config", "db.json"],
        None,
    );
    let mut cmd = clean_command(exe("cfssl"));
    cmd.current_dir(&work).args([
        "certinfo",
        "-db-config",
        "db.json",
        "-serial",
        "1",
        "-aki",
        "ab",
    ]);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert_eq!(out.status.and_then(|s| s.code()), Some(1), "{out}");
    assert!(out.stderr.contains("no certificate found"), "{out}");

    // multirootca serves the CA under its label.
    std::fs::write(
        work.join("roots.conf"),
        "[ main ]\nprivate = file://ca-key.pem\ncertificate = ca.pem\nconfig = cfg.json\n",
    )
    .unwrap();
    std::fs::write(
        work.join("cfg.json"),
        r#"{"signing":{"default":{"expiry":"1h","usages":["signing"]}}}"#,
    )
    .unwrap();
    let port = free_ports(1)[0];
    let mut cmd = clean_command(exe("multirootca"));
    cmd.current_dir(&work)
        .args(["-a", &format!("127.0.0.1:{port}"), "-roots", "roots.conf"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut server = ProcGuard::new("multirootca", cmd.spawn().unwrap());
    wait_for_port(&mut server, port);
    let (status, v) = post_json(port, "/api/v1/cfssl/info", r#"{"label":"main"}"#);
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["result"]["certificate"].as_str().unwrap().trim(),
        ca_pem.trim()
    );
}
