#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-server archive` end to end: volumes on disk that 7-Zip extracts, a
//! generated password file only its owner can read, and one-line errors.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ap-server"))
}

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/empty")).unwrap();
    std::fs::write(root.join("notes.txt"), "a line of text\n".repeat(20_000)).unwrap();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect();
    std::fs::write(root.join("sub/noise.bin"), noise).unwrap();
    std::fs::write(root.join("sub/zero"), b"").unwrap();
}

fn extract_with_7zz(first: &Path, password: &str, out: &Path) {
    let mut cmd = Command::new(ap_tests::peer("7zz"));
    cmd.args([
        "x",
        "-bso0",
        &format!("-o{}", out.display()),
        first.to_str().unwrap(),
    ]);
    ap_tests::succeeded(ap_tests::run_with_stdin(cmd, &format!("{password}\n")));
}

fn same_files(a: &Path, b: &Path) {
    for rel in ["notes.txt", "sub/noise.bin", "sub/zero"] {
        assert_eq!(
            std::fs::read(a.join(rel)).unwrap(),
            std::fs::read(b.join(rel)).unwrap(),
            "{rel}"
        );
    }
    assert!(b.join("sub/empty").is_dir());
}

#[test]
fn archive_with_generated_password() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    let out = dir.path().join("out");
    let run = server()
        .args([
            "archive",
            src.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--volume-size",
            "100k",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.lines().count() >= 2,
        "expected several volumes: {stdout}"
    );
    assert!(stdout.lines().next().unwrap().ends_with("src.7z.001"));
    let pw_path = out.join("password");
    assert_eq!(
        std::fs::metadata(&pw_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let password = std::fs::read_to_string(&pw_path)
        .unwrap()
        .trim()
        .to_string();
    assert!(password.len() >= 32);
    // The secret is never printed.
    assert!(!String::from_utf8_lossy(&run.stderr).contains(&password));
    assert!(!stdout.contains(&password));
    let x = dir.path().join("x");
    extract_with_7zz(&out.join("src.7z.001"), &password, &x);
    same_files(&src, &x);
}

#[test]
fn archive_with_password_file_and_each_method() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "cli test password\n").unwrap();
    for method in ["copy", "lzma2", "auto"] {
        let out = dir.path().join(format!("out-{method}"));
        let run = server()
            .args([
                "archive",
                src.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args(["--method", method, "--level", "3", "--name", "set"])
            .args(["--password-file", pw.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!out.join("password").exists());
        let x = dir.path().join(format!("x-{method}"));
        extract_with_7zz(&out.join("set.7z.001"), "cli test password", &x);
        same_files(&src, &x);
    }
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = server()
        .args([
            "archive",
            "/nonexistent/dir",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8(run.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("ap-server: error: "), "{err}");
    let run = server()
        .args([
            "archive",
            dir.path().to_str().unwrap(),
            "--out",
            "x",
            "--volume-size",
            "12q",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(run.stderr)
            .unwrap()
            .contains("volume-size")
    );
}
