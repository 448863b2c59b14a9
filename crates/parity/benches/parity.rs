//! Kernel, MD5 and create throughput. Speed targets live here, never in
//! tests; the side-by-side comparison with par2cmdline-turbo and parmesan is
//! `ap-server par2` under `cargo xtask bench par2`.

use ap_parity::gf::{BLOCK, Kernel};
use ap_parity::{Encoder, EncoderConfig, FileHasher, InputFile, VolumeLayout, md5x};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn kernels(c: &mut Criterion) {
    let len = 64 * BLOCK * 8; // 64 KiB per input
    let inputs: Vec<Vec<u8>> = (0..16).map(|i| ap_tests::noise(i + 1, len)).collect();
    let refs: Vec<&[u8]> = inputs.iter().map(|v| v.as_slice()).collect();
    let coeffs: Vec<u16> = (0..16).map(|i| 0x1234u16.wrapping_mul(i + 1)).collect();
    let mut g = c.benchmark_group("mul_add_multi");
    g.throughput(Throughput::Bytes((len * refs.len()) as u64));
    for k in Kernel::available() {
        let mut dst = vec![0u8; len];
        let prepared = k.prepare(&coeffs);
        g.bench_function(k.name(), |b| {
            b.iter(|| k.mul_add_prepared(&mut dst, &refs, &prepared, 0))
        });
    }
    g.finish();
}

/// The engine's geometry: one batch of 64 input slices multiplied into 140
/// outputs, one tile (a column of every slice) at a time, as
/// `Engine::process` walks it.
fn tiles(c: &mut Criterion) {
    let (n, outputs) = (64usize, 140usize);
    let kernel = Kernel::detect();
    let mut g = c.benchmark_group("tile");
    for w in [512usize, 1024, 4096] {
        let srcs: Vec<Vec<u8>> = (0..n).map(|i| ap_tests::noise(i as u64 + 1, w)).collect();
        let refs: Vec<&[u8]> = srcs.iter().map(|v| v.as_slice()).collect();
        let coeffs: Vec<u16> = (0..n * outputs)
            .map(|i| (i as u16).wrapping_mul(0x9e37) | 1)
            .collect();
        let prepared = kernel.prepare(&coeffs);
        let mut acc = vec![0u8; w * outputs];
        g.throughput(Throughput::Bytes((w * n * outputs) as u64));
        g.bench_function(format!("{} {w}-byte tile", kernel.name()), |b| {
            b.iter(|| kernel.mul_add_outputs(&mut acc, &refs, &prepared))
        });
        g.bench_function(
            format!("{} {w}-byte tile, one output a call", kernel.name()),
            |b| {
                b.iter(|| {
                    for (j, dst) in acc.chunks_exact_mut(w).enumerate() {
                        kernel.mul_add_prepared(dst, &refs, &prepared, j * n);
                    }
                })
            },
        );
    }
    g.finish();
}

fn md5(c: &mut Criterion) {
    let slice = 768_000;
    let data = ap_tests::noise(7, 16 * slice);
    let mut g = c.benchmark_group("md5");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("file+slices two-stream", |b| {
        b.iter(|| {
            let mut h = FileHasher::new(slice);
            for s in data.chunks(slice) {
                h.slice(s);
            }
            h.finish()
        })
    });
    let refs: Vec<&[u8]> = data.chunks(slice).collect();
    g.bench_function("slices sixteen-lane", |b| b.iter(|| md5x::md5_many(&refs)));
    g.bench_function("slices md-5 crate", |b| b.iter(|| md5x::md5_scalar(&refs)));
    g.finish();
}

fn create(c: &mut Criterion) {
    let slice = 768_000usize;
    let data = ap_tests::noise(9, 64 * slice);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = c.benchmark_group("create");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("48 MiB, 768000-byte slices, 10%", |b| {
        b.iter(|| {
            let file = InputFile {
                name: "v".into(),
                length: data.len() as u64,
                md5_16k: None,
            };
            let config = EncoderConfig {
                slice_size: slice as u64,
                recovery_slices: 7,
                memory: 256 << 20,
                spill_dir: dir.path().to_path_buf(),
                creator: String::new(),
            };
            let mut enc = Encoder::new(vec![file], config).expect("encoder");
            let mut h = FileHasher::new(slice);
            for (i, s) in data.chunks(slice).enumerate() {
                let md5 = h.slice(s);
                enc.add_slice_hashed(0, i as u64, s, md5).expect("slice");
            }
            let (md5, head) = h.finish();
            enc.finish_file(0, md5, head).expect("md5");
            enc.finish(dir.path(), "v", VolumeLayout::Doubling)
                .expect("finish")
        })
    });
    g.finish();
}

criterion_group!(benches, kernels, tiles, md5, create);
criterion_main!(benches);
