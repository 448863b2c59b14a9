//! Any bytes: a descriptor decodes or fails with a typed error, and what
//! decodes encodes back to bytes that decode to the same descriptor.
#![no_main]

use ap_secret_codec::Descriptor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Descriptor::decode(data) {
        let bytes = d.encode().expect("a decoded descriptor encodes");
        assert_eq!(Descriptor::decode(&bytes).expect("decodes again"), d);
    }
});
