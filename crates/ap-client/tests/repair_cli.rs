//! `ap-client repair` on sets made by par2cmdline: complete, repaired, and
//! beyond repair, each with a clear exit status and one summary line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::process::Command;

fn ap_client() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ap-client"))
}

#[test]
fn repair_reports_fixes_and_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2246822519) >> 11) as u8)
        .collect();
    let b: Vec<u8> = a.iter().rev().copied().collect();
    fs::write(dir.path().join("a.7z"), &a).unwrap();
    fs::write(dir.path().join("b é.7z"), &b[..300_000]).unwrap();
    ap_tests::run_ok(
        Command::new(ap_tests::par2cmdline())
            .args([
                "c", "-q", "-q", "-s32768", "-r30", "set.par2", "a.7z", "b é.7z",
            ])
            .current_dir(dir.path()),
    );
    let index = dir.path().join("set.par2");
    let out = ap_tests::run_ok(ap_client().arg("repair").arg(&index));
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("all 2 files are complete")
    );

    fs::remove_file(dir.path().join("b é.7z")).unwrap();
    let mut damaged = a.clone();
    damaged[500_000..500_100].fill(0);
    fs::write(dir.path().join("a.7z"), &damaged).unwrap();
    let out = ap_client()
        .arg("repair")
        .arg("--verify-only")
        .arg(&index)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(fs::read(dir.path().join("a.7z")).unwrap(), damaged);
    let out = ap_tests::run_ok(ap_client().arg("repair").arg(&index));
    let line = String::from_utf8(out).unwrap();
    assert!(line.contains("repaired 2 of 2 files"), "{line}");
    assert_eq!(fs::read(dir.path().join("a.7z")).unwrap(), a);
    assert_eq!(fs::read(dir.path().join("b é.7z")).unwrap(), &b[..300_000]);

    // Too much damage: exit status 1 and a line that names the fix.
    fs::remove_file(dir.path().join("a.7z")).unwrap();
    let out = ap_client().arg("repair").arg(&index).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("ap-client: error:") && err.contains("fetch more .par2 volumes"),
        "{err}"
    );
}
