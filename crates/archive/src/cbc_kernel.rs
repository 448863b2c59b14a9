//! AES-256-CBC encryption, the copy path's only real work.
//!
//! CBC encryption is one dependent chain (each block needs the previous
//! ciphertext), so its speed is the latency of 14 AES rounds per block. The
//! `cbc` crate's generic loop reloads state around each block and runs at
//! about 100 cycles a block here; the AES-NI loop below keeps the 15 round
//! keys in registers and reaches the hardware's latency bound. One safe entry
//! point, [`CbcEncryptor::encrypt`], dispatches at run time; the `cbc` crate is
//! the portable reference, and a proptest checks that both agree.

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeEncrypt, KeyIvInit};

type Reference = cbc::Encryptor<Aes256>;

/// CBC encryptor state: key, and the chaining value.
pub(crate) struct CbcEncryptor {
    iv: [u8; 16],
    #[cfg(target_arch = "x86_64")]
    round_keys: Option<[[u8; 16]; 15]>,
    reference: Reference,
}

impl CbcEncryptor {
    pub(crate) fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self::with_kernel(key, iv, true)
    }

    /// `fast = false` forces the portable path (for tests and benches).
    pub(crate) fn with_kernel(key: &[u8; 32], iv: &[u8; 16], fast: bool) -> Self {
        #[cfg(target_arch = "x86_64")]
        let round_keys = if fast && std::is_x86_feature_detected!("aes") {
            // SAFETY: the CPU has AES-NI (and SSE2, part of x86_64).
            Some(unsafe { x86::expand_key(key) })
        } else {
            None
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fast;
        CbcEncryptor {
            iv: *iv,
            #[cfg(target_arch = "x86_64")]
            round_keys,
            reference: Reference::new(&Array::from(*key), &Array::from(*iv)),
        }
    }

    /// Encrypts whole 16-byte blocks in place; `data.len()` must be a
    /// multiple of 16 (the caller buffers partial blocks).
    pub(crate) fn encrypt(&mut self, data: &mut [u8]) {
        debug_assert!(data.len().is_multiple_of(16));
        let whole = data.len() / 16 * 16;
        let data = &mut data[..whole];
        if data.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(rk) = &self.round_keys {
            // SAFETY: round keys exist only when AES-NI was detected.
            unsafe { x86::encrypt(rk, &mut self.iv, data) };
            return;
        }
        let (blocks, _) = Array::slice_as_chunks_mut(data);
        self.reference.encrypt_blocks(blocks);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "aes,sse2")]
    fn assist_1(t1: __m128i, t2: __m128i) -> __m128i {
        let t2 = _mm_shuffle_epi32::<0xff>(t2);
        let mut t1 = t1;
        let mut t4 = _mm_slli_si128::<4>(t1);
        t1 = _mm_xor_si128(t1, t4);
        t4 = _mm_slli_si128::<4>(t4);
        t1 = _mm_xor_si128(t1, t4);
        t4 = _mm_slli_si128::<4>(t4);
        t1 = _mm_xor_si128(t1, t4);
        _mm_xor_si128(t1, t2)
    }

    #[inline]
    #[target_feature(enable = "aes,sse2")]
    fn assist_2(t1: __m128i, t3: __m128i) -> __m128i {
        let t4 = _mm_aeskeygenassist_si128::<0>(t1);
        let t2 = _mm_shuffle_epi32::<0xaa>(t4);
        let mut t3 = t3;
        let mut t4 = _mm_slli_si128::<4>(t3);
        t3 = _mm_xor_si128(t3, t4);
        t4 = _mm_slli_si128::<4>(t4);
        t3 = _mm_xor_si128(t3, t4);
        t4 = _mm_slli_si128::<4>(t4);
        t3 = _mm_xor_si128(t3, t4);
        _mm_xor_si128(t3, t2)
    }

    fn store(k: __m128i) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: out is 16 writable bytes; unaligned store.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), k) };
        out
    }

    /// The AES-256 key schedule (Intel's AES-NI white paper sequence).
    #[target_feature(enable = "aes,sse2")]
    pub(super) fn expand_key(key: &[u8; 32]) -> [[u8; 16]; 15] {
        // SAFETY: key has 32 readable bytes; unaligned loads.
        let mut t1 = unsafe { _mm_loadu_si128(key.as_ptr().cast()) };
        let mut t3 = unsafe { _mm_loadu_si128(key.as_ptr().add(16).cast()) };
        let mut rk = [[0u8; 16]; 15];
        rk[0] = store(t1);
        rk[1] = store(t3);
        macro_rules! round {
            ($rcon:literal, $i:expr) => {
                t1 = assist_1(t1, _mm_aeskeygenassist_si128::<$rcon>(t3));
                rk[$i] = store(t1);
                t3 = assist_2(t1, t3);
                rk[$i + 1] = store(t3);
            };
        }
        round!(0x01, 2);
        round!(0x02, 4);
        round!(0x04, 6);
        round!(0x08, 8);
        round!(0x10, 10);
        round!(0x20, 12);
        t1 = assist_1(t1, _mm_aeskeygenassist_si128::<0x40>(t3));
        rk[14] = store(t1);
        rk
    }

    /// CBC-encrypts `data` (whole blocks) in place, chaining from `iv` and
    /// leaving the last ciphertext block in it.
    #[target_feature(enable = "aes,sse2")]
    pub(super) fn encrypt(rk: &[[u8; 16]; 15], iv: &mut [u8; 16], data: &mut [u8]) {
        // SAFETY (all loads and stores): pointers come from arrays and from
        // 16-byte chunks of `data`; unaligned access is used throughout.
        let k: [__m128i; 15] =
            std::array::from_fn(|i| unsafe { _mm_loadu_si128(rk[i].as_ptr().cast()) });
        let mut state = unsafe { _mm_loadu_si128(iv.as_ptr().cast()) };
        for block in data.chunks_exact_mut(16) {
            let p = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
            let mut x = _mm_xor_si128(_mm_xor_si128(p, state), k[0]);
            x = _mm_aesenc_si128(x, k[1]);
            x = _mm_aesenc_si128(x, k[2]);
            x = _mm_aesenc_si128(x, k[3]);
            x = _mm_aesenc_si128(x, k[4]);
            x = _mm_aesenc_si128(x, k[5]);
            x = _mm_aesenc_si128(x, k[6]);
            x = _mm_aesenc_si128(x, k[7]);
            x = _mm_aesenc_si128(x, k[8]);
            x = _mm_aesenc_si128(x, k[9]);
            x = _mm_aesenc_si128(x, k[10]);
            x = _mm_aesenc_si128(x, k[11]);
            x = _mm_aesenc_si128(x, k[12]);
            x = _mm_aesenc_si128(x, k[13]);
            state = _mm_aesenclast_si128(x, k[14]);
            unsafe { _mm_storeu_si128(block.as_mut_ptr().cast(), state) };
        }
        unsafe { _mm_storeu_si128(iv.as_mut_ptr().cast(), state) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn every_path_matches_the_reference(
            key in any::<[u8; 32]>(),
            iv in any::<[u8; 16]>(),
            data in proptest::collection::vec(any::<u8>(), 0..2048),
            split in 0usize..2048,
        ) {
            let whole = data.len() / 16 * 16;
            let mut fast = data[..whole].to_vec();
            let mut slow = fast.clone();
            // Split the fast run in two calls to check chaining across calls.
            let cut = (split.min(whole)) / 16 * 16;
            let mut f = CbcEncryptor::with_kernel(&key, &iv, true);
            let (a, b) = fast.split_at_mut(cut);
            f.encrypt(a);
            f.encrypt(b);
            CbcEncryptor::with_kernel(&key, &iv, false).encrypt(&mut slow);
            prop_assert_eq!(fast, slow);
        }
    }
}
