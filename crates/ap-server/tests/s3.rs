//! `ap-server` built with `--features s3` on a ledger in a bucket of moto's
//! S3-compatible server, the way a user points it there: `AP_LEDGER` and the
//! usual `AWS_*` variables. `ledger init` creates the tables in the bucket,
//! `post` records its set there, `ledger list` shows it and `ledger export`
//! writes a snapshot that imports into a local ledger with the same set.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use ap_tests::moto::{Moto, aws_env};
use ap_tests::succeeded as ok;

const BUCKET: &str = "ap-cli";

fn ap_server(home: &Path, moto: &Moto, ledger: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ap-server"));
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("AP_LEDGER", ledger)
        .env_remove("AP_NNTP_PASSWORD")
        .envs(aws_env(moto));
    c
}

#[test]
fn init_post_list_and_export_with_the_ledger_in_a_bucket() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let ledger = format!("s3://{BUCKET}/ledger");
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let owner = age::x25519::Identity::generate();
    let recipient = owner.to_public().to_string();

    ok(ap_server(h, &moto, &ledger)
        .args(["ledger", "init", "--recipient", &recipient])
        .output()
        .unwrap());
    // Nothing of the ledger lands on local disk.
    assert!(!h.join("data/ap/ledger").exists());

    let folder = h.join("photos");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "to the bucket\n".repeat(2000)).unwrap();
    let secret = ok(ap_server(h, &moto, &ledger)
        .args(["post", "--title", "bucketed", "--recipient", &recipient])
        .arg(&folder)
        .output()
        .unwrap());
    let secret = secret.trim();

    let listed = ok(ap_server(h, &moto, &ledger)
        .args(["ledger", "list"])
        .output()
        .unwrap());
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("bucketed"), "{listed}");
    assert!(!listed.contains(secret), "the listing shows the secret");

    let snap = h.join("ledger.age");
    ok(ap_server(h, &moto, &ledger)
        .args(["ledger", "export", "--out"])
        .arg(&snap)
        .output()
        .unwrap());
    let ids: ap_secret_codec::recipients::Identities = vec![Box::new(owner.clone())];
    let into = h.join("restored");
    let back = ap_ledger::import(&snap, &ids, &into).unwrap();
    assert_eq!(back.version, 1);
    let rows = ap_ledger::Ledger::open(into.to_str().unwrap())
        .unwrap()
        .sets(None)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].info.title, "bucketed");
    assert_eq!(rows[0].info.secret, secret);
    let d = ap_secret_codec::open(secret, &ids).unwrap();
    assert_eq!(rows[0].open_key(&ids).unwrap().as_bytes(), d.key.as_bytes());
}
