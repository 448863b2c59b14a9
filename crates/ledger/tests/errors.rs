//! A corrupt or foreign table, a newer schema, a wrong identity and a
//! snapshot from a newer format each give one clear error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use ap_ledger::{Error, Ledger};
use common::*;

fn python_table(path: &std::path::Path) {
    let python = ap_tests::python_module("deltalake");
    let script = "import sys, pyarrow as pa, deltalake\n\
                  deltalake.write_deltalake(sys.argv[1], pa.table({'x': [1, 2]}))\n\
                  import os; os._exit(0)\n";
    ap_tests::run_ok(Command::new(python).args(["-c", script, loc(path)]));
}

#[test]
fn missing_ledger_says_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = Ledger::open(loc(dir.path())).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("ap-server ledger init"), "{err}");
}

#[test]
fn corrupt_log_is_named_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    ledger.record_set(set(1), &key(1)).unwrap();
    let log = dir.path().join("sets/_delta_log/00000000000000000001.json");
    std::fs::write(&log, b"{\"add\": this is not json\n").unwrap();
    let err = Ledger::open(loc(dir.path())).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("is damaged"), "{err}");
}

#[test]
fn corrupt_data_file_is_named_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    ledger.record_set(set(1), &key(1)).unwrap();
    let data = std::fs::read_dir(dir.path().join("sets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    std::fs::write(&data, b"PAR1 garbage").unwrap();
    let err = ledger.sets(None).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("data file"), "{err}");
}

#[test]
fn foreign_delta_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    python_table(&dir.path().join("sets"));
    let err = Ledger::open(loc(dir.path())).unwrap_err();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not an ap ledger"), "{err}");
}

#[test]
fn newer_schema_version_asks_for_an_upgrade() {
    // A table as a future ap would write it: our table with the version
    // property raised (Python deltalake refuses to write unknown properties).
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    new_ledger(dir.path(), &owner);
    let log = dir.path().join("sets/_delta_log/00000000000000000000.json");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(r#""ap.schemaVersion":"1""#), "{text}");
    std::fs::write(
        &log,
        text.replace(r#""ap.schemaVersion":"1""#, r#""ap.schemaVersion":"2""#),
    )
    .unwrap();
    let err = Ledger::open(loc(dir.path())).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NewerVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade ap"), "{err}");
}

#[test]
fn wrong_identity_and_newer_snapshot_format_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(&dir.path().join("ledger"), &owner);
    ledger.record_set(set(1), &key(1)).unwrap();
    let snap = dir.path().join("ledger.age");
    ledger.export(&snap, None).unwrap();

    let stranger = Owner::new();
    let err = ap_ledger::import(&snap, &stranger.identities(), &dir.path().join("x")).unwrap_err();
    assert!(matches!(err, Error::WrongIdentity { .. }), "{err}");
    assert!(!dir.path().join("x").exists());

    // A snapshot from a newer ap: the same layout with format 2, made with
    // the peers (7zz and age) the way a future ap might.
    let stage = dir.path().join("stage");
    std::fs::create_dir_all(stage.join("sets")).unwrap();
    std::fs::write(stage.join("SNAPSHOT"), "ap-ledger-snapshot 2\nversion 1\n").unwrap();
    std::fs::write(stage.join("sets/part.bin"), "future").unwrap();
    let seven = dir.path().join("future.7z");
    ap_tests::run_ok(
        ap_tests::peer_command("7zz")
            .current_dir(&stage)
            .args(["a", "-t7z", "-m0=lzma2", "-mhe=on"])
            .arg(format!("-p{}", ap_ledger::SNAPSHOT_PASSWORD))
            .arg(&seven)
            .args(["SNAPSHOT", "sets"]),
    );
    let future = dir.path().join("future.age");
    ap_tests::run_ok(
        ap_tests::peer_command("age")
            .args(["-r", &owner.recipient(), "-o"])
            .arg(&future)
            .arg(&seven),
    );
    let err = ap_ledger::import(&future, &owner.identities(), &dir.path().join("y")).unwrap_err();
    assert!(matches!(err, Error::Snapshot { .. }), "{err}");
    assert!(err.to_string().contains("format 2 is newer"), "{err}");

    // Not a snapshot at all.
    let junk = dir.path().join("junk.age");
    std::fs::write(&junk, "hello").unwrap();
    let err = ap_ledger::import(&junk, &owner.identities(), &dir.path().join("z")).unwrap_err();
    assert!(
        err.to_string()
            .contains("not an age-encrypted ledger snapshot"),
        "{err}"
    );
}

/// An `s3://` ledger in a build without S3 support says how to get it,
/// rather than calling the table damaged.
#[cfg(not(feature = "s3"))]
#[test]
fn s3_location_without_the_feature_names_the_build_flag() {
    let err = ap_ledger::Ledger::open("s3://bucket/ledger").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("s3://bucket/ledger") && text.contains("--features s3"),
        "{text}"
    );
}
