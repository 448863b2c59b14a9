//! Every way publishing or following a log can fail, each naming the
//! problem and, where there is one, the fix.

use std::path::PathBuf;

use crate::PublicKey;

/// Errors of the ledger log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A public key given by the user does not parse.
    #[error("invalid log public key: {why}")]
    BadPublicKey { why: String },

    /// The signing key file is not one this crate wrote.
    #[error("signing key file {}: {why}", path.display())]
    BadKeyFile { path: PathBuf, why: String },

    /// The signing key file can be read by group or others.
    #[error("signing key file {} is readable by others (mode {mode:o}): run `chmod 600 {}`", path.display(), path.display())]
    KeyPermissions { path: PathBuf, mode: u32 },

    /// The signing key file was asked to live in the log folder.
    #[error("the signing key file {} is inside the log folder {}: keep it outside, so the log can be copied and served without it", key.display(), log.display())]
    KeyInsideLog { key: PathBuf, log: PathBuf },

    /// The log folder on disk was made by another key.
    #[error("the log in {} belongs to public key {log_key}, but the signing key {} is for {our_key}: it is another writer's log", dir.display(), key_file.display())]
    LogOfAnotherWriter {
        dir: PathBuf,
        log_key: PublicKey,
        our_key: PublicKey,
        key_file: PathBuf,
    },

    /// Nothing has been published on the log yet.
    #[error("the log {key} has no snapshot yet: run `ap-server ledger publish` first")]
    Empty { key: PublicKey },

    /// A block at the head of the log is not a valid index record.
    #[error("block {index} of the log is not a valid index record: {why}")]
    BadIndex { index: u64, why: String },

    /// The peer cannot be reached over TCP.
    #[error("cannot reach the peer at {addr}: {source}")]
    Unreachable {
        addr: String,
        #[source]
        source: std::io::Error,
    },

    /// The peer does not serve (or refused to open) the log of this key.
    #[error(
        "the peer at {addr} does not serve the log with public key {key}: check the key (`ap-server ledger seed` prints it)"
    )]
    NotServed { addr: String, key: PublicKey },

    /// The log the peer sent is signed by a key other than the one asked for.
    #[error(
        "the log served by {addr} is not signed by public key {key}: it was written by another writer"
    )]
    OtherWriter { addr: String, key: PublicKey },

    /// A block's bytes do not match the signed Merkle tree.
    #[error(
        "block {index} from {addr} failed verification against the log's signed Merkle tree: it was tampered with or corrupted"
    )]
    TamperedBlock { addr: String, index: u64 },

    /// The reassembled snapshot does not hash to its index record's SHA-256.
    #[error(
        "the snapshot in blocks {first}..{end} hashes to {got}, but its index record says {want}"
    )]
    HashMismatch {
        first: u64,
        end: u64,
        got: String,
        want: String,
    },

    /// The peer went away before the snapshot arrived.
    #[error("the peer at {addr} closed the connection {when}")]
    Disconnected { addr: String, when: &'static str },

    /// The peer sent nothing for too long.
    #[error("the peer at {addr} sent nothing for {secs} s {when}")]
    Stalled {
        addr: String,
        secs: u64,
        when: &'static str,
    },

    /// The Noise handshake or the Hypercore wire protocol failed.
    #[error("Hypercore wire protocol with {addr}: {why}")]
    Protocol { addr: String, why: String },

    /// The Hypercore log on disk could not be read or written.
    #[error("{context}: {source}")]
    Log {
        context: String,
        #[source]
        source: hypercore::HypercoreError,
    },

    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn log(context: impl Into<String>, source: hypercore::HypercoreError) -> Self {
        Self::Log {
            context: context.into(),
            source,
        }
    }
}
