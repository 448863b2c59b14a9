#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-client ledger import` and `ap-client ledger list`: a snapshot opens
//! with the owner's identity only, and the listing shows only the sets the
//! given identities open.

mod common;

use std::path::Path;
use std::process::Command;

use ap_ledger::Ledger;
use ap_secret_codec::SetKey;
use ap_tests::succeeded as ok;
use common::{owner_and_stranger, set};

fn ap_client(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ap-client"));
    c.env("XDG_CONFIG_HOME", home.join("config"));
    c
}

#[test]
fn import_restores_the_ledger_and_list_shows_only_what_the_identity_opens() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (owner, owner_file, stranger_file) = owner_and_stranger(h);

    let ledger = Ledger::create(
        h.join("ledger").to_str().unwrap(),
        &[owner.to_public().to_string()],
    )
    .unwrap();
    ledger
        .record_set(set(1), &SetKey::generate().unwrap())
        .unwrap();
    ledger
        .record_set(set(2), &SetKey::generate().unwrap())
        .unwrap();
    let snap = h.join("snap.age");
    ledger.export(&snap, None).unwrap();

    // The stranger's identity opens nothing: one clear error line.
    let out = ap_client(h)
        .args(["ledger", "import"])
        .arg(&snap)
        .arg("-i")
        .arg(&stranger_file)
        .arg("--into")
        .arg(h.join("nope"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong identity"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let into = h.join("restored");
    ok(ap_client(h)
        .args(["ledger", "import"])
        .arg(&snap)
        .arg("-i")
        .arg(&owner_file)
        .arg("--into")
        .arg(&into)
        .output()
        .unwrap());
    let listed = ok(ap_client(h)
        .args(["ledger", "list", "--ledger"])
        .arg(&into)
        .arg("-i")
        .arg(&owner_file)
        .output()
        .unwrap());
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        listed.contains("set-1") && listed.contains("set-2"),
        "{listed}"
    );

    let out = ap_client(h)
        .args(["ledger", "list", "--ledger"])
        .arg(&into)
        .arg("-i")
        .arg(&stranger_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 of 2 sets are sealed to other identities")
    );
}
