//! Every kernel against the scalar reference, and round trips.

use crate::decode::{Stop, decode_body_for_test};
use crate::encode::{encode_body, max_encoded_len};
use crate::*;
use proptest::prelude::*;

fn encode_with(
    kernel: Kernel,
    data: &[u8],
    line: usize,
    col: usize,
    ends: bool,
) -> (Vec<u8>, usize) {
    let mut out = vec![0u8; max_encoded_len(data.len(), line)];
    let mut c = col;
    let n = encode_body(kernel, line, &mut c, data, &mut out, ends);
    out.truncate(n);
    (out, c)
}

/// Bytes that after +42 become the values with special rules.
const NASTY: [u8; 7] = [214, 224, 227, 19, 223, 246, 4]; // NUL LF CR = TAB SPACE .

fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1500),
        proptest::collection::vec(proptest::sample::select(NASTY.to_vec()), 0..600),
        proptest::collection::vec(
            prop_oneof![Just(4u8), Just(223u8), Just(246u8), any::<u8>()],
            0..1500
        ),
        (0..600usize).prop_map(|n| vec![214u8; n]),
    ]
}

fn check_encode_all_kernels(
    data: &[u8],
    line: usize,
    col: usize,
    ends: bool,
) -> Result<(), TestCaseError> {
    let (want, want_col) = encode_with(Kernel::Scalar, data, line, col, ends);
    for k in Kernel::available() {
        let (got, got_col) = encode_with(k, data, line, col, ends);
        prop_assert_eq!(&got, &want, "kernel {:?} line {} col {}", k, line, col);
        prop_assert_eq!(got_col, want_col);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn encode_kernels_match_scalar(data in data_strategy(), line in prop_oneof![Just(128usize), 2usize..300], col_frac in 0.0f64..1.0, ends: bool) {
        let col = ((line as f64) * col_frac) as usize % line;
        check_encode_all_kernels(&data, line, col, ends)?;
    }

    #[test]
    fn decode_kernels_match_scalar(data in proptest::collection::vec(prop_oneof![
            Just(b'='), Just(b'\r'), Just(b'\n'), Just(b'.'), Just(b'y'), any::<u8>(), any::<u8>(), any::<u8>()], 0..1500),
            esc: bool, line_start: bool, strip: bool) {
        let line_start = line_start && !esc;
        let want = decode_body_for_test(Kernel::Scalar, &data, esc, line_start, strip);
        for k in Kernel::available() {
            let got = decode_body_for_test(k, &data, esc, line_start, strip);
            prop_assert_eq!(&got, &want, "kernel {:?}", k);
        }
    }

    #[test]
    fn round_trip(data in data_strategy(), line in prop_oneof![Just(128usize), 2usize..300]) {
        for k in Kernel::available() {
            let (enc, _) = encode_with(k, &data, line, 0, true);
            // Valid output: no bare specials, no line starting with '.', no TAB/SPACE at line edges.
            for l in enc.split(|&b| b == b'\n') {
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                prop_assert!(!l.starts_with(b".") && !l.starts_with(b" ") && !l.starts_with(b"\t"));
                prop_assert!(!l.ends_with(b" ") && !l.ends_with(b"\t"));
                prop_assert!(!l.contains(&0) && !l.contains(&b'\r'));
            }
            for strip in [true, false] {
                let mut out = vec![0u8; enc.len()];
                let (ci, co) = decode_raw_with(k, &enc, &mut out, strip).unwrap();
                prop_assert_eq!(ci, enc.len());
                prop_assert_eq!(&out[..co], &data[..]);
            }
        }
    }

    #[test]
    fn part_round_trip_in_chunks(data in data_strategy(), cuts in proptest::collection::vec(0usize..1500, 0..6)) {
        let info = PartInfo::new("a b.bin", data.len() as u64 + 10, 2, 3, 10, data.len() as u64);
        let (one_shot, summary) = encode_part(&info, &data).unwrap();
        // Streaming, cut anywhere, must give the same article.
        let mut enc = Encoder::new(info.clone()).unwrap();
        let mut article = enc.header().to_vec();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.sort_unstable();
        let mut prev = 0;
        for c in cuts.into_iter().chain([data.len()]) {
            let mut buf = vec![0u8; enc.max_feed_len(c - prev)];
            let n = enc.feed(&data[prev..c], &mut buf).unwrap();
            article.extend_from_slice(&buf[..n]);
            prev = c;
        }
        let mut buf = vec![0u8; MAX_TRAILER_LEN + 6];
        let (n, s2) = enc.finish(&mut buf).unwrap();
        article.extend_from_slice(&buf[..n]);
        prop_assert_eq!(&article, &one_shot);
        prop_assert_eq!(s2, summary);
        prop_assert_eq!(summary.encoded_len, article.len() as u64);
        // Streaming decode in small chunks.
        let mut dec = Decoder::new();
        let mut out = vec![0u8; article.len()];
        let mut written = 0;
        for chunk in article.chunks(97) {
            let p = dec.feed(chunk, &mut out[written..]).unwrap();
            prop_assert_eq!(p.consumed, chunk.len());
            written += p.written;
        }
        let report = dec.finish().unwrap();
        prop_assert_eq!(&out[..written], &data[..]);
        prop_assert_eq!(report.issues, vec![]);
        prop_assert_eq!(report.crc32, summary.pcrc32);
        prop_assert_eq!(report.part, Some(header::PartRange { begin: 11, end: 10 + data.len() as u64 }));
    }
}

#[test]
fn every_line_boundary_position() {
    // A run of escapes or TAB/SPACE/dot placed so that each byte position of a
    // block meets each column, for every kernel.
    for line in [2usize, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129] {
        for col in 0..line.min(70) {
            for &b in &NASTY {
                let mut data = vec![b'a'; 200];
                for (i, d) in data.iter_mut().enumerate() {
                    if i % 7 == col % 7 || i % 5 == 0 {
                        *d = b;
                    }
                }
                check_encode_all_kernels(&data, line, col, true).unwrap();
                check_encode_all_kernels(&[b; 200], line, col, true).unwrap();
            }
        }
    }
}

#[test]
fn escapes_follow_the_rules() {
    let enc = |d: &[u8]| {
        let mut out = vec![0u8; max_encoded_len(d.len(), 128)];
        let n = encode_raw(d, 128, &mut out).unwrap();
        out.truncate(n);
        out
    };
    // +42: NUL, TAB, SPACE, '.', 'A' -> only NUL escaped mid-line.
    assert_eq!(enc(&[214, 223, 246, 4, 23]), b"=@\t .A");
    assert_eq!(enc(&[223, 23]), b"=IA");
    assert_eq!(enc(&[4, 4]), b"=n.");
    assert_eq!(enc(&[23, 246]), b"A=`");
    assert_eq!(enc(&[19, 224, 227]), b"=}=J=M");
    // A TAB in the last column is escaped and the line runs to 129.
    let mut d = vec![23u8; 127];
    d.push(223);
    d.push(23);
    let mut want = vec![b'A'; 127];
    want.extend_from_slice(b"=I\r\nA");
    assert_eq!(enc(&d), want);
}

#[test]
fn decoder_keyword_detection_and_dots() {
    let (ci, out, stop, _, _) = decode_body_for_test(
        Kernel::Scalar,
        b"kl\r\n..m\r\n=yend size=3",
        false,
        true,
        true,
    );
    assert_eq!(stop, Stop::Keyword);
    assert_eq!(ci, 9);
    assert_eq!(out, vec![b'k' - 42, b'l' - 42, b'.' - 42, b'm' - 42]);
}

#[test]
fn feed_larger_than_a_cache_block_matches_scalar() {
    // `feed` splits input beyond its cache block and CRCs each block after
    // encoding it: the article and CRC must not depend on where that split
    // falls, so compare a 1.3 MiB one-shot part (split inside `feed`, best
    // kernel) with the scalar kernel fed in uneven pieces, and check the CRC.
    let mut data: Vec<u8> = (0..1_300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Bytes that need escaping around every 512 KiB boundary.
    for edge in [512 * 1024, 1024 * 1024] {
        for (j, b) in data[edge - 70..edge + 70].iter_mut().enumerate() {
            *b = NASTY[j % NASTY.len()];
        }
    }
    let info = PartInfo::new("big.bin", data.len() as u64, 1, 1, 0, data.len() as u64);
    let (one_shot, summary) = encode_part(&info, &data).unwrap();
    assert_eq!(summary.pcrc32, crc32(&data));

    let mut enc = Encoder::with_kernel(info, Kernel::Scalar).unwrap();
    let mut article = enc.header().to_vec();
    for piece in data.chunks(100_003) {
        let mut buf = vec![0u8; enc.max_feed_len(piece.len())];
        let n = enc.feed(piece, &mut buf).unwrap();
        article.extend_from_slice(&buf[..n]);
    }
    let mut buf = vec![0u8; MAX_TRAILER_LEN + 6];
    let (n, scalar_summary) = enc.finish(&mut buf).unwrap();
    article.extend_from_slice(&buf[..n]);
    assert_eq!(article, one_shot);
    assert_eq!(scalar_summary, summary);
}
