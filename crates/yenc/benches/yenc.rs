//! Encode, decode and CRC32 at 1 MiB (and 256 MiB with `AP_BENCH_LARGE=1`,
//! kept optional so `cargo bench` stays quick). Each kernel this CPU runs is
//! measured; the side-by-side against node `yencode` is
//! `examples/ybench.rs` with `benches/node/yencode-bench.js`. `encode_part`
//! measures what a poster does: whole articles (header, body, CRC, trailer)
//! from input too big to stay in cache.

use ap_yenc::{
    Kernel, PartInfo, crc32, decode_raw_with, encode_part_into, encode_raw_with, max_encoded_len,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn sizes() -> Vec<usize> {
    let mut s = vec![1 << 20];
    if std::env::var_os("AP_BENCH_LARGE").is_some() {
        s.push(256 << 20);
    }
    s
}

fn bench(c: &mut Criterion) {
    for size in sizes() {
        let data = ap_tests::noise(1, size);
        let mut enc = vec![0u8; max_encoded_len(size, 128)];
        let enc_len = encode_raw_with(Kernel::best(), &data, 128, &mut enc).expect("room");
        let mut dec = vec![0u8; enc_len];
        let label = if size >= 1 << 28 { "256MiB" } else { "1MiB" };

        let mut g = c.benchmark_group(format!("encode/{label}"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 1 << 28 {
            g.sample_size(10);
        }
        for k in Kernel::available() {
            g.bench_with_input(
                BenchmarkId::from_parameter(format!("{k:?}")),
                &k,
                |b, &k| {
                    b.iter(|| encode_raw_with(k, black_box(&data), 128, &mut enc).expect("room"))
                },
            );
        }
        g.finish();

        let mut g = c.benchmark_group(format!("decode/{label}"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 1 << 28 {
            g.sample_size(10);
        }
        for k in Kernel::available() {
            g.bench_with_input(
                BenchmarkId::from_parameter(format!("{k:?}")),
                &k,
                |b, &k| {
                    b.iter(|| {
                        decode_raw_with(k, black_box(&enc[..enc_len]), &mut dec, true)
                            .expect("room")
                    })
                },
            );
        }
        g.finish();

        let mut g = c.benchmark_group(format!("crc32/{label}"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 1 << 28 {
            g.sample_size(10);
        }
        g.bench_function("crc32", |b| b.iter(|| crc32(black_box(&data))));
        g.finish();
    }
}

/// 700 KiB articles from 128 MiB of input, four output buffers in turn as
/// a poster's queue would hold them: the input arrives cold from memory.
fn bench_parts(c: &mut Criterion) {
    const PART: usize = 716_800;
    let data = ap_tests::noise(2, 128 << 20);
    let parts = data.len().div_ceil(PART);
    // Later parts have longer offsets in `=ypart`, hence the slack.
    let first = PartInfo::new("p.bin", data.len() as u64, 1, parts as u32, 0, PART as u64);
    let mut outs: Vec<Vec<u8>> = (0..4)
        .map(|_| vec![0u8; first.max_encoded_len() + 256])
        .collect();
    let mut g = c.benchmark_group("encode_part/128MiB-in-700KiB-parts");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("best", |b| {
        b.iter(|| {
            let mut total = 0;
            for (p, chunk) in data.chunks(PART).enumerate() {
                let info = PartInfo::new(
                    "p.bin",
                    data.len() as u64,
                    p as u32 + 1,
                    parts as u32,
                    (p * PART) as u64,
                    chunk.len() as u64,
                );
                let (n, _) = encode_part_into(&info, chunk, &mut outs[p % 4]).expect("room");
                total += n;
            }
            black_box(total)
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_parts);
criterion_main!(benches);
