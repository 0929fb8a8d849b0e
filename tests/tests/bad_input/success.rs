//! What a successful run leaves behind: replaced symlinks, key modes, large outputs.

use super::case::{Case, Tool};
use super::run::list_dir;
use std::fs;
use std::os::unix::fs::PermissionsExt;

pub(super) fn success_cases() -> Vec<Case> {
    vec![
        Case::new(
            "cfssljson/symlink-at-key-path-replaced",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| {
            fs::write(d.join("victim"), "precious").unwrap();
            fs::set_permissions(d.join("victim"), fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::symlink(d.join("victim"), d.join("out-key.pem")).unwrap();
            std::os::unix::fs::symlink(d.join("victim2"), d.join("out.pem")).unwrap();
        })
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .success()
        .check(|d| {
            assert_eq!(
                fs::read(d.join("victim")).unwrap(),
                b"precious",
                "link target was written"
            );
            assert!(
                !d.join("victim2").exists(),
                "dangling link target was created"
            );
            let m = fs::symlink_metadata(d.join("out-key.pem")).unwrap();
            assert!(m.file_type().is_file(), "out-key.pem is still a link");
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::read(d.join("out-key.pem")).unwrap(), b"K");
            assert!(fs::symlink_metadata(d.join("out.pem"))
                .unwrap()
                .file_type()
                .is_file());
            assert_eq!(
                fs::metadata(d.join("victim")).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }),
        Case::new(
            "cfssljson/loose-existing-key-becomes-0600",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .setup(|d| {
            fs::write(d.join("out-key.pem"), "old key").unwrap();
            fs::set_permissions(d.join("out-key.pem"), fs::Permissions::from_mode(0o644)).unwrap();
            fs::write(d.join("out-key.enc"), "old").unwrap();
            fs::set_permissions(d.join("out-key.enc"), fs::Permissions::from_mode(0o666)).unwrap();
        })
        .stdin(br#"{"cert":"C","key":"NEW","encrypted_key":"E"}"#.to_vec())
        .success()
        .check(|d| {
            let mode = |n: &str| fs::metadata(d.join(n)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode("out-key.pem"), 0o600);
            assert_eq!(mode("out-key.enc"), 0o600);
            assert_eq!(fs::read(d.join("out-key.pem")).unwrap(), b"NEW");
        }),
        Case::new(
            "cfssljson/new-key-is-0600-under-umask-0",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(br#"{"cert":"C","key":"K"}"#.to_vec())
        .success()
        .check(|d| {
            let m = fs::metadata(d.join("out-key.pem"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(m, 0o600);
            let left: Vec<_> = list_dir(d)
                .into_iter()
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            assert!(left.is_empty(), "temporary files left: {left:?}");
        }),
        Case::new(
            "cfssljson/huge-value-1MiB",
            Tool::Cfssljson,
            &["-bare", "out"],
        )
        .stdin(format!(r#"{{"cert":"{}"}}"#, "A".repeat(1 << 20)).into_bytes())
        .success()
        .check(|d| assert_eq!(fs::metadata(d.join("out.pem")).unwrap().len(), 1 << 20)),
    ]
}
