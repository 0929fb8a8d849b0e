//! Trees made with openssl, for the defects cfssl cannot make.

use crate::common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) fn openssl(cwd: &Path, args: &[&str]) {
    let mut cmd = clean_command(require_tool("openssl"));
    cmd.current_dir(cwd).args(args);
    let out = run_bounded(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "openssl {args:?}: {out}");
}

/// A tree made with openssl: roots, intermediates and leaves with exactly the
/// extensions a defect needs.
pub(super) struct Ossl<'a> {
    pub(super) dir: &'a Path,
}

impl Ossl<'_> {
    fn ext(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.join(format!("{name}.ext"));
        fs::write(&p, format!("[ext]\n{body}\n")).unwrap();
        p
    }

    /// A self-signed root `NAME.pem` / `NAME-key.pem` (ECDSA P-256).
    pub(super) fn root(&self, name: &str, ext: &str) {
        let e = self.ext(name, ext);
        let cnf = self.dir.join(format!("{name}.cnf"));
        fs::write(
            &cnf,
            format!(
                "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN={name}\n{}",
                fs::read_to_string(&e).unwrap()
            ),
        )
        .unwrap();
        openssl(
            self.dir,
            &[
                "req",
                "-x509",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "30",
                "-keyout",
                &format!("{name}-key.pem"),
                "-out",
                &format!("{name}.pem"),
                "-config",
                cnf.to_str().unwrap(),
                "-extensions",
                "ext",
            ],
        );
    }

    /// `NAME.pem` / `NAME-key.pem` issued by `ca` (a `CA.pem` / `CA-key.pem` pair in
    /// the same directory); `key` is an openssl `-newkey` argument.
    pub(super) fn issue(&self, name: &str, ca: &str, key: &str, ext: &str) {
        self.issue_with(name, ca, key, ext, &[]);
    }

    /// A key `NAME-key.pem` and a request `NAME.csr` for `/CN=NAME`.
    fn request(&self, name: &str, key: &str) -> String {
        let mut args = vec!["req", "-new", "-newkey", key];
        if key == "ec" {
            args.extend(["-pkeyopt", "ec_paramgen_curve:P-256"]);
        }
        let subj = format!("/CN={name}");
        let keyout = format!("{name}-key.pem");
        let csr = format!("{name}.csr");
        args.extend(["-nodes", "-subj", &subj, "-keyout", &keyout, "-out", &csr]);
        openssl(self.dir, &args);
        csr
    }

    /// [`Ossl::issue`] with more `openssl x509` options (`-sha1`).
    pub(super) fn issue_with(
        &self,
        name: &str,
        ca: &str,
        key: &str,
        ext: &str,
        x509_args: &[&str],
    ) {
        let e = self.ext(name, ext);
        let csr = self.request(name, key);
        let ca_pem = format!("{ca}.pem");
        let ca_key = format!("{ca}-key.pem");
        let out = format!("{name}.pem");
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            e.to_str().unwrap(),
            "-extensions",
            "ext",
            "-out",
            &out,
        ];
        args.extend(x509_args);
        openssl(self.dir, &args);
    }

    /// [`Ossl::issue`] valid from `start` to `end` (`YYYYMMDDHHMMSSZ`), through
    /// `openssl ca`: openssl 3.0's `x509 -req` only counts days from now, and cfssl
    /// refuses to issue what has already expired.
    pub(super) fn issue_dated(&self, name: &str, ca: &str, ext: &str, start: &str, end: &str) {
        let e = self.ext(name, ext);
        let csr = self.request(name, "ec");
        let db = self.dir.join(format!("{name}.db"));
        fs::create_dir_all(&db).unwrap();
        fs::write(db.join("index.txt"), "").unwrap();
        // Required by `openssl ca` even though -rand_serial picks the serial.
        fs::write(db.join("serial"), "01\n").unwrap();
        let cnf = db.join("ca.cnf");
        fs::write(
            &cnf,
            format!(
                "[ca]\ndefault_ca=dated\n[dated]\ndatabase={db}/index.txt\nserial={db}/serial\nnew_certs_dir={db}\n\
                 default_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n",
                db = db.display()
            ),
        )
        .unwrap();
        let out = format!("{name}.pem");
        openssl(
            self.dir,
            &[
                "ca",
                "-batch",
                "-notext",
                "-rand_serial",
                "-config",
                cnf.to_str().unwrap(),
                "-cert",
                &format!("{ca}.pem"),
                "-keyfile",
                &format!("{ca}-key.pem"),
                "-in",
                &csr,
                "-out",
                &out,
                "-startdate",
                start,
                "-enddate",
                end,
                "-extfile",
                e.to_str().unwrap(),
                "-extensions",
                "ext",
            ],
        );
    }
}

pub(super) const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash";
pub(super) const CLIENT_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid";

pub(super) fn cat(dir: &Path, out: &str, parts: &[&str]) {
    let mut all = Vec::new();
    for p in parts {
        all.extend(fs::read(dir.join(p)).unwrap_or_else(|e| panic!("{p}: {e}")));
    }
    fs::write(dir.join(out), all).unwrap();
}
