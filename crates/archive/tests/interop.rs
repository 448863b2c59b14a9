//! Our archives against real 7-Zip, and 7-Zip's archives against our reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use ap_archive::{
    Archive, DirSink, Error, ExtractOptions, Method, Password, Warning, WriteOptions, scan,
    write_archive,
};
use common::{PASSWORD, assert_same_tree, fixture, sevenzip, sevenzip_ok};

fn write(src: &Path, out: &Path, method: Method, volume_size: u64) -> ap_archive::Summary {
    write_with(
        src,
        out,
        method,
        volume_size,
        ap_archive::COMPRESS_IN_MEMORY,
    )
}

fn write_with(
    src: &Path,
    out: &Path,
    method: Method,
    volume_size: u64,
    compress_in_memory: u64,
) -> ap_archive::Summary {
    let tree = scan(src).unwrap();
    let options = WriteOptions {
        method,
        volume_size,
        compress_in_memory,
        ..WriteOptions::default()
    };
    let pw = Password::new(PASSWORD).unwrap();
    let (sink, summary) = write_archive(&tree, &pw, &options, DirSink::new(out, "set")).unwrap();
    assert_eq!(sink.paths().len(), summary.volumes.len());
    for (path, len) in sink.paths().iter().zip(&summary.volumes) {
        assert_eq!(std::fs::metadata(path).unwrap().len(), *len);
    }
    summary
}

fn check_with_7zip(method: Method, volume_size: u64) {
    check_with_7zip_at(method, volume_size, ap_archive::COMPRESS_IN_MEMORY);
}

/// `compress_in_memory` 0 makes LZMA2 folders go out as they are coded,
/// with the start header held back and written last.
fn check_with_7zip_at(method: Method, volume_size: u64, compress_in_memory: u64) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fixture(&src);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let summary = write_with(&src, &out, method, volume_size, compress_in_memory);
    assert_eq!(
        summary.start_held_back,
        compress_in_memory == 0 && method != Method::Copy,
        "{summary:?}"
    );
    if volume_size < 1 << 20 {
        assert!(
            summary.volumes.len() > 3,
            "expected several volumes: {summary:?}"
        );
    } else {
        assert_eq!(summary.volumes.len(), 1);
    }
    let first = out.join("set.7z.001");
    let first = first.to_str().unwrap();
    let pw_line = format!("{PASSWORD}\n");

    let tested = sevenzip_ok(&["t", first], &pw_line);
    assert!(tested.contains("Everything is Ok"), "{tested}");

    // 7-Zip extracts byte-identically, with modes and mtimes. `-snld`: 7-Zip
    // calls any link with `..` dangerous, even one that stays inside.
    let x7 = dir.path().join("x7");
    let o = format!("-o{}", x7.display());
    sevenzip_ok(&["x", "-snld", &o, first], &pw_line);
    assert_same_tree(&src, &x7);

    // Our reader does the same.
    let ours = dir.path().join("ours");
    let mut archive =
        Archive::open(Path::new(first), Some(&Password::new(PASSWORD).unwrap())).unwrap();
    let report = archive.extract(&ours, &ExtractOptions::default()).unwrap();
    assert_eq!(report.links, 2);
    assert_same_tree(&src, &ours);

    // Without the password, 7-Zip cannot even list the names.
    for stdin in ["", "wrong password\n"] {
        let listing = sevenzip(&["l", first], stdin);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&listing.stdout),
            String::from_utf8_lossy(&listing.stderr)
        );
        assert!(
            !listing.status.success(),
            "7zz l succeeded without the password: {all}"
        );
        for name in ["readme", "notes", "média", "clip", "empty dir"] {
            assert!(
                !all.contains(name),
                "{name} visible without the password: {all}"
            );
        }
    }
}

#[test]
fn copy_single_volume() {
    check_with_7zip(Method::Copy, 1 << 30);
}

#[test]
fn copy_many_volumes() {
    check_with_7zip(Method::Copy, 64 << 10);
}

#[test]
fn lzma2_single_volume() {
    check_with_7zip(Method::Lzma2, 1 << 30);
}

#[test]
fn lzma2_many_volumes() {
    check_with_7zip(Method::Lzma2, 20 << 10);
}

#[test]
fn lzma2_many_volumes_start_header_last() {
    check_with_7zip_at(Method::Lzma2, 20 << 10, 0);
}

#[test]
fn auto_many_volumes_start_header_last() {
    check_with_7zip_at(Method::Auto, 50 << 10, 0);
}

#[test]
fn auto_single_volume() {
    check_with_7zip(Method::Auto, 1 << 30);
}

#[test]
fn auto_many_volumes() {
    check_with_7zip(Method::Auto, 50 << 10);
}

#[test]
fn walk_warns_about_special_files_and_outside_links() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let tree = scan(dir.path()).unwrap();
    assert!(tree.warnings.contains(&Warning::SpecialFileSkipped {
        path: dir.path().join("fifo")
    }));
    assert!(tree.warnings.iter().any(
        |w| matches!(w, Warning::SymlinkSkipped { path, .. } if path.ends_with("outside-link"))
    ));
    assert!(tree.entries.iter().any(|e| e.name == "empty dir"));
}

#[test]
fn auto_stores_noise_and_compresses_text() {
    let dir = tempfile::tempdir().unwrap();
    fixture(&dir.path().join("src"));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let s = write(&dir.path().join("src"), &out, Method::Auto, 1 << 30);
    // The noise file, and the link after it, which joins the open folder.
    assert_eq!(s.stored_files, 2, "{s:?}");
    assert!(s.compressed_files >= 3, "{s:?}");
    // Copy-only archives know every size first: nothing is held back.
    let out2 = dir.path().join("out2");
    std::fs::create_dir(&out2).unwrap();
    assert!(!write(&dir.path().join("src"), &out2, Method::Copy, 1 << 30).start_held_back);
}

#[test]
fn reads_7zip_multivolume_archives() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fixture(&src);
    std::fs::remove_file(src.join("fifo")).unwrap();
    std::fs::remove_file(src.join("outside-link")).unwrap();
    let archive = dir.path().join("theirs.7z");
    // Same switches as `-mhe=on -v50m`, with small volumes so the test makes many.
    let pw_twice = format!("{PASSWORD}\n{PASSWORD}\n");
    let a = archive.to_str().unwrap();
    let status = std::process::Command::new(ap_tests::peer("7zz"))
        .current_dir(&src)
        .args(["a", "-bso0", "-mhe=on", "-snl", "-v40k", "-p", a, "."])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(pw_twice.as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(status.success());
    let first = dir.path().join("theirs.7z.001");
    assert!(dir.path().join("theirs.7z.004").exists());
    let pw = Password::new(PASSWORD).unwrap();
    let mut ar = Archive::open(&first, Some(&pw)).unwrap();
    assert!(ar.test().unwrap() > 500_000);
    let out = dir.path().join("x");
    ar.extract(&out, &ExtractOptions::default()).unwrap();
    assert_same_tree(&src, &out);

    // A wrong password is one clear error, and so is none at all.
    let wrong = Password::new("not it").unwrap();
    assert!(matches!(
        Archive::open(&first, Some(&wrong)),
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        Archive::open(&first, None),
        Err(Error::PasswordRequired)
    ));
}

#[test]
fn wrong_password_on_our_archive() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"data").unwrap();
    let out = tempfile::tempdir().unwrap();
    write(dir.path(), out.path(), Method::Lzma2, 1 << 20);
    let wrong = Password::new("nope").unwrap();
    let err = Archive::open(&out.path().join("set.7z.001"), Some(&wrong)).unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err}");
}
