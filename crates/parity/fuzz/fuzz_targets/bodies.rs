//! Packet bodies past the MD5 gate: every packet type's parser on arbitrary
//! bytes must return a value or `None`, never panic, and what it returns
//! must serialize back to a body that parses to the same value.
#![no_main]

use ap_parity::packet::{self, Body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else { return };
    let types = [packet::TYPE_MAIN, packet::TYPE_FILE_DESC, packet::TYPE_IFSC, packet::TYPE_CREATOR, packet::TYPE_RECOVERY];
    let t = types[kind as usize % types.len()];
    let Some(parsed) = packet::parse_body(&t, body) else { return };
    let again = match &parsed {
        Body::Main(m) => m.body(),
        Body::FileDesc(d) => d.body(),
        Body::Ifsc(i) => i.body(),
        _ => return,
    };
    assert_eq!(packet::parse_body(&t, &again), Some(parsed));
});
