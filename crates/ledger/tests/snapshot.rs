//! An exported snapshot decrypts with the age CLI to a 7z that 7zz extracts
//! into a Delta table Python deltalake opens at the same version; our own
//! import gives a readable ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use ap_ledger::Ledger;
use common::*;

#[test]
fn snapshot_opens_with_age_7zz_and_python_deltalake_at_its_version() {
    let python = ap_tests::python_module("deltalake");
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(&dir.path().join("ledger"), &owner);
    for i in 0..3 {
        ledger.record_set(set(i), &key(i as u8)).unwrap();
    }
    // Version 2 of 3: two sets.
    let snap = dir.path().join("v2.age");
    let summary = ledger.export(&snap, Some(2)).unwrap();
    assert_eq!(summary.version, 2);
    let age_bytes = std::fs::read(&snap).unwrap();
    assert!(age_bytes.starts_with(b"age-encryption.org/v1\n"));

    let key_file = owner.identity_file(dir.path());
    let seven = dir.path().join("v2.7z");
    ap_tests::run_ok(
        ap_tests::peer_command("age")
            .args(["-d", "-i"])
            .arg(&key_file)
            .arg("-o")
            .arg(&seven)
            .arg(&snap),
    );
    let listing = String::from_utf8(ap_tests::run_ok(
        ap_tests::peer_command("7zz")
            .args(["l", "-slt"])
            .arg(format!("-p{}", ap_ledger::SNAPSHOT_PASSWORD))
            .arg(&seven),
    ))
    .unwrap();
    assert!(listing.contains("LZMA2"), "{listing}");
    let out = dir.path().join("extracted");
    ap_tests::run_ok(
        ap_tests::peer_command("7zz")
            .arg("x")
            .arg(format!("-p{}", ap_ledger::SNAPSHOT_PASSWORD))
            .arg(format!("-o{}", out.display()))
            .arg(&seven),
    );
    // os._exit: Python deltalake 1.6.6 sometimes aborts in its thread-pool
    // teardown at interpreter exit, after its work is done.
    let script = "import os, sys, deltalake\n\
                  dt = deltalake.DeltaTable(sys.argv[1])\n\
                  t = dt.to_pyarrow_table()\n\
                  print(dt.version(), ' '.join(sorted(t.column('set_id').to_pylist())), flush=True)\n\
                  os._exit(0)\n";
    let got = ap_tests::run_ok(Command::new(&python).args(["-c", script, loc(&out.join("sets"))]));
    assert_eq!(String::from_utf8(got).unwrap().trim(), "2 set-000 set-001");

    // Our import: a ledger that lists the same two sets and opens their keys.
    let into = dir.path().join("imported");
    let back = ap_ledger::import(&snap, &owner.identities(), &into).unwrap();
    assert_eq!(back.version, 2);
    let imported = Ledger::open(loc(&into)).unwrap();
    assert_eq!(imported.version().unwrap(), 2);
    let rows = imported.sets(None).unwrap();
    let mut ids: Vec<_> = rows.iter().map(|r| r.info.set_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["set-000", "set-001"]);
    for r in &rows {
        r.open_key(&owner.identities()).unwrap();
    }
    // The same sets as the source ledger had at version 2.
    let mut at2 = ledger.sets(Some(2)).unwrap();
    at2.sort_by(|a, b| a.info.set_id.cmp(&b.info.set_id));
    let mut rows = rows;
    rows.sort_by(|a, b| a.info.set_id.cmp(&b.info.set_id));
    assert_eq!(rows, at2);
}
