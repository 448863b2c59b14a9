//! GF(2^16) arithmetic with PAR2's generator polynomial, and the one hot
//! kernel every create and repair step runs through: [`mul_add_multi`].
//!
//! # Layout
//! The SIMD kernels want the low and high bytes of the 16-bit words in
//! separate vectors, so slice data lives in a *split layout* while it is being
//! multiplied: each [`BLOCK`]-byte block holds its 64 low bytes, then its 64
//! high bytes. [`to_split`] and [`from_split`] convert from and to PAR2's
//! little-endian words; buffers are padded to a whole number of blocks.
//!
//! # Dispatch
//! [`Kernel::detect`] picks the best path once, at runtime; [`Kernel::Scalar`]
//! is the reference every other path is tested against.

mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::OnceLock;

/// PAR2 2.0's field polynomial, x^16 + x^12 + x^3 + x + 1.
pub const POLY: u32 = 0x1100B;

/// Bytes in one split-layout block: 64 words.
pub const BLOCK: usize = 128;

struct Tables {
    log: Vec<u16>,
    /// exp over two periods so `log a + log b` needs no reduction.
    exp: Vec<u16>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut log = vec![0u16; 1 << 16];
        let mut exp = vec![0u16; 2 * 65535];
        let mut x: u32 = 1;
        for i in 0..65535usize {
            exp[i] = x as u16;
            exp[i + 65535] = x as u16;
            log[x as usize] = i as u16;
            x <<= 1;
            if x & 0x10000 != 0 {
                x ^= POLY;
            }
        }
        Tables { log, exp }
    })
}

/// Product of two field elements.
pub fn mul(a: u16, b: u16) -> u16 {
    if a == 0 || b == 0 {
        return 0;
    }
    let t = tables();
    t.exp[t.log[a as usize] as usize + t.log[b as usize] as usize]
}

/// `a` raised to `e`.
pub fn pow(a: u16, e: u32) -> u16 {
    if e == 0 {
        return 1;
    }
    if a == 0 {
        return 0;
    }
    let t = tables();
    let l = (t.log[a as usize] as u64 * e as u64) % 65535;
    t.exp[l as usize]
}

/// Multiplicative inverse; `None` for zero.
pub fn inv(a: u16) -> Option<u16> {
    if a == 0 {
        return None;
    }
    let t = tables();
    Some(t.exp[(65535 - t.log[a as usize] as usize) % 65535])
}

/// The constant PAR2 gives input slice number `index` (0-based, in File ID
/// order): 2^n for the index-th n with n mod 3, 5, 17 and 257 all non-zero,
/// so every constant generates the whole multiplicative group.
pub fn input_constants(count: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(count);
    let mut n: u32 = 0;
    while out.len() < count {
        n += 1;
        if !n.is_multiple_of(3)
            && !n.is_multiple_of(5)
            && !n.is_multiple_of(17)
            && !n.is_multiple_of(257)
        {
            out.push(pow(2, n));
        }
    }
    out
}

/// Bytes of split-layout buffer needed for `len` bytes of slice data.
pub fn split_len(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

/// Converts little-endian words into split layout; `dst` is
/// `split_len(src.len())` long and the tail is zero-padded.
pub fn to_split(src: &[u8], dst: &mut [u8]) {
    if dst.len() != split_len(src.len()) {
        return;
    }
    let whole = src.len() / BLOCK * BLOCK;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 detected; both ranges are `whole` bytes of blocks.
        unsafe { x86::to_split_avx2(&src[..whole], &mut dst[..whole]) };
        to_split_scalar(&src[whole..], &mut dst[whole..]);
        return;
    }
    to_split_scalar(src, dst);
}

/// Converts split layout back into little-endian words, writing `dst.len()`
/// bytes (at most the data `src` holds).
pub fn from_split(src: &[u8], dst: &mut [u8]) {
    if src.len() < split_len(dst.len()) {
        return;
    }
    let whole = dst.len() / BLOCK * BLOCK;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 detected; both ranges are `whole` bytes of blocks.
        unsafe { x86::from_split_avx2(&src[..whole], &mut dst[..whole]) };
        from_split_scalar(&src[whole..], &mut dst[whole..]);
        return;
    }
    from_split_scalar(src, dst);
}

/// Converts a buffer of whole blocks into split layout where it lies.
pub fn to_split_in_place(buf: &mut [u8]) {
    let mut tmp = [0u8; 4096];
    for chunk in buf.chunks_mut(4096) {
        let n = chunk.len() / BLOCK * BLOCK;
        tmp[..n].copy_from_slice(&chunk[..n]);
        to_split(&tmp[..n], &mut chunk[..n]);
    }
}

/// The reference of [`to_split`].
pub fn to_split_scalar(src: &[u8], dst: &mut [u8]) {
    for (s, d) in src.chunks(BLOCK).zip(dst.chunks_exact_mut(BLOCK)) {
        if s.len() == BLOCK {
            let (lo, hi) = d.split_at_mut(BLOCK / 2);
            for j in 0..BLOCK / 2 {
                lo[j] = s[2 * j];
                hi[j] = s[2 * j + 1];
            }
        } else {
            d.fill(0);
            for (i, &b) in s.iter().enumerate() {
                d[(i & 1) * (BLOCK / 2) + i / 2] = b;
            }
        }
    }
}

/// The reference of [`from_split`].
pub fn from_split_scalar(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_mut(BLOCK).zip(src.chunks_exact(BLOCK)) {
        if d.len() == BLOCK {
            let (lo, hi) = s.split_at(BLOCK / 2);
            for j in 0..BLOCK / 2 {
                d[2 * j] = lo[j];
                d[2 * j + 1] = hi[j];
            }
        } else {
            for (i, b) in d.iter_mut().enumerate() {
                *b = s[(i & 1) * (BLOCK / 2) + i / 2];
            }
        }
    }
}

/// A multiply-accumulate implementation. All compute the same function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Log/exp tables, one word at a time: the reference.
    Scalar,
    /// Split-nibble `pshufb` lookups on 128-bit vectors (SSSE3).
    Ssse3Shuffle,
    /// Split-nibble `vpshufb` lookups on 256-bit vectors.
    Avx2Shuffle,
    /// `vgf2p8affineqb` on 256-bit vectors (GFNI with AVX2).
    Avx2Gfni,
    /// `vgf2p8affineqb` on 512-bit vectors (GFNI with AVX-512BW).
    Avx512Gfni,
}

impl Kernel {
    /// Every kernel this CPU can run, reference first.
    pub fn available() -> Vec<Kernel> {
        let mut out = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("ssse3") {
                out.push(Kernel::Ssse3Shuffle);
            }
            if std::is_x86_feature_detected!("avx2") {
                out.push(Kernel::Avx2Shuffle);
                if std::is_x86_feature_detected!("gfni") {
                    out.push(Kernel::Avx2Gfni);
                }
            }
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("gfni")
            {
                out.push(Kernel::Avx512Gfni);
            }
        }
        out
    }

    /// The fastest kernel this CPU runs, chosen once. `AP_PAR2_KERNEL`
    /// (`scalar`, `ssse3`, `avx2`, `avx2-gfni`, `avx512-gfni`) forces a slower one,
    /// for measuring; an unavailable choice falls back to detection.
    pub fn detect() -> Kernel {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| {
            let available = Kernel::available();
            let forced = std::env::var("AP_PAR2_KERNEL")
                .ok()
                .and_then(|name| available.iter().copied().find(|k| k.name() == name));
            forced.unwrap_or_else(|| available.last().copied().unwrap_or(Kernel::Scalar))
        })
    }

    /// Short name, as `AP_PAR2_KERNEL` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Ssse3Shuffle => "ssse3",
            Kernel::Avx2Shuffle => "avx2",
            Kernel::Avx2Gfni => "avx2-gfni",
            Kernel::Avx512Gfni => "avx512-gfni",
        }
    }

    /// `dst ^= Σ coeffs[i] · srcs[i]` over split-layout buffers. Lengths must
    /// agree and be whole blocks, and `coeffs` must match `srcs`; a call that
    /// breaks this does nothing, so no input can make it read out of bounds.
    pub fn mul_add_multi(self, dst: &mut [u8], srcs: &[&[u8]], coeffs: &[u16]) {
        let prepared = self.prepare(coeffs);
        self.mul_add_prepared(dst, srcs, &prepared, 0);
    }

    /// Per-coefficient constants of this kernel (bit matrices or nibble
    /// tables), computed once for a batch and used for every tile.
    pub fn prepare(self, coeffs: &[u16]) -> Prepared {
        let mut p = Prepared {
            coeffs: coeffs.to_vec(),
            mats: Vec::new(),
            tables: Vec::new(),
        };
        match self {
            Kernel::Scalar => {}
            Kernel::Ssse3Shuffle | Kernel::Avx2Shuffle => {
                p.tables = coeffs.iter().map(|&c| nibble_tables(c)).collect()
            }
            Kernel::Avx2Gfni | Kernel::Avx512Gfni => {
                p.mats = coeffs.iter().map(|&c| affine_matrices(c)).collect()
            }
        }
        p
    }

    /// Like [`mul_add_multi`](Kernel::mul_add_multi) with coefficients
    /// `prepared[first..first + srcs.len()]`, prepared by this kernel.
    pub fn mul_add_prepared(
        self,
        dst: &mut [u8],
        srcs: &[&[u8]],
        prepared: &Prepared,
        first: usize,
    ) {
        let n = srcs.len();
        if !dst.len().is_multiple_of(BLOCK)
            || first
                .checked_add(n)
                .is_none_or(|end| end > prepared.coeffs.len())
            || srcs.iter().any(|s| s.len() != dst.len())
        {
            return;
        }
        let coeffs = &prepared.coeffs[first..first + n];
        match self {
            Kernel::Scalar => scalar::mul_add_multi(dst, srcs, coeffs),
            #[cfg(target_arch = "x86_64")]
            Kernel::Ssse3Shuffle
                if std::is_x86_feature_detected!("ssse3")
                    && prepared.tables.len() == prepared.coeffs.len() =>
            {
                // SAFETY: SSSE3 was detected just above; lengths were checked.
                unsafe { x86::ssse3_shuffle(dst, srcs, &prepared.tables[first..first + n]) }
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Shuffle
                if std::is_x86_feature_detected!("avx2")
                    && prepared.tables.len() == prepared.coeffs.len() =>
            {
                // SAFETY: AVX2 was detected just above; lengths were checked.
                unsafe { x86::avx2_shuffle(dst, srcs, &prepared.tables[first..first + n]) }
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Gfni
                if std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("gfni")
                    && prepared.mats.len() == prepared.coeffs.len() =>
            {
                // SAFETY: AVX2 and GFNI were detected just above; lengths checked.
                unsafe { x86::avx2_gfni(dst, srcs, &prepared.mats[first..first + n]) }
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Gfni
                if std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("gfni")
                    && prepared.mats.len() == prepared.coeffs.len() =>
            {
                // SAFETY: AVX-512F/BW and GFNI were detected; lengths checked.
                unsafe { x86::avx512_gfni(dst, srcs, &prepared.mats[first..first + n]) }
            }
            _ => scalar::mul_add_multi(dst, srcs, coeffs),
        }
    }
}

impl Kernel {
    /// One tile of the engine: `dsts` holds `k` outputs of `w` bytes each,
    /// back to back, and output `j` gains `Σ_i prepared[j * n + i] ·
    /// srcs[i]` (`n = srcs.len()`, every source `w` bytes). All outputs in
    /// one call, so a kernel can keep the sources in L1 across them and
    /// share each load between outputs. Bad shapes do nothing, as in
    /// [`mul_add_prepared`](Kernel::mul_add_prepared).
    pub fn mul_add_outputs(self, dsts: &mut [u8], srcs: &[&[u8]], prepared: &Prepared) {
        let n = srcs.len();
        let Some(w) = srcs.first().map(|s| s.len()) else {
            return;
        };
        if w == 0 || !dsts.len().is_multiple_of(w) || !w.is_multiple_of(BLOCK) {
            return;
        }
        let k = dsts.len() / w;
        if k.checked_mul(n).is_none_or(|kn| kn > prepared.coeffs.len())
            || srcs.iter().any(|s| s.len() != w)
        {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self == Kernel::Avx512Gfni
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("gfni")
            && prepared.mats.len() == prepared.coeffs.len()
        {
            // SAFETY: features detected just above; shapes checked: `k`
            // outputs of `w` bytes, `n` sources of `w` bytes, `k * n` matrices.
            unsafe { x86::avx512_gfni_outputs(dsts, srcs, &prepared.mats[..k * n]) };
            return;
        }
        for (j, dst) in dsts.chunks_exact_mut(w).enumerate() {
            self.mul_add_prepared(dst, srcs, prepared, j * n);
        }
    }
}

/// Coefficients with the constants one kernel needs for them.
#[derive(Debug, Clone)]
pub struct Prepared {
    coeffs: Vec<u16>,
    mats: Vec<[u64; 4]>,
    tables: Vec<[[u8; 16]; 8]>,
}

/// `dst ^= Σ coeffs[i] · srcs[i]` with the best kernel for this CPU.
pub fn mul_add_multi(dst: &mut [u8], srcs: &[&[u8]], coeffs: &[u16]) {
    Kernel::detect().mul_add_multi(dst, srcs, coeffs)
}

/// The 8×8 bit matrices of multiplication by `c`, for `gf2p8affineqb`:
/// `[lo←lo, lo←hi, hi←lo, hi←hi]`. Row `i` of a matrix (byte `7 - i` of the
/// qword) selects the input bits that sum into output bit `i`.
pub(crate) fn affine_matrices(c: u16) -> [u64; 4] {
    // Column j of the 16×16 matrix is c · 2^j.
    let mut cols = [0u16; 16];
    for (j, col) in cols.iter_mut().enumerate() {
        *col = mul(c, 1 << j);
    }
    let block = |out_byte: usize, in_byte: usize| -> u64 {
        let mut m = 0u64;
        for i in 0..8 {
            let mut row = 0u8;
            for j in 0..8 {
                if cols[in_byte * 8 + j] >> (out_byte * 8 + i) & 1 != 0 {
                    row |= 1 << j;
                }
            }
            m |= (row as u64) << (8 * (7 - i));
        }
        m
    };
    [block(0, 0), block(0, 1), block(1, 0), block(1, 1)]
}

/// The split-nibble lookup tables of multiplication by `c`: for nibble
/// position `p` (0..4, low nibble of the low byte first), `lo[p][n]` and
/// `hi[p][n]` are the low and high bytes of `c · (n << 4p)`.
pub(crate) fn nibble_tables(c: u16) -> [[u8; 16]; 8] {
    let mut out = [[0u8; 16]; 8];
    for p in 0..4 {
        for n in 0..16u16 {
            let prod = mul(c, n << (4 * p));
            out[p][n as usize] = prod as u8;
            out[4 + p][n as usize] = (prod >> 8) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests;
