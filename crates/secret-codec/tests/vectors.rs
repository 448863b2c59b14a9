#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The test vectors of docs/FORMAT.md, recomputed so the document cannot rot.

use ap_secret_codec::{
    Descriptor, PostedFile, Repost, Role, SetKey, SubjectStyle, subject, text, to_nzb,
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vector_key() -> SetKey {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    SetKey::from_bytes(k)
}

fn vector_descriptor() -> Descriptor {
    Descriptor {
        key: vector_key(),
        title: "Test set".into(),
        groups: vec!["alt.binaries.test".into()],
        domain: "example.invalid".into(),
        subjects: SubjectStyle::Yenc,
        article_size: 716_800,
        line_length: 128,
        date: 1_795_500_000,
        files: vec![
            PostedFile {
                role: Role::Data,
                size: 1_500_000,
            },
            PostedFile {
                role: Role::Data,
                size: 1_500_000,
            },
            PostedFile {
                role: Role::Data,
                size: 1000,
            },
            PostedFile {
                role: Role::Par2,
                size: 4000,
            },
            PostedFile {
                role: Role::Par2,
                size: 800_000,
            },
            PostedFile {
                role: Role::Par2,
                size: 4000,
            },
            PostedFile {
                role: Role::Par2,
                size: 800_000,
            },
        ],
        reposts: vec![Repost {
            file: 1,
            part: 2,
            attempt: 1,
        }],
    }
}

/// Every line of this text must appear verbatim in docs/FORMAT.md.
fn vectors() -> String {
    let k = vector_key();
    let d = vector_descriptor();
    let mut v = String::new();
    v.push_str(&format!(
        "K                        = {}\n",
        hex(k.as_bytes())
    ));
    v.push_str(&format!(
        "archive password         = {}\n",
        k.archive_password()
    ));
    v.push_str(&format!(
        "archive IV               = {}\n",
        hex(&k.archive_iv())
    ));
    v.push_str(&format!(
        "message id (0, 1, 0)     = {}\n",
        k.message_id(0, 1, 0, "example.invalid")
    ));
    v.push_str(&format!(
        "message id (1, 2, 1)     = {}\n",
        k.message_id(1, 2, 1, "example.invalid")
    ));
    v.push_str(&format!("file name 0              = {}\n", k.file_name(0)));
    v.push_str(&format!("file name 3              = {}\n", k.file_name(3)));
    v.push_str(&format!(
        "random subject (0, 1)    = {}\n",
        k.random_subject(0, 1)
    ));
    v.push_str(&format!(
        "yEnc subject (0, 2)      = {}\n",
        subject(&d, 0, 2)
    ));
    v.push_str(&format!(
        "From                     = {}\n",
        k.from_header("example.invalid")
    ));
    v.push_str(&format!(
        "descriptor               = {}\n",
        hex(&d.encode().unwrap())
    ));
    let bytes: Vec<u8> = (0u8..16).collect();
    v.push_str(&format!(
        "text of 000102..0f       = {}\n",
        text::encode(&bytes)
    ));
    v
}

#[test]
fn the_format_document_holds_the_vectors() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/FORMAT.md"))
        .unwrap();
    let v = vectors();
    for line in v.lines() {
        assert!(
            doc.contains(line),
            "docs/FORMAT.md lacks the line\n{line}\nAll vectors:\n{v}"
        );
    }
    let d = vector_descriptor();
    assert_eq!(Descriptor::decode(&d.encode().unwrap()).unwrap(), d);
    let nzb = to_nzb(&d).to_xml().unwrap();
    let nzb_hash = sha256_hex(nzb.as_bytes());
    assert!(
        doc.contains(&format!("SHA-256 of the NZB       = {nzb_hash}")),
        "NZB SHA-256 is {nzb_hash}\n{nzb}"
    );
    let first_file = nzb.lines().skip(7).take(12).collect::<Vec<_>>().join("\n");
    assert!(
        doc.contains(&first_file),
        "docs/FORMAT.md lacks the NZB excerpt\n{first_file}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
