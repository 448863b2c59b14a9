//! x86 encode kernels. Each handles whole 16- or 32-byte blocks while the
//! output has room for a full store and returns `(consumed, written)`; the
//! caller finishes the tail with the scalar kernel.
//!
//! The shape (after node-yencode): add 42 to a block, compare for the four
//! always-escaped values, and if none is present and the line does not end
//! inside the block, store it as is. Otherwise expand each escaped byte into
//! `=` plus the byte + 64 (`vpexpandb` on AVX-512 VBMI2, `pshufb` tables of
//! 8-byte groups elsewhere). When the line ends inside the block, the break
//! is placed after the first byte whose output reaches the line length, the
//! rest of the block is dropped, and the next block starts at the new line:
//! that keeps the line-start and line-end rules (TAB, SPACE, `.`) to one
//! byte each per line.

#![allow(clippy::cast_possible_truncation)]

use core::arch::x86_64::*;

/// Room a block may touch past the output position: a 64-byte store, or a
/// break at offset up to 63 plus an escape and CRLF.
const ROOM: usize = 68;

/// `vpermb` table for the always-escaped values 0, 10, 13, 61 (after +42):
/// entry `j` is the special value whose low 5 bits are `j`, else a value
/// whose low 5 bits differ from `j`, so `table[v & 31] == v` exactly for the
/// specials.
const SPECIAL32: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut j = 0;
    while j < 32 {
        t[j] = (j as u8) ^ 1;
        j += 1;
    }
    t[0] = 0;
    t[10] = 10;
    t[13] = 13;
    t[29] = 61;
    t
};

/// `pshufb` table on the raw (pre +42) byte's absolute value: the four
/// always-escaped raw values 0xD6, 0xE0, 0xE3, 0x13 have absolute values
/// 0x2A, 0x20, 0x1D, 0x13, whose low nibbles differ; entry `j` holds the raw
/// value for nibble `j`, or `j ^ 1`, whose absolute value has another low
/// nibble, so `table[abs(r) & 15] == r` exactly for the four (after
/// node-yencode's trick).
const SPECIAL_RAW: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut j = 0;
    while j < 16 {
        t[j] = (j as u8) ^ 1;
        j += 1;
    }
    t[0x0] = 0xe0;
    t[0xa] = 0xd6;
    t[0xd] = 0xe3;
    t[0x3] = 0x13;
    t
};

/// Per 8-bit escape mask: `pshufb` indices spreading 8 bytes into 8 to 16,
/// with 0x80 (zero) at the slots that get `=`, and the `=` bytes to OR in.
const EXPAND: [[u8; 16]; 256] = {
    let mut t = [[0x80u8; 16]; 256];
    let mut e = 0;
    while e < 256 {
        let mut k = 0;
        let mut j = 0;
        while j < 8 {
            if e & (1 << j) != 0 {
                k += 1;
            }
            t[e][k] = j as u8;
            k += 1;
            j += 1;
        }
        e += 1;
    }
    t
};
const EQUALS: [[u8; 16]; 256] = {
    let mut t = [[0u8; 16]; 256];
    let mut e = 0;
    while e < 256 {
        let mut k = 0;
        let mut j = 0;
        while j < 8 {
            if e & (1 << j) != 0 {
                t[e][k] = b'=';
                k += 1;
            }
            k += 1;
            j += 1;
        }
        e += 1;
    }
    t
};

#[inline(always)]
fn starts_line_escape(b: u8) -> bool {
    let v = b.wrapping_add(42);
    v == b'.' || v == b'\t' || v == b' '
}

/// Where a line ending `r` columns into a block breaks, given the block's
/// escape mask: the index of the byte that ends the line and the offset of
/// its data byte.
#[inline(always)]
fn line_break(m: u32, r: usize) -> (usize, usize) {
    let mut pos = 0;
    let mut i = 0;
    loop {
        let w = 1 + ((m >> i) & 1) as usize;
        if pos + w >= r {
            return (i, pos + w - 1);
        }
        pos += w;
        i += 1;
    }
}

/// Closes the line inside a block already stored at `out[op..]`: escapes a
/// TAB or SPACE that ends it, writes CRLF, and returns the output length and
/// the number of input bytes used.
#[inline(always)]
fn close_line(out: &mut [u8], op: usize, block: &[u8], m: u32, r: usize) -> (usize, usize) {
    let (i, d) = line_break(m, r);
    let mut end = d + 1;
    if (m >> i) & 1 == 0 {
        let v = block[i].wrapping_add(42);
        if v == b'\t' || v == b' ' {
            out[op + d] = b'=';
            out[op + d + 1] = v.wrapping_add(64);
            end = d + 2;
        }
    }
    out[op + end] = b'\r';
    out[op + end + 1] = b'\n';
    (end + 2, i + 1)
}

/// Data-slot mask for 32 input bytes with escape mask `m`: output bit `k`
/// is set when output byte `k` is a data byte (not an inserted `=`).
///
/// # Safety
/// BMI2.
#[target_feature(enable = "bmi2")]
#[inline]
fn data_slots(m: u32) -> u64 {
    let slots = _pdep_u64(u64::from(m), 0x5555_5555_5555_5555) | 0xaaaa_aaaa_aaaa_aaaa;
    _pext_u64(0xaaaa_aaaa_aaaa_aaaa, slots)
}

/// Closes a line that ends `r` columns into a stored half-block (escape
/// mask `m`, data slots `data`), branch-free but for the rare TAB/SPACE
/// in the last column. Returns `(output bytes incl. CRLF, input bytes used)`.
#[target_feature(enable = "bmi1,bmi2,popcnt")]
#[inline]
fn close_line_slots(
    out: &mut [u8],
    op: usize,
    half: &[u8],
    m: u32,
    data: u64,
    r: usize,
) -> (usize, usize) {
    let r1 = r - 1;
    let i = (data & ((1u64 << r1) - 1)).count_ones() as usize;
    let d = r1 + (data >> r1).trailing_zeros() as usize;
    let mut end = d + 1;
    if (m >> i) & 1 == 0 {
        let v = half[i].wrapping_add(42);
        if v == b'\t' || v == b' ' {
            out[op + d] = b'=';
            out[op + d + 1] = v.wrapping_add(64);
            end = d + 2;
        }
    }
    out[op + end] = b'\r';
    out[op + end + 1] = b'\n';
    (end + 2, i + 1)
}

/// AVX-512 VBMI2: 64 input bytes a step as two halves of 32, each
/// expanded with `vpexpandb` into one 64-byte store.
///
/// Loads never wait on the line layout: a step always advances the input
/// by 64, and a line break inside its output is made by leaving a two-byte
/// gap in that half's expand mask after the break and writing CRLF into
/// it. So the only chain from one step to the next is the column and
/// output counts, and steps overlap freely in the CPU. Only when the break
/// lands next to a byte that the line-edge rules escape (TAB or SPACE
/// ending the line; `.`, TAB or SPACE starting the next) or a step would
/// hold two breaks does it fall back to closing the line and re-reading
/// from the byte after it, as the SSSE3/AVX2 kernels always do.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VL/VBMI/VBMI2 and BMI2.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi1,bmi2,popcnt")]
pub(crate) unsafe fn encode_avx512(
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
) -> (usize, usize) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op, mut c) = (0, 0, *col);
    // SAFETY: loads read 64 bytes at `ip` with `ip + 64 <= n`; stores write
    // 64 bytes at `op` and at `op + lenA` or `op + lenA + 2` (lenA <= 64),
    // CRLF below `op + 130`, and a line close touches at most `op + 64 + 67`,
    // all within `op + 2 * ROOM <= cap`. Byte reads at `ip + i + 1` stay
    // below `ip + 64`.
    unsafe {
        let table = _mm256_loadu_si256(SPECIAL32.as_ptr().cast());
        let k42 = _mm256_set1_epi8(42);
        let k64 = _mm256_set1_epi8(64);
        let eq = _mm512_set1_epi8(b'=' as i8);
        let crlf = _mm_set1_epi16(0x0a0d);
        while ip + 64 <= n && op + 2 * ROOM <= cap {
            let src = input.as_ptr().add(ip);
            let va = _mm256_add_epi8(_mm256_loadu_si256(src.cast()), k42);
            let vb = _mm256_add_epi8(_mm256_loadu_si256(src.add(32).cast()), k42);
            let mut ma = _mm256_cmpeq_epi8_mask(_mm256_permutexvar_epi8(va, table), va);
            let mb = _mm256_cmpeq_epi8_mask(_mm256_permutexvar_epi8(vb, table), vb);
            ma |= u32::from(c == 0 && starts_line_escape(*src));
            let da = data_slots(ma);
            let db = data_slots(mb);
            let ea = _mm512_castsi256_si512(_mm256_mask_add_epi8(va, ma, va, k64));
            let eb = _mm512_castsi256_si512(_mm256_mask_add_epi8(vb, mb, vb, k64));
            let len_a = 32 + ma.count_ones() as usize;
            let len_b = 32 + mb.count_ones() as usize;
            let total = len_a + len_b;
            let dst = out.as_mut_ptr().add(op);
            if c + total < line {
                _mm512_storeu_si512(dst.cast(), _mm512_mask_expand_epi8(eq, da, ea));
                _mm512_storeu_si512(dst.add(len_a).cast(), _mm512_mask_expand_epi8(eq, db, eb));
                ip += 64;
                op += total;
                c += total;
                continue;
            }
            // The line ends with the byte whose data slot is the first at or
            // after column `line - 1`.
            let in_a = c + len_a >= line;
            let (m, data, base_in, base_out, len_h) = if in_a {
                (ma, da, 0, 0, len_a)
            } else {
                (mb, db, 32, len_a, len_b)
            };
            let r1 = line - c - base_out - 1;
            let i = (data & ((1u64 << r1) - 1)).count_ones() as usize;
            let t = r1 + (data >> r1).trailing_zeros() as usize + 1;
            let last = src.add(base_in + i).read().wrapping_add(42);
            let edge = ((m >> i) & 1 == 0 && (last == b'\t' || last == b' '))
                || (base_in + i < 63 && starts_line_escape(src.add(base_in + i + 1).read()));
            let rest = total - (base_out + t);
            if line >= 64 && !edge && rest < line && len_h + 2 <= 64 {
                // Leave a two-byte gap after the break in that half's data
                // slots, so one expand lays out both lines; CRLF fills it.
                let gap =
                    (data & ((1u64 << t) - 1)) | (data >> t).checked_shl(t as u32 + 2).unwrap_or(0);
                let (ga, gb, shift_b) = if in_a { (gap, db, 2) } else { (da, gap, 0) };
                _mm512_storeu_si512(dst.cast(), _mm512_mask_expand_epi8(eq, ga, ea));
                _mm512_storeu_si512(
                    dst.add(len_a + shift_b).cast(),
                    _mm512_mask_expand_epi8(eq, gb, eb),
                );
                _mm_storeu_si16(dst.add(base_out + t).cast(), crlf);
                ip += 64;
                op += total + 2;
                c = rest;
                continue;
            }
            _mm512_storeu_si512(dst.cast(), _mm512_mask_expand_epi8(eq, da, ea));
            _mm512_storeu_si512(dst.add(len_a).cast(), _mm512_mask_expand_epi8(eq, db, eb));
            let half = &input[ip + base_in..ip + base_in + 32];
            let (w, used) =
                close_line_slots(out, op + base_out, half, m, data, line - c - base_out);
            op += base_out + w;
            ip += base_in + used;
            c = 0;
        }
    }
    *col = c;
    (ip, op)
}

/// Expands one 16-byte lane (two 8-byte groups with escape masks in `m`)
/// to `out[op..]`, returning the bytes written.
///
/// # Safety
/// SSSE3; `out` must have 32 bytes of room at `op`.
#[target_feature(enable = "ssse3,popcnt")]
#[inline]
unsafe fn expand_lane(lane: __m128i, m: u32, out: *mut u8) -> usize {
    // SAFETY: table indices are masked to 0..256; the caller guarantees room.
    unsafe {
        let e0 = (m & 0xff) as usize;
        let e1 = ((m >> 8) & 0xff) as usize;
        let r0 = _mm_or_si128(
            _mm_shuffle_epi8(lane, _mm_loadu_si128(EXPAND[e0].as_ptr().cast())),
            _mm_loadu_si128(EQUALS[e0].as_ptr().cast()),
        );
        _mm_storeu_si128(out.cast(), r0);
        let l0 = 8 + e0.count_ones() as usize;
        let hi = _mm_srli_si128(lane, 8);
        let r1 = _mm_or_si128(
            _mm_shuffle_epi8(hi, _mm_loadu_si128(EXPAND[e1].as_ptr().cast())),
            _mm_loadu_si128(EQUALS[e1].as_ptr().cast()),
        );
        _mm_storeu_si128(out.add(l0).cast(), r1);
        l0 + 8 + e1.count_ones() as usize
    }
}

/// AVX2: 32 input bytes a step, expanded with `pshufb` tables.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn encode_avx2(
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
) -> (usize, usize) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op, mut c) = (0, 0, *col);
    // SAFETY: as in encode_avx512.
    unsafe {
        let k42 = _mm256_set1_epi8(42);
        let k64 = _mm256_set1_epi8(64);
        let special = _mm256_broadcastsi128_si256(_mm_loadu_si128(SPECIAL_RAW.as_ptr().cast()));
        let first = _mm256_setr_epi8(
            -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        );
        while ip + 32 <= n && op + ROOM <= cap {
            let raw = _mm256_loadu_si256(input.as_ptr().add(ip).cast());
            let v = _mm256_add_epi8(raw, k42);
            let mut esc =
                _mm256_cmpeq_epi8(_mm256_shuffle_epi8(special, _mm256_abs_epi8(raw)), raw);
            if c == 0 && starts_line_escape(input[ip]) {
                esc = _mm256_or_si256(esc, first);
            }
            let m = _mm256_movemask_epi8(esc) as u32;
            let vesc = _mm256_add_epi8(v, _mm256_and_si256(esc, k64));
            let dst = out.as_mut_ptr().add(op);
            let l0 = expand_lane(_mm256_castsi256_si128(vesc), m & 0xffff, dst);
            let len = l0 + expand_lane(_mm256_extracti128_si256(vesc, 1), m >> 16, dst.add(l0));
            if c + len < line {
                ip += 32;
                op += len;
                c += len;
                continue;
            }
            let (w, used) =
                close_line_slots(out, op, &input[ip..ip + 32], m, data_slots(m), line - c);
            op += w;
            ip += used;
            c = 0;
        }
    }
    *col = c;
    (ip, op)
}

/// SSSE3: 16 input bytes a step, expanded with `pshufb` tables.
///
/// # Safety
/// The CPU must support SSSE3.
#[target_feature(enable = "ssse3,popcnt")]
pub(crate) unsafe fn encode_ssse3(
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
) -> (usize, usize) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op, mut c) = (0, 0, *col);
    // SAFETY: loads read 16 bytes at `ip` with `ip + 16 <= n`; stores stay
    // within ROOM of `op`.
    unsafe {
        let k42 = _mm_set1_epi8(42);
        let k64 = _mm_set1_epi8(64);
        let special = _mm_loadu_si128(SPECIAL_RAW.as_ptr().cast());
        let first = _mm_setr_epi8(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        while ip + 16 <= n && op + ROOM <= cap {
            let raw = _mm_loadu_si128(input.as_ptr().add(ip).cast());
            let v = _mm_add_epi8(raw, k42);
            let mut esc = _mm_cmpeq_epi8(_mm_shuffle_epi8(special, _mm_abs_epi8(raw)), raw);
            if c == 0 && starts_line_escape(input[ip]) {
                esc = _mm_or_si128(esc, first);
            }
            let m = _mm_movemask_epi8(esc) as u32;
            let vesc = _mm_add_epi8(v, _mm_and_si128(esc, k64));
            let len = expand_lane(vesc, m, out.as_mut_ptr().add(op));
            if c + len < line {
                ip += 16;
                op += len;
                c += len;
                continue;
            }
            let (w, used) = close_line(out, op, &input[ip..ip + 16], m, line - c);
            op += w;
            ip += used;
            c = 0;
        }
    }
    *col = c;
    (ip, op)
}

/// SSE2: stores clean 16-byte blocks whole and hands any block that needs
/// an escape or a line break to the scalar kernel.
///
/// # Safety
/// The CPU must support SSE2 (every x86-64 does).
#[target_feature(enable = "sse2")]
pub(crate) unsafe fn encode_sse2(
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
) -> (usize, usize) {
    let (n, cap) = (input.len(), out.len());
    let (mut ip, mut op, mut c) = (0, 0, *col);
    // SAFETY: loads read 16 bytes at `ip` with `ip + 16 <= n`; the store
    // writes 16 bytes at `op` with `op + ROOM <= cap`.
    unsafe {
        let k42 = _mm_set1_epi8(42);
        while ip + 16 <= n && op + ROOM <= cap {
            let v = _mm_add_epi8(_mm_loadu_si128(input.as_ptr().add(ip).cast()), k42);
            let esc = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_setzero_si128()),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(10)),
                ),
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(13)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(61)),
                ),
            );
            if _mm_movemask_epi8(esc) == 0 && c > 0 && c + 16 < line {
                _mm_storeu_si128(out.as_mut_ptr().add(op).cast(), v);
                ip += 16;
                op += 16;
                c += 16;
                continue;
            }
            op += super::scalar::encode(line, &mut c, &input[ip..ip + 16], &mut out[op..], false);
            ip += 16;
        }
    }
    *col = c;
    (ip, op)
}
