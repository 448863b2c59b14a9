//! One error type for the whole crate. Every variant that comes from the
//! network names the host, so a user running several servers can tell which
//! one failed; none of them can carry a password.

use std::io;
use std::path::PathBuf;

/// What went wrong talking to a news server, or in configuring the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Name resolution or the TCP connect failed.
    #[error("cannot reach news server {host}: {source}")]
    Connect {
        host: String,
        #[source]
        source: io::Error,
    },
    /// The server did not answer (or accept data) within the configured time.
    #[error("news server {host} stalled: no progress for {secs} s during {during}")]
    Timeout {
        host: String,
        secs: u64,
        during: &'static str,
    },
    /// The TLS handshake failed (unknown CA, wrong name, not a TLS port).
    #[error(
        "TLS handshake with news server {host} failed: {source} (check the port, the server name and the CA file)"
    )]
    Tls {
        host: String,
        #[source]
        source: io::Error,
    },
    /// AUTHINFO was refused: wrong user name or password.
    #[error(
        "news server {host} refused the login of user {user:?}: {reply} (check the user name and password)"
    )]
    Auth {
        host: String,
        user: String,
        reply: String,
    },
    /// The server wants a login and none is configured.
    #[error("news server {host} requires a login: configure a user name and password")]
    AuthRequired { host: String },
    /// The peer does not speak NNTP.
    #[error("news server {host} does not speak NNTP: it sent {sample}")]
    Protocol { host: String, sample: String },
    /// The server refuses service for now (400, 502 at greeting).
    #[error("news server {host} refuses service: {reply}")]
    Unavailable { host: String, reply: String },
    /// The server does not allow posting (440).
    #[error("news server {host} does not allow posting: {reply}")]
    PostingNotAllowed { host: String, reply: String },
    /// The connection broke.
    #[error("connection to news server {host} lost: {source}")]
    Io {
        host: String,
        #[source]
        source: io::Error,
    },
    /// A reply code the command does not allow.
    #[error("news server {host} answered {command} with {code} {text}")]
    Unexpected {
        host: String,
        command: &'static str,
        code: u16,
        text: String,
    },
    /// A CA file could not be read or holds no certificate.
    #[error("cannot use CA file {path}: {detail}")]
    CaFile { path: PathBuf, detail: String },
    /// Neither the system roots nor a CA file gave a trust anchor.
    #[error(
        "no trusted root certificates found for {host}: install the system CA bundle or name a CA file"
    )]
    NoRoots { host: String },
    /// A server address that cannot be parsed.
    #[error(
        "invalid news server address {input:?}: {why} (expected nntp://[user@]host[:port] or nntps://[user@]host[:port])"
    )]
    Address { input: String, why: &'static str },
    /// An article that cannot be sent as given.
    #[error("invalid article: {0}")]
    Article(String),
    /// The configuration cannot work.
    #[error("invalid posting configuration: {0}")]
    Config(String),
    /// Article after article was given up, none posted in between.
    #[error(
        "news server {host} refused {count} articles in a row, the last with {reply:?}: stopping (check the server's disk and logs, and that the account may post to these groups)"
    )]
    Refusing {
        host: String,
        count: u32,
        reply: String,
    },
    /// The poster stopped (a fatal error ended it); `finish` tells why.
    #[error("the poster has stopped; call finish() for the reason")]
    Stopped,
}

impl Error {
    /// Errors that retrying cannot fix: the job stops with this error
    /// rather than hammering a server with a wrong password.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Tls { .. }
                | Error::Auth { .. }
                | Error::AuthRequired { .. }
                | Error::Protocol { .. }
                | Error::PostingNotAllowed { .. }
                | Error::CaFile { .. }
                | Error::NoRoots { .. }
                | Error::Address { .. }
                | Error::Article(_)
                | Error::Config(_)
        )
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
