//! The streaming encoder: arrival order and the memory budget change nothing
//! in the output, and hostile PAR2 files give typed errors, never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use ap_parity::packet::{self, Main, TYPE_MAIN};
use ap_parity::{Encoder, EncoderConfig, Error, InputFile, RecoverySet, VolumeLayout};
use proptest::prelude::*;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

/// Encodes `files` feeding slices in `order` (pairs of file, slice);
/// returns every PAR2 file's bytes and whether the encoder spilled.
fn encode(
    files: &[Vec<u8>],
    order: &[(usize, u64)],
    memory: usize,
    dir: &Path,
) -> (Vec<Vec<u8>>, bool) {
    let slice = 4096u64;
    let inputs: Vec<InputFile> = files
        .iter()
        .enumerate()
        .map(|(i, d)| InputFile {
            name: format!("f{i}"),
            length: d.len() as u64,
            md5_16k: Some(packet::md5(&d[..d.len().min(16384)])),
        })
        .collect();
    let config = EncoderConfig {
        slice_size: slice,
        recovery_slices: 7,
        memory,
        spill_dir: dir.to_path_buf(),
        creator: "test".into(),
    };
    let mut enc = Encoder::new(inputs, config).unwrap();
    let spilled = enc.spill_path().is_some();
    for &(f, i) in order {
        let start = (i * slice) as usize;
        let end = (start + slice as usize).min(files[f].len());
        enc.add_slice(f, i, &files[f][start..end]).unwrap();
    }
    for (i, d) in files.iter().enumerate() {
        enc.finish_file(i, packet::md5(d), packet::md5(&d[..d.len().min(16384)]))
            .unwrap();
    }
    let created = enc.finish(dir, "s", VolumeLayout::Uniform(2)).unwrap();
    let mut out = vec![fs::read(&created.index).unwrap()];
    out.extend(created.volumes.iter().map(|p| fs::read(p).unwrap()));
    (out, spilled)
}

fn in_order(files: &[Vec<u8>]) -> Vec<(usize, u64)> {
    files
        .iter()
        .enumerate()
        .flat_map(|(f, d)| (0..d.len().div_ceil(4096) as u64).map(move |i| (f, i)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn any_arrival_order_and_any_budget_give_the_same_set(seed in any::<u64>(), small in 1usize..40_000) {
        let files = vec![data(50_000, 1), data(small, 2), data(4096 * 3, 3)];
        let dir = tempfile::tempdir().unwrap();
        let order = in_order(&files);
        let (want, spilled) = encode(&files, &order, 64 << 20, dir.path());
        prop_assert!(!spilled);
        let mut shuffled = order.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let dir2 = tempfile::tempdir().unwrap();
        let (got, _) = encode(&files, &shuffled, 64 << 20, dir2.path());
        prop_assert_eq!(&got, &want);
        // A budget below the recovery size (7 × 4 KiB) spills, same bytes.
        let dir3 = tempfile::tempdir().unwrap();
        let (spilled_out, spilled) = encode(&files, &shuffled, 20_000, dir3.path());
        prop_assert!(spilled);
        prop_assert_eq!(&spilled_out, &want);
        // The spill file is gone afterwards.
        let leftovers = fs::read_dir(dir3.path()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("spill")).count();
        prop_assert_eq!(leftovers, 0);
    }
}

#[test]
fn encoder_rejects_bad_feeding() {
    let dir = tempfile::tempdir().unwrap();
    let config = EncoderConfig {
        slice_size: 4096,
        recovery_slices: 1,
        memory: 1 << 20,
        spill_dir: dir.path().into(),
        creator: String::new(),
    };
    let two = vec![
        InputFile {
            name: "a".into(),
            length: 10,
            md5_16k: None,
        },
        InputFile {
            name: "b".into(),
            length: 10,
            md5_16k: None,
        },
    ];
    assert!(matches!(
        Encoder::new(two, config.clone()),
        Err(Error::OrderUnknown)
    ));
    let one = vec![InputFile {
        name: "a".into(),
        length: 5000,
        md5_16k: None,
    }];
    let mut enc = Encoder::new(one, config).unwrap();
    assert!(matches!(
        enc.add_slice(0, 5, &[0; 10]),
        Err(Error::SliceOutOfRange { .. })
    ));
    assert!(matches!(
        enc.add_slice(0, 1, &[0; 10]),
        Err(Error::SliceLength { .. })
    ));
    enc.add_slice(0, 0, &[0; 4096]).unwrap();
    assert!(matches!(
        enc.add_slice(0, 0, &[0; 4096]),
        Err(Error::DuplicateSlice { .. })
    ));
    assert!(matches!(
        enc.finish(dir.path(), "x", VolumeLayout::Doubling),
        Err(Error::Incomplete(_))
    ));
}

#[test]
fn hostile_par2_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("h.par2");
    // Garbage, an empty file, and a header claiming an enormous length.
    for bytes in [b"not a par2 file at all".to_vec(), Vec::new(), {
        let mut h = packet::MAGIC.to_vec();
        h.extend(u64::MAX.to_le_bytes());
        h.extend([0u8; 48]);
        h
    }] {
        fs::write(&index, &bytes).unwrap();
        assert!(matches!(
            RecoverySet::open(&index),
            Err(Error::NoMainPacket(_))
        ));
    }
    // A valid main packet naming a file whose description is absent.
    let main = Main {
        slice_size: 4096,
        recovery_ids: vec![[9; 16]],
        non_recovery_ids: vec![],
    };
    fs::write(
        &index,
        packet::packet(&main.set_id(), &TYPE_MAIN, &main.body()),
    )
    .unwrap();
    assert!(matches!(RecoverySet::open(&index), Err(Error::BadSet(_))));
    // A slice size that would make every buffer a terabyte.
    let huge = Main {
        slice_size: 1 << 40,
        ..main.clone()
    };
    fs::write(
        &index,
        packet::packet(&huge.set_id(), &TYPE_MAIN, &huge.body()),
    )
    .unwrap();
    let err = RecoverySet::open(&index).unwrap_err();
    assert!(matches!(err, Error::BadSet(_)), "{err}");
    // A main packet claiming 2^32-1 files (correct MD5) is not believed.
    let mut body = main.body();
    body[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    fs::write(
        &index,
        packet::packet(&packet::md5(&body), &TYPE_MAIN, &body),
    )
    .unwrap();
    assert!(matches!(
        RecoverySet::open(&index),
        Err(Error::NoMainPacket(_))
    ));
    // A packet with a wrong MD5 is skipped.
    let mut p = packet::packet(&main.set_id(), &TYPE_MAIN, &main.body());
    p[20] ^= 1;
    fs::write(&index, p).unwrap();
    assert!(matches!(
        RecoverySet::open(&index),
        Err(Error::NoMainPacket(_))
    ));
    // A file description whose name would escape the folder.
    let desc = packet::FileDesc {
        file_id: [9; 16],
        md5: [0; 16],
        md5_16k: [0; 16],
        length: 1,
        name: b"../evil".to_vec(),
    };
    let mut bytes = packet::packet(&main.set_id(), &TYPE_MAIN, &main.body());
    bytes.extend(packet::packet(
        &main.set_id(),
        &packet::TYPE_FILE_DESC,
        &desc.body(),
    ));
    fs::write(&index, bytes).unwrap();
    let err = RecoverySet::open(&index).unwrap_err();
    assert!(err.to_string().contains("unsafe file name"), "{err}");
}
