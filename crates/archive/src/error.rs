//! One error type for the whole crate, so a caller (the pipeline, the CLIs)
//! can tell a problem in the input tree from a wrong password or a bad sink.

use std::io;
use std::path::PathBuf;

/// What a preflight found wrong with one path of the tree. Every problem of
/// the tree is collected before anything is written, so the user fixes them all
/// in one go instead of one per run.
#[derive(Debug)]
pub enum Problem {
    /// The file or directory cannot be opened for reading.
    Unreadable { path: PathBuf, source: io::Error },
    /// The name is not valid UTF-8; 7z stores names as UTF-16, so it cannot
    /// hold this one. Rename the file.
    NotUnicode { path: PathBuf },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unreadable { path, source } => {
                write!(f, "{}: cannot be read ({source})", path.display())
            }
            Problem::NotUnicode { path } => write!(
                f,
                "{}: name is not valid UTF-8, which 7z cannot store (rename it)",
                path.display()
            ),
        }
    }
}

/// Everything that can go wrong while writing or reading an archive.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The tree has paths that cannot be archived; nothing was written.
    #[error("{} path(s) cannot be archived, nothing was written: {}", .0.len(), join(.0))]
    Preflight(Vec<Problem>),
    /// The root given to the walk is not a directory.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// A file changed size between the preflight and the moment it was read.
    #[error("{path}: changed while being archived (expected {expected} bytes); archive it again")]
    FileChanged { path: PathBuf, expected: u64 },
    /// An option is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The password does not open the archive (or its header is damaged).
    #[error("wrong password (the archive header does not decrypt)")]
    WrongPassword,
    /// The archive is encrypted and no password was given.
    #[error("the archive is encrypted: a password is needed")]
    PasswordRequired,
    /// An entry would be written outside the target directory.
    #[error("unsafe entry {name:?} refused: {why}")]
    UnsafePath { name: String, why: &'static str },
    /// The target of an extraction exists and overwriting was not asked for.
    #[error("{0}: already exists; pass --overwrite (ExtractOptions::overwrite) to replace it")]
    Exists(PathBuf),
    /// A volume file is missing or not named like NAME.7z.001.
    #[error("volumes: {0}")]
    Volumes(String),
    /// The 7z data could not be decoded.
    #[error("archive is damaged or unsupported: {0}")]
    Format(String),
    /// Reading the source tree or writing the output failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Short for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
