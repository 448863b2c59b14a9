//! A file's MD5 and its slices' MD5s in one pass. One MD5 stream is a
//! chain of dependent additions that leaves most of a core idle; a second,
//! independent stream over the same 64-byte blocks (the current slice) fills
//! those gaps, so both cost about what one does. This is how a single large
//! file is hashed as fast as one MD5 stream allows.

use md5::{Digest, Md5};

use crate::packet::Hash;

const INIT: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

#[rustfmt::skip]
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// Both states through one block. Written out step by step so the two
/// chains interleave in the instruction stream.
#[inline(always)]
fn compress2(s1: &mut [u32; 4], s2: &mut [u32; 4], block: &[u8]) {
    let mut m = [0u32; 16];
    for (w, c) in m.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let [mut a1, mut b1, mut c1, mut d1] = *s1;
    let [mut a2, mut b2, mut c2, mut d2] = *s2;
    macro_rules! step {
        ($f:ident, $i:expr, $g:expr, $s:expr) => {{
            let k = K[$i].wrapping_add(m[$g]);
            let t1 = a1
                .wrapping_add(k)
                .wrapping_add($f(b1, c1, d1))
                .rotate_left($s)
                .wrapping_add(b1);
            let t2 = a2
                .wrapping_add(k)
                .wrapping_add($f(b2, c2, d2))
                .rotate_left($s)
                .wrapping_add(b2);
            a1 = d1;
            d1 = c1;
            c1 = b1;
            b1 = t1;
            a2 = d2;
            d2 = c2;
            c2 = b2;
            b2 = t2;
        }};
    }
    #[inline(always)]
    fn f(b: u32, c: u32, d: u32) -> u32 {
        d ^ (b & (c ^ d))
    }
    #[inline(always)]
    fn g(b: u32, c: u32, d: u32) -> u32 {
        // Disjoint bits: the sum equals the OR and schedules better.
        (b & d).wrapping_add(c & !d)
    }
    #[inline(always)]
    fn h(b: u32, c: u32, d: u32) -> u32 {
        b ^ c ^ d
    }
    #[inline(always)]
    fn i(b: u32, c: u32, d: u32) -> u32 {
        c ^ (b | !d)
    }
    // Fully unrolled: constant rotations and message indices.
    step!(f, 0, 0, 7);
    step!(f, 1, 1, 12);
    step!(f, 2, 2, 17);
    step!(f, 3, 3, 22);
    step!(f, 4, 4, 7);
    step!(f, 5, 5, 12);
    step!(f, 6, 6, 17);
    step!(f, 7, 7, 22);
    step!(f, 8, 8, 7);
    step!(f, 9, 9, 12);
    step!(f, 10, 10, 17);
    step!(f, 11, 11, 22);
    step!(f, 12, 12, 7);
    step!(f, 13, 13, 12);
    step!(f, 14, 14, 17);
    step!(f, 15, 15, 22);
    step!(g, 16, 1, 5);
    step!(g, 17, 6, 9);
    step!(g, 18, 11, 14);
    step!(g, 19, 0, 20);
    step!(g, 20, 5, 5);
    step!(g, 21, 10, 9);
    step!(g, 22, 15, 14);
    step!(g, 23, 4, 20);
    step!(g, 24, 9, 5);
    step!(g, 25, 14, 9);
    step!(g, 26, 3, 14);
    step!(g, 27, 8, 20);
    step!(g, 28, 13, 5);
    step!(g, 29, 2, 9);
    step!(g, 30, 7, 14);
    step!(g, 31, 12, 20);
    step!(h, 32, 5, 4);
    step!(h, 33, 8, 11);
    step!(h, 34, 11, 16);
    step!(h, 35, 14, 23);
    step!(h, 36, 1, 4);
    step!(h, 37, 4, 11);
    step!(h, 38, 7, 16);
    step!(h, 39, 10, 23);
    step!(h, 40, 13, 4);
    step!(h, 41, 0, 11);
    step!(h, 42, 3, 16);
    step!(h, 43, 6, 23);
    step!(h, 44, 9, 4);
    step!(h, 45, 12, 11);
    step!(h, 46, 15, 16);
    step!(h, 47, 2, 23);
    step!(i, 48, 0, 6);
    step!(i, 49, 7, 10);
    step!(i, 50, 14, 15);
    step!(i, 51, 5, 21);
    step!(i, 52, 12, 6);
    step!(i, 53, 3, 10);
    step!(i, 54, 10, 15);
    step!(i, 55, 1, 21);
    step!(i, 56, 8, 6);
    step!(i, 57, 15, 10);
    step!(i, 58, 6, 15);
    step!(i, 59, 13, 21);
    step!(i, 60, 4, 6);
    step!(i, 61, 11, 10);
    step!(i, 62, 2, 15);
    step!(i, 63, 9, 21);
    for (s, v) in s1.iter_mut().zip([a1, b1, c1, d1]) {
        *s = s.wrapping_add(v);
    }
    for (s, v) in s2.iter_mut().zip([a2, b2, c2, d2]) {
        *s = s.wrapping_add(v);
    }
}

/// Hashes a file read in order: its MD5, its first-16 KiB MD5, and the MD5
/// of each `slice`-byte slice (the last zero-padded), as PAR2 needs them.
/// Feed whole slices (the last may be short); a slice size that is a
/// multiple of 64 gets the two-stream pass, others fall back to two
/// separate hashers.
pub struct FileHasher {
    slice: usize,
    file: [u32; 4],
    total: u64,
    head: Md5,
    head_left: usize,
    /// Fallback for slice sizes that are not a multiple of 64, and for the
    /// file's tail bytes that do not fill a block.
    file_md5: Option<Md5>,
    pending: Vec<u8>,
}

impl FileHasher {
    pub fn new(slice: usize) -> FileHasher {
        FileHasher {
            slice,
            file: INIT,
            total: 0,
            head: Md5::new(),
            head_left: 16384,
            file_md5: (!slice.is_multiple_of(64) || slice == 0).then(Md5::new),
            pending: Vec::new(),
        }
    }

    /// The next slice of the file, in order; returns its (zero-padded) MD5.
    pub fn slice(&mut self, data: &[u8]) -> Hash {
        let h = self.head_left.min(data.len());
        self.head.update(&data[..h]);
        self.head_left -= h;
        self.total += data.len() as u64;
        if let Some(md5) = &mut self.file_md5 {
            md5.update(data);
            let mut padded = data.to_vec();
            padded.resize(self.slice, 0);
            return Md5::digest(&padded).into();
        }
        let mut slice_state = INIT;
        let full = data.len() / 64 * 64;
        for block in data[..full].chunks_exact(64) {
            compress2(&mut self.file, &mut slice_state, block);
        }
        // A short last slice: the file's tail bytes wait for finish; the
        // slice continues over zeros on its own.
        self.pending.extend_from_slice(&data[full..]);
        let mut block = [0u8; 64];
        block[..data.len() - full].copy_from_slice(&data[full..]);
        let mut scratch = INIT;
        let mut done = full;
        if done < self.slice {
            compress2(&mut scratch, &mut slice_state, &block);
            done += 64;
        }
        let zero = [0u8; 64];
        while done < self.slice {
            compress2(&mut scratch, &mut slice_state, &zero);
            done += 64;
        }
        finish_state(slice_state, self.slice as u64)
    }

    /// The file's MD5 and first-16 KiB MD5.
    pub fn finish(self) -> (Hash, Hash) {
        let head: Hash = self.head.finalize().into();
        if let Some(md5) = self.file_md5 {
            return (md5.finalize().into(), head);
        }
        let mut state = self.file;
        let mut tail = self.pending;
        tail.push(0x80);
        while tail.len() % 64 != 56 {
            tail.push(0);
        }
        tail.extend_from_slice(&self.total.wrapping_mul(8).to_le_bytes());
        let mut scratch = INIT;
        for block in tail.chunks_exact(64) {
            compress2(&mut state, &mut scratch, block);
        }
        (digest(state), head)
    }
}

/// Pads and finishes a state that has absorbed exactly `len` bytes (a
/// multiple of 64).
fn finish_state(mut state: [u32; 4], len: u64) -> Hash {
    let mut block = [0u8; 64];
    block[0] = 0x80;
    block[56..].copy_from_slice(&len.wrapping_mul(8).to_le_bytes());
    let mut scratch = INIT;
    compress2(&mut state, &mut scratch, &block);
    digest(state)
}

fn digest(state: [u32; 4]) -> Hash {
    let mut d = [0u8; 16];
    for (i, w) in state.iter().enumerate() {
        d[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    d
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// File, head and slice hashes equal the md-5 crate's, for slice
        /// sizes on and off the 64-byte grid and any file length.
        #[test]
        fn equals_md5_crate(len in 0usize..20_000, slice4 in 1usize..600, seed in any::<u8>()) {
            let slice = if seed % 2 == 0 { slice4 * 64 } else { slice4 * 4 };
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(13) ^ seed ^ (i >> 8) as u8).collect();
            let mut h = FileHasher::new(slice);
            for chunk in data.chunks(slice) {
                let mut padded = chunk.to_vec();
                padded.resize(slice, 0);
                prop_assert_eq!(h.slice(chunk), <[u8; 16]>::from(Md5::digest(&padded)));
            }
            let (file, head) = h.finish();
            prop_assert_eq!(file, <[u8; 16]>::from(Md5::digest(&data)));
            prop_assert_eq!(head, <[u8; 16]>::from(Md5::digest(&data[..len.min(16384)])));
        }
    }
}
