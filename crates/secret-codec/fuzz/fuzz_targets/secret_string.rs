//! Any text: decoding a secret string and unpacking its age header returns
//! bytes or a typed error, never panics; opening with no identity fails
//! cleanly. The same bytes are also fed as an envelope behind a valid check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ap_secret_codec::to_age(&text);
    let prefixed = format!("{}{}", ap_secret_codec::text::PREFIX, text);
    if let Ok(bytes) = ap_secret_codec::text::decode(&prefixed) {
        assert_eq!(ap_secret_codec::text::decode(&ap_secret_codec::text::encode(&bytes)).ok(), Some(bytes));
    }
    let _ = ap_secret_codec::open(&prefixed, &Vec::new());
    // The same bytes as a packed envelope behind a valid check, so the age
    // header unpacking and the age parser see them too.
    let valid = ap_secret_codec::text::encode(data);
    let _ = ap_secret_codec::to_age(&valid);
    let _ = ap_secret_codec::open(&valid, &Vec::new());
});
