//! Snapshots: the `sets` table at one version, and the `jobs` table as it
//! stood when that version was committed, as a 7z archive (LZMA2, written by
//! ap-archive) inside an age file to the ledger's recipients.
//!
//! Inside the 7z: `SNAPSHOT` (format marker, table versions), `sets/` and
//! `jobs/` (each the Delta log up to its version and the data files of that
//! version), so extracting it gives a ledger directory any Delta reader opens
//! at the same versions. `jobs/` came in later than format 1 itself: a reader
//! of format 1 that knows only `sets/` still opens these, and ours opens
//! snapshots without `jobs/`. The 7z's own AES layer uses the fixed,
//! documented password [`SNAPSHOT_PASSWORD`]: age is what keeps the snapshot
//! private; 7z is there for compression and for the tools that open it.

use std::path::{Path, PathBuf};

use ap_archive::{Archive, ExtractOptions, MemorySink, Method, Password, WriteOptions};
use ap_secret_codec::recipients::{Identities, Recipients};
use deltalake::DeltaTable;
use deltalake::kernel::Version;

use crate::error::{Error, Result, io};
use crate::table::Table;

/// The 7z password of every snapshot (public: the age layer protects it).
pub const SNAPSHOT_PASSWORD: &str = "ap-ledger-snapshot";
/// The snapshot format this program writes and the newest it reads.
pub const SNAPSHOT_FORMAT: u32 = 1;
const MARKER: &str = "SNAPSHOT";
const MAGIC: &str = "ap-ledger-snapshot";

/// What an export or import covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSummary {
    /// The `sets` table version in the snapshot.
    pub version: Version,
    /// The `jobs` table version in the snapshot (none in snapshots of a
    /// ledger without a queue table, such as an imported older snapshot).
    pub jobs_version: Option<Version>,
    /// Files of the table (log and data) carried.
    pub files: usize,
    /// Bytes of the age file.
    pub bytes: u64,
}

impl SnapshotSummary {
    /// The table versions carried, for messages: `sets version 3, jobs
    /// version 5`.
    pub fn versions(&self) -> String {
        match self.jobs_version {
            Some(jobs) => format!("sets version {}, jobs version {jobs}", self.version),
            None => format!("sets version {}", self.version),
        }
    }
}

/// Copies the files that make `table` (loaded at `version`) into
/// `dir/NAME`, NAME being the table's (`sets`, `jobs`).
pub(crate) async fn stage(
    t: &Table,
    table: &DeltaTable,
    version: Version,
    dir: &Path,
) -> Result<usize> {
    use deltalake::Path as StorePath;
    let store = table.object_store();
    let corrupt = |reason: String| Error::Corrupt {
        location: t.location(),
        reason,
    };
    let mut wanted: Vec<StorePath> = table
        .get_files_by_partitions(&[])
        .await
        .map_err(|e| corrupt(e.to_string()))?;
    let log = StorePath::from("_delta_log");
    let listed = store
        .list_with_delimiter(Some(&log))
        .await
        .map_err(|e| corrupt(e.to_string()))?
        .objects
        .into_iter()
        .map(|meta| meta.location);
    for path in listed {
        let name = path.filename().unwrap_or_default();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() == 20 && digits.parse::<Version>().is_ok_and(|v| v <= version) {
            wanted.push(path);
        }
    }
    for path in &wanted {
        let bytes = store
            .get_opts(path, Default::default())
            .await
            .map_err(|e| corrupt(e.to_string()))?
            .bytes()
            .await
            .map_err(|e| corrupt(e.to_string()))?;
        let target = path
            .parts()
            .fold(dir.join(t.kind.name), |p, part| p.join(part.as_ref()));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&target, &bytes).map_err(io(&target))?;
    }
    Ok(wanted.len())
}

/// Writes the `SNAPSHOT` marker: format, then the `sets` version on the
/// line a format-1 reader reads, then the `jobs` version.
pub(crate) fn mark(dir: &Path, version: Version, jobs_version: Option<Version>) -> Result<()> {
    let marker = dir.join(MARKER);
    let mut text = format!("{MAGIC} {SNAPSHOT_FORMAT}\nversion {version}\n");
    if let Some(jobs) = jobs_version {
        text.push_str(&format!("jobs {jobs}\n"));
    }
    std::fs::write(&marker, text).map_err(io(&marker))
}

/// 7z-compresses `dir` and seals the archive to `recipients` into `out`.
pub(crate) fn seal_dir(dir: &Path, recipients: &Recipients, out: &Path) -> Result<u64> {
    let tree = ap_archive::scan(dir)?;
    let password = Password::new(SNAPSHOT_PASSWORD)?;
    let options = WriteOptions {
        method: Method::Lzma2,
        level: 5,
        threads: 1,
        volume_size: 1 << 50,
        kdf_power: 10,
        iv_seed: None,
        // The snapshot goes to a file: nothing streams, so nothing is
        // worth holding in memory.
        compress_in_memory: 0,
    };
    let (sink, _) = ap_archive::write_archive(&tree, &password, &options, MemorySink::default())?;
    let seven = sink.volumes.concat();
    let sealed = ap_secret_codec::envelope::seal(&seven, recipients)?;
    if out.exists() {
        return Err(Error::Snapshot {
            path: out.to_owned(),
            reason: "exists already; choose another --out".into(),
        });
    }
    std::fs::write(out, &sealed).map_err(io(out))?;
    Ok(sealed.len() as u64)
}

/// Opens a snapshot with `identities` and extracts it into `into` (which
/// must not exist or be empty). Returns the table version it holds.
pub fn import(file: &Path, identities: &Identities, into: &Path) -> Result<SnapshotSummary> {
    let bad = |reason: String| Error::Snapshot {
        path: file.to_owned(),
        reason,
    };
    let sealed = std::fs::read(file).map_err(io(file))?;
    let seven = ap_secret_codec::envelope::open(&sealed, identities).map_err(|e| match e {
        ap_secret_codec::Error::NoMatchingIdentity => Error::WrongIdentity {
            what: format!("the snapshot {}", file.display()),
        },
        other => bad(format!("not an age-encrypted ledger snapshot ({other})")),
    })?;
    if into.exists() && std::fs::read_dir(into).map_err(io(into))?.next().is_some() {
        return Err(Error::Snapshot {
            path: into.to_owned(),
            reason: "is not empty; import into a new directory".into(),
        });
    }
    let work = tempfile::tempdir().map_err(io(std::env::temp_dir()))?;
    let archive_path = work.path().join("snapshot.7z");
    std::fs::write(&archive_path, &seven).map_err(io(&archive_path))?;
    let password = Password::new(SNAPSHOT_PASSWORD)?;
    let mut archive = Archive::open(&archive_path, Some(&password))
        .map_err(|e| bad(format!("not a ledger snapshot: {e}")))?;
    let staging: PathBuf = work.path().join("x");
    archive.extract(&staging, &ExtractOptions::default())?;
    let marker = std::fs::read_to_string(staging.join(MARKER))
        .map_err(|_| bad(format!("not a ledger snapshot (no {MARKER} file inside)")))?;
    let (format, version, jobs_version) =
        parse_marker(&marker).ok_or_else(|| bad("its SNAPSHOT file is unreadable".into()))?;
    if format > SNAPSHOT_FORMAT {
        return Err(bad(format!(
            "snapshot format {format} is newer than this ap reads ({SNAPSHOT_FORMAT}): upgrade ap"
        )));
    }
    std::fs::create_dir_all(into).map_err(io(into))?;
    let mut files = 0;
    for entry in ["sets", "jobs", MARKER] {
        let from = staging.join(entry);
        if entry == "jobs" && jobs_version.is_none() {
            continue;
        }
        let to = into.join(entry);
        files += count_files(&from);
        std::fs::rename(&from, &to)
            .or_else(|_| copy_tree(&from, &to))
            .map_err(io(&to))?;
    }
    Ok(SnapshotSummary {
        version,
        jobs_version,
        files,
        bytes: sealed.len() as u64,
    })
}

fn parse_marker(text: &str) -> Option<(u32, Version, Option<Version>)> {
    let mut lines = text.lines();
    let format = lines.next()?.strip_prefix(MAGIC)?.trim().parse().ok()?;
    let version = lines.next()?.strip_prefix("version")?.trim().parse().ok()?;
    let jobs = match lines.next() {
        Some(line) => Some(line.strip_prefix("jobs")?.trim().parse().ok()?),
        None => None,
    };
    Some((format, version, jobs))
}

fn count_files(p: &Path) -> usize {
    match std::fs::read_dir(p) {
        Ok(rd) => rd.flatten().map(|e| count_files(&e.path())).sum(),
        Err(_) => usize::from(p.is_file()),
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_marker;

    #[test]
    fn markers_with_and_without_jobs() {
        let old = "ap-ledger-snapshot 1\nversion 7\n";
        assert_eq!(parse_marker(old), Some((1, 7, None)));
        let new = "ap-ledger-snapshot 1\nversion 7\njobs 3\n";
        assert_eq!(parse_marker(new), Some((1, 7, Some(3))));
        assert_eq!(parse_marker("ap-ledger-snapshot 1\nversion 7\nzzz\n"), None);
        assert_eq!(parse_marker("something else\nversion 7\n"), None);
    }
}
