//! Preflight, safe extraction, and random trees round-tripping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use ap_archive::{
    Archive, Entry, EntryKind, Error, ExtractOptions, MemorySink, Method, Password, Problem, Tree,
    WriteOptions, scan, write_archive,
};
use proptest::prelude::*;

fn quick(method: Method, volume_size: u64) -> WriteOptions {
    // Cheap key stretching keeps the many cases fast; the 2^19 default is
    // what the interop tests and the CLI use.
    WriteOptions {
        method,
        volume_size,
        kdf_power: 4,
        threads: 2,
        ..WriteOptions::default()
    }
}

fn pw() -> Password {
    Password::new("safety").unwrap()
}

/// Writes `tree` and opens it again from a directory of volumes.
fn roundtrip(tree: &Tree, options: &WriteOptions, dir: &Path) -> Archive {
    let (sink, summary) = write_archive(tree, &pw(), options, MemorySink::default()).unwrap();
    assert_eq!(sink.patched, summary.start_held_back);
    let paths = sink.save(dir, "t").unwrap();
    Archive::open(&paths[0], Some(&pw())).unwrap()
}

fn entry(name: &str, source: &Path, kind: EntryKind) -> Entry {
    Entry {
        name: name.into(),
        source: source.into(),
        kind,
        mtime: 133_000_000_000_000_000,
        mode: 0o100_644,
    }
}

#[test]
fn preflight_reports_every_problem_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(OsStr::from_bytes(b"bad\xffname")), b"x").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(
        dir.path().join("sub").join(OsStr::from_bytes(b"also\xfe")),
        b"y",
    )
    .unwrap();
    fs::write(dir.path().join("fine.txt"), b"z").unwrap();
    let locked = dir.path().join("locked");
    fs::write(&locked, b"secret").unwrap();
    fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    // Root reads anything; then only the names are problems.
    let privileged = fs::File::open(&locked).is_ok();
    match scan(dir.path()) {
        Err(Error::Preflight(problems)) => {
            let names = problems
                .iter()
                .filter(|p| matches!(p, Problem::NotUnicode { .. }))
                .count();
            let unreadable = problems
                .iter()
                .filter(|p| matches!(p, Problem::Unreadable { .. }))
                .count();
            assert_eq!(names, 2, "{problems:?}");
            assert_eq!(unreadable, usize::from(!privileged), "{problems:?}");
        }
        other => panic!("expected a preflight error, got {other:?}"),
    }
}

#[test]
fn entries_escaping_the_target_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::write(&data, b"payload").unwrap();
    for name in ["../evil", "a/../../evil", "/tmp/evil-absolute"] {
        let tree = Tree {
            entries: vec![
                entry("ok.txt", &data, EntryKind::File { size: 7 }),
                entry(name, &data, EntryKind::File { size: 7 }),
            ],
            warnings: vec![],
        };
        let vols = tempfile::tempdir().unwrap();
        let mut archive = roundtrip(&tree, &quick(Method::Copy, 1 << 20), vols.path());
        let target = dir.path().join("target").join("inner");
        let err = archive
            .extract(&target, &ExtractOptions::default())
            .unwrap_err();
        assert!(matches!(err, Error::UnsafePath { .. }), "{name}: {err}");
        assert!(
            !target.join("ok.txt").exists(),
            "{name}: wrote before refusing"
        );
        assert!(!dir.path().join("target/evil").exists());
    }
}

#[test]
fn links_out_of_the_target_and_paths_through_links_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::write(&data, b"payload").unwrap();
    let up = "../../outside".to_string();
    let cases = [
        vec![entry("l", &data, EntryKind::Symlink { target: up.clone() })],
        vec![entry(
            "l",
            &data,
            EntryKind::Symlink {
                target: "/etc".into(),
            },
        )],
        vec![
            entry("sub", &data, EntryKind::Dir),
            entry(
                "l",
                &data,
                EntryKind::Symlink {
                    target: "sub".into(),
                },
            ),
            entry("l/x", &data, EntryKind::File { size: 7 }),
        ],
    ];
    for (i, entries) in cases.into_iter().enumerate() {
        let tree = Tree {
            entries,
            warnings: vec![],
        };
        let vols = tempfile::tempdir().unwrap();
        let mut archive = roundtrip(&tree, &quick(Method::Lzma2, 1 << 20), vols.path());
        let target = dir.path().join(format!("t{i}"));
        let err = archive
            .extract(&target, &ExtractOptions::default())
            .unwrap_err();
        assert!(matches!(err, Error::UnsafePath { .. }), "case {i}: {err}");
        assert!(!dir.path().join("outside").exists());
        assert!(
            !target.join("sub/x").exists(),
            "case {i}: wrote through a link"
        );
    }
}

#[test]
fn never_overwrites_unless_asked() {
    let src = tempfile::tempdir().unwrap();
    fs::write(src.path().join("f"), b"new contents").unwrap();
    let tree = scan(src.path()).unwrap();
    let vols = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    fs::write(target.path().join("f"), b"old").unwrap();
    let mut archive = roundtrip(&tree, &quick(Method::Auto, 1 << 20), vols.path());
    let err = archive
        .extract(target.path(), &ExtractOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::Exists(_)), "{err}");
    assert_eq!(fs::read(target.path().join("f")).unwrap(), b"old");
    let mut archive = Archive::open(&vols.path().join("t.7z.001"), Some(&pw())).unwrap();
    archive
        .extract(target.path(), &ExtractOptions { overwrite: true })
        .unwrap();
    assert_eq!(fs::read(target.path().join("f")).unwrap(), b"new contents");
}

#[derive(Debug, Clone)]
enum Node {
    File(Vec<u8>),
    Dir(Vec<(String, Node)>),
}

fn node() -> impl Strategy<Value = Node> {
    let name = prop::sample::select(vec!["a", "b", "ü", "日本", "x y", "long-name.txt", "z.bin"]);
    let leaf = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..3000).prop_map(Node::File),
        (1usize..3000).prop_map(|n| Node::File(b"text compresses ".repeat(n / 16 + 1))),
    ];
    leaf.prop_recursive(3, 24, 5, move |inner| {
        prop::collection::vec((name.clone().prop_map(String::from), inner), 0..5).prop_map(|kids| {
            let mut seen = std::collections::BTreeSet::new();
            Node::Dir(
                kids.into_iter()
                    .filter(|(n, _)| seen.insert(n.clone()))
                    .collect(),
            )
        })
    })
}

fn build(path: &Path, node: &Node) {
    match node {
        Node::File(data) => fs::write(path, data).unwrap(),
        Node::Dir(kids) => {
            fs::create_dir(path).unwrap();
            for (name, kid) in kids {
                build(&path.join(name), kid);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_trees_round_trip(
        root in prop::collection::vec((prop::sample::select(vec!["r1", "r2", "ř3", "r4"]), node()), 1..4),
        method in prop::sample::select(vec![Method::Copy, Method::Lzma2, Method::Auto]),
        volume_size in 64u64..5000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let mut seen = std::collections::BTreeSet::new();
        let kids = root.into_iter().filter(|(n, _)| seen.insert(*n)).map(|(n, k)| (n.to_string(), k)).collect();
        build(&src, &Node::Dir(kids));
        let tree = scan(&src).unwrap();
        let vols = dir.path().join("vols");
        fs::create_dir(&vols).unwrap();
        let mut archive = roundtrip(&tree, &quick(method, volume_size), &vols);
        let out = dir.path().join("out");
        archive.extract(&out, &ExtractOptions::default()).unwrap();
        let (a, b) = (common::snapshot(&src, &[]), common::snapshot(&out, &[]));
        prop_assert_eq!(a, b);
    }
}

#[test]
fn a_seed_makes_the_bytes_repeatable() {
    let src = tempfile::tempdir().unwrap();
    fs::write(
        src.path().join("text"),
        "words and more words ".repeat(5000),
    )
    .unwrap();
    fs::write(src.path().join("noise"), common::noise(50_000, 9)).unwrap();
    let tree = scan(src.path()).unwrap();
    for method in [Method::Copy, Method::Lzma2, Method::Auto] {
        let write = |seed: Option<[u8; 32]>| {
            let options = WriteOptions {
                iv_seed: seed,
                ..quick(method, 10_000)
            };
            write_archive(&tree, &pw(), &options, MemorySink::default())
                .unwrap()
                .0
                .volumes
        };
        assert_eq!(write(Some([7; 32])), write(Some([7; 32])), "{method:?}");
        assert_ne!(write(Some([7; 32])), write(Some([8; 32])), "{method:?}");
        assert_ne!(write(None), write(None), "{method:?}");
    }
}

#[test]
fn a_missing_volume_is_named_not_mistaken_for_a_wrong_password() {
    let src = tempfile::tempdir().unwrap();
    fs::write(src.path().join("noise"), common::noise(20_000, 5)).unwrap();
    let tree = scan(src.path()).unwrap();
    let (sink, _) = write_archive(
        &tree,
        &pw(),
        &quick(Method::Copy, 4000),
        MemorySink::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = sink.save(dir.path(), "t").unwrap();
    assert!(paths.len() >= 5);
    fs::remove_file(&paths[2]).unwrap();
    let err = Archive::open(&paths[0], Some(&pw())).unwrap_err();
    assert!(matches!(err, Error::Volumes(_)), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
}
