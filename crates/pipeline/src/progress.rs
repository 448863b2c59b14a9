//! What the jobs report while they work. The library never prints: the
//! binaries turn these events into progress bars or a JSON summary.

use std::sync::Arc;

/// One progress event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Progress {
    /// Totals known at the start: bytes to read from the source, and an
    /// estimate of the bytes the job will send or receive.
    Totals { read: u64, par2: u64, transfer: u64 },
    /// Source bytes archived into volumes.
    Read(u64),
    /// Volume bytes hashed into PAR2 (posting) or verified (fetching).
    Par2(u64),
    /// Article bytes put on the wire (posting) or decoded (fetching).
    Transfer(u64),
    /// A sentence for the user, such as which server is used.
    Note(String),
    /// The server took an article (or a STAT found it after an ambiguous
    /// failure).
    Posted,
    /// An attempt failed and the article will be tried again; the reason
    /// is the server's reply or the network error.
    Retry(String),
    /// The post check looked an article up.
    Checked { present: bool },
    /// Posting connections (the check's not counted): how many are sending
    /// an article now, and how many are logged in.
    Connections { posting: usize, open: usize },
}

/// Where events go; called from worker threads, so keep it quick.
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

pub(crate) fn emit(sink: &Option<ProgressSink>, event: Progress) {
    if let Some(s) = sink {
        s(&event);
    }
}
