#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The secret string end to end: round trips, the age CLI, errors, sizes.

use std::process::Command;

use ap_secret_codec::recipients::{Identities, Recipients, identities_from_bytes};
use ap_secret_codec::{
    Descriptor, Error, FORMAT_VERSION, PostedFile, Repost, Role, SetKey, SubjectStyle, open,
    parse_recipient, seal, to_age, to_nzb,
};
use proptest::prelude::*;

/// A typical large set: 20 volumes of 2 GiB (the last shorter), each with
/// its own PAR2 set of an index file and 8 equal recovery files: 200 files.
fn set_of_200() -> Descriptor {
    let mut files = vec![
        PostedFile {
            role: Role::Data,
            size: 2 << 30
        };
        19
    ];
    files.push(PostedFile {
        role: Role::Data,
        size: 1_234_567_890,
    });
    for v in 0..20 {
        let (index, recovery) = if v < 19 {
            (46_312, 22_130_412)
        } else {
            (41_980, 12_770_316)
        };
        files.push(PostedFile {
            role: Role::Par2,
            size: index,
        });
        files.extend(std::iter::repeat_n(
            PostedFile {
                role: Role::Par2,
                size: recovery,
            },
            8,
        ));
    }
    Descriptor {
        key: SetKey::from_bytes([7; 32]),
        title: "Holiday 2026".into(),
        groups: vec!["alt.binaries.test".into()],
        domain: "news.example".into(),
        subjects: SubjectStyle::Yenc,
        article_size: 716_800,
        line_length: 128,
        date: 1_795_500_000,
        files,
        reposts: vec![Repost {
            file: 3,
            part: 17,
            attempt: 1,
        }],
    }
}

fn x25519() -> (age::x25519::Identity, Recipients, Identities) {
    let id = age::x25519::Identity::generate();
    let r: Recipients = vec![Box::new(id.to_public())];
    let i: Identities = vec![Box::new(id.clone())];
    (id, r, i)
}

#[test]
fn seal_and_open_with_x25519() {
    let d = set_of_200();
    let (_, r, i) = x25519();
    let s = seal(&d, &r).unwrap();
    assert!(s.expose().starts_with("ap1_"));
    assert_eq!(open(s.expose(), &i).unwrap(), d);
    assert!(!format!("{s:?}").contains(&s.expose()[4..20]));
    assert!(!format!("{d:?}").contains("7, 7"));
}

#[test]
fn the_age_cli_opens_the_bytes_inside() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.txt");
    ap_tests::run_ok(ap_tests::peer_command("age-keygen").arg("-o").arg(&key));
    let ids = ap_secret_codec::read_identity_file(&key).unwrap();
    let text = std::fs::read_to_string(&key).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    // Two recipients, so the header has more than one stanza.
    let (_, mut r, _) = x25519();
    r.push(parse_recipient(recipient).unwrap());
    let d = set_of_200();
    let s = seal(&d, &r).unwrap();
    let age_file = dir.path().join("set.age");
    std::fs::write(&age_file, to_age(s.expose()).unwrap()).unwrap();
    let plain = ap_tests::run_ok(
        ap_tests::peer_command("age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(&age_file),
    );
    assert_eq!(plain, d.encode().unwrap());
    assert_eq!(open(s.expose(), &ids).unwrap(), d);
}

#[test]
fn ssh_keys_seal_and_open_and_the_age_cli_agrees() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["ed25519", "rsa"] {
        let key = dir.path().join(format!("id_{kind}"));
        ap_tests::run_ok(
            Command::new(ap_tests::peer("ssh-keygen"))
                .args(["-q", "-t", kind, "-N", "", "-C", "", "-f"])
                .arg(&key),
        );
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let r: Recipients = vec![parse_recipient(&public).unwrap()];
        let d = set_of_200();
        let s = seal(&d, &r).unwrap();
        let ids = ap_secret_codec::read_identity_file(&key).unwrap();
        assert_eq!(open(s.expose(), &ids).unwrap(), d);
        let age_file = dir.path().join("set.age");
        std::fs::write(&age_file, to_age(s.expose()).unwrap()).unwrap();
        let plain = ap_tests::run_ok(
            ap_tests::peer_command("age")
                .arg("-d")
                .arg("-i")
                .arg(&key)
                .arg(&age_file),
        );
        assert_eq!(plain, d.encode().unwrap(), "{kind}");
    }
}

#[test]
fn the_wrong_identity_is_named_as_such() {
    let (_, r, _) = x25519();
    let (_, _, other) = x25519();
    let s = seal(&set_of_200(), &r).unwrap();
    let err = open(s.expose(), &other).unwrap_err();
    assert!(matches!(err, Error::NoMatchingIdentity), "{err}");
    assert!(!err.to_string().contains('\n'));
}

#[test]
fn damage_is_reported_at_its_position() {
    let (_, r, i) = x25519();
    let s = seal(&set_of_200(), &r).unwrap();
    let text = s.expose();
    for pos in [5, 40, text.len() / 2, text.len() - 5, text.len()] {
        let mut bytes = text.as_bytes().to_vec();
        bytes[pos - 1] = if bytes[pos - 1] == b'x' { b'y' } else { b'x' };
        let damaged = String::from_utf8(bytes).unwrap();
        match open(&damaged, &i) {
            Err(Error::Damaged { position }) => assert_eq!(position, pos),
            other => panic!("position {pos}: {other:?}"),
        }
    }
    let err = open(&format!("{}!{}", &text[..30], &text[30..]), &i).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the secret string is damaged at position 31; compare it with the original there"
    );
    // Wrapped by a mail client: still fine.
    let wrapped = format!("  {}\n{}\n", &text[..50], &text[50..]);
    assert!(open(&wrapped, &i).is_ok());
    assert!(matches!(
        open(&text[..text.len() - 3], &i),
        Err(Error::DamagedSomewhere(_))
    ));
    assert!(matches!(open("hello", &i), Err(Error::NotASecret)));
}

#[test]
fn newer_versions_are_refused_by_name() {
    let err = open("ap2_AAAA", &Vec::new()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NewerVersion {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );
    let mut bytes = set_of_200().encode().unwrap();
    bytes[0] = FORMAT_VERSION as u8 + 1;
    let err = Descriptor::decode(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the secret uses format version 3, newer than this program understands (up to 2); upgrade ap"
    );
}

#[test]
fn split_sets_use_version_2_and_other_sets_stay_version_1() {
    let plain = set_of_200();
    assert_eq!(
        plain.encode().unwrap()[0],
        1,
        "a set without parts is version 1"
    );

    // Two parts: volumes 0-9 form one archive, 10-19 another.
    let mut split = set_of_200();
    split.files[10].role = Role::PartStart;
    let bytes = split.encode().unwrap();
    assert_eq!(bytes[0], 2);
    let back = Descriptor::decode(&bytes).unwrap();
    assert_eq!(back, split);
    assert_eq!(back.files[10].role, Role::PartStart);
    // The same articles either way; only the names say a second archive
    // begins at file 10.
    let (a, b) = (to_nzb(&split), to_nzb(&plain));
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.segments, y.segments);
    }
    let names = ap_secret_codec::file_names(&split);
    assert!(names[10].ends_with(".7z.001"), "{}", names[10]);
    assert_ne!(names[10], ap_secret_codec::file_names(&plain)[10]);

    // A version 1 descriptor cannot name parts.
    let mut forged = bytes.clone();
    forged[0] = 1;
    let err = Descriptor::decode(&forged).unwrap_err();
    assert!(err.to_string().contains("split set"), "{err}");
}

#[test]
fn the_packaged_key_opens_public_sets() {
    // The identity lives in ap-client; here only its recipient is checked to
    // be well formed and used by --public.
    let r = ap_secret_codec::recipients_for_post(&[], &[] as &[&str], true).unwrap();
    assert_eq!(r.len(), 1);
    assert!(matches!(
        ap_secret_codec::recipients_for_post(&[], &[] as &[&str], false),
        Err(Error::NoRecipients)
    ));
}

#[test]
fn recipients_come_from_flags_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _, ia) = x25519();
    let (b, _, ib) = x25519();
    let key = dir.path().join("id");
    ap_tests::run_ok(
        Command::new(ap_tests::peer("ssh-keygen"))
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key),
    );
    let file = dir.path().join("recipients.txt");
    let ssh_pub = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    std::fs::write(&file, format!("# team\n\n{}\n{ssh_pub}", b.to_public())).unwrap();
    let r = ap_secret_codec::recipients_for_post(&[a.to_public().to_string()], &[&file], false)
        .unwrap();
    assert_eq!(r.len(), 3);
    let s = seal(&set_of_200(), &r).unwrap();
    let ids = ap_secret_codec::read_identity_file(&key).unwrap();
    for i in [&ia, &ib, &ids] {
        assert!(open(s.expose(), i).is_ok());
    }
    let bad =
        ap_secret_codec::recipients_for_post(&["age1nope".to_string()], &[] as &[&str], false);
    assert!(matches!(bad, Err(Error::Recipient { .. })));
    let bad_id = identities_from_bytes(b"not a key", "x");
    assert!(matches!(bad_id, Err(Error::Identity { .. })));
}

/// The table in docs/FORMAT.md is computed here, not guessed.
#[test]
fn sizes_match_the_format_document() {
    let d = set_of_200();
    let mut table = String::new();
    for n in [1usize, 2, 5] {
        let r: Recipients = (0..n)
            .map(|_| {
                Box::new(age::x25519::Identity::generate().to_public())
                    as Box<dyn age::Recipient + Send>
            })
            .collect();
        let len = seal(&d, &r).unwrap().expose().len();
        if n == 1 {
            assert!(len <= 450, "{len} characters for one recipient");
        }
        table.push_str(&format!("| {n} | {len} |\n"));
    }
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/FORMAT.md"))
        .unwrap();
    assert!(
        doc.contains(&table),
        "docs/FORMAT.md must hold this table:\n{table}"
    );
    let descriptor_len = d.encode().unwrap().len();
    assert!(
        doc.contains(&format!("descriptor of {descriptor_len} bytes")),
        "descriptor is {descriptor_len} bytes"
    );
}

#[test]
fn the_nzb_rebuild_is_exact_and_uses_reposts() {
    let d = set_of_200();
    let nzb = to_nzb(&d);
    assert_eq!(nzb.files.len(), 200);
    assert_eq!(
        nzb.meta_value("password"),
        Some(d.key.archive_password().as_str())
    );
    let f3 = &nzb.files[3];
    assert_eq!(f3.segments.len() as u32, d.parts(3));
    assert_eq!(
        f3.segments[16].message_id,
        d.key.message_id(3, 17, 1, "news.example")
    );
    assert_eq!(
        f3.segments[15].message_id,
        d.key.message_id(3, 16, 0, "news.example")
    );
    assert!(f3.subject.ends_with(&format!("yEnc (1/{})", d.parts(3))));
    let total: u64 = d.files.iter().map(|f| f.size).sum();
    assert_eq!(nzb.total_bytes(), total);
    let xml = nzb.to_xml().unwrap();
    let (_, r, i) = x25519();
    let again = to_nzb(&open(seal(&d, &r).unwrap().expose(), &i).unwrap())
        .to_xml()
        .unwrap();
    assert_eq!(again, xml);
    assert_eq!(ap_nzb::Nzb::parse(xml.as_bytes()).unwrap(), nzb);
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    let file = (
        prop_oneof![Just(Role::Data), Just(Role::Par2)],
        prop_oneof![0u64..5, Just(1 << 31), any::<u64>()],
    )
        .prop_map(|(role, size)| PostedFile { role, size });
    (
        any::<[u8; 32]>(),
        ".{0,12}",
        prop::collection::vec("[a-z.]{1,20}", 0..3),
        "[a-z.]{0,12}",
        any::<bool>(),
        1u32..,
        1u16..,
        any::<u64>(),
        prop::collection::vec(file, 0..40),
        prop::collection::vec((any::<u32>(), any::<u32>(), 1u32..), 0..5),
    )
        .prop_map(
            |(
                k,
                title,
                groups,
                domain,
                yenc,
                article_size,
                line_length,
                date,
                mut files,
                reposts,
            )| {
                // Repeat a pattern so the repeat encoding is exercised too.
                let pattern: Vec<PostedFile> = files.iter().take(3).copied().collect();
                for _ in 0..3 {
                    files.extend_from_slice(&pattern);
                }
                let mut d = Descriptor {
                    key: SetKey::from_bytes(k),
                    title,
                    groups,
                    domain,
                    subjects: if yenc {
                        SubjectStyle::Yenc
                    } else {
                        SubjectStyle::Random
                    },
                    article_size,
                    line_length,
                    date,
                    files,
                    reposts: Vec::new(),
                };
                for (f, p, a) in reposts {
                    if !d.files.is_empty() {
                        let file = f % d.files.len() as u32;
                        let part = p % d.parts(file as usize) + 1;
                        d.add_repost(file, part, a);
                    }
                }
                d
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn descriptors_round_trip(d in descriptor()) {
        let bytes = d.encode().unwrap();
        prop_assert_eq!(Descriptor::decode(&bytes).unwrap(), d);
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Descriptor::decode(&bytes);
        let _ = to_age(&format!("ap1_{}", String::from_utf8_lossy(&bytes)));
    }
}
