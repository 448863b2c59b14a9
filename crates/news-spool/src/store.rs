//! Articles on disk. Each one is written to `tmp/`, fsynced, then hard-linked
//! to `articles/ab/<sha256 of Message-ID>`: the link either appears with the
//! whole article or not at all, and an existing link makes the next writer
//! see a duplicate. A crash leaves at most stray files in `tmp/`, removed on
//! the next open.
//!
//! The 256 shard directories are made (and made durable) when the spool
//! opens, so storing an article allocates one inode, never a directory:
//! on a busy ext4 an inode allocation costs more than writing the article.
//! Spools written by earlier versions kept a second level
//! (`articles/ab/cd/<hash>`); lookups still find articles there.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// A spool error, naming the path involved.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool I/O failed at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot listen on {addr}: {source} (is the port free?)")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: io::Error,
    },
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a store attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    Duplicate,
}

/// Counters, for tests and the standalone server's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolStats {
    pub stored: u64,
    pub duplicates: u64,
}

/// An article store rooted at one directory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    articles: PathBuf,
    tmp: PathBuf,
    config: SpoolConfig,
    seq: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
}

/// Server behaviour.
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    /// Require AUTHINFO USER/PASS with these values.
    pub login: Option<(String, String)>,
    /// Articles larger than this (bytes, as received) get 441.
    pub max_article_size: usize,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            login: None,
            max_article_size: 16 * 1024 * 1024,
        }
    }
}

impl Spool {
    /// Opens (creating) the spool under `dir`, clearing leftovers of an
    /// interrupted write.
    pub fn open(dir: &Path, config: SpoolConfig) -> Result<Spool, SpoolError> {
        let articles = dir.join("articles");
        let tmp = dir.join("tmp");
        fs::create_dir_all(&articles).map_err(at(&articles))?;
        fs::create_dir_all(&tmp).map_err(at(&tmp))?;
        let mut made = false;
        for b in 0..=255u8 {
            let shard = articles.join(format!("{b:02x}"));
            if !shard.is_dir() {
                fs::create_dir(&shard).map_err(at(&shard))?;
                made = true;
            }
        }
        if made {
            sync_dir(&articles)?;
            sync_dir(dir)?;
        }
        for entry in fs::read_dir(&tmp).map_err(at(&tmp))? {
            let path = entry.map_err(at(&tmp))?.path();
            fs::remove_file(&path).map_err(at(&path))?;
        }
        Ok(Spool {
            inner: Arc::new(Inner {
                articles,
                tmp,
                config,
                seq: AtomicU64::new(0),
                stored: AtomicU64::new(0),
                duplicates: AtomicU64::new(0),
            }),
        })
    }

    pub fn config(&self) -> &SpoolConfig {
        &self.inner.config
    }

    pub fn stats(&self) -> SpoolStats {
        SpoolStats {
            stored: self.inner.stored.load(Ordering::Relaxed),
            duplicates: self.inner.duplicates.load(Ordering::Relaxed),
        }
    }

    /// Where the article with `message_id` (angle brackets included) is
    /// stored: in an earlier version's place if it is there, else in this
    /// version's.
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        let hex = hash_hex(message_id);
        let legacy = self.legacy_path(&hex);
        if legacy.is_file() {
            return legacy;
        }
        self.inner.articles.join(&hex[..2]).join(hex)
    }

    /// `articles/ab/cd/<hash>`, where spools before the one-level layout
    /// kept articles.
    fn legacy_path(&self, hex: &str) -> PathBuf {
        self.inner
            .articles
            .join(&hex[..2])
            .join(&hex[2..4])
            .join(hex)
    }

    pub fn contains(&self, message_id: &str) -> bool {
        self.path_for(message_id).is_file()
    }

    /// The stored article (headers, empty line, body; not dot-stuffed).
    pub fn get(&self, message_id: &str) -> Result<Option<Vec<u8>>, SpoolError> {
        let path = self.path_for(message_id);
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SpoolError::Io { path, source: e }),
        }
    }

    /// Stores an article durably unless one with this Message-ID exists.
    pub fn put(&self, message_id: &str, article: &[u8]) -> Result<Stored, SpoolError> {
        let hex = hash_hex(message_id);
        if self.legacy_path(&hex).is_file() {
            self.inner.duplicates.fetch_add(1, Ordering::Relaxed);
            return Ok(Stored::Duplicate);
        }
        let target = self.inner.articles.join(&hex[..2]).join(hex);
        if target.exists() {
            self.inner.duplicates.fetch_add(1, Ordering::Relaxed);
            return Ok(Stored::Duplicate);
        }
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let tmp = self.inner.tmp.join(format!("{}.{seq}", std::process::id()));
        let result = self.put_via(&tmp, &target, article);
        let _ = fs::remove_file(&tmp);
        let stored = result?;
        match stored {
            Stored::New => self.inner.stored.fetch_add(1, Ordering::Relaxed),
            Stored::Duplicate => self.inner.duplicates.fetch_add(1, Ordering::Relaxed),
        };
        Ok(stored)
    }

    fn put_via(&self, tmp: &Path, target: &Path, article: &[u8]) -> Result<Stored, SpoolError> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(at(tmp))?;
        f.write_all(article).map_err(at(tmp))?;
        f.sync_all().map_err(at(tmp))?;
        drop(f);
        let shard = target.parent().unwrap_or(&self.inner.articles);
        match fs::hard_link(tmp, target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Stored::Duplicate),
            Err(e) => {
                return Err(SpoolError::Io {
                    path: target.to_path_buf(),
                    source: e,
                });
            }
        }
        sync_dir(shard)?;
        Ok(Stored::New)
    }

    /// Every stored article file (a walk of the shard tree).
    pub fn article_files(&self) -> Result<Vec<PathBuf>, SpoolError> {
        let mut out = Vec::new();
        let mut stack = vec![self.inner.articles.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).map_err(at(&dir))? {
                let entry = entry.map_err(at(&dir))?;
                let path = entry.path();
                if entry.file_type().map_err(at(&path))?.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path);
                }
            }
        }
        Ok(out)
    }
}

fn hash_hex(message_id: &str) -> String {
    use std::fmt::Write as _;
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(message_id.as_bytes()) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Makes a directory's entries durable.
fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(at(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_and_clears_tmp() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        assert_eq!(
            s.put("<a@b>", b"X: y\r\n\r\nbody\r\n").unwrap(),
            Stored::New
        );
        assert_eq!(s.put("<a@b>", b"other").unwrap(), Stored::Duplicate);
        assert_eq!(s.get("<a@b>").unwrap().unwrap(), b"X: y\r\n\r\nbody\r\n");
        assert_eq!(s.get("<c@b>").unwrap(), None);
        fs::write(dir.path().join("tmp/leftover"), b"partial").unwrap();
        let s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert_eq!(s.article_files().unwrap().len(), 1);
    }

    #[test]
    fn finds_articles_in_the_two_level_layout() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
        let hex = hash_hex("<old@b>");
        let old = dir.path().join("articles").join(&hex[..2]).join(&hex[2..4]);
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join(&hex), b"X: y\r\n\r\nold\r\n").unwrap();
        assert!(s.contains("<old@b>"));
        assert_eq!(s.get("<old@b>").unwrap().unwrap(), b"X: y\r\n\r\nold\r\n");
        assert_eq!(s.put("<old@b>", b"again").unwrap(), Stored::Duplicate);
        assert_eq!(
            s.put("<new@b>", b"X: y\r\n\r\nnew\r\n").unwrap(),
            Stored::New
        );
        assert_eq!(
            s.path_for("<new@b>").parent().unwrap().parent().unwrap(),
            dir.path().join("articles")
        );
        assert_eq!(s.article_files().unwrap().len(), 2);
    }
}
