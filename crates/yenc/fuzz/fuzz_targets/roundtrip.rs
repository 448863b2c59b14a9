//! Encoding arbitrary bytes at an arbitrary line length: every kernel gives
//! the scalar kernel's bytes, and decoding gives the input back.
#![no_main]

use ap_yenc::{Kernel, decode_raw_with, encode_raw_with, max_encoded_len};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&l, data)) = data.split_first() else {
        return;
    };
    let line = if l < 128 {
        128
    } else {
        2 + usize::from(l - 128) * 2
    };
    let mut want = vec![0u8; max_encoded_len(data.len(), line)];
    let n = encode_raw_with(Kernel::Scalar, data, line, &mut want).expect("room");
    want.truncate(n);
    for k in Kernel::available() {
        let mut got = vec![0u8; max_encoded_len(data.len(), line)];
        let m = encode_raw_with(k, data, line, &mut got).expect("room");
        assert_eq!(&got[..m], &want[..], "{k:?} line {line}");
        let mut back = vec![0u8; m];
        let (used, w) = decode_raw_with(k, &got[..m], &mut back, true).expect("room");
        assert_eq!(used, m);
        assert_eq!(&back[..w], data, "{k:?} line {line}");
    }
});
