//! x86 decode kernels over 64-byte blocks, returning `(consumed, written,
//! stop)` like the scalar kernel and leaving the same state.
//!
//! Per block: masks of `=`, CR, LF (and `.` when dot-stripping). A block
//! with none of them, and no escape or line start carried in, is just
//! `v - 42`. Otherwise the escaped positions are the bits after each `=`
//! (valid when no two `=` touch, which a sane encoder never emits; blocks
//! with `==` go to the scalar kernel), the dropped positions are the active
//! `=`, unescaped CR/LF and line-start dots, and the kept bytes are packed
//! with `vpcompressb` (AVX-512 VBMI2) or `pshufb` tables (SSSE3/AVX2). A
//! line starting `=y` (the trailer) sends the block to the scalar kernel,
//! which stops in front of it.

#![allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]

use super::{BodyState, Stop, scalar};
use core::arch::x86_64::*;

/// What to do with a block that is not plain data.
#[inline(always)]
fn plan(
    e: u64,
    crlf: u64,
    lf: u64,
    dots: u64,
    st: &BodyState,
    y: impl FnOnce() -> u64,
) -> Option<(u64, u64)> {
    let c = u64::from(st.esc);
    if e & ((e << 1) | c) != 0 {
        return None;
    }
    let x = (e << 1) | c;
    let lfu = lf & !x;
    let s = (lfu << 1) | u64::from(st.line_start);
    let se = s & e;
    if se != 0 && ((se >> 63) != 0 || se & (y() >> 1) != 0) {
        return None;
    }
    let keep = !(e | (crlf & !x) | (s & dots));
    Some((keep, x))
}

#[inline(always)]
fn carry_out(st: &mut BodyState, e: u64, lf: u64, x: u64) {
    st.esc = (e >> 63) != 0;
    st.line_start = ((lf & !x) >> 63) != 0;
}

/// Hands one block to the scalar kernel; `Some` means stop now.
#[inline(always)]
fn fallback(
    input: &[u8],
    out: &mut [u8],
    ip: &mut usize,
    op: &mut usize,
    st: &mut BodyState,
    strip: bool,
) -> Option<(usize, usize, Stop)> {
    let (ci, co, stop) = scalar::decode(&input[*ip..*ip + 64], &mut out[*op..], st, strip);
    *ip += ci;
    *op += co;
    match stop {
        Stop::Keyword => Some((*ip, *op, Stop::Keyword)),
        Stop::Done | Stop::NeedMore => None,
    }
}

/// AVX-512 VBMI2. Every block takes the same branch-free path (a
/// plain-block shortcut would be mispredicted about half the time on yEnc
/// text, where most 64-byte blocks hold an escape or a line break).
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VBMI2.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,popcnt")]
pub(crate) unsafe fn decode_avx512(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
) -> (usize, usize, Stop) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op) = (0, 0);
    let mut local = *st;
    // SAFETY: loads read 64 bytes at `ip` with `ip + 64 <= n`; the store
    // writes 64 bytes at `op` with `op + 64 <= cap`.
    unsafe {
        let k42 = _mm512_set1_epi8(42);
        let k64 = _mm512_set1_epi8(64);
        let keq = _mm512_set1_epi8(b'=' as i8);
        let kcr = _mm512_set1_epi8(b'\r' as i8);
        let klf = _mm512_set1_epi8(b'\n' as i8);
        let kdot = _mm512_set1_epi8(if strip { b'.' as i8 } else { b'\n' as i8 });
        let ky = _mm512_set1_epi8(b'y' as i8);
        let src = input.as_ptr();
        let dst = out.as_mut_ptr();
        while ip + 64 <= n && op + 64 <= cap {
            let v = _mm512_loadu_si512(src.add(ip).cast());
            let e = _mm512_cmpeq_epi8_mask(v, keq);
            let cr = _mm512_cmpeq_epi8_mask(v, kcr);
            let lf = _mm512_cmpeq_epi8_mask(v, klf);
            // Without dot-stripping `kdot` is LF, which never starts a line
            // that `plan` would strip from (an LF at a line start is dropped anyway).
            let dots = _mm512_cmpeq_epi8_mask(v, kdot);
            let Some((keep, x)) = plan(e, cr | lf, lf, dots, &local, || {
                _mm512_cmpeq_epi8_mask(v, ky)
            }) else {
                *st = local;
                if let Some(r) = fallback(input, out, &mut ip, &mut op, st, strip) {
                    return r;
                }
                local = *st;
                continue;
            };
            let d = _mm512_sub_epi8(v, k42);
            let d = _mm512_mask_sub_epi8(d, x, d, k64);
            _mm512_storeu_si512(dst.add(op).cast(), _mm512_maskz_compress_epi8(keep, d));
            carry_out(&mut local, e, lf, x);
            ip += 64;
            op += keep.count_ones() as usize;
        }
    }
    *st = local;
    (ip, op, Stop::Done)
}

/// Per 8-bit keep mask: `pshufb` indices that pack the kept bytes of an
/// 8-byte group to its front.
const PACK: [[u8; 8]; 256] = {
    let mut t = [[0x80u8; 8]; 256];
    let mut k = 0;
    while k < 256 {
        let mut o = 0;
        let mut j = 0;
        while j < 8 {
            if k & (1 << j) != 0 {
                t[k][o] = j as u8;
                o += 1;
            }
            j += 1;
        }
        k += 1;
    }
    t
};

/// Packs the kept bytes of one 16-byte lane to `out`, returning the count.
///
/// # Safety
/// SSSE3; `out` must have 16 bytes of room.
#[target_feature(enable = "ssse3,popcnt")]
#[inline]
unsafe fn pack_lane(lane: __m128i, keep: u32, out: *mut u8) -> usize {
    // SAFETY: table indices are masked to 0..256; the caller guarantees room.
    unsafe {
        let k0 = (keep & 0xff) as usize;
        let k1 = ((keep >> 8) & 0xff) as usize;
        let idx = _mm_unpacklo_epi64(
            _mm_loadl_epi64(PACK[k0].as_ptr().cast()),
            _mm_add_epi8(_mm_loadl_epi64(PACK[k1].as_ptr().cast()), _mm_set1_epi8(8)),
        );
        let r = _mm_shuffle_epi8(lane, idx);
        _mm_storel_epi64(out.cast(), r);
        let n0 = k0.count_ones() as usize;
        _mm_storel_epi64(out.add(n0).cast(), _mm_unpackhi_epi64(r, r));
        n0 + k1.count_ones() as usize
    }
}

/// 0xFF in each byte whose bit is set in the low 16 bits of `m`.
#[target_feature(enable = "ssse3")]
#[inline]
fn bytes_of_bits(m: u32) -> __m128i {
    let spread = _mm_shuffle_epi8(
        _mm_cvtsi32_si128(m as i32),
        _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
    );
    let bits = _mm_set1_epi64x(0x8040_2010_0804_0201_u64 as i64);
    _mm_cmpeq_epi8(_mm_and_si128(spread, bits), bits)
}

/// Decodes a block of four 16-byte lanes whose masks are known.
///
/// # Safety
/// SSSE3; `out` must have 64 bytes of room.
#[target_feature(enable = "ssse3,popcnt")]
#[inline]
unsafe fn pack_block(lanes: [__m128i; 4], keep: u64, x: u64, out: *mut u8) -> usize {
    let k42 = _mm_set1_epi8(42);
    let k64 = _mm_set1_epi8(64);
    let mut o = 0;
    for (l, lane) in lanes.into_iter().enumerate() {
        let shift = 16 * l;
        let xs = _mm_and_si128(bytes_of_bits((x >> shift) as u32 & 0xffff), k64);
        let d = _mm_sub_epi8(_mm_sub_epi8(lane, k42), xs);
        // SAFETY: at most 64 bytes are written in all; the caller has room.
        o += unsafe { pack_lane(d, (keep >> shift) as u32 & 0xffff, out.add(o)) };
    }
    o
}

/// AVX2: 64-byte blocks as two 32-byte loads, packed with SSSE3 tables.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn decode_avx2(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
) -> (usize, usize, Stop) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op) = (0, 0);
    let mut local = *st;
    // SAFETY: as in decode_avx512.
    unsafe {
        let k42 = _mm256_set1_epi8(42);
        let keq = _mm256_set1_epi8(b'=' as i8);
        let kcr = _mm256_set1_epi8(b'\r' as i8);
        let klf = _mm256_set1_epi8(b'\n' as i8);
        let mask = |a: __m256i, b: __m256i, k: __m256i| -> u64 {
            u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, k)) as u32)
                | (u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, k)) as u32) << 32)
        };
        while ip + 64 <= n && op + 64 <= cap {
            let a = _mm256_loadu_si256(input.as_ptr().add(ip).cast());
            let b = _mm256_loadu_si256(input.as_ptr().add(ip + 32).cast());
            let sa = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(a, keq), _mm256_cmpeq_epi8(a, kcr)),
                _mm256_cmpeq_epi8(a, klf),
            );
            let sb = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(b, keq), _mm256_cmpeq_epi8(b, kcr)),
                _mm256_cmpeq_epi8(b, klf),
            );
            if _mm256_testz_si256(_mm256_or_si256(sa, sb), _mm256_or_si256(sa, sb)) != 0
                && !local.esc
                && !local.line_start
            {
                _mm256_storeu_si256(out.as_mut_ptr().add(op).cast(), _mm256_sub_epi8(a, k42));
                _mm256_storeu_si256(
                    out.as_mut_ptr().add(op + 32).cast(),
                    _mm256_sub_epi8(b, k42),
                );
                ip += 64;
                op += 64;
                continue;
            }
            let e = mask(a, b, keq);
            let lf = mask(a, b, klf);
            let crlf = mask(a, b, kcr) | lf;
            let dots = if strip {
                mask(a, b, _mm256_set1_epi8(b'.' as i8))
            } else {
                0
            };
            let Some((keep, x)) = plan(e, crlf, lf, dots, &local, || {
                mask(a, b, _mm256_set1_epi8(b'y' as i8))
            }) else {
                *st = local;
                if let Some(r) = fallback(input, out, &mut ip, &mut op, st, strip) {
                    return r;
                }
                local = *st;
                continue;
            };
            let lanes = [
                _mm256_castsi256_si128(a),
                _mm256_extracti128_si256(a, 1),
                _mm256_castsi256_si128(b),
                _mm256_extracti128_si256(b, 1),
            ];
            op += pack_block(lanes, keep, x, out.as_mut_ptr().add(op));
            carry_out(&mut local, e, lf, x);
            ip += 64;
        }
    }
    *st = local;
    (ip, op, Stop::Done)
}

/// SSSE3: 64-byte blocks as four 16-byte loads.
///
/// # Safety
/// The CPU must support SSSE3.
#[target_feature(enable = "ssse3,popcnt")]
pub(crate) unsafe fn decode_ssse3(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
) -> (usize, usize, Stop) {
    // SAFETY: SSSE3 is the caller's promise, which `with_pack` needs.
    unsafe { decode_sse(input, out, st, strip, true) }
}

/// SSE2: plain blocks are decoded in vectors; any block with a special byte
/// goes to the scalar kernel.
///
/// # Safety
/// The CPU must support SSE2 (every x86-64 does).
#[target_feature(enable = "sse2")]
pub(crate) unsafe fn decode_sse2(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
) -> (usize, usize, Stop) {
    // SAFETY: SSE2 is the caller's promise; `with_pack` false never runs SSSE3 code.
    unsafe { decode_sse(input, out, st, strip, false) }
}

/// Shared body of the SSE kernels, inlined into each so it takes on the
/// caller's target features.
#[inline(always)]
unsafe fn decode_sse(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
    with_pack: bool,
) -> (usize, usize, Stop) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op) = (0, 0);
    let mut local = *st;
    // SAFETY: loads read 64 bytes at `ip` with `ip + 64 <= n`; stores write
    // at most 64 bytes at `op` with `op + 64 <= cap`.
    unsafe {
        let k42 = _mm_set1_epi8(42);
        let keq = _mm_set1_epi8(b'=' as i8);
        let kcr = _mm_set1_epi8(b'\r' as i8);
        let klf = _mm_set1_epi8(b'\n' as i8);
        while ip + 64 <= n && op + 64 <= cap {
            let p = input.as_ptr().add(ip);
            let lanes = [
                _mm_loadu_si128(p.cast()),
                _mm_loadu_si128(p.add(16).cast()),
                _mm_loadu_si128(p.add(32).cast()),
                _mm_loadu_si128(p.add(48).cast()),
            ];
            let mask = |k: __m128i| -> u64 {
                let mut m = 0u64;
                for (l, lane) in lanes.iter().enumerate() {
                    m |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(*lane, k)) as u32 & 0xffff)
                        << (16 * l);
                }
                m
            };
            let e = mask(keq);
            let lf = mask(klf);
            let crlf = mask(kcr) | lf;
            if (e | crlf) == 0 && !local.esc && !local.line_start {
                for (l, lane) in lanes.iter().enumerate() {
                    _mm_storeu_si128(
                        out.as_mut_ptr().add(op + 16 * l).cast(),
                        _mm_sub_epi8(*lane, k42),
                    );
                }
                ip += 64;
                op += 64;
                continue;
            }
            let planned = if with_pack {
                let dots = if strip {
                    mask(_mm_set1_epi8(b'.' as i8))
                } else {
                    0
                };
                plan(e, crlf, lf, dots, &local, || {
                    mask(_mm_set1_epi8(b'y' as i8))
                })
            } else {
                // SSE2 has no byte shuffle to pack with: plain 16-byte lanes
                // are stored as vectors, the others decoded byte by byte.
                *st = local;
                for (l, lane) in lanes.iter().enumerate() {
                    let special = (e | crlf) >> (16 * l) & 0xffff != 0;
                    if !special && !st.esc && !st.line_start {
                        _mm_storeu_si128(out.as_mut_ptr().add(op).cast(), _mm_sub_epi8(*lane, k42));
                        ip += 16;
                        op += 16;
                        continue;
                    }
                    let (ci, co, stop) =
                        scalar::decode(&input[ip..ip + 16], &mut out[op..], st, strip);
                    ip += ci;
                    op += co;
                    match stop {
                        Stop::Keyword => return (ip, op, Stop::Keyword),
                        Stop::NeedMore => break,
                        Stop::Done => {}
                    }
                }
                local = *st;
                continue;
            };
            let Some((keep, x)) = planned else {
                *st = local;
                if let Some(r) = fallback(input, out, &mut ip, &mut op, st, strip) {
                    return r;
                }
                local = *st;
                continue;
            };
            op += pack_block(lanes, keep, x, out.as_mut_ptr().add(op));
            carry_out(&mut local, e, lf, x);
            ip += 64;
        }
    }
    *st = local;
    (ip, op, Stop::Done)
}
