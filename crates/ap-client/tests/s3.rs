//! `ap-client` built with `--features s3` listing a ledger that lives in a
//! bucket of moto's S3-compatible server, the way a user points it there:
//! `ledger list --ledger s3://...` and the usual `AWS_*` variables. The
//! owner's identity sees every set; a stranger's sees none and is told so.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use ap_ledger::Ledger;
use ap_secret_codec::SetKey;
use ap_tests::moto::{Moto, aws_env, set_aws_env};
use ap_tests::succeeded as ok;
use common::{owner_and_stranger, set};

const BUCKET: &str = "ap-client";

fn ap_client(home: &Path, moto: &Moto) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ap-client"));
    c.env("XDG_CONFIG_HOME", home.join("config"))
        .envs(aws_env(moto));
    c
}

#[test]
fn list_reads_a_ledger_in_a_bucket() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    // SAFETY: this binary holds this one test, which has started no thread
    // of its own yet; nextest runs each test in its own process.
    unsafe { set_aws_env(&moto) };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (owner, owner_file, stranger_file) = owner_and_stranger(h);

    let location = format!("s3://{BUCKET}/ledger");
    let ledger = Ledger::create(&location, &[owner.to_public().to_string()]).unwrap();
    for n in [1, 2] {
        ledger
            .record_set(set(n), &SetKey::generate().unwrap())
            .unwrap();
    }

    let listed = ok(ap_client(h, &moto)
        .args(["ledger", "list", "--ledger", &location, "-i"])
        .arg(&owner_file)
        .output()
        .unwrap());
    // One line per set, in no promised order.
    let mut lines: Vec<&str> = listed.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with("set-1") && lines[0].ends_with("title 1"),
        "{listed}"
    );
    assert!(
        lines[1].starts_with("set-2") && lines[1].ends_with("title 2"),
        "{listed}"
    );

    let out = ap_client(h, &moto)
        .args(["ledger", "list", "--ledger", &location, "-i"])
        .arg(&stranger_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 of 2 sets are sealed to other identities"),
        "{err}"
    );
}
