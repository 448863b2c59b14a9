//! Cross-checks with JavaScript Hypercore 10 and 11 (npm peers installed by
//! `cargo xtask peers install`): they follow our seeder live and get our
//! SHA-256, and a JavaScript seeder feeds our client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};

use ap_hyperlog::{DiskLog, LedgerPublisher, LedgerSource, PublicKey, Seeder, Signer, TcpPeer};

const FOLLOW_JS: &str = include_str!("js/follow.js");
const SEED_JS: &str = include_str!("js/seed.js");

fn snapshot(len: usize, seed: u64) -> Vec<u8> {
    // Incompressible-looking bytes, like an age file.
    ap_tests::noise(seed, len)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(b))
}

struct Fixture {
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    log: DiskLog,
    port: u16,
}

fn seeded(first: &[u8]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let signer = Signer::load_or_create(&dir.path().join("ledger-log.key")).unwrap();
    let log = DiskLog::new(&dir.path().join("ledger-log"), signer).unwrap();
    let port = rt.block_on(async {
        log.publish(first, 1).await.unwrap();
        let seeder = Seeder::bind(log.dir(), "127.0.0.1:0").await.unwrap();
        let port = seeder.local_addr().unwrap().port();
        tokio::spawn(seeder.run(|_| {}));
        port
    });
    Fixture {
        _dir: dir,
        rt,
        log,
        port,
    }
}

fn follower(module: &str, port: u16, key: &PublicKey, until: u64) -> Child {
    ap_tests::node_module(module);
    ap_tests::node_script(FOLLOW_JS)
        .args([
            module,
            &port.to_string(),
            &key.to_string(),
            &until.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node")
}

fn line(reader: &mut impl BufRead) -> serde_json::Value {
    let mut l = String::new();
    reader.read_line(&mut l).unwrap();
    assert!(
        !l.is_empty(),
        "follow.js ended without a line (see its stderr)"
    );
    serde_json::from_str(&l).unwrap()
}

fn js_follows_live(module: &str) {
    let first = snapshot(300_000, 1);
    let second = snapshot(150_000, 2);
    let f = seeded(&first);
    let key = f.log.public_key();
    let mut child = follower(module, f.port, &key, 2);
    let mut out = BufReader::new(child.stdout.take().unwrap());

    let a = line(&mut out);
    assert_eq!(a["sequence"], 1);
    assert_eq!(
        a["got"],
        sha(&first),
        "{module} reassembled another snapshot"
    );
    assert_eq!(a["sha256"], sha(&first));
    assert_eq!(a["bytes"], first.len());
    assert_eq!(a["count"], 5);
    assert_eq!(a["largest"], 65536);

    // A second publish while the follower stays connected reaches it live.
    f.rt.block_on(f.log.publish(&second, 2)).unwrap();
    let b = line(&mut out);
    assert_eq!(b["sequence"], 2);
    assert_eq!(b["deltaVersion"], 2);
    assert_eq!(b["got"], sha(&second), "{module} missed the live publish");
    assert_eq!(b["first"], 6);
    assert!(child.wait().unwrap().success());
}

#[test]
fn hypercore10_follows_our_seeder_live() {
    js_follows_live("hypercore10");
}

#[test]
fn hypercore11_follows_our_seeder_live() {
    js_follows_live("hypercore11");
}

#[test]
fn hypercore10_gets_a_20_mb_snapshot() {
    let big = snapshot(20 * 1024 * 1024, 3);
    let f = seeded(&big);
    let key = f.log.public_key();
    let mut child = follower("hypercore10", f.port, &key, 1);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let a = line(&mut out);
    assert_eq!(a["got"], sha(&big));
    assert_eq!(a["count"], 320);
    assert!(child.wait().unwrap().success());
}

fn js_seeder_feeds_us(module: &str) {
    ap_tests::node_module(module);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.age");
    let data = snapshot(1_000_000, 4);
    std::fs::write(&file, &data).unwrap();
    let mut child = ap_tests::node_script(SEED_JS)
        .args([module, file.to_str().unwrap(), "9"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let ready = line(&mut BufReader::new(child.stdout.take().unwrap()));
    let key: PublicKey = ready["key"].as_str().unwrap().parse().unwrap();
    let addr = format!("127.0.0.1:{}", ready["port"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pulled = rt.block_on(TcpPeer::new(addr).fetch_latest(&key));
    child.stdin.take().unwrap().flush().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let pulled = pulled.unwrap_or_else(|e| panic!("pull from {module}: {e}"));
    assert_eq!(pulled.record.delta_version, 9);
    assert_eq!(pulled.record.block_count, 16);
    assert_eq!(sha(&pulled.snapshot), ready["sha256"].as_str().unwrap());
    assert_eq!(pulled.snapshot, data);
}

#[test]
fn hypercore10_seeder_feeds_our_client() {
    js_seeder_feeds_us("hypercore10");
}

#[test]
fn hypercore11_compat_seeder_feeds_our_client() {
    js_seeder_feeds_us("hypercore11");
}
