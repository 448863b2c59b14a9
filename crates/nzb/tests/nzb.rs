#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The NZB writer and parser: fixtures from Nyuu and the wild, a live Nyuu
//! post to INN2, malformed input, and a write/parse round trip.

use std::path::{Path, PathBuf};

use ap_nzb::{Meta, Nzb, NzbError, NzbFile, Segment};
use proptest::prelude::*;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[test]
fn reads_a_nyuu_nzb() {
    let nzb = Nzb::parse(&data("nyuu.nzb")).unwrap();
    assert_eq!(nzb.meta_value("title"), Some("Fixture <title> & co"));
    assert_eq!(nzb.meta_value("tag"), Some("SD"));
    assert_eq!(nzb.meta_value("category"), Some("misc"));
    assert_eq!(nzb.meta_value("password"), Some("pa\"ss"));
    assert_eq!(nzb.files.len(), 2);
    let f = &nzb.files[0];
    assert_eq!(f.poster, "Poster <poster@example.invalid>");
    assert_eq!(f.date, 1_795_504_008);
    assert_eq!(f.subject, "[1/2] - \"photo & notes.bin\" yEnc (1/3) 30000");
    assert_eq!(f.groups, ["alt.binaries.test"]);
    assert_eq!(f.segments.len(), 3);
    assert_eq!(f.segments[0].bytes, 10718);
    assert_eq!(f.segments[2].number, 3);
    assert_eq!(
        f.segments[0].message_id,
        "AuEnIkViGuLoPvPsMaNeMpOa-1795504008081@nyuu"
    );
    assert_eq!(nzb.files[1].segments.len(), 1);
}

#[test]
fn reads_gzip_the_same() {
    assert_eq!(
        Nzb::parse(&data("nyuu.nzb.gz")).unwrap(),
        Nzb::parse(&data("nyuu.nzb")).unwrap()
    );
}

#[test]
fn reads_a_wild_nzb() {
    let nzb = Nzb::parse(&data("wild.nzb")).unwrap();
    assert_eq!(
        nzb.meta,
        [
            Meta::new("title", "Caf&eacute; & Co"),
            Meta::new("password", "one"),
            Meta::new("password", "two")
        ]
    );
    let f = &nzb.files[0];
    assert_eq!(f.poster, "Someone <some@one>");
    assert_eq!(f.date, 0);
    assert_eq!(f.groups, ["alt.binaries.x", "alt.binaries.y"]);
    assert_eq!(
        f.segments[0],
        Segment {
            bytes: 400_000,
            number: 2,
            message_id: "part2@host".into()
        }
    );
    assert_eq!(
        f.segments[1],
        Segment {
            bytes: 0,
            number: 1,
            message_id: "part1@host".into()
        }
    );
    assert_eq!(nzb.files[1].subject, "caf\u{e9}");
    assert_eq!(nzb.files[1].date, 1234);
}

#[test]
fn malformed_nzbs_name_line_and_column() {
    let cases: [(&str, usize); 4] = [
        (
            "<nzb>\n<file poster=\"a\">\n<segments>\n<segment number=\"1\">x</segmnt>\n",
            4,
        ),
        (
            "<nzb>\n  <file>\n   <segment bytes=\"1\" number=\"one\">x</segment>",
            3,
        ),
        ("\n\n<html><body>not an nzb</body></html>", 3),
        ("<nzb>\n<file poster=\"a\">\n", 3),
    ];
    for (text, line) in cases {
        let err = Nzb::parse(text.as_bytes()).unwrap_err();
        match &err {
            NzbError::Malformed { line: l, .. } => assert_eq!(*l, line, "{text:?}: {err}"),
            other => panic!("{text:?}: {other}"),
        }
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("the NZB is malformed at line {line}, column ")),
            "{shown}"
        );
        assert!(!shown.contains('\n'));
    }
    assert!(matches!(
        Nzb::parse(&[0x1f, 0x8b, 1, 2, 3]),
        Err(NzbError::Gzip(_))
    ));
}

#[test]
fn writes_the_layout_downloaders_expect() {
    let nzb = Nzb::parse(&data("nyuu.nzb")).unwrap();
    let xml = nzb.to_xml().unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE nzb PUBLIC \"-//newzBin//DTD NZB 1.1//EN\" \"http://www.newzbin.com/DTD/nzb/nzb-1.1.dtd\">\n<nzb xmlns=\"http://www.newzbin.com/DTD/2003/nzb\">\n"));
    // Nyuu writes the same elements and escaping, only with CRLF line ends.
    let nyuu = String::from_utf8(data("nyuu.nzb"))
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(xml.trim_end(), nyuu.trim_end());
    let bad = Nzb {
        meta: vec![Meta::new("title", "a\u{1}b")],
        files: vec![],
    };
    assert!(matches!(
        bad.to_xml(),
        Err(NzbError::Unrepresentable { code: 1, .. })
    ));
}

/// Nyuu posts files of generated names, sizes and titles to INN2 and writes
/// the NZB; we must read every field back.
fn nyuu_round(title: &str, names: &[String], sizes: &[usize]) {
    let server = ap_tests::inn2();
    let dir = tempfile::tempdir().unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (i, (name, size)) in names.iter().zip(sizes).enumerate() {
        let p = dir.path().join(format!("{i}{name}"));
        std::fs::write(&p, vec![i as u8; *size]).unwrap();
        paths.push(p);
    }
    let out = dir.path().join("out.nzb");
    let (host, port) = server.addr.rsplit_once(':').unwrap();
    let mut cmd = ap_tests::peer_command("nyuu");
    cmd.args([
        "-h",
        host,
        "-P",
        port,
        "-u",
        &server.user,
        "-p",
        &server.pass,
        "-g",
        &server.group,
        "-a",
        "10K",
    ])
    .args(["-f", "A <a@b.invalid>", "--nzb-title", title, "-o"])
    .arg(&out)
    .args(&paths);
    ap_tests::run_ok(&mut cmd);
    let nzb = Nzb::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(nzb.meta_value("title"), Some(title));
    assert_eq!(nzb.files.len(), names.len());
    for file in &nzb.files {
        assert_eq!(file.poster, "A <a@b.invalid>");
        assert_eq!(file.groups, std::slice::from_ref(&server.group));
        // Nyuu may reorder files and drops quotes from names; find ours by
        // the index it starts with.
        let i = (0..names.len())
            .find(|i| file.subject.contains(&format!("\"{i}")))
            .unwrap();
        assert!(file.subject.contains("yEnc (1/"), "{}", file.subject);
        let parts = sizes[i].div_ceil(10 * 1024).max(1);
        assert_eq!(file.segments.len(), parts, "{}", file.subject);
        let mut numbers: Vec<u32> = file.segments.iter().map(|s| s.number).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=parts as u32).collect::<Vec<_>>());
        assert!(
            file.segments
                .iter()
                .all(|s| s.message_id.contains('@') && s.bytes > 0)
        );
    }
}

proptest! {
    // Each case is a real post to INN2; a few cases cover the shapes.
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn nzbs_written_by_nyuu_parse(
        title in "[a-zA-Z0-9 <>&'\"\u{e9}\u{4e2d}]{1,16}".prop_filter("trimmed", |t| t.trim() == t),
        files in prop::collection::vec(("[a-zA-Z0-9 <>&'()._-]{1,12}", 1usize..40_000), 1..4),
    ) {
        let (names, sizes): (Vec<String>, Vec<usize>) = files.into_iter().unzip();
        nyuu_round(&title, &names, &sizes);
    }
}

fn text() -> impl Strategy<Value = String> {
    // Any characters XML can carry, without surrounding whitespace (trimmed on read).
    "[a-zA-Z0-9 <>&'\"\t\r\n\u{e9}\u{4e2d}\u{1f600}#;.@-]{0,20}".prop_map(|s| s.trim().to_owned())
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9<>&'\".@$_-]{1,30}"
        .prop_map(|s| s.trim_matches(['<', '>']).to_owned())
        .prop_filter("empty", |s| !s.is_empty())
}

fn nzb() -> impl Strategy<Value = Nzb> {
    let meta = prop::collection::vec((token(), text()).prop_map(|(k, v)| Meta::new(k, v)), 0..4);
    let segment =
        (any::<u64>(), any::<u32>(), token()).prop_map(|(bytes, number, message_id)| Segment {
            bytes,
            number,
            message_id,
        });
    let file = (
        text(),
        any::<u64>(),
        text(),
        prop::collection::vec(token(), 0..3),
        prop::collection::vec(segment, 0..5),
    )
        .prop_map(|(poster, date, subject, groups, segments)| NzbFile {
            poster,
            date,
            subject,
            groups,
            segments,
        });
    (meta, prop::collection::vec(file, 0..4)).prop_map(|(meta, files)| Nzb { meta, files })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn write_then_parse_gives_the_same_nzb(nzb in nzb()) {
        let xml = nzb.to_xml().unwrap();
        prop_assert_eq!(Nzb::parse(xml.as_bytes()).unwrap(), nzb.clone());
        // Deterministic: writing the parsed value gives the same bytes.
        prop_assert_eq!(Nzb::parse(xml.as_bytes()).unwrap().to_xml().unwrap(), xml);
    }
}
