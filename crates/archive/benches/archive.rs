//! Throughput of the archive writer's stages on in-memory data, to find
//! which one limits a run. The side-by-side comparison with 7-Zip uses the
//! `ap-server archive` command on the same files (see the crate's report).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::path::Path;

use ap_archive::{Method, Password, VolumeSink, WriteOptions, compressible, scan, write_archive};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Counts bytes and drops them: measures the writer, not the disk.
struct Discard(u64);

impl VolumeSink for Discard {
    fn begin_volume(&mut self, _: u32, _: u32) -> io::Result<()> {
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0 += bytes.len() as u64;
        Ok(())
    }
    fn end_volume(&mut self, _: u64) -> io::Result<()> {
        Ok(())
    }
    fn patch_start(&mut self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

fn noise(n: usize) -> Vec<u8> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        })
        .collect()
}

fn text(n: usize) -> Vec<u8> {
    let words = [
        "the",
        "archive",
        "of",
        "volumes",
        "and",
        "parity",
        "is",
        "posted",
        "to",
        "a",
        "group",
        "with",
        "headers",
        "that",
        "name",
        "nothing",
        "in",
        "particular",
        "while",
        "readers",
    ];
    let mut s = 1u64;
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let w = words[((s >> 33) % words.len() as u64) as usize];
        out.extend_from_slice(w.as_bytes());
        out.push(if (s >> 20).is_multiple_of(13) {
            b'\n'
        } else {
            b' '
        });
    }
    out.truncate(n);
    out
}

fn run(dir: &Path, method: Method, kdf_power: u8) -> u64 {
    let tree = scan(dir).unwrap();
    let options = WriteOptions {
        method,
        threads: 2,
        kdf_power,
        ..WriteOptions::default()
    };
    let pw = Password::new("bench").unwrap();
    let (sink, _) = write_archive(&tree, &pw, &options, Discard(0)).unwrap();
    sink.0
}

fn benches(c: &mut Criterion) {
    const N: usize = 32 << 20;
    let rand_dir = tempfile::tempdir().unwrap();
    std::fs::write(rand_dir.path().join("random.bin"), noise(N)).unwrap();
    let text_dir = tempfile::tempdir().unwrap();
    std::fs::write(text_dir.path().join("text.txt"), text(N)).unwrap();

    let mut g = c.benchmark_group("archive");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(N as u64));
    g.bench_function("copy_aes_32MiB", |b| {
        b.iter(|| run(rand_dir.path(), Method::Copy, 1))
    });
    g.bench_function("auto_random_32MiB", |b| {
        b.iter(|| run(rand_dir.path(), Method::Auto, 1))
    });
    g.bench_function("lzma2_l1_text_32MiB", |b| {
        b.iter(|| run(text_dir.path(), Method::Lzma2, 1))
    });
    g.finish();

    let mut g = c.benchmark_group("parts");
    g.sample_size(10);
    g.bench_function("kdf_2^19", |b| {
        let tiny = tempfile::tempdir().unwrap();
        b.iter(|| run(tiny.path(), Method::Copy, 19))
    });
    let sample = noise(96 << 10);
    g.throughput(Throughput::Bytes(sample.len() as u64));
    g.bench_function("sample_96KiB", |b| b.iter(|| compressible(&sample)));
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
