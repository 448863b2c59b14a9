//! Kernel and create throughput. Speed targets live here, never in tests.

use ap_parity::gf::{BLOCK, Kernel};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn kernels(c: &mut Criterion) {
    let len = 64 * BLOCK * 8; // 64 KiB per input
    let inputs: Vec<Vec<u8>> = (0..16)
        .map(|i| (0..len).map(|b| (b * 31 + i) as u8).collect())
        .collect();
    let refs: Vec<&[u8]> = inputs.iter().map(|v| v.as_slice()).collect();
    let coeffs: Vec<u16> = (0..16).map(|i| 0x1234u16.wrapping_mul(i + 1)).collect();
    let mut g = c.benchmark_group("mul_add_multi");
    g.throughput(Throughput::Bytes((len * refs.len()) as u64));
    for k in Kernel::available() {
        let mut dst = vec![0u8; len];
        g.bench_function(k.name(), |b| {
            b.iter(|| k.mul_add_multi(&mut dst, &refs, &coeffs))
        });
    }
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
