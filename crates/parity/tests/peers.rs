//! Interop with the real PAR2 tools: par2cmdline verifies and repairs every
//! set we make, and our repair fixes sets made by par2cmdline-turbo.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ap_parity::{CreateOptions, FileStatus, RecoverySet, Redundancy, create_files, repair, verify};

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// Writes the files into `dir`; returns their paths and contents.
fn make_files(dir: &Path, files: &[(&str, usize)]) -> Vec<(PathBuf, Vec<u8>)> {
    files
        .iter()
        .enumerate()
        .map(|(i, (name, len))| {
            let p = dir.join(name);
            let data = random(*len, i as u64 + 1);
            fs::write(&p, &data).unwrap();
            (p, data)
        })
        .collect()
}

fn par2cmdline(args: &[&str], dir: &Path) -> bool {
    Command::new(ap_tests::par2cmdline())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .success()
}

enum Damage {
    CorruptRange(usize, usize, usize),
    Delete(usize),
    Truncate(usize, u64),
    Rename(usize),
}

fn apply(files: &[(PathBuf, Vec<u8>)], damage: &Damage) {
    match *damage {
        Damage::CorruptRange(f, at, len) => {
            let mut d = files[f].1.clone();
            for b in &mut d[at..at + len] {
                *b ^= 0x5a;
            }
            fs::write(&files[f].0, d).unwrap();
        }
        Damage::Delete(f) => fs::remove_file(&files[f].0).unwrap(),
        Damage::Truncate(f, len) => fs::File::options()
            .write(true)
            .open(&files[f].0)
            .unwrap()
            .set_len(len)
            .unwrap(),
        Damage::Rename(f) => {
            fs::rename(&files[f].0, files[f].0.with_file_name("renamed.dat")).unwrap()
        }
    }
}

fn assert_restored(files: &[(PathBuf, Vec<u8>)]) {
    for (p, data) in files {
        assert_eq!(
            &fs::read(p).unwrap(),
            data,
            "{} differs after repair",
            p.display()
        );
    }
}

const FILES: &[(&str, usize)] = &[
    ("vol1.7z", 1_000_000),
    ("vol2 – é.7z", 700_001),
    ("small.7z", 10),
    ("empty.7z", 0),
];

fn options(slice: u64, pct: f64) -> CreateOptions {
    CreateOptions {
        slice_size: Some(slice),
        redundancy: Redundancy::Percent(pct),
        ..CreateOptions::default()
    }
}

fn damages() -> Vec<Damage> {
    vec![
        Damage::CorruptRange(0, 100_000, 40_000),
        Damage::Delete(2),
        Damage::Truncate(1, 600_000),
    ]
}

#[test]
fn par2cmdline_verifies_and_repairs_our_sets() {
    for damage in damages() {
        let dir = tempfile::tempdir().unwrap();
        let files = make_files(dir.path(), FILES);
        let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
        let report = create_files(&paths, dir.path(), "set", &options(16384, 20.0)).unwrap();
        assert_eq!(report.created.skipped_empty, vec!["empty.7z".to_string()]);
        assert!(
            par2cmdline(&["v", "-q", "set.par2"], dir.path()),
            "par2cmdline rejects our fresh set"
        );
        apply(&files, &damage);
        assert!(!par2cmdline(&["v", "-q", "set.par2"], dir.path()));
        assert!(
            par2cmdline(&["r", "-q", "set.par2"], dir.path()),
            "par2cmdline could not repair"
        );
        assert_restored(&files);
    }
}

fn our_repair(dir: &Path, index: &str) -> ap_parity::Verification {
    let set = RecoverySet::open(&dir.join(index)).unwrap();
    let v = verify(&set).unwrap();
    assert!(!v.is_complete());
    repair(&set, &v, 64 << 20).unwrap();
    let after = verify(&set).unwrap();
    assert!(after.is_complete(), "{:?}", after.files);
    v
}

#[test]
fn our_repair_fixes_our_sets_and_par2cmdline_agrees() {
    for damage in damages().into_iter().chain([Damage::Rename(0)]) {
        let dir = tempfile::tempdir().unwrap();
        let files = make_files(dir.path(), &FILES[..3]);
        let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
        create_files(&paths, dir.path(), "set", &options(16384, 20.0)).unwrap();
        apply(&files, &damage);
        let v = our_repair(dir.path(), "set.par2");
        if let Damage::Rename(_) = damage {
            let report = v.files.iter().find(|f| f.name == "vol1.7z").unwrap();
            assert_eq!(report.status, FileStatus::Renamed);
        }
        assert_restored(&files);
        assert!(par2cmdline(&["v", "-q", "set.par2"], dir.path()));
    }
}

#[test]
fn uniform_volumes_and_slice_counts_pass_par2cmdline() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_files(dir.path(), &FILES[..2]);
    let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    let opts = CreateOptions {
        slice_size: Some(20_000),
        redundancy: Redundancy::Slices(30),
        layout: ap_parity::VolumeLayout::Uniform(4),
        ..CreateOptions::default()
    };
    let r = create_files(&paths, dir.path(), "u", &opts).unwrap();
    assert_eq!(
        (r.created.recovery_slices, r.created.volumes.len()),
        (30, 4)
    );
    assert!(par2cmdline(&["v", "-q", "u.par2"], dir.path()));
    // Three of the four volumes (22 slices) cover a 20-slice damaged range.
    fs::remove_file(&r.created.volumes[0]).unwrap();
    apply(&files, &Damage::CorruptRange(0, 0, 400_000));
    assert!(par2cmdline(&["r", "-q", "u.par2"], dir.path()));
    assert_restored(&files);
}

#[test]
fn repair_without_the_index_and_beside_another_set() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_files(dir.path(), &FILES[..3]);
    let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    create_files(&paths, dir.path(), "set", &options(16384, 20.0)).unwrap();
    // Another set in the same folder, as one set per volume puts them.
    create_files(&paths[2..], dir.path(), "other", &options(4, 50.0)).unwrap();
    fs::remove_file(dir.path().join("set.par2")).unwrap();
    apply(&files, &Damage::CorruptRange(1, 1000, 20_000));
    let v = our_repair(dir.path(), "set.par2");
    assert_eq!(v.files.len(), 3);
    assert_restored(&files);
}

#[test]
fn our_repair_fixes_par2cmdline_turbo_sets() {
    for damage in damages().into_iter().chain([Damage::Rename(1)]) {
        let dir = tempfile::tempdir().unwrap();
        let files = make_files(dir.path(), &FILES[..3]);
        let names: Vec<&str> = FILES[..3].iter().map(|f| f.0).collect();
        let out = Command::new(ap_tests::par2_turbo())
            .args(["c", "-q", "-q", "-s16384", "-r20", "t.par2"])
            .args(&names)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        apply(&files, &damage);
        our_repair(dir.path(), "t.par2");
        assert_restored(&files);
    }
}

#[test]
fn edge_one_slice_in_all_and_auto_size() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_files(dir.path(), &[("tiny", 5000)]);
    let opts = CreateOptions {
        redundancy: Redundancy::Slices(1),
        slice_size: Some(8192),
        ..CreateOptions::default()
    };
    let r = create_files(&[files[0].0.clone()], dir.path(), "tiny", &opts).unwrap();
    assert_eq!((r.created.input_slices, r.created.recovery_slices), (1, 1));
    assert!(par2cmdline(&["v", "-q", "tiny.par2"], dir.path()));
    apply(&files, &Damage::Delete(0));
    assert!(par2cmdline(&["r", "-q", "tiny.par2"], dir.path()));
    assert_restored(&files);
    // Automatic slice size for a file smaller than one article.
    let auto = create_files(
        &[files[0].0.clone()],
        dir.path(),
        "auto",
        &CreateOptions::default(),
    )
    .unwrap();
    assert_eq!(auto.created.slice_size % 4, 0);
    assert!(par2cmdline(&["v", "-q", "auto.par2"], dir.path()));
}

#[test]
fn edge_32768_input_slices() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_files(dir.path(), &[("many", 32768 * 8)]);
    let opts = CreateOptions {
        redundancy: Redundancy::Slices(20),
        slice_size: Some(8),
        ..CreateOptions::default()
    };
    let r = create_files(&[files[0].0.clone()], dir.path(), "many", &opts).unwrap();
    assert_eq!(r.created.input_slices, 32768);
    let too_many = CreateOptions {
        slice_size: Some(4),
        ..opts.clone()
    };
    assert!(matches!(
        create_files(&[files[0].0.clone()], dir.path(), "x", &too_many),
        Err(ap_parity::Error::TooManySlices { .. })
    ));
    apply(&files, &Damage::CorruptRange(0, 200_000, 100));
    assert!(par2cmdline(&["r", "-q", "many.par2"], dir.path()));
    assert_restored(&files);
}
