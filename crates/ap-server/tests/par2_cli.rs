//! `ap-server par2`: the sets it writes pass par2cmdline, and a memory
//! budget below the recovery size spills (and says so) without changing a
//! byte of the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::process::Command;

fn ap_server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ap-server"))
}

#[test]
fn par2_creates_sets_par2cmdline_verifies_and_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(dir.path().join("vol1.7z"), &data).unwrap();
    fs::write(dir.path().join("vol2.7z"), &data[..500_000]).unwrap();
    let out = ap_tests::run_ok(
        ap_server()
            .args([
                "par2",
                "vol1.7z",
                "vol2.7z",
                "--out",
                ".",
                "--name",
                "set",
                "--redundancy",
                "20",
                "--slice-size",
                "64K",
            ])
            .current_dir(dir.path()),
    );
    let line = String::from_utf8(out).unwrap();
    assert!(line.contains("recovery slices"), "{line}");
    ap_tests::run_ok(
        Command::new(ap_tests::par2cmdline())
            .args(["v", "-q", "set.par2"])
            .current_dir(dir.path()),
    );
    fs::remove_file(dir.path().join("vol2.7z")).unwrap();
    ap_tests::run_ok(
        Command::new(ap_tests::par2cmdline())
            .args(["r", "-q", "set.par2"])
            .current_dir(dir.path()),
    );
    assert_eq!(
        fs::read(dir.path().join("vol2.7z")).unwrap(),
        &data[..500_000]
    );

    // Same set under a 100 KiB budget: spilled, announced, identical.
    let small = dir.path().join("small");
    let out = ap_server()
        .args([
            "par2",
            "vol1.7z",
            "vol2.7z",
            "--out",
            "small",
            "--name",
            "set",
            "--redundancy",
            "20",
            "--slice-size",
            "64K",
            "--memory",
            "100K",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exceeded --memory"));
    for entry in fs::read_dir(&small).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            fs::read(small.join(&name)).unwrap(),
            fs::read(dir.path().join(&name)).unwrap(),
            "{name:?}"
        );
    }
}

#[test]
fn par2_rejects_bad_arguments_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a"), vec![1u8; 100_000]).unwrap();
    let out = ap_server()
        .args(["par2", "a", "--out", ".", "--slice-size", "2"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("ap-server: error:") && err.contains("multiple of 4"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}
