//! The article decoder on arbitrary bytes: no panic, every kernel agrees
//! with the scalar one, and feeding in two chunks equals one call.
#![no_main]

use ap_yenc::{Decoder, Kernel, decode_raw_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let one = ap_yenc::decode_part(data);

    let cut = (cut as usize * data.len()) / 256;
    let mut dec = Decoder::new();
    let mut out = vec![0u8; data.len()];
    let a = dec.feed(&data[..cut], &mut out);
    let two = a.and_then(|a| {
        let b = dec.feed(&data[cut..], &mut out[a.written..])?;
        Ok(a.written + b.written)
    });
    match (&one, two) {
        (Ok(d), Ok(n)) => {
            let report = dec.finish().expect("same input, same outcome");
            assert_eq!(&out[..n], &d.data[..]);
            assert_eq!(report, d.report);
            let _ = d.report.check();
        }
        (Err(e1), Err(e2)) => assert_eq!(e1, &e2),
        (Ok(_), Err(_)) => {}
        (Err(_), Ok(_)) => {}
    }

    for strip in [true, false] {
        let mut want = vec![0u8; data.len()];
        let w = decode_raw_with(Kernel::Scalar, data, &mut want, strip).expect("room");
        for k in Kernel::available() {
            let mut got = vec![0u8; data.len()];
            let g = decode_raw_with(k, data, &mut got, strip).expect("room");
            assert_eq!(g, w, "{k:?}");
            assert_eq!(&got[..g.1], &want[..w.1], "{k:?}");
        }
    }
});
