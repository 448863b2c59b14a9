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
}

/// Where events go; called from worker threads, so keep it quick.
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

pub(crate) fn emit(sink: &Option<ProgressSink>, event: Progress) {
    if let Some(s) = sink {
        s(&event);
    }
}
