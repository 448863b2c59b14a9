//! An exported snapshot decrypts with the age CLI to a 7z that 7zz extracts
//! into Delta tables Python deltalake opens at the same versions (`sets` at
//! the one asked for, `jobs` as it stood then); our own import gives a
//! readable ledger.
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
    // sets v1, jobs v1 (queue a), sets v2, jobs v2 (queue b), sets v3.
    for i in 0..3 {
        ledger.record_set(set(i), &key(i as u8)).unwrap();
        // Time travel compares commit times in milliseconds, and the file
        // system's clock ticks coarser: a job queued in the same tick as a
        // sets commit counts as queued by then (docs/LEDGER.md).
        std::thread::sleep(std::time::Duration::from_millis(30));
        if i < 2 {
            ledger
                .queue_add(&dir.path().join(format!("queued-{i}")))
                .unwrap();
        }
    }
    // Version 2 of 3: two sets, and the one job queued before that commit.
    let snap = dir.path().join("v2.age");
    let summary = ledger.export(&snap, Some(2)).unwrap();
    assert_eq!(summary.version, 2);
    assert_eq!(summary.jobs_version, Some(1));
    assert_eq!(summary.versions(), "sets version 2, jobs version 1");
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
                  col = t.column(sys.argv[2]).to_pylist()\n\
                  print(dt.version(), ' '.join(sorted(os.path.basename(x) for x in col)), flush=True)\n\
                  os._exit(0)\n";
    let read = |table: &str, column: &str| {
        let path = out.join(table);
        let got = ap_tests::run_ok(Command::new(&python).args(["-c", script, loc(&path), column]));
        String::from_utf8(got).unwrap().trim().to_owned()
    };
    assert_eq!(read("sets", "set_id"), "2 set-000 set-001");
    assert_eq!(read("jobs", "source_dir"), "1 queued-0");

    // Our import: a ledger that lists the same two sets and opens their keys.
    let into = dir.path().join("imported");
    let back = ap_ledger::import(&snap, &owner.identities(), &into).unwrap();
    assert_eq!((back.version, back.jobs_version), (2, Some(1)));
    let imported = Ledger::open(loc(&into)).unwrap();
    assert_eq!(imported.version().unwrap(), 2);
    let jobs = imported.jobs().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert!(jobs[0].source_dir.ends_with("queued-0"), "{jobs:?}");
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

#[test]
fn latest_snapshot_carries_the_whole_queue() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(&dir.path().join("ledger"), &owner);
    ledger.record_set(set(0), &key(0)).unwrap();
    ledger.queue_add(&dir.path().join("a")).unwrap();
    ledger.queue_add(&dir.path().join("b")).unwrap();
    let snap = dir.path().join("latest.age");
    let summary = ledger.export(&snap, None).unwrap();
    assert_eq!((summary.version, summary.jobs_version), (1, Some(2)));
    let into = dir.path().join("imported");
    ap_ledger::import(&snap, &owner.identities(), &into).unwrap();
    let imported = Ledger::open(loc(&into)).unwrap();
    assert_eq!(imported.jobs().unwrap(), ledger.jobs().unwrap());
}
