//! CRC32 (IEEE, the one yEnc's `pcrc32=` and `crc32=` carry) and the algebra
//! that joins CRCs of neighbouring byte ranges, so a file's CRC comes from
//! its parts' CRCs without reading the file twice.
//!
//! The byte kernel is `crc32fast`, which folds with PCLMULQDQ at several GB/s
//! here (see the `crc` rows in docs/BENCHMARKS.md); combining is done in
//! GF(2) modulo the CRC polynomial, in O(log n) multiplications.

/// The reflected IEEE polynomial.
const POLY: u32 = 0xedb8_8320;

/// Incremental CRC32 of a byte stream.
#[derive(Clone, Default)]
pub struct Crc32 {
    hasher: crc32fast::Hasher,
    len: u64,
}

impl std::fmt::Debug for Crc32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crc32")
            .field("crc", &format_args!("{:08x}", self.clone().finish()))
            .field("len", &self.len)
            .finish()
    }
}

impl Crc32 {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
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
        self.hasher.finalize()
    }

    /// The CRC so far, without consuming the state.
    pub fn value(&self) -> u32 {
        self.hasher.clone().finalize()
    }
}

/// CRC32 of `data` in one call.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
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
