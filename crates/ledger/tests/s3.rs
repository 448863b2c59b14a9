//! The ledger on object storage (feature `s3`): moto's S3-compatible server
//! (PyPI `moto` with flask, started on a free port) holds both tables; two
//! processes append at once, their commits made atomic by S3 conditional
//! writes (`If-None-Match: *`, which moto implements as AWS does), and
//! Python deltalake reads the rows back from the bucket.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ap_ledger::Ledger;
use common::*;

const BUCKET: &str = "ap-ledger";

/// A moto server; killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let python = ap_tests::python_module("moto.server");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto { child, port };
        let up = (0..150).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "moto did not listen on 127.0.0.1:{port} within 30 s");
        moto
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (moto takes unsigned requests).
    fn create_bucket(&self, name: &str) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 200"),
            "creating the bucket: {reply}"
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `AWS_*` variables that point delta-rs (here and in the child
/// processes) and Python deltalake at moto.
fn aws_env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

#[test]
fn two_processes_append_to_a_ledger_on_s3_and_python_deltalake_reads_it() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let env = aws_env(&moto);
    for (k, v) in &env {
        // SAFETY: this binary holds this one test and sets the variables
        // before it starts any thread of its own; nextest runs each test in
        // its own process.
        unsafe { std::env::set_var(k, v) };
    }
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
