//! The resume journal: what a post job needs to continue after being
//! killed at any point. One folder per source directory under the journal
//! directory holds `state.json` (the set key, domain, date and settings,
//! and a fingerprint of the source tree) and `log` (one line per article
//! the server confirmed, and one per re-post). The archive is byte-repeatable
//! from K, so a resumed job makes the same volumes, PAR2 files and
//! Message-IDs, and skips every article the log names. The folder is
//! removed when the job succeeds. It holds K: it is readable by its owner
//! only.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ap_archive::Tree;
use ap_secret_codec::{Repost, SetKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Everything a resumed job must reuse to make the same set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct State {
    pub source: PathBuf,
    pub fingerprint: String,
    pub key: String,
    pub domain: String,
    pub date: u64,
    pub title: String,
    pub groups: Vec<String>,
    pub article_size: u32,
    pub line_length: u16,
    pub redundancy: f64,
    pub volume_size: u64,
    /// Journals written before sets could be split never split.
    #[serde(default = "never")]
    pub split_above: u64,
    #[serde(default = "never")]
    pub part_size: u64,
    /// Journals written before LZMA2 folders were coded in memory staged
    /// them all: the same bytes as a limit of 0.
    #[serde(default)]
    pub compress_in_memory: u64,
    pub method: String,
}

fn never() -> u64 {
    u64::MAX
}

impl State {
    pub(crate) fn set_key(&self) -> Result<SetKey> {
        let bytes: Vec<u8> = (0..self.key.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(self.key.get(i..i + 2)?, 16).ok())
            .collect();
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Internal("the journal's set key is damaged".into()))?;
        Ok(SetKey::from_bytes(key))
    }
}

/// An open journal.
pub(crate) struct Journal {
    dir: PathBuf,
    log: Mutex<File>,
    pub state: State,
    /// `<Message-ID>`s the server confirmed in earlier runs.
    pub confirmed: HashSet<String>,
    /// Re-posts made in earlier runs.
    pub reposts: Vec<Repost>,
}

/// A hex digest of what the archive would hold: names, kinds, sizes,
/// mtimes and modes of every entry.
pub(crate) fn fingerprint(tree: &Tree) -> String {
    let mut h = Sha256::new();
    for e in &tree.entries {
        h.update(e.name.as_bytes());
        h.update([0]);
        h.update(format!("{:?} {} {}\n", e.kind, e.mtime, e.mode).as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The journal folder of `source` under `root`.
pub(crate) fn dir_for(root: &Path, source: &Path) -> PathBuf {
    let digest = Sha256::digest(source.as_os_str().as_encoded_bytes());
    root.join(hex(&digest[..10]))
}

impl Journal {
    /// Opens the journal of `fresh.source`: the earlier run's state when
    /// there is one (refused if the tree changed), else `fresh`.
    pub(crate) fn open(root: &Path, fresh: State) -> Result<(Journal, bool)> {
        let dir = dir_for(root, &fresh.source);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io(dir.display(), e))?;
        let state_path = dir.join("state.json");
        let log_path = dir.join("log");
        let (state, resumed) = match std::fs::read(&state_path) {
            Ok(bytes) => match serde_json::from_slice::<State>(&bytes) {
                Ok(old) => {
                    if old.fingerprint != fresh.fingerprint {
                        return Err(Error::SourceChangedSinceInterrupted {
                            folder: fresh.source.clone(),
                            journal: dir.clone(),
                        });
                    }
                    (old, true)
                }
                // A state file cut short by a kill: nothing was posted yet
                // (it is written before the first article).
                Err(_) => (fresh, false),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (fresh, false),
            Err(e) => return Err(Error::io(state_path.display(), e)),
        };
        if !resumed {
            let _ = std::fs::remove_file(&log_path);
            let json = serde_json::to_vec_pretty(&state)
                .map_err(|e| Error::Internal(format!("journal: {e}")))?;
            let tmp = dir.join("state.json.tmp");
            write_private(&tmp, &json)?;
            std::fs::rename(&tmp, &state_path).map_err(|e| Error::io(state_path.display(), e))?;
        }
        let (confirmed, reposts) = read_log(&log_path)?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(|e| Error::io(log_path.display(), e))?;
        Ok((
            Journal {
                dir,
                log: Mutex::new(log),
                state,
                confirmed,
                reposts,
            },
            resumed,
        ))
    }

    /// Records an article the server confirmed.
    pub(crate) fn confirmed(&self, message_id: &str) {
        self.append(&format!("P {message_id}\n"));
    }

    /// Records a re-post.
    pub(crate) fn reposted(&self, file: u32, part: u32, attempt: u32) {
        self.append(&format!("R {file} {part} {attempt}\n"));
    }

    fn append(&self, line: &str) {
        // A line lost to a crash only means one more STAT or post later.
        if let Ok(mut f) = self.log.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// The job succeeded: the journal is no longer needed.
    pub(crate) fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// A work folder name that is the same for every run of this journal.
    pub(crate) fn work_name(&self) -> String {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("post-{name}")
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path.display(), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(path.display(), e))
}

fn read_log(path: &Path) -> Result<(HashSet<String>, Vec<Repost>)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(path.display(), e)),
    };
    let mut confirmed = HashSet::new();
    let mut reposts = Vec::new();
    // The last line may be cut short by a kill: only whole lines count.
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("P"), Some(id)) => {
                confirmed.insert(id.to_owned());
            }
            (Some("R"), Some(file)) => {
                let nums: Vec<u32> = std::iter::once(file)
                    .chain(words)
                    .filter_map(|w| w.parse().ok())
                    .collect();
                if let [file, part, attempt] = nums[..] {
                    reposts.push(Repost {
                        file,
                        part,
                        attempt,
                    });
                }
            }
            _ => {}
        }
    }
    Ok((confirmed, reposts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(fingerprint: &str) -> State {
        State {
            source: PathBuf::from("/data/photos"),
            fingerprint: fingerprint.into(),
            key: "11".repeat(32),
            domain: "x.invalid".into(),
            date: 1,
            title: String::new(),
            groups: vec!["a.b".into()],
            article_size: 716_800,
            line_length: 128,
            redundancy: 10.0,
            volume_size: 1 << 30,
            split_above: u64::MAX,
            part_size: 20 << 30,
            compress_in_memory: 0,
            method: "auto".into(),
        }
    }

    #[test]
    fn an_interrupted_job_resumes_and_a_changed_tree_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (j, resumed) = Journal::open(dir.path(), state("aa")).unwrap();
        assert!(!resumed);
        j.confirmed("<one@x.invalid>");
        j.reposted(3, 2, 1);
        drop(j);
        // A fresh key in the new state is ignored: the journal's wins.
        let mut again = state("aa");
        again.key = "22".repeat(32);
        let (j, resumed) = Journal::open(dir.path(), again).unwrap();
        assert!(resumed);
        assert_eq!(j.state.key, "11".repeat(32));
        assert_eq!(j.state.set_key().unwrap().as_bytes(), &[0x11; 32]);
        assert!(j.confirmed.contains("<one@x.invalid>"));
        assert_eq!(
            j.reposts,
            vec![Repost {
                file: 3,
                part: 2,
                attempt: 1
            }]
        );
        drop(j);
        let err = Journal::open(dir.path(), state("bb"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("changed since its post was interrupted"),
            "{err}"
        );
        let (j, _) = Journal::open(dir.path(), state("aa")).unwrap();
        j.remove();
        let (_, resumed) = Journal::open(dir.path(), state("bb")).unwrap();
        assert!(!resumed);
    }
}
