//! Safe extraction: nothing is written outside the target directory, nothing
//! existing is replaced unless asked, and mtimes and permission bits come back.
//!
//! Names with `..`, absolute names and empty components are refused before
//! the first byte is written. Each parent directory is checked to be a real
//! directory (never a symlink) as it is created, files are created with
//! `O_EXCL` (which never follows a link), and a stored symlink is only made
//! when its target is relative and stays inside the target directory.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::reader::{Archive, Kind, describe};
use crate::walk::link_stays_inside;

/// How to extract.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Replace files that already exist (never directories, never through links).
    pub overwrite: bool,
}

/// What an extraction made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractReport {
    pub files: u64,
    pub dirs: u64,
    pub links: u64,
    pub bytes: u64,
}

/// The path components of an archive name, or why it is unsafe.
pub fn safe_components(name: &str) -> Result<Vec<&str>> {
    let bad = |why| Error::UnsafePath {
        name: name.to_string(),
        why,
    };
    if name.starts_with('/') {
        return Err(bad("absolute path"));
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return Err(bad("empty name"));
    }
    for p in &parts {
        if *p == ".." {
            return Err(bad("`..` component"));
        }
        if p.contains('\0') {
            return Err(bad("NUL in name"));
        }
    }
    Ok(parts)
}

/// Creates (or checks) every directory from `root` down to `dir`, refusing
/// anything on the way that is not a real directory.
fn ensure_dirs(root: &Path, parts: &[&str], name: &str) -> Result<PathBuf> {
    let mut at = root.to_path_buf();
    for p in parts {
        at.push(p);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => {
                return Err(Error::UnsafePath {
                    name: name.to_string(),
                    why: "a parent is a file or a link",
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&at).map_err(|e| Error::io(at.display().to_string(), e))?
            }
            Err(e) => return Err(Error::io(at.display().to_string(), e)),
        }
    }
    Ok(at)
}

/// Makes room for a new file or link at `path`.
fn clear_for(path: &Path, overwrite: bool) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path.display().to_string(), e)),
        Ok(m) if overwrite && !m.file_type().is_dir() => {
            fs::remove_file(path).map_err(|e| Error::io(path.display().to_string(), e))
        }
        Ok(_) => Err(Error::Exists(path.to_path_buf())),
    }
}

fn set_mtime(path: &Path, mtime: Option<SystemTime>) -> Result<()> {
    if let Some(t) = mtime {
        let f = File::open(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        f.set_modified(t)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
    }
    Ok(())
}

impl Archive {
    /// Extracts every entry under `target` (created if missing).
    ///
    /// Permission bits are restored without set-user-ID, set-group-ID and
    /// sticky bits; symlinks keep the extraction time as their mtime.
    pub fn extract(&mut self, target: &Path, options: &ExtractOptions) -> Result<ExtractReport> {
        for l in self.list() {
            safe_components(&l.name)?;
        }
        fs::create_dir_all(target).map_err(|e| Error::io(target.display().to_string(), e))?;
        let root =
            fs::canonicalize(target).map_err(|e| Error::io(target.display().to_string(), e))?;
        let mut report = ExtractReport::default();
        let mut dirs: Vec<(PathBuf, Option<SystemTime>, Option<u32>)> = Vec::new();
        self.visit(|entry, data| {
            let l = describe(entry);
            let parts = safe_components(&l.name)?;
            let (last, parents) = parts.split_last().ok_or_else(|| Error::UnsafePath {
                name: l.name.clone(),
                why: "empty name",
            })?;
            let parent = ensure_dirs(&root, parents, &l.name)?;
            let path = parent.join(last);
            match l.kind {
                Kind::Dir => {
                    let dir = ensure_dirs(&parent, &[last], &l.name)?;
                    dirs.push((dir, l.mtime, l.mode));
                    report.dirs += 1;
                }
                Kind::Symlink => {
                    let mut target = Vec::new();
                    data.take(4096)
                        .read_to_end(&mut target)
                        .map_err(|e| Error::io(l.name.clone(), e))?;
                    let target = String::from_utf8(target).map_err(|_| Error::UnsafePath {
                        name: l.name.clone(),
                        why: "link target is not UTF-8",
                    })?;
                    if !link_stays_inside(&root, &path, Path::new(&target)) {
                        return Err(Error::UnsafePath {
                            name: l.name.clone(),
                            why: "link points outside the target",
                        });
                    }
                    clear_for(&path, options.overwrite)?;
                    std::os::unix::fs::symlink(&target, &path)
                        .map_err(|e| Error::io(path.display().to_string(), e))?;
                    report.links += 1;
                }
                Kind::File => {
                    clear_for(&path, options.overwrite)?;
                    let ioerr = |e| Error::io(path.display().to_string(), e);
                    let mut f = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&path)
                        .map_err(ioerr)?;
                    let n = copy_large(data, &mut f).map_err(ioerr)?;
                    drop(f);
                    if let Some(mode) = l.mode {
                        fs::set_permissions(&path, Permissions::from_mode(mode & 0o777))
                            .map_err(ioerr)?;
                    }
                    set_mtime(&path, l.mtime)?;
                    report.files += 1;
                    report.bytes += n;
                }
            }
            Ok(())
        })?;
        // Deepest first, so setting a parent's time is not undone by its children.
        dirs.sort_by(|a, b| b.0.cmp(&a.0));
        for (dir, mtime, mode) in dirs {
            set_mtime(&dir, mtime)?;
            if let Some(mode) = mode {
                fs::set_permissions(&dir, Permissions::from_mode(mode & 0o777))
                    .map_err(|e| Error::io(dir.display().to_string(), e))?;
            }
        }
        Ok(report)
    }
}

fn copy_large(r: &mut dyn Read, w: &mut File) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused() {
        assert!(safe_components("../x").is_err());
        assert!(safe_components("a/../../x").is_err());
        assert!(safe_components("/etc/passwd").is_err());
        assert!(safe_components("").is_err());
        assert_eq!(safe_components("a/./b//c").unwrap(), vec!["a", "b", "c"]);
    }
}
