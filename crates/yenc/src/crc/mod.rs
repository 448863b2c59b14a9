//! CRC32 (IEEE, the one yEnc's `pcrc32=` and `crc32=` carry) and the algebra
//! that joins CRCs of neighbouring byte ranges, so a file's CRC comes from
//! its parts' CRCs without reading the file twice.
//!
//! Long inputs are folded with VPCLMULQDQ on AVX-512 ([`fold`]); short
//! ones, and CPUs without it, go through `crc32fast` (PCLMULQDQ, 128-bit);
//! a table-driven byte loop is the reference they are tested against.
//! Combining is done in GF(2) modulo the CRC polynomial, in O(log n)
//! multiplications.

#[cfg(target_arch = "x86_64")]
mod fold;

use std::sync::OnceLock;

/// The reflected IEEE polynomial.
const POLY: u32 = 0xedb8_8320;

/// The CRC kernels, for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrcKernel {
    /// Table-driven, one byte at a time: the reference.
    #[cfg_attr(not(test), allow(dead_code))]
    Table,
    /// `crc32fast` (PCLMULQDQ on 128-bit lanes where present).
    Crc32fast,
    /// VPCLMULQDQ on 512-bit lanes.
    Fold512,
}

impl CrcKernel {
    pub(crate) fn is_available(self) -> bool {
        match self {
            CrcKernel::Table | CrcKernel::Crc32fast => true,
            #[cfg(target_arch = "x86_64")]
            CrcKernel::Fold512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("vpclmulqdq")
                    && is_x86_feature_detected!("pclmulqdq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            CrcKernel::Fold512 => false,
        }
    }

    fn best() -> CrcKernel {
        static BEST: OnceLock<CrcKernel> = OnceLock::new();
        *BEST.get_or_init(|| {
            if CrcKernel::Fold512.is_available() {
                CrcKernel::Fold512
            } else {
                CrcKernel::Crc32fast
            }
        })
    }
}

const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// `crc32fast` continuing from `crc`.
fn bytewise(crc: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(crc);
    h.update(data);
    h.finalize()
}

/// Continues `crc` over `data` with the given kernel.
pub(crate) fn update_with(kernel: CrcKernel, crc: u32, data: &[u8]) -> u32 {
    match kernel {
        CrcKernel::Table => !data.iter().fold(!crc, |c, &b| {
            (c >> 8) ^ TABLE[((c ^ u32::from(b)) & 0xff) as usize]
        }),
        CrcKernel::Crc32fast => bytewise(crc, data),
        #[cfg(target_arch = "x86_64")]
        CrcKernel::Fold512 if CrcKernel::Fold512.is_available() => {
            // SAFETY: the CPU was just checked for the kernel's features.
            unsafe { fold::update(crc, data) }
        }
        CrcKernel::Fold512 => bytewise(crc, data),
    }
}

/// Incremental CRC32 of a byte stream.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Crc32 {
    crc: u32,
    len: u64,
}

impl std::fmt::Debug for Crc32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crc32")
            .field("crc", &format_args!("{:08x}", self.crc))
            .field("len", &self.len)
            .finish()
    }
}

impl Crc32 {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.crc = update_with(CrcKernel::best(), self.crc, data);
        self.len += data.len() as u64;
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> u32 {
        self.crc
    }

    /// The CRC so far.
    pub fn value(&self) -> u32 {
        self.crc
    }
}

/// CRC32 of `data` in one call.
pub fn crc32(data: &[u8]) -> u32 {
    update_with(CrcKernel::best(), 0, data)
}

/// `a * b` modulo the polynomial, both in the reflected representation.
fn mult_mod_p(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut p = 0u32;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                break;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    p
}

/// x^(2^k) modulo the polynomial for k in 0..32, built at compile time.
const X2N: [u32; 32] = {
    let mut table = [0u32; 32];
    let mut p = 1u32 << 30; // x^1
    let mut k = 0;
    while k < 32 {
        table[k] = p;
        // square p (const-evaluable copy of mult_mod_p(p, p))
        let a = p;
        let mut b = p;
        let mut m = 1u32 << 31;
        let mut r = 0u32;
        loop {
            if a & m != 0 {
                r ^= b;
                if a & (m - 1) == 0 {
                    break;
                }
            }
            m >>= 1;
            b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
        }
        p = r;
        k += 1;
    }
    table
};

/// x^(n * 2^k) modulo the polynomial.
fn x2n_mod_p(mut n: u64, mut k: usize) -> u32 {
    let mut p = 1u32 << 31; // x^0
    while n != 0 {
        if n & 1 != 0 {
            p = mult_mod_p(X2N[k & 31], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

/// CRC32 of `A ++ B` from `crc32(A)`, `crc32(B)` and `B.len()`.
///
/// A poster that hashes parts as it encodes them derives the `crc32=` of the
/// whole file from the `pcrc32=` values in order, with no second read.
pub fn crc32_combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    mult_mod_p(x2n_mod_p(len_b, 3), crc_a) ^ crc_b
}

/// Running CRC32 of a file assembled from parts in file order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCrc {
    pub crc: u32,
    pub len: u64,
}

impl FileCrc {
    /// Appends a part whose own CRC is `crc` over `len` bytes.
    pub fn push(&mut self, crc: u32, len: u64) {
        self.crc = crc32_combine(self.crc, crc, len);
        self.len += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn combine_with_empty_sides() {
        let c = crc32(b"hello");
        assert_eq!(crc32_combine(c, 0, 0), c);
        assert_eq!(crc32_combine(0, c, 5), c);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn kernels_match_table(data in proptest::collection::vec(any::<u8>(), 0..5000), init: u32, skip in 0usize..64) {
            let data = &data[skip.min(data.len())..];
            let want = update_with(CrcKernel::Table, init, data);
            for k in [CrcKernel::Crc32fast, CrcKernel::Fold512] {
                if k.is_available() {
                    prop_assert_eq!(update_with(k, init, data), want, "{:?}", k);
                }
            }
        }

        #[test]
        fn combine_matches_whole(a in proptest::collection::vec(any::<u8>(), 0..3000),
                                 b in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let whole: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
            prop_assert_eq!(crc32_combine(crc32(&a), crc32(&b), b.len() as u64), crc32(&whole));
            let mut f = FileCrc::default();
            f.push(crc32(&a), a.len() as u64);
            f.push(crc32(&b), b.len() as u64);
            prop_assert_eq!(f.crc, crc32(&whole));
            let mut inc = Crc32::new();
            inc.update(&a);
            inc.update(&b);
            prop_assert_eq!(inc.finish(), crc32(&whole));
        }
    }
}
