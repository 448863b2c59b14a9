//! x86-64 kernels. Each is `unsafe` only because it needs CPU features the
//! caller has checked; all memory access is through checked slices of whole
//! blocks.

use std::arch::x86_64::*;

use super::BLOCK;

/// Split-nibble shuffle: each of the four nibbles of a word looks up the
/// low and high bytes of its partial product.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn avx2_shuffle(dst: &mut [u8], srcs: &[&[u8]], tables: &[[[u8; 16]; 8]]) {
    let mask = _mm256_set1_epi8(0x0f);
    for (src, t) in srcs.iter().zip(tables) {
        let tb = |i: usize| -> __m256i {
            // SAFETY: `t[i]` is 16 readable bytes.
            let x = unsafe { _mm_loadu_si128(t[i].as_ptr().cast()) };
            _mm256_broadcastsi128_si256(x)
        };
        let (l0, l1, l2, l3) = (tb(0), tb(1), tb(2), tb(3));
        let (h0, h1, h2, h3) = (tb(4), tb(5), tb(6), tb(7));
        for (d, s) in dst.chunks_exact_mut(BLOCK).zip(src.chunks_exact(BLOCK)) {
            for half in 0..2 {
                let off = half * 32;
                // SAFETY: `s` and `d` are BLOCK bytes; offsets stay inside.
                unsafe {
                    let lo = _mm256_loadu_si256(s.as_ptr().add(off).cast());
                    let hi = _mm256_loadu_si256(s.as_ptr().add(64 + off).cast());
                    let n0 = _mm256_and_si256(lo, mask);
                    let n1 = _mm256_and_si256(_mm256_srli_epi16(lo, 4), mask);
                    let n2 = _mm256_and_si256(hi, mask);
                    let n3 = _mm256_and_si256(_mm256_srli_epi16(hi, 4), mask);
                    let pl = _mm256_xor_si256(
                        _mm256_xor_si256(_mm256_shuffle_epi8(l0, n0), _mm256_shuffle_epi8(l1, n1)),
                        _mm256_xor_si256(_mm256_shuffle_epi8(l2, n2), _mm256_shuffle_epi8(l3, n3)),
                    );
                    let ph = _mm256_xor_si256(
                        _mm256_xor_si256(_mm256_shuffle_epi8(h0, n0), _mm256_shuffle_epi8(h1, n1)),
                        _mm256_xor_si256(_mm256_shuffle_epi8(h2, n2), _mm256_shuffle_epi8(h3, n3)),
                    );
                    let dl = d.as_mut_ptr().add(off).cast::<__m256i>();
                    let dh = d.as_mut_ptr().add(64 + off).cast::<__m256i>();
                    _mm256_storeu_si256(dl, _mm256_xor_si256(_mm256_loadu_si256(dl), pl));
                    _mm256_storeu_si256(dh, _mm256_xor_si256(_mm256_loadu_si256(dh), ph));
                }
            }
        }
    }
}

/// Split-nibble shuffle on 128-bit vectors (SSSE3 `pshufb`), for CPUs
/// without AVX2: the same lookups as [`avx2_shuffle`], 16 words at a time.
#[target_feature(enable = "ssse3")]
pub(super) unsafe fn ssse3_shuffle(dst: &mut [u8], srcs: &[&[u8]], tables: &[[[u8; 16]; 8]]) {
    let mask = _mm_set1_epi8(0x0f);
    for (src, t) in srcs.iter().zip(tables) {
        // SAFETY: `t[i]` is 16 readable bytes.
        let tb = |i: usize| -> __m128i { unsafe { _mm_loadu_si128(t[i].as_ptr().cast()) } };
        let (l0, l1, l2, l3) = (tb(0), tb(1), tb(2), tb(3));
        let (h0, h1, h2, h3) = (tb(4), tb(5), tb(6), tb(7));
        for (d, s) in dst.chunks_exact_mut(BLOCK).zip(src.chunks_exact(BLOCK)) {
            for quarter in 0..4 {
                let off = quarter * 16;
                // SAFETY: `s` and `d` are BLOCK bytes; offsets stay inside.
                unsafe {
                    let lo = _mm_loadu_si128(s.as_ptr().add(off).cast());
                    let hi = _mm_loadu_si128(s.as_ptr().add(64 + off).cast());
                    let n0 = _mm_and_si128(lo, mask);
                    let n1 = _mm_and_si128(_mm_srli_epi16(lo, 4), mask);
                    let n2 = _mm_and_si128(hi, mask);
                    let n3 = _mm_and_si128(_mm_srli_epi16(hi, 4), mask);
                    let pl = _mm_xor_si128(
                        _mm_xor_si128(_mm_shuffle_epi8(l0, n0), _mm_shuffle_epi8(l1, n1)),
                        _mm_xor_si128(_mm_shuffle_epi8(l2, n2), _mm_shuffle_epi8(l3, n3)),
                    );
                    let ph = _mm_xor_si128(
                        _mm_xor_si128(_mm_shuffle_epi8(h0, n0), _mm_shuffle_epi8(h1, n1)),
                        _mm_xor_si128(_mm_shuffle_epi8(h2, n2), _mm_shuffle_epi8(h3, n3)),
                    );
                    let dl = d.as_mut_ptr().add(off).cast::<__m128i>();
                    let dh = d.as_mut_ptr().add(64 + off).cast::<__m128i>();
                    _mm_storeu_si128(dl, _mm_xor_si128(_mm_loadu_si128(dl), pl));
                    _mm_storeu_si128(dh, _mm_xor_si128(_mm_loadu_si128(dh), ph));
                }
            }
        }
    }
}

/// GFNI on 256-bit vectors: the 16×16 bit matrix of `c` as four 8×8 blocks.
/// Accumulators stay in registers across all sources of one block.
#[target_feature(enable = "avx2,gfni")]
pub(super) unsafe fn avx2_gfni(dst: &mut [u8], srcs: &[&[u8]], mats: &[[u64; 4]]) {
    let mats: Vec<[__m256i; 4]> = mats
        .iter()
        .map(|m| m.map(|x| _mm256_set1_epi64x(x as i64)))
        .collect();
    let blocks = dst.len() / BLOCK;
    for b in 0..blocks {
        let base = b * BLOCK;
        // SAFETY: every access below is within [base, base + BLOCK) of
        // buffers that are `blocks * BLOCK` long.
        unsafe {
            let dp = dst.as_mut_ptr().add(base);
            let mut l0 = _mm256_loadu_si256(dp.cast());
            let mut l1 = _mm256_loadu_si256(dp.add(32).cast());
            let mut h0 = _mm256_loadu_si256(dp.add(64).cast());
            let mut h1 = _mm256_loadu_si256(dp.add(96).cast());
            for (src, m) in srcs.iter().zip(&mats) {
                let sp = src.as_ptr().add(base);
                let a0 = _mm256_loadu_si256(sp.cast());
                let a1 = _mm256_loadu_si256(sp.add(32).cast());
                let b0 = _mm256_loadu_si256(sp.add(64).cast());
                let b1 = _mm256_loadu_si256(sp.add(96).cast());
                l0 = _mm256_xor_si256(
                    l0,
                    _mm256_xor_si256(
                        _mm256_gf2p8affine_epi64_epi8::<0>(a0, m[0]),
                        _mm256_gf2p8affine_epi64_epi8::<0>(b0, m[1]),
                    ),
                );
                l1 = _mm256_xor_si256(
                    l1,
                    _mm256_xor_si256(
                        _mm256_gf2p8affine_epi64_epi8::<0>(a1, m[0]),
                        _mm256_gf2p8affine_epi64_epi8::<0>(b1, m[1]),
                    ),
                );
                h0 = _mm256_xor_si256(
                    h0,
                    _mm256_xor_si256(
                        _mm256_gf2p8affine_epi64_epi8::<0>(a0, m[2]),
                        _mm256_gf2p8affine_epi64_epi8::<0>(b0, m[3]),
                    ),
                );
                h1 = _mm256_xor_si256(
                    h1,
                    _mm256_xor_si256(
                        _mm256_gf2p8affine_epi64_epi8::<0>(a1, m[2]),
                        _mm256_gf2p8affine_epi64_epi8::<0>(b1, m[3]),
                    ),
                );
            }
            _mm256_storeu_si256(dp.cast(), l0);
            _mm256_storeu_si256(dp.add(32).cast(), l1);
            _mm256_storeu_si256(dp.add(64).cast(), h0);
            _mm256_storeu_si256(dp.add(96).cast(), h1);
        }
    }
}

/// GFNI on 512-bit vectors, two blocks per pass so each source's matrices
/// are loaded once per 256 bytes; three-way XORs fold with `vpternlogq`.
#[target_feature(enable = "avx512f,avx512bw,gfni")]
pub(super) unsafe fn avx512_gfni(dst: &mut [u8], srcs: &[&[u8]], mats: &[[u64; 4]]) {
    let blocks = dst.len() / BLOCK;
    let mut b = 0;
    while b + 2 <= blocks {
        let base = b * BLOCK;
        // SAFETY: accesses stay within [base, base + 2 * BLOCK).
        unsafe {
            let dp = dst.as_mut_ptr().add(base);
            let mut l0 = _mm512_loadu_si512(dp.cast());
            let mut h0 = _mm512_loadu_si512(dp.add(64).cast());
            let mut l1 = _mm512_loadu_si512(dp.add(128).cast());
            let mut h1 = _mm512_loadu_si512(dp.add(192).cast());
            for (src, m) in srcs.iter().zip(mats) {
                let sp = src.as_ptr().add(base);
                let m0 = _mm512_set1_epi64(m[0] as i64);
                let m1 = _mm512_set1_epi64(m[1] as i64);
                let m2 = _mm512_set1_epi64(m[2] as i64);
                let m3 = _mm512_set1_epi64(m[3] as i64);
                let a0 = _mm512_loadu_si512(sp.cast());
                let b0 = _mm512_loadu_si512(sp.add(64).cast());
                let a1 = _mm512_loadu_si512(sp.add(128).cast());
                let b1 = _mm512_loadu_si512(sp.add(192).cast());
                l0 = _mm512_ternarylogic_epi64::<0x96>(
                    l0,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a0, m0),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b0, m1),
                );
                h0 = _mm512_ternarylogic_epi64::<0x96>(
                    h0,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a0, m2),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b0, m3),
                );
                l1 = _mm512_ternarylogic_epi64::<0x96>(
                    l1,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a1, m0),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b1, m1),
                );
                h1 = _mm512_ternarylogic_epi64::<0x96>(
                    h1,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a1, m2),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b1, m3),
                );
            }
            _mm512_storeu_si512(dp.cast(), l0);
            _mm512_storeu_si512(dp.add(64).cast(), h0);
            _mm512_storeu_si512(dp.add(128).cast(), l1);
            _mm512_storeu_si512(dp.add(192).cast(), h1);
        }
        b += 2;
    }
    if b < blocks {
        let base = b * BLOCK;
        // SAFETY: the last block, [base, base + BLOCK).
        unsafe {
            let dp = dst.as_mut_ptr().add(base);
            let mut l0 = _mm512_loadu_si512(dp.cast());
            let mut h0 = _mm512_loadu_si512(dp.add(64).cast());
            for (src, m) in srcs.iter().zip(mats) {
                let sp = src.as_ptr().add(base);
                let a0 = _mm512_loadu_si512(sp.cast());
                let b0 = _mm512_loadu_si512(sp.add(64).cast());
                l0 = _mm512_ternarylogic_epi64::<0x96>(
                    l0,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a0, _mm512_set1_epi64(m[0] as i64)),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b0, _mm512_set1_epi64(m[1] as i64)),
                );
                h0 = _mm512_ternarylogic_epi64::<0x96>(
                    h0,
                    _mm512_gf2p8affine_epi64_epi8::<0>(a0, _mm512_set1_epi64(m[2] as i64)),
                    _mm512_gf2p8affine_epi64_epi8::<0>(b0, _mm512_set1_epi64(m[3] as i64)),
                );
            }
            _mm512_storeu_si512(dp.cast(), l0);
            _mm512_storeu_si512(dp.add(64).cast(), h0);
        }
    }
}

/// [`avx512_gfni_outputs`] one block per pass, for tiles of an odd number
/// of blocks.
#[target_feature(enable = "avx512f,avx512bw,gfni")]
unsafe fn avx512_gfni_outputs_b1(dsts: &mut [u8], srcs: &[&[u8]], mats: &[[u64; 4]]) {
    let n = srcs.len();
    let w = srcs.first().map_or(0, |s| s.len());
    if w == 0 || n == 0 {
        return;
    }
    let k = dsts.len() / w;
    let blocks = w / BLOCK;
    let mut j = 0;
    while j + 2 <= k {
        let (m0s, m1s) = (&mats[j * n..(j + 1) * n], &mats[(j + 1) * n..(j + 2) * n]);
        for b in 0..blocks {
            let base = b * BLOCK;
            // SAFETY: outputs j and j + 1 span [j * w, (j + 2) * w) of
            // `dsts`; every source and offset stays inside `w` bytes.
            unsafe {
                let d0 = dsts.as_mut_ptr().add(j * w + base);
                let d1 = dsts.as_mut_ptr().add((j + 1) * w + base);
                let mut l0 = _mm512_loadu_si512(d0.cast());
                let mut h0 = _mm512_loadu_si512(d0.add(64).cast());
                let mut l1 = _mm512_loadu_si512(d1.cast());
                let mut h1 = _mm512_loadu_si512(d1.add(64).cast());
                for i in 0..n {
                    let sp = srcs.get_unchecked(i).as_ptr().add(base);
                    let a = _mm512_loadu_si512(sp.cast());
                    let c = _mm512_loadu_si512(sp.add(64).cast());
                    let m = m0s.get_unchecked(i);
                    l0 = _mm512_ternarylogic_epi64::<0x96>(
                        l0,
                        _mm512_gf2p8affine_epi64_epi8::<0>(a, _mm512_set1_epi64(m[0] as i64)),
                        _mm512_gf2p8affine_epi64_epi8::<0>(c, _mm512_set1_epi64(m[1] as i64)),
                    );
                    h0 = _mm512_ternarylogic_epi64::<0x96>(
                        h0,
                        _mm512_gf2p8affine_epi64_epi8::<0>(a, _mm512_set1_epi64(m[2] as i64)),
                        _mm512_gf2p8affine_epi64_epi8::<0>(c, _mm512_set1_epi64(m[3] as i64)),
                    );
                    let m = m1s.get_unchecked(i);
                    l1 = _mm512_ternarylogic_epi64::<0x96>(
                        l1,
                        _mm512_gf2p8affine_epi64_epi8::<0>(a, _mm512_set1_epi64(m[0] as i64)),
                        _mm512_gf2p8affine_epi64_epi8::<0>(c, _mm512_set1_epi64(m[1] as i64)),
                    );
                    h1 = _mm512_ternarylogic_epi64::<0x96>(
                        h1,
                        _mm512_gf2p8affine_epi64_epi8::<0>(a, _mm512_set1_epi64(m[2] as i64)),
                        _mm512_gf2p8affine_epi64_epi8::<0>(c, _mm512_set1_epi64(m[3] as i64)),
                    );
                }
                _mm512_storeu_si512(d0.cast(), l0);
                _mm512_storeu_si512(d0.add(64).cast(), h0);
                _mm512_storeu_si512(d1.cast(), l1);
                _mm512_storeu_si512(d1.add(64).cast(), h1);
            }
        }
        j += 2;
    }
    if j < k {
        // SAFETY: the last output, [j * w, (j + 1) * w), with its matrices.
        unsafe {
            avx512_gfni(
                &mut dsts[j * w..(j + 1) * w],
                srcs,
                &mats[j * n..(j + 1) * n],
            )
        };
    }
}

/// All outputs of one tile, two outputs and two blocks per pass: each
/// source block is loaded once for both outputs and each matrix broadcast
/// once for both blocks, so a multiply costs 0.75 loads instead of 2, and
/// the tile's sources (a few KiB each) stay in L1 from one pair of outputs
/// to the next. `dsts` is `k` outputs of `w` bytes; output `j` uses
/// matrices `mats[j * n..(j + 1) * n]`. Measured in `benches/parity.rs`
/// (`tile`): 1.5x the one-block, one-output-per-load form.
#[target_feature(enable = "avx512f,avx512bw,gfni")]
pub(super) unsafe fn avx512_gfni_outputs(dsts: &mut [u8], srcs: &[&[u8]], mats: &[[u64; 4]]) {
    let n = srcs.len();
    let w = srcs.first().map_or(0, |s| s.len());
    if w == 0 || n == 0 {
        return;
    }
    let k = dsts.len() / w;
    let blocks = w / BLOCK;
    if !blocks.is_multiple_of(2) {
        // SAFETY: same contract as this function's.
        unsafe { avx512_gfni_outputs_b1(dsts, srcs, mats) };
        return;
    }
    let mut j = 0;
    while j + 2 <= k {
        let (m0s, m1s) = (&mats[j * n..(j + 1) * n], &mats[(j + 1) * n..(j + 2) * n]);
        let mut b = 0;
        while b < blocks {
            let base = b * BLOCK;
            // SAFETY: outputs j and j + 1 span [j * w, (j + 2) * w) of
            // `dsts`; every source and offset stays inside `w` bytes.
            unsafe {
                let d0 = dsts.as_mut_ptr().add(j * w + base);
                let d1 = dsts.as_mut_ptr().add((j + 1) * w + base);
                let mut acc = [
                    _mm512_loadu_si512(d0.cast()),
                    _mm512_loadu_si512(d0.add(64).cast()),
                    _mm512_loadu_si512(d0.add(128).cast()),
                    _mm512_loadu_si512(d0.add(192).cast()),
                    _mm512_loadu_si512(d1.cast()),
                    _mm512_loadu_si512(d1.add(64).cast()),
                    _mm512_loadu_si512(d1.add(128).cast()),
                    _mm512_loadu_si512(d1.add(192).cast()),
                ];
                for i in 0..n {
                    let sp = srcs.get_unchecked(i).as_ptr().add(base);
                    let a0 = _mm512_loadu_si512(sp.cast());
                    let c0 = _mm512_loadu_si512(sp.add(64).cast());
                    let a1 = _mm512_loadu_si512(sp.add(128).cast());
                    let c1 = _mm512_loadu_si512(sp.add(192).cast());
                    for (o, m) in [(0usize, m0s.get_unchecked(i)), (4, m1s.get_unchecked(i))] {
                        let m0 = _mm512_set1_epi64(m[0] as i64);
                        let m1 = _mm512_set1_epi64(m[1] as i64);
                        let m2 = _mm512_set1_epi64(m[2] as i64);
                        let m3 = _mm512_set1_epi64(m[3] as i64);
                        acc[o] = _mm512_ternarylogic_epi64::<0x96>(
                            acc[o],
                            _mm512_gf2p8affine_epi64_epi8::<0>(a0, m0),
                            _mm512_gf2p8affine_epi64_epi8::<0>(c0, m1),
                        );
                        acc[o + 1] = _mm512_ternarylogic_epi64::<0x96>(
                            acc[o + 1],
                            _mm512_gf2p8affine_epi64_epi8::<0>(a0, m2),
                            _mm512_gf2p8affine_epi64_epi8::<0>(c0, m3),
                        );
                        acc[o + 2] = _mm512_ternarylogic_epi64::<0x96>(
                            acc[o + 2],
                            _mm512_gf2p8affine_epi64_epi8::<0>(a1, m0),
                            _mm512_gf2p8affine_epi64_epi8::<0>(c1, m1),
                        );
                        acc[o + 3] = _mm512_ternarylogic_epi64::<0x96>(
                            acc[o + 3],
                            _mm512_gf2p8affine_epi64_epi8::<0>(a1, m2),
                            _mm512_gf2p8affine_epi64_epi8::<0>(c1, m3),
                        );
                    }
                }
                for (q, d) in [(0usize, d0), (4, d1)] {
                    _mm512_storeu_si512(d.cast(), acc[q]);
                    _mm512_storeu_si512(d.add(64).cast(), acc[q + 1]);
                    _mm512_storeu_si512(d.add(128).cast(), acc[q + 2]);
                    _mm512_storeu_si512(d.add(192).cast(), acc[q + 3]);
                }
            }
            b += 2;
        }
        j += 2;
    }
    if j < k {
        // SAFETY: the last output, [j * w, (j + 1) * w), with its matrices.
        unsafe {
            avx512_gfni(
                &mut dsts[j * w..(j + 1) * w],
                srcs,
                &mats[j * n..(j + 1) * n],
            )
        };
    }
}

/// Split layout from little-endian words, whole blocks: within each 128-bit
/// lane gather even bytes then odd bytes, then regroup the 64-bit halves.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn to_split_avx2(src: &[u8], dst: &mut [u8]) {
    let mask = _mm256_setr_epi8(
        0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5,
        7, 9, 11, 13, 15,
    );
    for (s, d) in src.chunks_exact(BLOCK).zip(dst.chunks_exact_mut(BLOCK)) {
        // SAFETY: `s` and `d` are BLOCK bytes; offsets stay inside.
        unsafe {
            let v: [__m256i; 4] = std::array::from_fn(|k| {
                let x = _mm256_loadu_si256(s.as_ptr().add(32 * k).cast());
                // [lo(lane0) lo(lane1) hi(lane0) hi(lane1)]
                _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_shuffle_epi8(x, mask))
            });
            let dp = d.as_mut_ptr();
            _mm256_storeu_si256(dp.cast(), _mm256_permute2x128_si256::<0x20>(v[0], v[1]));
            _mm256_storeu_si256(
                dp.add(32).cast(),
                _mm256_permute2x128_si256::<0x20>(v[2], v[3]),
            );
            _mm256_storeu_si256(
                dp.add(64).cast(),
                _mm256_permute2x128_si256::<0x31>(v[0], v[1]),
            );
            _mm256_storeu_si256(
                dp.add(96).cast(),
                _mm256_permute2x128_si256::<0x31>(v[2], v[3]),
            );
        }
    }
}

/// Little-endian words from split layout, whole blocks: byte-interleave the
/// low and high halves, then put the 128-bit lanes back in order.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn from_split_avx2(src: &[u8], dst: &mut [u8]) {
    for (s, d) in src.chunks_exact(BLOCK).zip(dst.chunks_exact_mut(BLOCK)) {
        // SAFETY: `s` and `d` are BLOCK bytes; offsets stay inside.
        unsafe {
            let sp = s.as_ptr();
            let dp = d.as_mut_ptr();
            for half in 0..2 {
                let lo = _mm256_loadu_si256(sp.add(32 * half).cast());
                let hi = _mm256_loadu_si256(sp.add(64 + 32 * half).cast());
                let a = _mm256_unpacklo_epi8(lo, hi);
                let b = _mm256_unpackhi_epi8(lo, hi);
                _mm256_storeu_si256(
                    dp.add(64 * half).cast(),
                    _mm256_permute2x128_si256::<0x20>(a, b),
                );
                _mm256_storeu_si256(
                    dp.add(64 * half + 32).cast(),
                    _mm256_permute2x128_si256::<0x31>(a, b),
                );
            }
        }
    }
}
