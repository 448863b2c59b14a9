//! Archives come from Usenet: opening, listing and vetting the names of any
//! bytes must return an error, never panic or hang.
#![no_main]

use std::path::PathBuf;

use ap_archive::{Archive, Password, safe_components};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("ap-archive-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let first: PathBuf = dir.join("f.7z.001");
    if std::fs::write(&first, data).is_err() {
        return;
    }
    let Ok(password) = Password::new("fuzz") else { return };
    for pw in [None, Some(&password)] {
        if let Ok(archive) = Archive::open(&first, pw) {
            for entry in archive.list() {
                let _ = safe_components(&entry.name);
            }
        }
    }
});
