use proptest::prelude::*;

use super::*;

#[test]
fn field_basics() {
    // x^16 = x^12 + x^3 + x + 1 under 0x1100B.
    assert_eq!(pow(2, 16), 0x100B);
    for a in [1u16, 2, 3, 0x1234, 0xffff] {
        assert_eq!(mul(a, inv(a).unwrap()), 1);
    }
    assert_eq!(pow(2, 65535), 1);
    // The first PAR2 input constants are 2^1, 2^2, 2^4, 2^7.
    assert_eq!(input_constants(4), vec![2, 4, 16, 128]);
}

#[test]
fn split_layout_round_trips_any_length() {
    for len in [0usize, 2, 4, 126, 128, 130, 1000] {
        let src: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut split = vec![0u8; split_len(len)];
        to_split(&src, &mut split);
        let mut back = vec![0u8; len];
        from_split(&split, &mut back);
        assert_eq!(back, src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The SIMD layout conversions equal the scalar ones, any length.
    #[test]
    fn split_conversions_equal_scalar(len in 0usize..1000, seed in any::<u8>()) {
        let src: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(29) ^ seed).collect();
        let mut want = vec![0u8; split_len(len)];
        to_split_scalar(&src, &mut want);
        let mut got = vec![0xAAu8; split_len(len)];
        to_split(&src, &mut got);
        prop_assert_eq!(&got, &want);
        let mut back = vec![0u8; len];
        from_split(&got, &mut back);
        let mut back_ref = vec![0u8; len];
        from_split_scalar(&want, &mut back_ref);
        prop_assert_eq!(&back, &back_ref);
        prop_assert_eq!(&back, &src);
        let mut in_place = src.clone();
        in_place.resize(split_len(len), 0);
        to_split_in_place(&mut in_place);
        prop_assert_eq!(&in_place, &want);
    }
}

#[test]
fn scalar_kernel_multiplies_words() {
    let words: Vec<u16> = (0..64u16).map(|i| i.wrapping_mul(977) ^ 0x5a5a).collect();
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut split = vec![0u8; BLOCK];
    to_split(&bytes, &mut split);
    let mut acc = vec![0u8; BLOCK];
    Kernel::Scalar.mul_add_multi(&mut acc, &[&split], &[0x1234]);
    let mut out = vec![0u8; BLOCK];
    from_split(&acc, &mut out);
    for (i, w) in words.iter().enumerate() {
        let got = u16::from_le_bytes([out[2 * i], out[2 * i + 1]]);
        assert_eq!(got, mul(*w, 0x1234));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Every SIMD path this CPU has computes what the scalar reference does.
    #[test]
    fn every_kernel_equals_scalar(
        blocks in 1usize..6,
        nsrc in 0usize..5,
        seed in any::<u64>(),
        coeffs in proptest::collection::vec(any::<u16>(), 5),
    ) {
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state as u8 };
        let len = blocks * BLOCK;
        let srcs: Vec<Vec<u8>> = (0..nsrc).map(|_| (0..len).map(|_| next()).collect()).collect();
        let start: Vec<u8> = (0..len).map(|_| next()).collect();
        let refs: Vec<&[u8]> = srcs.iter().map(|s| s.as_slice()).collect();
        let mut want = start.clone();
        Kernel::Scalar.mul_add_multi(&mut want, &refs, &coeffs[..nsrc]);
        for kernel in Kernel::available() {
            let mut got = start.clone();
            kernel.mul_add_multi(&mut got, &refs, &coeffs[..nsrc]);
            prop_assert_eq!(&got, &want, "kernel {}", kernel.name());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The whole-tile entry (several outputs per call, the engine's path)
    /// equals the scalar reference on every kernel this CPU has, for odd and
    /// even output counts.
    #[test]
    fn every_kernel_tile_equals_scalar(
        blocks in 1usize..5,
        nsrc in 1usize..6,
        outputs in 1usize..6,
        seed in any::<u64>(),
    ) {
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        let w = blocks * BLOCK;
        let srcs: Vec<Vec<u8>> = (0..nsrc).map(|_| (0..w).map(|_| next() as u8).collect()).collect();
        let start: Vec<u8> = (0..w * outputs).map(|_| next() as u8).collect();
        let coeffs: Vec<u16> = (0..nsrc * outputs).map(|_| next() as u16).collect();
        let refs: Vec<&[u8]> = srcs.iter().map(|s| s.as_slice()).collect();
        let mut want = start.clone();
        for (j, dst) in want.chunks_exact_mut(w).enumerate() {
            Kernel::Scalar.mul_add_multi(dst, &refs, &coeffs[j * nsrc..(j + 1) * nsrc]);
        }
        for kernel in Kernel::available() {
            let mut got = start.clone();
            kernel.mul_add_outputs(&mut got, &refs, &kernel.prepare(&coeffs));
            prop_assert_eq!(&got, &want, "kernel {}", kernel.name());
        }
    }
}
