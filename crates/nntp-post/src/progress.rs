//! What the pool reports while it works, for progress bars and logs.

use std::sync::Arc;

/// The state of one pool connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Idle,
    Posting,
    Checking,
    /// Waiting before a reconnect or a retry.
    Backoff,
    Closed,
}

/// One progress event. Message-IDs are included so a caller can keep its own
/// journal of confirmed articles.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// Connection `conn` (numbered from 0 across the pool; check connections
    /// follow the posting ones) to `host` changed state.
    Connection {
        conn: usize,
        host: Arc<str>,
        state: ConnState,
    },
    /// Bytes of article data written by connection `conn`.
    BytesSent { conn: usize, bytes: u64 },
    /// The server accepted the article (240), or a STAT confirmed it after
    /// an ambiguous failure or a duplicate reply.
    Posted {
        message_id: String,
        bytes: u64,
        attempts: u32,
    },
    /// An attempt failed and the article will be tried again.
    Retry {
        message_id: String,
        attempt: u32,
        reason: String,
    },
    /// The article was given up after the configured attempts.
    Failed { message_id: String, reason: String },
    /// The post check looked the article up.
    Checked { message_id: String, present: bool },
}

/// Where events go. Called from the pool's tasks: keep it quick.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

pub(crate) fn emit(sink: &Option<EventSink>, event: Event) {
    if let Some(s) = sink {
        s(&event);
    }
}
