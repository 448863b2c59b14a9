//! The reference kernel: one word at a time through the log/exp tables.

use super::{BLOCK, mul};

pub(super) fn mul_add_multi(dst: &mut [u8], srcs: &[&[u8]], coeffs: &[u16]) {
    const H: usize = BLOCK / 2;
    for (src, &c) in srcs.iter().zip(coeffs) {
        if c == 0 {
            continue;
        }
        for (d, s) in dst.chunks_exact_mut(BLOCK).zip(src.chunks_exact(BLOCK)) {
            for j in 0..H {
                let w = u16::from_le_bytes([s[j], s[H + j]]);
                let p = mul(c, w);
                d[j] ^= p as u8;
                d[H + j] ^= (p >> 8) as u8;
            }
        }
    }
}
