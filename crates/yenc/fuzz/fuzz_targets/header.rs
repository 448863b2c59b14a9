//! The keyword-line parser on arbitrary bytes: no panic, and a parsed
//! `=ybegin`/`=yend` survives being written and parsed again.
#![no_main]

use ap_yenc::header::{Keyword, parse_keyword_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut line = b"=y".to_vec();
    line.extend_from_slice(data);
    for candidate in [data, &line[..]] {
        if let Ok(Keyword::End(e)) = parse_keyword_line(candidate) {
            let mut text = format!("=yend size={}", e.size);
            if let Some(p) = e.pcrc32 {
                text.push_str(&format!(" pcrc32={p:08x}"));
            }
            match parse_keyword_line(text.as_bytes()) {
                Ok(Keyword::End(again)) => {
                    assert_eq!(again.size, e.size);
                    assert_eq!(again.pcrc32, e.pcrc32);
                }
                other => panic!("re-parse gave {other:?}"),
            }
        }
    }
});
