//! The local record of posted sets: one JSON file per set under
//! `DATA_DIR/sets/`, readable only by the owner since it holds the secret
//! string. The ledger (Delta table) replaces it once that issue lands.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::post::Posted;

/// One set as recorded.
#[derive(Debug, Serialize)]
pub struct SetRecord<'a> {
    pub title: &'a str,
    /// Seconds since the Unix epoch.
    pub created: u64,
    pub server: &'a str,
    pub embedded_spool: bool,
    pub groups: &'a [String],
    pub data_bytes: u64,
    pub archive_bytes: u64,
    pub volumes: usize,
    pub files: usize,
    pub articles: u64,
    pub reposted: usize,
    /// The secret string (sealed descriptor), as printed.
    pub secret: &'a str,
}

/// Writes the record of `posted` into `data_dir/sets/` (mode 0600) and
/// returns its path.
pub fn write_record(data_dir: &Path, posted: &Posted, secret: &str) -> Result<PathBuf> {
    let dir = data_dir.join("sets");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
    let d = &posted.descriptor;
    let record = SetRecord {
        title: &d.title,
        created: d.date,
        server: &posted.server,
        embedded_spool: posted.embedded_spool,
        groups: &d.groups,
        data_bytes: posted.data_bytes,
        archive_bytes: posted.archive_bytes,
        volumes: posted.volumes,
        files: posted.files,
        articles: posted.articles,
        reposted: posted.reposted,
        secret,
    };
    let json = serde_json::to_string_pretty(&record)
        .map_err(|e| Error::Internal(format!("set record: {e}")))?;
    // The first Message-ID's local part names the file: unique per set,
    // and meaningless without the key.
    let id = d.key.message_id(0, 1, 0, &d.domain);
    let stem = id.split('@').next().unwrap_or("set");
    let path = dir.join(format!("{}-{stem}.json", d.date));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::io(path.display(), e))?;
    f.write_all(json.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| Error::io(path.display(), e))?;
    Ok(path)
}
