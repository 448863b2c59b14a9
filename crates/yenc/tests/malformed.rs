//! Bad and odd input: what real posters send decodes, what is broken gives
//! a typed error or a typed issue naming the problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ap_yenc::{DecodeError, Issue, PartInfo, crc32, decode_part, encode_part};

fn good_article() -> (Vec<u8>, Vec<u8>) {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let info = PartInfo::new("x.bin", 1000, 1, 1, 0, 1000);
    (encode_part(&info, &data).unwrap().0, data)
}

#[test]
fn garbage_is_not_an_article() {
    assert_eq!(
        decode_part(b"hello world\r\nno yenc here\r\n").unwrap_err(),
        DecodeError::NoBegin
    );
    assert_eq!(decode_part(b"").unwrap_err(), DecodeError::NoBegin);
    let msg = DecodeError::NoBegin.to_string();
    assert!(msg.contains("=ybegin"), "{msg}");
}

#[test]
fn truncated_header() {
    let err = decode_part(b"=ybegin part=1 line=128 size=10 name=a").unwrap_err();
    assert_eq!(err, DecodeError::TruncatedHeader { line: "=ybegin" });
    let err = decode_part(b"=ybegin line=128 name=a\r\nabc\r\n").unwrap_err();
    assert_eq!(
        err,
        DecodeError::MissingField {
            line: "=ybegin",
            field: "size"
        }
    );
}

#[test]
fn bad_size_field() {
    let err =
        decode_part(b"=ybegin line=128 size=12k name=a\r\nabc\r\n=yend size=3\r\n").unwrap_err();
    assert!(
        matches!(err, DecodeError::BadNumber { field: "size", ref value, .. } if value == "12k"),
        "{err:?}"
    );
    assert!(err.to_string().contains("size=12k"));
    let err =
        decode_part(b"=ybegin line=128 size=3 name=a\r\nabc\r\n=yend size=-1\r\n").unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::BadNumber {
                line: "=yend",
                field: "size",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn wrong_crc_is_reported_not_fatal() {
    let (mut article, data) = good_article();
    let at = article.windows(7).position(|w| w == b"pcrc32=").unwrap() + 7;
    let right = crc32(&data);
    article[at..at + 8].copy_from_slice(b"00000000");
    let decoded = decode_part(&article).unwrap();
    assert_eq!(decoded.data, data);
    assert_eq!(
        decoded.report.issues[0],
        Issue::PcrcMismatch {
            declared: 0,
            actual: right
        }
    );
    assert_eq!(
        decoded.report.check().unwrap_err(),
        DecodeError::Check(Issue::PcrcMismatch {
            declared: 0,
            actual: right
        })
    );
    // Damaged data: CRC and size both reported.
    let (article, _) = good_article();
    let mut cut = article.clone();
    let body = cut.iter().position(|&b| b == b'\n').unwrap() + 1;
    cut.drain(body + 200..body + 300);
    let r = decode_part(&cut).unwrap().report;
    assert!(
        r.issues.iter().any(|i| matches!(
            i,
            Issue::SizeMismatch {
                field: "=yend size",
                declared: 1000,
                ..
            }
        )),
        "{r:?}"
    );
    assert!(
        r.issues
            .iter()
            .any(|i| matches!(i, Issue::PcrcMismatch { .. })),
        "{r:?}"
    );
    assert!(
        r.issues
            .iter()
            .any(|i| matches!(i, Issue::CrcMismatch { .. })),
        "{r:?}"
    );
}

#[test]
fn missing_trailer_is_reported() {
    let r = decode_part(b"=ybegin line=128 size=3 name=a\r\nklm\r\n")
        .unwrap()
        .report;
    assert_eq!(r.issues, vec![Issue::MissingEnd]);
    assert_eq!(r.size, 3);
}

#[test]
fn bad_crc_field() {
    let err = decode_part(b"=ybegin line=128 size=1 name=a\r\nk\r\n=yend size=1 pcrc32=xyz\r\n")
        .unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::BadCrc {
                field: "pcrc32",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn what_real_posters_send() {
    // LF line ends, fields in another order, trailing spaces, name with
    // spaces, no =ypart, dot-stuffed line, escapes of bytes that need none,
    // upper-case CRC with fewer digits, headers before =ybegin.
    let e = |b: u8| b.wrapping_sub(106);
    let p = |b: u8| b.wrapping_sub(42);
    let want = vec![
        e(b'@'),
        e(b'k'),
        p(b'l'),
        p(b'm'),
        p(b'.'),
        e(b'b'),
        p(b' '),
        p(b' '),
    ];
    let article = format!(
        "Subject: test\nFrom: a@b\n\n=ybegin size=8 line=128   name=my  file .bin   \n=@=kl\nm\n..=b  \n=yend crc32={:X} size=8 \n",
        crc32(&want)
    );
    let d = decode_part(article.as_bytes()).unwrap();
    assert_eq!(d.data, want, "trailing spaces are data in yEnc");
    assert_eq!(d.report.issues, vec![]);
    assert_eq!(d.report.begin.name, "my  file .bin");
    assert!(d.report.part.is_none());
}

#[test]
fn part_number_and_range_checks() {
    let data = vec![7u8; 100];
    let info = PartInfo::new("f", 300, 2, 3, 100, 100);
    let (article, _) = encode_part(&info, &data).unwrap();
    let text = String::from_utf8(article)
        .unwrap()
        .replace("=yend size=100 part=2", "=yend size=100 part=3");
    let r = decode_part(text.as_bytes()).unwrap().report;
    assert_eq!(
        r.issues,
        vec![Issue::PartNumberMismatch { begin: 2, end: 3 }]
    );
    let text = text
        .replace("part=3", "part=2")
        .replace("end=200", "end=201");
    let r = decode_part(text.as_bytes()).unwrap().report;
    assert_eq!(
        r.issues,
        vec![Issue::SizeMismatch {
            field: "=ypart begin..end",
            declared: 101,
            actual: 100
        }]
    );
}

#[test]
fn encoder_refuses_bad_parts() {
    use ap_yenc::EncodeError;
    assert_eq!(
        encode_part(&PartInfo::new("a\nb", 1, 1, 1, 0, 1), b"x").unwrap_err(),
        EncodeError::BadName
    );
    assert_eq!(
        encode_part(&PartInfo::new("", 1, 1, 1, 0, 1), b"x").unwrap_err(),
        EncodeError::EmptyName
    );
    assert_eq!(
        encode_part(&PartInfo::new("a", 1, 2, 1, 0, 1), b"x").unwrap_err(),
        EncodeError::BadPartNumber { part: 2, total: 1 }
    );
    assert_eq!(
        encode_part(&PartInfo::new("a", 5, 1, 1, 0, 5), b"x").unwrap_err(),
        EncodeError::LengthMismatch {
            announced: 5,
            fed: 1
        }
    );
}
