//! The ledger on object storage (feature `s3`): moto's S3-compatible server
//! (PyPI `moto` with flask, started on a free port) holds both tables; two
//! processes append at once, their commits made atomic by S3 conditional
//! writes (`If-None-Match: *`, which moto implements as AWS does), and
//! Python deltalake reads the rows back from the bucket.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use ap_ledger::Ledger;
use ap_tests::moto::{Moto, aws_env, set_aws_env};
use common::*;

const BUCKET: &str = "ap-ledger";

#[test]
fn two_processes_append_to_a_ledger_on_s3_and_python_deltalake_reads_it() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let env = aws_env(&moto);
    // SAFETY: this binary holds this one test, which has started no thread
    // of its own yet; nextest runs each test in its own process.
    unsafe { set_aws_env(&moto) };
    let location = format!("s3://{BUCKET}/ledger");
    let owner = Owner::new();
    Ledger::create(&location, &[owner.recipient()]).unwrap();

    const EACH: u32 = 40;
    let append = example("ledger-append");
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|p| {
            Command::new(&append)
                .args([location.as_str(), p, &EACH.to_string()])
                .envs(env.iter().map(|(k, v)| (k, v.as_str())))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let ledger = Ledger::open(&location).unwrap();
    let rows = ledger.sets(None).unwrap();
    let ids: BTreeSet<String> = rows.iter().map(|r| r.info.set_id.clone()).collect();
    assert_eq!(rows.len(), 2 * EACH as usize, "{ids:?}");
    assert_eq!(ids.len(), rows.len(), "a row was doubled");
    for p in ["a", "b"] {
        for i in 0..EACH {
            assert!(ids.contains(&format!("{p}-{i:04}")), "{p}-{i:04} was lost");
        }
    }
    assert_eq!(ledger.version().unwrap(), u64::from(2 * EACH));

    // Python deltalake, on the same bucket, sees the same rows.
    let python = ap_tests::python_module("deltalake");
    // os._exit: Python deltalake sometimes aborts in its thread-pool teardown
    // at interpreter exit ("terminate called without an active exception"),
    // after its work is done; seen in a CI run of this test.
    let script = format!(
        "import os\nfrom deltalake import DeltaTable\n\
         opts = {{'AWS_ENDPOINT_URL': os.environ['AWS_ENDPOINT_URL'], 'AWS_ALLOW_HTTP': 'true',\n\
         'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_REGION': 'us-east-1'}}\n\
         t = DeltaTable('{location}/sets', storage_options=opts)\n\
         ids = sorted(t.to_pyarrow_table(columns=['set_id']).column('set_id').to_pylist())\n\
         print(t.version(), len(ids), len(set(ids)), flush=True)\n\
         os._exit(0)\n"
    );
    let out = ap_tests::run_ok(
        Command::new(python)
            .arg("-c")
            .arg(script)
            .envs(env.iter().map(|(k, v)| (k, v.as_str()))),
    );
    let n = 2 * EACH;
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        format!("{n} {n} {n}")
    );
}
