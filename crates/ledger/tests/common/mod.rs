#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ap_ledger::{Ledger, SetInfo};
use ap_secret_codec::SetKey;
use ap_secret_codec::recipients::Identities;

pub struct Owner {
    pub identity: age::x25519::Identity,
}

impl Owner {
    pub fn new() -> Owner {
        Owner {
            identity: age::x25519::Identity::generate(),
        }
    }
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }
    pub fn identities(&self) -> Identities {
        vec![Box::new(self.identity.clone())]
    }
    /// Writes the identity to a 0600 file for the age CLI.
    pub fn identity_file(&self, dir: &Path) -> PathBuf {
        use age::secrecy::ExposeSecret;
        let path = dir.join("owner.key");
        std::fs::write(
            &path,
            format!("{}\n", self.identity.to_string().expose_secret()),
        )
        .unwrap();
        path
    }
}

pub fn loc(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn new_ledger(dir: &Path, owner: &Owner) -> Ledger {
    Ledger::create(loc(dir), &[owner.recipient()]).unwrap()
}

pub fn set(i: u32) -> SetInfo {
    SetInfo {
        set_id: format!("set-{i:03}"),
        title: format!("holiday photos {i}"),
        created_at: 1_795_500_000 + i64::from(i),
        posted_at: i.is_multiple_of(2).then_some(1_795_500_600 + i64::from(i)),
        source_bytes: 5_000_000_000 + u64::from(i),
        posted_bytes: 5_400_000_000 + u64::from(i),
        file_count: 12 + i,
        article_count: 7_000 + u64::from(i),
        groups: vec!["alt.binaries.test".into(), format!("alt.binaries.g{i}")],
        server_host: "news.example".into(),
        status: "posted".into(),
        secret: format!("ap1-secret-string-{i}"),
    }
}

/// A distinct key per `i`, with no run of equal bytes.
pub fn key(i: u8) -> SetKey {
    let mut k = [0u8; 32];
    for (n, b) in k.iter_mut().enumerate() {
        *b = i
            .wrapping_mul(37)
            .wrapping_add(n as u8 * 7)
            .wrapping_add(11)
            ^ 0x5a;
    }
    SetKey::from_bytes(k)
}

/// An example binary built beside the test binary.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing (cargo test builds examples)",
        path.display()
    );
    path
}
