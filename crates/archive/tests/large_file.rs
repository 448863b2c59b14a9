//! A file over 4 GiB (sparse on disk, so the test costs CPU, not disk):
//! 7-Zip tests the archive and our reader lists the exact size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ap_archive::{Archive, DirSink, Method, Password, WriteOptions, scan, write_archive};

#[test]
fn file_over_4_gib() {
    const SIZE: u64 = (4 << 30) + 12_345;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let f = std::fs::File::create(src.join("huge.img")).unwrap();
    f.set_len(SIZE).unwrap();
    drop(f);
    std::fs::write(src.join("small"), b"after the big one").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let pw = Password::new(common::PASSWORD).unwrap();
    let options = WriteOptions {
        method: Method::Copy,
        volume_size: 1 << 30,
        ..WriteOptions::default()
    };
    let (_, summary) = write_archive(
        &scan(&src).unwrap(),
        &pw,
        &options,
        DirSink::new(&out, "big"),
    )
    .unwrap();
    assert_eq!(summary.volumes.len(), 5);
    let first = out.join("big.7z.001");
    let listed = common::sevenzip_ok(
        &["l", "-slt", first.to_str().unwrap()],
        &format!("{}\n", common::PASSWORD),
    );
    assert!(listed.contains(&format!("Size = {SIZE}")), "{listed}");
    let tested = common::sevenzip_ok(
        &["t", first.to_str().unwrap()],
        &format!("{}\n", common::PASSWORD),
    );
    assert!(tested.contains("Everything is Ok"), "{tested}");
    let archive = Archive::open(&first, Some(&pw)).unwrap();
    let sizes: Vec<u64> = archive.list().iter().map(|l| l.size).collect();
    assert_eq!(sizes, vec![SIZE, 17]);
}
