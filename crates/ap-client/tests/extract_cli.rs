#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-client extract` on volumes written by the archive library.

use std::path::Path;
use std::process::Command;

use ap_archive::{DirSink, Method, Password, WriteOptions, scan, write_archive};

fn make(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/ünïcode.txt"), "text ".repeat(50_000)).unwrap();
    std::fs::write(src.join("top"), b"top").unwrap();
    let out = dir.join("vols");
    std::fs::create_dir(&out).unwrap();
    let options = WriteOptions {
        method: Method::Lzma2,
        volume_size: 1000,
        ..WriteOptions::default()
    };
    let pw = Password::new("client password").unwrap();
    write_archive(
        &scan(&src).unwrap(),
        &pw,
        &options,
        DirSink::new(&out, "set"),
    )
    .unwrap();
    out.join("set.7z.001")
}

#[test]
fn extracts_and_refuses_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let first = make(dir.path());
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "client password\n").unwrap();
    let target = dir.path().join("target");
    let run = Command::new(env!("CARGO_BIN_EXE_ap-client"))
        .args([
            "extract",
            first.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ])
        .args(["--password-file", pw.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        std::fs::read(target.join("d/ünïcode.txt")).unwrap(),
        "text ".repeat(50_000).into_bytes()
    );
    assert_eq!(std::fs::read(target.join("top")).unwrap(), b"top");

    // Again into the same place: refuses to overwrite.
    let again = Command::new(env!("CARGO_BIN_EXE_ap-client"))
        .args([
            "extract",
            first.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ])
        .args(["--password-file", pw.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the password\n").unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_ap-client"))
        .args([
            "extract",
            first.to_str().unwrap(),
            "--out",
            dir.path().join("t2").to_str().unwrap(),
        ])
        .args(["--password-file", wrong.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8(run.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("wrong password"), "{err}");
}
