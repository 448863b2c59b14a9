//! A recovery set as read back from its `.par2` files, checked for internal
//! consistency before anything acts on it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::packet::{Body, FileDesc, Hash, MAX_SLICES};
use crate::plan::slices_of;
use crate::read;

/// One file of a set: what it should be, slice by slice.
#[derive(Debug, Clone)]
pub struct SetFile {
    pub desc: FileDesc,
    /// The stored name, checked to be a plain file name.
    pub name: String,
    /// MD5 and CRC32 of each slice.
    pub slices: Vec<(Hash, u32)>,
    /// Global number of this file's first slice.
    pub first_slice: u64,
}

/// Where one recovery slice's data lies.
#[derive(Debug, Clone)]
pub struct RecoverySlice {
    pub exponent: u32,
    pub path: PathBuf,
    pub offset: u64,
}

/// A set read from disk.
#[derive(Debug, Clone)]
pub struct RecoverySet {
    pub set_id: Hash,
    pub slice_size: u64,
    /// In slice-numbering order.
    pub files: Vec<SetFile>,
    /// Distinct exponents, ascending.
    pub recovery: Vec<RecoverySlice>,
    /// The `.par2` files read.
    pub par2_files: Vec<PathBuf>,
    /// Packets skipped as damaged, across all files.
    pub damaged_packets: usize,
    /// Folder the data files are expected in.
    pub dir: PathBuf,
}

impl RecoverySet {
    /// Reads the set of `index` from every `.par2` file beside it.
    pub fn open(index: &Path) -> Result<RecoverySet, Error> {
        let dir = match index.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // The index (if it survived) and the files named after it first;
        // other .par2 files of the folder (other sets, renamed volumes) only
        // when those hold no main packet.
        let base = index
            .file_stem()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (mut own, mut others) = (Vec::new(), Vec::new());
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            let is_par2 = path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("par2"));
            if !is_par2 || !path.is_file() || path.file_name() == index.file_name() {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(&format!("{base}.")) {
                own.push(path)
            } else {
                others.push(path)
            }
        }
        own.sort();
        others.sort();
        let mut par2_files = Vec::new();
        if index.is_file() {
            par2_files.push(index.to_path_buf());
        }
        par2_files.extend(own);
        let mut scans = scan_all(&par2_files)?;
        let mains = |s: &read::Scan| -> Vec<Hash> {
            s.packets
                .iter()
                .filter(|p| matches!(p.body, Body::Main(_)))
                .map(|p| p.set_id)
                .collect()
        };
        if !scans.iter().any(|s| !mains(s).is_empty()) {
            scans.extend(scan_all(&others)?);
            par2_files.extend(others);
        }
        // The set is the index's, or failing that, the one most main
        // packets name.
        let from_index = if index.is_file() {
            scans.first().and_then(|s| mains(s).first().copied())
        } else {
            None
        };
        let set_id = match from_index {
            Some(id) => id,
            None => {
                let mut counts: BTreeMap<Hash, usize> = BTreeMap::new();
                for id in scans.iter().flat_map(mains) {
                    *counts.entry(id).or_default() += 1;
                }
                counts
                    .into_iter()
                    .max_by_key(|(_, n)| *n)
                    .map(|(id, _)| id)
                    .ok_or_else(|| Error::NoMainPacket(index.to_path_buf()))?
            }
        };
        let mut main = None;
        let mut descs: BTreeMap<Hash, FileDesc> = BTreeMap::new();
        let mut ifscs: BTreeMap<Hash, Vec<(Hash, u32)>> = BTreeMap::new();
        let mut found_rec: Vec<(u64, RecoverySlice)> = Vec::new();
        let mut damaged = 0;
        for (scan, path) in scans.into_iter().zip(&par2_files) {
            damaged += scan.damaged;
            for p in scan.packets.into_iter().filter(|p| p.set_id == set_id) {
                match p.body {
                    // Packets that passed their MD5 under this set ID and
                    // the set ID is the MD5 of the main body: one main.
                    Body::Main(m) => main = Some(m),
                    Body::FileDesc(d) => {
                        descs.insert(d.file_id, d);
                    }
                    Body::Ifsc(i) => {
                        ifscs.insert(i.file_id, i.slices);
                    }
                    Body::Recovery {
                        exponent,
                        offset,
                        len,
                    } => {
                        found_rec.push((
                            len,
                            RecoverySlice {
                                exponent,
                                path: path.clone(),
                                offset,
                            },
                        ));
                    }
                    Body::Creator(_) | Body::Other(_) => {}
                }
            }
        }
        let main = main.ok_or_else(|| Error::NoMainPacket(index.to_path_buf()))?;
        if main.set_id() != set_id {
            return Err(Error::BadSet(
                "the main packet does not hash to the recovery set ID".into(),
            ));
        }
        let slice_size = main.slice_size;
        if slice_size > crate::plan::MAX_SLICE_SIZE {
            return Err(Error::BadSet(format!(
                "slice size {slice_size} is over 1 GiB"
            )));
        }
        if main.recovery_ids.len() as u64 > MAX_SLICES {
            return Err(Error::BadSet(format!(
                "{} files in one set",
                main.recovery_ids.len()
            )));
        }
        let mut files = Vec::with_capacity(main.recovery_ids.len());
        let mut next = 0u64;
        for (n, id) in main.recovery_ids.iter().enumerate() {
            let desc = descs.remove(id).ok_or_else(|| {
                Error::BadSet(format!(
                    "the description of file {} of {} is missing from every .par2 file",
                    n + 1,
                    main.recovery_ids.len()
                ))
            })?;
            let name = safe_name(&desc.name)?;
            let count = slices_of(desc.length, slice_size);
            if next + count > MAX_SLICES {
                return Err(Error::BadSet(format!("more than {MAX_SLICES} slices")));
            }
            let slices = ifscs.remove(id).unwrap_or_default();
            if slices.len() as u64 != count {
                return Err(Error::BadSet(format!(
                    "the slice checksums of {name} are missing or do not fit its length"
                )));
            }
            files.push(SetFile {
                desc,
                name,
                slices,
                first_slice: next,
            });
            next += count;
        }
        let mut recovery: BTreeMap<u32, RecoverySlice> = BTreeMap::new();
        for (len, r) in found_rec {
            if len == slice_size && r.exponent <= 65535 {
                recovery.entry(r.exponent).or_insert(r);
            }
        }
        Ok(RecoverySet {
            set_id,
            slice_size,
            files,
            recovery: recovery.into_values().collect(),
            par2_files,
            damaged_packets: damaged,
            dir,
        })
    }

    /// Input slices in the set.
    pub fn input_slices(&self) -> u64 {
        self.files.iter().map(|f| f.slices.len() as u64).sum()
    }
}

fn scan_all(paths: &[PathBuf]) -> Result<Vec<read::Scan>, Error> {
    paths
        .iter()
        .map(|p| {
            let f = File::open(p).map_err(|e| Error::io(p, e))?;
            let len = f.metadata().map_err(|e| Error::io(p, e))?.len();
            read::scan(&mut BufReader::new(f), len).map_err(|e| Error::io(p, e))
        })
        .collect()
}

/// A stored name as a plain file name in the set's folder: no separators,
/// no `.` or `..`, valid UTF-8. A hostile set must not write elsewhere.
fn safe_name(raw: &[u8]) -> Result<String, Error> {
    let name = String::from_utf8(raw.to_vec())
        .map_err(|_| Error::BadSet("a file name is not UTF-8".into()))?;
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(Error::BadSet(format!(
            "unsafe file name {name:?} in the set"
        )));
    }
    Ok(name)
}
