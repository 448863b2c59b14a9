//! Any bytes: the parser returns an NZB or an error, never panics; what it
//! returns writes and parses back to itself when it can be written.
#![no_main]

use ap_nzb::Nzb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(nzb) = Nzb::parse(data) {
        if let Ok(xml) = nzb.to_xml() {
            let again = Nzb::parse(xml.as_bytes()).expect("our own output parses");
            assert_eq!(again.to_xml().expect("writes again"), xml);
        }
    }
});
