//! Encode, decode and CRC32 at 1 MiB (and 256 MiB with `AP_BENCH_LARGE=1`,
//! kept optional so `cargo bench` stays quick). Each kernel this CPU runs is
//! measured; the side-by-side against node `yencode` is
//! `examples/ybench.rs` with `benches/node/yencode-bench.js`.

use ap_yenc::{Kernel, crc32, decode_raw_with, encode_raw_with, max_encoded_len};
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

criterion_group!(benches, bench);
criterion_main!(benches);
