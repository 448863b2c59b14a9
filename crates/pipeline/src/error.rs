//! One error type for both jobs: each variant names the stage that failed,
//! so the binaries can print it as one line.

use std::path::PathBuf;

/// What stopped a post or fetch job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source tree could not be walked (unreadable entries, names 7z
    /// cannot store): nothing was posted.
    #[error("cannot read the source tree, nothing was posted: {0}")]
    Source(ap_archive::Error),
    /// Writing or reading the archive failed.
    #[error("archive: {0}")]
    Archive(ap_archive::Error),
    #[error("PAR2: {0}")]
    Parity(ap_parity::Error),
    /// The news server could not be reached or refused the login before
    /// anything was posted.
    #[error("{error}; nothing was posted")]
    Preflight {
        host: String,
        error: ap_nntp_post::Error,
    },
    /// The check server could not be reached or refused the login before
    /// anything was posted.
    #[error(
        "check server: {error} (its password comes from AP_NNTP_CHECK_PASSWORD or [check_server] in the config file); nothing was posted"
    )]
    CheckPreflight {
        host: String,
        error: ap_nntp_post::Error,
    },
    /// A news server could not be reached or refused the login while a
    /// set was being fetched; extraction had not begun.
    #[error("{error}; nothing was extracted")]
    FetchConnect {
        host: String,
        error: ap_nntp_post::Error,
    },
    #[error("posting: {0}")]
    Post(ap_nntp_post::Error),
    /// Articles were still missing after every re-post round.
    #[error("{missing} articles are still missing after {rounds} re-post rounds")]
    StillMissing { missing: usize, rounds: u32 },
    /// Articles the poster gave up on.
    #[error("{count} articles could not be posted (first: {first})")]
    PostFailed { count: usize, first: String },
    /// A re-post needed bytes again and the source no longer gives the
    /// same ones.
    #[error("the source folder changed while it was being posted; post it again")]
    SourceChanged,
    /// A journal says a post of this folder was interrupted, but the
    /// folder changed since: resuming would post a different set.
    #[error("{} changed since its post was interrupted; restore it, or delete {} to post it as a new set", folder.display(), journal.display())]
    SourceChangedSinceInterrupted { folder: PathBuf, journal: PathBuf },
    /// A downloader did not take the NZB.
    #[error("{to}: {reason}")]
    Send { to: String, reason: String },
    #[error("descriptor: {0}")]
    Codec(ap_secret_codec::Error),
    #[error("embedded news spool: {0}")]
    Spool(ap_news_spool::SpoolError),
    /// Not enough data came back to rebuild a volume.
    #[error("volume {volume} cannot be rebuilt: {reason}")]
    Unrecoverable { volume: usize, reason: String },
    #[error("config {path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// A setting (a flag or a config file key) has a value that cannot be
    /// used; the message names it and what would work.
    #[error("{0}")]
    Setting(String),
    #[error("{what}: {error}")]
    Io { what: String, error: std::io::Error },
    /// Internal inconsistency between what was planned and what a stage
    /// produced.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub(crate) fn io(what: impl std::fmt::Display, error: std::io::Error) -> Error {
        Error::Io {
            what: what.to_string(),
            error,
        }
    }
}

// Causes are part of each message (errors print as one line), so they are
// not chained as `source()` too: a chain printer would repeat them.
macro_rules! from {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error::$v(e)
            }
        })*
    };
}

from! {
    ap_archive::Error => Archive,
    ap_parity::Error => Parity,
    ap_nntp_post::Error => Post,
    ap_secret_codec::Error => Codec,
    ap_news_spool::SpoolError => Spool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
