//! A ledger on disk holds no readable set key, and only the owner's
//! identity opens the sealed keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ap_ledger::{Error, Ledger};
use common::*;

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_file_of_the_ledger_holds_k_and_only_the_owner_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    let keys: Vec<_> = (0..5u8).map(key).collect();
    let sets: Vec<_> = (0..5u8)
        .map(|i| (set(u32::from(i)), &keys[usize::from(i)]))
        .collect();
    ledger.record_sets(&sets).unwrap();

    let mut all = Vec::new();
    files(dir.path(), &mut all);
    assert!(
        all.iter()
            .any(|p| p.extension().is_some_and(|e| e == "parquet"))
    );
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        for k in &keys {
            let raw = k.as_bytes();
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            assert!(
                !bytes.windows(32).any(|w| w == raw),
                "{} holds K",
                p.display()
            );
            assert!(
                !bytes.windows(hex.len()).any(|w| w == hex.as_bytes()),
                "{} holds K in hex",
                p.display()
            );
            // Not even half of it in a row.
            assert!(
                !bytes.windows(16).any(|w| w == &raw[..16]),
                "{}",
                p.display()
            );
        }
    }

    let rows = Ledger::open(loc(dir.path())).unwrap().sets(None).unwrap();
    for (row, k) in rows.iter().zip(&keys) {
        assert_eq!(
            row.open_key(&owner.identities()).unwrap().as_bytes(),
            k.as_bytes()
        );
        let stranger = Owner::new();
        let err = row.open_key(&stranger.identities()).unwrap_err();
        assert!(matches!(err, Error::WrongIdentity { .. }), "{err}");
        assert!(err.to_string().contains("wrong identity"), "{err}");
    }
}
