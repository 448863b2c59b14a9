//! CRC32 by carry-less multiplication folding, 512 bits a lane
//! (VPCLMULQDQ on AVX-512), after Intel's "Fast CRC Computation for Generic
//! Polynomials Using PCLMULQDQ". Four 64-byte accumulators are folded
//! forward 2048 bits per 256-byte step, then into one, then its four
//! 128-bit lanes into one; the last 16 bytes of remainder and the tail go
//! through the byte-wise path, which avoids a Barrett reduction here.

use core::arch::x86_64::*;

/// x^n mod P, bit-reflected over 32 bits and shifted left by one: the fold
/// constant for the half that lies `n` bits before the target.
const fn fold_const(n: u32) -> i64 {
    const P: u64 = 0x1_04c1_1db7;
    let mut r: u64 = 1;
    let mut i = 0;
    while i < n {
        r <<= 1;
        if r >> 32 & 1 != 0 {
            r ^= P;
        }
        i += 1;
    }
    ((r as u32).reverse_bits() as i64) << 1
}

const K2048: (i64, i64) = (fold_const(2048 + 32), fold_const(2048 - 32));
const K512: (i64, i64) = (fold_const(512 + 32), fold_const(512 - 32));
const K384: (i64, i64) = (fold_const(384 + 32), fold_const(384 - 32));
const K256: (i64, i64) = (fold_const(256 + 32), fold_const(256 - 32));
const K128: (i64, i64) = (fold_const(128 + 32), fold_const(128 - 32));

#[target_feature(enable = "avx512f,vpclmulqdq")]
#[inline]
fn fold(acc: __m512i, k: __m512i, data: __m512i) -> __m512i {
    let lo = _mm512_clmulepi64_epi128(acc, k, 0x00);
    let hi = _mm512_clmulepi64_epi128(acc, k, 0x11);
    _mm512_ternarylogic_epi64(lo, hi, data, 0x96)
}

#[target_feature(enable = "avx512f")]
#[inline]
fn keys(k: (i64, i64)) -> __m512i {
    _mm512_broadcast_i32x4(_mm_set_epi64x(k.1, k.0))
}

/// Continues CRC `crc` (in its usual, inverted form) over `data`.
///
/// # Safety
/// The CPU must support AVX-512 F and VPCLMULQDQ.
#[target_feature(enable = "avx512f,avx512vl,vpclmulqdq,pclmulqdq")]
pub(crate) unsafe fn update(crc: u32, data: &[u8]) -> u32 {
    let n = data.len();
    if n < 256 {
        return super::bytewise(crc, data);
    }
    let p = data.as_ptr();
    // SAFETY: every load reads 64 bytes at an offset `i` with `i + 64 <= n`.
    let rest = unsafe {
        let load = |i: usize| _mm512_loadu_si512(p.add(i).cast());
        let seed = _mm512_zextsi128_si512(_mm_cvtsi32_si128(!crc as i32));
        let mut a0 = _mm512_xor_si512(load(0), seed);
        let mut a1 = load(64);
        let mut a2 = load(128);
        let mut a3 = load(192);
        let k = keys(K2048);
        let mut i = 256;
        while i + 256 <= n {
            a0 = fold(a0, k, load(i));
            a1 = fold(a1, k, load(i + 64));
            a2 = fold(a2, k, load(i + 128));
            a3 = fold(a3, k, load(i + 192));
            i += 256;
        }
        let k = keys(K512);
        let mut a = fold(a0, k, a1);
        a = fold(a, k, a2);
        a = fold(a, k, a3);
        while i + 64 <= n {
            a = fold(a, k, load(i));
            i += 64;
        }
        // Lanes 0..2 folded onto lane 3's place; lane 3's constants are 0.
        let kl = _mm512_set_epi64(0, 0, K128.1, K128.0, K256.1, K256.0, K384.1, K384.0);
        let t = _mm512_xor_si512(
            _mm512_clmulepi64_epi128(a, kl, 0x00),
            _mm512_clmulepi64_epi128(a, kl, 0x11),
        );
        let r = _mm_xor_si128(
            _mm_xor_si128(_mm512_castsi512_si128(t), _mm512_extracti32x4_epi32(t, 1)),
            _mm_xor_si128(
                _mm512_extracti32x4_epi32(t, 2),
                _mm512_extracti32x4_epi32(a, 3),
            ),
        );
        let mut bytes = [0u8; 16];
        _mm_storeu_si128(bytes.as_mut_ptr().cast(), r);
        (i, bytes)
    };
    let (i, remainder) = rest;
    let crc = super::bytewise(0xffff_ffff, &remainder);
    super::bytewise(crc, &data[i..])
}
