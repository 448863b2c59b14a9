//! The directory walk and its preflight: everything about the tree is learnt
//! (and every problem found) before the first byte of the archive exists.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Problem, Result};

/// What one archive entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file of this many bytes (as seen by the preflight).
    File { size: u64 },
    /// A directory; every directory is stored, so empty ones come back too.
    Dir,
    /// A symbolic link stored as a link: its target, relative and inside the tree.
    Symlink { target: String },
}

/// One path of the tree, as it will be stored.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path inside the archive, `/`-separated, relative to the walked root.
    pub name: String,
    /// Where the data is read from.
    pub source: PathBuf,
    pub kind: EntryKind,
    /// Modification time as a Windows FILETIME (100 ns since 1601), 7z's unit.
    pub mtime: u64,
    /// Unix `st_mode` (type and permission bits).
    pub mode: u32,
}

impl Entry {
    /// Bytes of data stored for this entry (the link target for a symlink).
    pub fn data_len(&self) -> u64 {
        match &self.kind {
            EntryKind::File { size } => *size,
            EntryKind::Dir => 0,
            EntryKind::Symlink { target } => target.len() as u64,
        }
    }
}

/// Something the walk left out on purpose. Returned to the caller, which
/// decides how to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A socket, FIFO or device node: it has no data to archive.
    SpecialFileSkipped { path: PathBuf },
    /// A symlink whose target is absolute or leaves the tree: storing it
    /// would let an extraction point outside its target, so it is skipped.
    SymlinkSkipped { path: PathBuf, target: PathBuf },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::SpecialFileSkipped { path } => {
                write!(f, "{}: socket, FIFO or device skipped", path.display())
            }
            Warning::SymlinkSkipped { path, target } => write!(
                f,
                "{}: symlink to {} points outside the tree, skipped",
                path.display(),
                target.display()
            ),
        }
    }
}

/// The result of a successful walk: what will be archived, in order.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub entries: Vec<Entry>,
    pub warnings: Vec<Warning>,
}

impl Tree {
    /// Total bytes of file data.
    pub fn data_len(&self) -> u64 {
        self.entries.iter().map(Entry::data_len).sum()
    }
}

/// Walks `root` (which is not itself stored): directories before their
/// contents, names sorted, symlinks never followed. Unreadable paths and
/// names 7z cannot store make the whole walk fail with [`Error::Preflight`],
/// listing every one of them.
pub fn scan(root: &Path) -> Result<Tree> {
    let meta = fs::metadata(root).map_err(|e| Error::io(root.display().to_string(), e))?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    let mut tree = Tree::default();
    let mut problems = Vec::new();
    walk_dir(root, root, "", &mut tree, &mut problems);
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(Error::Preflight(problems))
    }
}

fn walk_dir(root: &Path, dir: &Path, prefix: &str, tree: &mut Tree, problems: &mut Vec<Problem>) {
    let reader = match fs::read_dir(dir) {
        Ok(r) => r,
        Err(source) => {
            problems.push(Problem::Unreadable {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    let mut children = Vec::new();
    for item in reader {
        match item {
            Ok(e) => children.push(e.path()),
            Err(source) => problems.push(Problem::Unreadable {
                path: dir.to_path_buf(),
                source,
            }),
        }
    }
    children.sort();
    for path in children {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            problems.push(Problem::NotUnicode { path });
            continue;
        };
        let name = format!("{prefix}{name}");
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(source) => {
                problems.push(Problem::Unreadable { path, source });
                continue;
            }
        };
        let ft = meta.file_type();
        let kind = if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_file() {
            if let Err(source) = File::open(&path) {
                problems.push(Problem::Unreadable { path, source });
                continue;
            }
            EntryKind::File { size: meta.len() }
        } else if ft.is_symlink() {
            let target = match fs::read_link(&path) {
                Ok(t) => t,
                Err(source) => {
                    problems.push(Problem::Unreadable { path, source });
                    continue;
                }
            };
            match target.to_str() {
                Some(t) if link_stays_inside(root, &path, &target) => EntryKind::Symlink {
                    target: t.to_string(),
                },
                Some(_) => {
                    tree.warnings.push(Warning::SymlinkSkipped { path, target });
                    continue;
                }
                None => {
                    problems.push(Problem::NotUnicode { path });
                    continue;
                }
            }
        } else {
            // Sockets, FIFOs and device nodes carry no data to archive.
            tree.warnings.push(Warning::SpecialFileSkipped { path });
            continue;
        };
        let is_dir = kind == EntryKind::Dir;
        tree.entries.push(Entry {
            name: name.clone(),
            source: path.clone(),
            kind,
            mtime: filetime(meta.modified().ok()),
            mode: meta.mode(),
        });
        if is_dir {
            walk_dir(root, &path, &format!("{name}/"), tree, problems);
        }
    }
}

/// Whether a relative link target, resolved lexically from the link's
/// directory, stays under `root`. Absolute targets never do.
pub(crate) fn link_stays_inside(root: &Path, link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let Some(parent) = link.parent() else {
        return false;
    };
    let Ok(rel) = parent.strip_prefix(root) else {
        return false;
    };
    let mut depth: i64 = rel.components().count() as i64;
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 11_644_473_600;

/// A time as a Windows FILETIME; times before 1970 or unknown become 1970.
pub(crate) fn filetime(t: Option<SystemTime>) -> u64 {
    let d = t
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    (d.as_secs() + FILETIME_UNIX_OFFSET) * 10_000_000 + u64::from(d.subsec_nanos() / 100)
}

/// The inverse of [`filetime`]; None before 1970.
pub(crate) fn from_filetime(ft: u64) -> Option<SystemTime> {
    let secs = (ft / 10_000_000).checked_sub(FILETIME_UNIX_OFFSET)?;
    let nanos = (ft % 10_000_000) as u32 * 100;
    UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_and_outside() {
        let root = Path::new("/r");
        assert!(link_stays_inside(
            root,
            Path::new("/r/a/l"),
            Path::new("../b")
        ));
        assert!(link_stays_inside(root, Path::new("/r/l"), Path::new("x/y")));
        assert!(!link_stays_inside(
            root,
            Path::new("/r/l"),
            Path::new("../x")
        ));
        assert!(!link_stays_inside(
            root,
            Path::new("/r/a/l"),
            Path::new("../../x")
        ));
        assert!(!link_stays_inside(
            root,
            Path::new("/r/l"),
            Path::new("/etc")
        ));
    }

    #[test]
    fn filetime_round_trips() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 123_456_700);
        assert_eq!(from_filetime(filetime(Some(t))), Some(t));
    }
}
