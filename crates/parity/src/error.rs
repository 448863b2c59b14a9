//! The one error type of this crate.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong creating, reading, verifying or repairing a
/// set. Each message names the problem and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The I/O error is part of the message, not a `source`, so a report
    // that prints the chain does not repeat it.
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: io::Error },
    #[error("recovery spill file: {0}")]
    Spill(io::Error),
    #[error("slice size {0} is not a positive multiple of 4 of at most 1 GiB")]
    BadSliceSize(u64),
    #[error(
        "slice size {slice_size} makes {slices} input slices, more than PAR2's 32768: use a larger slice size"
    )]
    TooManySlices { slices: u64, slice_size: u64 },
    #[error("{0} files is more than PAR2's 32768 per set: split them into several sets")]
    TooManyFiles(u64),
    #[error("redundancy must be a finite, non-negative percentage")]
    BadRedundancy,
    #[error("{0} recovery slices is more than PAR2's 65535: lower the redundancy")]
    TooManyRecovery(u64),
    #[error(
        "a set of several files needs each file's 16 KiB MD5 before its slices (it numbers the slices): give them up front, or make one set per file"
    )]
    OrderUnknown,
    #[error("no file number {0} in this set")]
    NoSuchFile(usize),
    #[error("{file}: slice {index} is past the end of the file")]
    SliceOutOfRange { file: String, index: u64 },
    #[error("{file}: slice {index} has {got} bytes, expected {want}")]
    SliceLength {
        file: String,
        index: u64,
        got: usize,
        want: usize,
    },
    #[error("{file}: slice {index} was added twice")]
    DuplicateSlice { file: String, index: u64 },
    #[error("{0}: its 16 KiB MD5 differs from the one given up front")]
    HashChanged(String),
    #[error("set is incomplete: {0}")]
    Incomplete(String),
    #[error(
        "{0}: no valid PAR2 main packet: the file is damaged or not PAR2; try another .par2 file of the set"
    )]
    NoMainPacket(PathBuf),
    #[error("damaged PAR2 set: {0}")]
    BadSet(String),
    #[error(
        "cannot repair: {missing} slices are missing or damaged but only {available} recovery slices are usable; fetch more .par2 volumes"
    )]
    NotEnoughRecovery { missing: u64, available: u64 },
    #[error(
        "repair failed: the recovery slices chosen are linearly dependent; fetch more .par2 volumes"
    )]
    Singular,
    #[error("{0}: repaired data does not match its MD5")]
    RepairMismatch(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            err: source,
        }
    }
}
