//! Checking data files against their set: slice by slice, so a damaged or
//! truncated file keeps its good slices, and by the 16 KiB MD5, so a renamed
//! file is found.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::Error;
use crate::md5x2::FileHasher;
use crate::packet::Hash;
use crate::set::{RecoverySet, SetFile};

/// What is wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Present under its name, byte-identical.
    Complete,
    /// Present under another name (see [`FileReport::found_at`]), intact.
    Renamed,
    /// Present but some slices are damaged or missing (truncation).
    Damaged,
    /// Not found at all.
    Missing,
}

/// The verdict on one file of the set.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub name: String,
    pub status: FileStatus,
    /// The file the data was read from, if any was found.
    pub found_at: Option<PathBuf>,
    /// For each slice, whether a good copy exists in `found_at`.
    pub good: Vec<bool>,
}

impl FileReport {
    /// Slices that must be rebuilt.
    pub fn bad_slices(&self) -> usize {
        self.good.iter().filter(|g| !**g).count()
    }
}

/// The verdict on a whole set.
#[derive(Debug, Clone)]
pub struct Verification {
    pub files: Vec<FileReport>,
    /// Usable recovery slices.
    pub recovery_available: u64,
}

impl Verification {
    /// Slices to rebuild across all files.
    pub fn missing_slices(&self) -> u64 {
        self.files.iter().map(|f| f.bad_slices() as u64).sum()
    }

    /// True when every file is present, intact and correctly named.
    pub fn is_complete(&self) -> bool {
        self.files.iter().all(|f| f.status == FileStatus::Complete)
    }

    /// True when repair can rebuild everything.
    pub fn is_repairable(&self) -> bool {
        self.missing_slices() <= self.recovery_available
    }
}

/// Verifies every file of `set` in its folder.
pub fn verify(set: &RecoverySet) -> Result<Verification, Error> {
    let named: Vec<PathBuf> = set.files.iter().map(|f| set.dir.join(&f.name)).collect();
    let mut reports: Vec<FileReport> = set
        .files
        .par_iter()
        .zip(&named)
        .map(|(f, path)| check(set, f, path))
        .collect::<Result<_, _>>()?;
    // Files not found under their names: look for them among the other
    // files of the folder by their first 16 KiB.
    if reports.iter().any(|r| r.status == FileStatus::Missing) {
        let known: HashSet<&Path> = named
            .iter()
            .map(PathBuf::as_path)
            .chain(set.par2_files.iter().map(PathBuf::as_path))
            .collect();
        let mut others = Vec::new();
        let entries = std::fs::read_dir(&set.dir).map_err(|e| Error::io(&set.dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&set.dir, e))?.path();
            if path.is_file() && !known.contains(path.as_path()) {
                others.push(path);
            }
        }
        let heads: Vec<(PathBuf, Hash)> = others
            .into_par_iter()
            .filter_map(|p| crate::files::md5_16k(&p).ok().map(|h| (p, h)))
            .collect();
        for (report, f) in reports.iter_mut().zip(&set.files) {
            if report.status != FileStatus::Missing {
                continue;
            }
            if let Some((p, _)) = heads.iter().find(|(_, h)| *h == f.desc.md5_16k) {
                let mut found = check(set, f, p)?;
                if found.status == FileStatus::Complete {
                    found.status = FileStatus::Renamed;
                }
                *report = found;
            }
        }
    }
    Ok(Verification {
        files: reports,
        recovery_available: set.recovery.len() as u64,
    })
}

/// Reads `path` slice by slice against `f`'s checksums.
fn check(set: &RecoverySet, f: &SetFile, path: &Path) -> Result<FileReport, Error> {
    let slices = f.slices.len();
    let missing = || FileReport {
        name: f.name.clone(),
        status: FileStatus::Missing,
        found_at: None,
        good: vec![false; slices],
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(missing()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let s = set.slice_size as usize;
    let mut buf = vec![0u8; s];
    // File and slice MD5s in one two-stream pass.
    let mut hasher = FileHasher::new(s);
    let mut truncated = false;
    let mut good = Vec::with_capacity(slices);
    for (i, (md5, _crc)) in f.slices.iter().enumerate() {
        let want = (f.desc.length - i as u64 * s as u64).min(s as u64) as usize;
        let got = read_full(&mut file, &mut buf[..want]).map_err(|e| Error::io(path, e))?;
        if got < want {
            truncated = true;
            good.resize(slices, false);
            break;
        }
        good.push(hasher.slice(&buf[..want]) == *md5);
    }
    // Bytes past the expected end also make the file differ.
    let extra = read_full(&mut file, &mut [0u8; 1]).map_err(|e| Error::io(path, e))?;
    let (whole, _) = hasher.finish();
    let intact = !truncated && extra == 0 && whole == f.desc.md5;
    let status = if intact {
        good.iter_mut().for_each(|g| *g = true);
        FileStatus::Complete
    } else {
        FileStatus::Damaged
    };
    Ok(FileReport {
        name: f.name.clone(),
        status,
        found_at: Some(path.to_path_buf()),
        good,
    })
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
pub(crate) fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
