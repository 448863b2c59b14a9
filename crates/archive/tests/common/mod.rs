//! Shared fixtures: a tree with every kind of entry, a snapshot to compare
//! trees by content, mode and mtime, and 7-Zip runs with the password on stdin.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const PASSWORD: &str = "test password ü";

pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        })
        .collect()
}

pub fn text(n: usize) -> Vec<u8> {
    let words = [
        "archive", "volume", "parity", "stream", "header", "folder", "the", "of", "and", "Usenet",
    ];
    let mut out = Vec::with_capacity(n + 16);
    let mut s = 7u64;
    while out.len() < n {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        out.extend_from_slice(words[(s >> 60) as usize % words.len()].as_bytes());
        out.push(if s & 0xF00 == 0 { b'\n' } else { b' ' });
    }
    out.truncate(n);
    out
}

fn set_mtime(path: &Path, secs: u64) {
    let t = UNIX_EPOCH + Duration::new(secs, 123_456_700);
    File::open(path).unwrap().set_modified(t).unwrap();
}

/// Every kind of entry the issue names: text and random files, a zero-byte
/// file, an empty directory, nested directories with unusual modes,
/// non-ASCII names, a link inside the tree (up and down), a link out of the
/// tree (skipped) and a FIFO (skipped).
pub fn fixture(root: &Path) {
    fs::create_dir_all(root.join("docs/deep/er")).unwrap();
    fs::create_dir_all(root.join("empty dir")).unwrap();
    fs::create_dir_all(root.join("média")).unwrap();
    fs::write(root.join("docs/readme.txt"), text(300_000)).unwrap();
    fs::write(root.join("docs/deep/er/notes.md"), text(5_000)).unwrap();
    fs::write(root.join("média/clip ünïcødé 日本.bin"), noise(250_000, 3)).unwrap();
    fs::write(root.join("zero"), b"").unwrap();
    fs::write(root.join("tiny"), b"x").unwrap();
    symlink("../docs/readme.txt", root.join("média/up-link")).unwrap();
    symlink("docs/deep", root.join("down-link")).unwrap();
    symlink("/etc/hostname", root.join("outside-link")).unwrap();
    let fifo = root.join("fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo failed");
    fs::set_permissions(
        root.join("docs/readme.txt"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    fs::set_permissions(root.join("tiny"), fs::Permissions::from_mode(0o755)).unwrap();
    for (p, t) in [
        ("docs/readme.txt", 1_600_000_000),
        ("docs/deep/er/notes.md", 1_500_000_000),
        ("média/clip ünïcødé 日本.bin", 1_400_000_000),
        ("zero", 1_300_000_000),
        ("tiny", 1_200_000_000),
        ("docs/deep/er", 1_100_000_000),
        ("docs/deep", 1_000_000_000),
        ("docs", 1_650_000_000),
        ("empty dir", 1_700_000_000),
        ("média", 1_710_000_000),
    ] {
        set_mtime(&root.join(p), t);
    }
    fs::set_permissions(root.join("docs/deep"), fs::Permissions::from_mode(0o751)).unwrap();
}

#[derive(Debug, PartialEq, Eq)]
pub enum Node {
    File {
        data: Vec<u8>,
        mode: u32,
        mtime: u64,
    },
    Dir {
        mode: u32,
        mtime: u64,
    },
    Link(String),
}

/// A time in 7z's unit (100 ns), the precision an archive keeps.
fn ticks(t: SystemTime) -> u64 {
    (t.duration_since(UNIX_EPOCH).unwrap().as_nanos() / 100) as u64
}

/// Every path under `root` except FIFOs and the names in `skip`.
pub fn snapshot(root: &Path, skip: &[&str]) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, Node>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
        if skip.contains(&rel.as_str()) {
            continue;
        }
        let m = fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let node = if ft.is_symlink() {
            Node::Link(fs::read_link(&p).unwrap().to_str().unwrap().to_string())
        } else if ft.is_dir() {
            walk(root, &p, skip, out);
            Node::Dir {
                mode: m.permissions().mode() & 0o7777,
                mtime: ticks(m.modified().unwrap()),
            }
        } else if ft.is_file() {
            Node::File {
                data: fs::read(&p).unwrap(),
                mode: m.permissions().mode() & 0o7777,
                mtime: ticks(m.modified().unwrap()),
            }
        } else {
            continue;
        };
        out.insert(rel, node);
    }
}

pub fn assert_same_tree(a: &Path, b: &Path) {
    let skip = ["outside-link"];
    let (sa, sb) = (snapshot(a, &skip), snapshot(b, &skip));
    let keys_a: Vec<_> = sa.keys().collect();
    let keys_b: Vec<_> = sb.keys().collect();
    assert_eq!(keys_a, keys_b, "different paths");
    for (k, va) in &sa {
        assert!(
            va == &sb[k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Runs 7-Zip with `stdin` fed to it (the password, when it asks).
pub fn sevenzip(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(ap_tests::peer("7zz"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn sevenzip_ok(args: &[&str], stdin: &str) -> String {
    let out = sevenzip(args, stdin);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "7zz {args:?} failed: {all}");
    all
}
