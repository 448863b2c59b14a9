//! Each failure a follower or the owner can meet gives one error naming
//! the problem: a tampered block (by index), a wrong key, an unreachable
//! peer, a log from another writer, a signing key in the log folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ap_hyperlog::{DiskLog, Error, LedgerPublisher, PublicKey, Seeder, Signer, TcpPeer};
use hypercore::{HypercoreBuilder, PartialKeypair, Storage};

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

async fn serve(dir: &Path) -> String {
    let seeder = Seeder::bind(dir, "127.0.0.1:0").await.unwrap();
    let addr = seeder.local_addr().unwrap().to_string();
    tokio::spawn(seeder.run(|_| {}));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_mb_round_trip_and_second_publish() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::load_or_create(&dir.path().join("log.key")).unwrap();
    let log = DiskLog::new(&dir.path().join("log"), signer).unwrap();
    let big = bytes(20 * 1024 * 1024 + 17);
    let r = log.publish(&big, 4).await.unwrap();
    assert_eq!((r.sequence, r.first_block, r.block_count), (1, 0, 321));
    let addr = serve(log.dir()).await;
    let pulled = TcpPeer::new(&addr).pull(&log.public_key()).await.unwrap();
    assert_eq!(pulled.record, r);
    assert!(pulled.snapshot == big, "20 MB snapshot differs");

    // The same seeder serves a later publish (it follows the folder).
    let small = bytes(1000);
    let r2 = log.publish(&small, 5).await.unwrap();
    assert_eq!((r2.sequence, r2.first_block), (2, 322));
    let mut seen = None;
    for _ in 0..50 {
        let p = TcpPeer::new(&addr).pull(&log.public_key()).await.unwrap();
        if p.record.sequence == 2 {
            seen = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen.expect("seeder never served publish 2").snapshot, small);
    // Reopening the folder reads the latest snapshot back.
    let (rec, snap) = log.latest_snapshot().await.unwrap().unwrap();
    assert_eq!((rec.sequence, snap), (2, small));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_block_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::load_or_create(&dir.path().join("log.key")).unwrap();
    let log = DiskLog::new(&dir.path().join("log"), signer).unwrap();
    log.publish(&bytes(10 * 65536), 1).await.unwrap();
    // Flip one byte of block 5 in the seeder's data file.
    let data = log.dir().join("data");
    let mut raw = std::fs::read(&data).unwrap();
    raw[5 * 65536 + 100] ^= 0x55;
    std::fs::write(&data, raw).unwrap();
    let addr = serve(log.dir()).await;
    let e = TcpPeer::new(&addr)
        .pull(&log.public_key())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TamperedBlock { index: 5, .. }), "{e:?}");
    let shown = e.to_string();
    assert!(
        shown.contains("block 5") && shown.contains("tampered"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_and_unreachable_peer() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::load_or_create(&dir.path().join("log.key")).unwrap();
    let log = DiskLog::new(&dir.path().join("log"), signer).unwrap();
    log.publish(b"snapshot", 1).await.unwrap();
    let addr = serve(log.dir()).await;

    let other = Signer::load_or_create(&dir.path().join("other.key")).unwrap();
    let e = TcpPeer::new(&addr).pull(&other.public()).await.unwrap_err();
    assert!(matches!(e, Error::NotServed { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("does not serve the log with public key"),
        "{e}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = closed.local_addr().unwrap().to_string();
    drop(closed);
    let e = TcpPeer::new(&gone)
        .pull(&log.public_key())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot reach the peer at {gone}")),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_signed_by_another_writer_is_refused() {
    // A peer serves a log under the owner's public key that another key signed.
    let dir = tempfile::tempdir().unwrap();
    let owner = Signer::load_or_create(&dir.path().join("owner.key")).unwrap();
    let forger = hypercore::generate_signing_key();
    let forged = dir.path().join("forged");
    {
        let core = HypercoreBuilder::new(Storage::new_disk(&forged, false).await.unwrap())
            .key_pair(PartialKeypair {
                public: hypercore::VerifyingKey::from_bytes(&owner.public().0).unwrap(),
                secret: Some(forger),
            })
            .build()
            .await
            .unwrap();
        let record = ap_hyperlog::IndexRecord {
            sequence: 1,
            delta_version: 1,
            size: 4,
            first_block: 0,
            block_count: 1,
            sha256: sha(b"evil"),
        };
        core.append_batch([b"evil".to_vec(), record.encode()])
            .await
            .unwrap();
    }
    let addr = serve(&forged).await;
    let e = TcpPeer::new(&addr).pull(&owner.public()).await.unwrap_err();
    assert!(matches!(e, Error::OtherWriter { .. }), "{e:?}");
    assert!(e.to_string().contains("another writer"), "{e}");
}

fn sha(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

#[tokio::test]
async fn local_log_of_another_writer_and_key_in_log_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = Signer::load_or_create(&dir.path().join("a.key")).unwrap();
    let log = DiskLog::new(&dir.path().join("log"), a).unwrap();
    log.publish(b"one", 1).await.unwrap();
    let b = Signer::load_or_create(&dir.path().join("b.key")).unwrap();
    let e = DiskLog::new(&dir.path().join("log"), b)
        .unwrap()
        .publish(b"two", 2)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::LogOfAnotherWriter { .. }), "{e:?}");
    assert!(e.to_string().contains("another writer's log"), "{e}");

    let inside = Signer::load_or_create(&dir.path().join("log2/key")).unwrap();
    let e = DiskLog::new(&dir.path().join("log2"), inside).unwrap_err();
    assert!(matches!(e, Error::KeyInsideLog { .. }), "{e:?}");
}

#[test]
fn the_log_folder_never_holds_the_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let signer = Signer::load_or_create(&dir.path().join("log.key")).unwrap();
    let text = std::fs::read_to_string(dir.path().join("log.key")).unwrap();
    let seed: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&text.lines().nth(1).unwrap()[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let log = DiskLog::new(&dir.path().join("log"), signer).unwrap();
    for v in 0..5 {
        rt.block_on(log.publish(&bytes(70_000), v)).unwrap();
    }
    for entry in std::fs::read_dir(log.dir()).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !raw.windows(32).any(|w| w == seed.as_slice()),
            "the signing key is inside the log folder"
        );
    }
    let key: PublicKey = log.public_key().to_string().parse().unwrap();
    assert_eq!(key, log.public_key());
}
