//! One error type for the ledger. Each variant names the problem and, where
//! there is one, the fix; none carries a key or an identity.

use std::path::PathBuf;

/// What went wrong with a ledger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Delta table at the location: the ledger has not been created.
    #[error(
        "no ledger table at {location} (create one with `ap-server ledger init --recipient ...`)"
    )]
    NotFound { location: String },

    /// A Delta table, but not one of ours (no schema version in its properties).
    #[error(
        "{location} is a Delta table but not an ap ledger `{table}` table (it has no `{key}` property)"
    )]
    Foreign {
        location: String,
        table: &'static str,
        key: &'static str,
    },

    /// Written by a newer ap: reading it could misread columns.
    #[error(
        "the ledger table at {location} has schema version {found}; this ap knows up to {supported}: upgrade ap to read it"
    )]
    NewerVersion {
        location: String,
        found: u32,
        supported: u32,
    },

    /// The table's log or data files cannot be read as a Delta table.
    #[error("the ledger table at {location} is damaged: {reason}")]
    Corrupt { location: String, reason: String },

    /// Columns missing or of another type than the schema version says.
    #[error("the ledger table at {location} does not match its schema: {reason}")]
    Schema { location: String, reason: String },

    /// The given location cannot be turned into a table URL.
    #[error("bad ledger location {location}: {reason}")]
    Location { location: String, reason: String },

    /// A ledger exists already where one was to be created.
    #[error("a ledger exists already at {location}")]
    Exists { location: String },

    /// None of the identities opens the sealed data.
    #[error("none of the given identities opens {what} (wrong identity file?)")]
    WrongIdentity { what: String },

    /// Sealing or opening with age, or reading recipients, failed.
    #[error(transparent)]
    Codec(#[from] ap_secret_codec::Error),

    /// The snapshot is not a ledger snapshot, or from a newer format.
    #[error("{path}: {reason}")]
    Snapshot { path: PathBuf, reason: String },

    /// The 7z layer of a snapshot.
    #[error("snapshot archive: {0}")]
    Archive(#[from] ap_archive::Error),

    /// Appending kept losing to other writers.
    #[error("gave up after {attempts} commit conflicts on {location}; try again")]
    Contended { location: String, attempts: u32 },

    /// Job bookkeeping that the queue does not allow.
    #[error("job {job}: {reason}")]
    Job { job: String, reason: String },

    /// Other Delta Lake failures (storage, I/O).
    #[error("delta table {location}: {source}")]
    Delta {
        location: String,
        #[source]
        source: deltalake::DeltaTableError,
    },

    /// Local file I/O.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Results of the ledger.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
