//! The packet scanner on arbitrary bytes: it must never panic, and every
//! packet it accepts must re-serialize to a packet it accepts again.
#![no_main]

use ap_parity::packet::{self, Body};
use ap_parity::read::scan_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = scan_bytes(data);
    for p in scan.packets {
        let again = match &p.body {
            Body::Main(m) => Some(packet::packet(&p.set_id, &packet::TYPE_MAIN, &m.body())),
            Body::FileDesc(d) => Some(packet::packet(&p.set_id, &packet::TYPE_FILE_DESC, &d.body())),
            Body::Ifsc(i) => Some(packet::packet(&p.set_id, &packet::TYPE_IFSC, &i.body())),
            _ => None,
        };
        if let Some(bytes) = again {
            assert_eq!(scan_bytes(&bytes).packets.len(), 1);
        }
    }
});
