//! Helpers shared by the tests of the ap-client binary. Each test binary
//! uses some.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ap_ledger::SetInfo;

/// Writes an age identity to `dir/name` for `-i`.
pub fn identity_file(dir: &Path, name: &str, id: &age::x25519::Identity) -> PathBuf {
    use age::secrecy::ExposeSecret;
    let p = dir.join(name);
    std::fs::write(&p, format!("{}\n", id.to_string().expose_secret())).unwrap();
    p
}

/// A ledger owner's identity with its file `dir/owner.txt`, and the file
/// `dir/stranger.txt` of another identity that opens none of the owner's sets.
pub fn owner_and_stranger(dir: &Path) -> (age::x25519::Identity, PathBuf, PathBuf) {
    let owner = age::x25519::Identity::generate();
    let owner_file = identity_file(dir, "owner.txt", &owner);
    let stranger_file = identity_file(dir, "stranger.txt", &age::x25519::Identity::generate());
    (owner, owner_file, stranger_file)
}

/// A set record numbered `n`.
pub fn set(n: u32) -> SetInfo {
    SetInfo {
        set_id: format!("set-{n}"),
        title: format!("title {n}"),
        created_at: 1_795_500_000,
        posted_at: None,
        source_bytes: 1000 + u64::from(n),
        posted_bytes: 2000,
        file_count: 3,
        article_count: 4,
        groups: vec!["alt.binaries.test".into()],
        server_host: "news.example".into(),
        status: "posted".into(),
        secret: String::new(),
    }
}

/// Relative path of every file under `root` to its contents.
pub fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}
