//! Posts articles to news servers and makes sure each one arrives exactly once.
//!
//! The principal type is the [`Poster`], which starts a posting job from a
//! [`PostConfig`]: a pool of connections over one or more [`ServerConfig`]s.
//! The job reads [`Article`]s (built by [`ArticleBuilder`] from caller-chosen
//! headers and an already yEnc-encoded body) through an [`ArticleSender`], a
//! bounded queue, so memory stays flat whatever the size of the set. It
//! reports [`Event`]s to an optional [`EventSink`] while it works, and a
//! [`PostReport`] when [`PostJob::finish`] returns.
//!
//! What the job guarantees:
//! - a failed attempt (reset, timeout, 400/403/5xx, a 441 that is not a
//!   duplicate) is retried with backoff under the same Message-ID;
//! - after a failure that may have delivered the article, and after a
//!   duplicate reply (441 435), the article is looked up with STAT and never
//!   posted twice nor counted lost;
//! - connections reconnect and log in again on their own, fail over to the
//!   next server, and a stalled socket is cut by a timeout;
//! - with a [`CheckConfig`], every article is looked up again after a delay
//!   and the missing ones are listed in [`PostReport::missing`];
//! - a wrong password, an unreachable host, a TLS failure or a server that
//!   does not speak NNTP ends the job with one [`Error`] naming the host.
//!
//! [`Connection`] is the single-session client underneath (POST, STAT, HEAD,
//! BODY, ARTICLE) for callers that fetch articles back.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ap_nntp_post::{ArticleBuilder, Connection, PostConfig, Poster, ServerConfig};
//! use bytes::Bytes;
//!
//! // An embedded news server to post to.
//! let dir = tempfile::tempdir()?;
//! let spool = ap_news_spool::Spool::open(dir.path(), ap_news_spool::SpoolConfig::default())?;
//! let server = ap_news_spool::SpoolServer::bind("127.0.0.1:0".parse()?, spool).await?;
//! let addr = server.local_addr();
//!
//! let target = ServerConfig::new(addr.ip().to_string(), addr.port()).connections(2);
//! let (queue, job) = Poster::start(PostConfig::new(vec![target.clone()]), None)?;
//! for i in 0..4 {
//!     let article = ArticleBuilder::new()
//!         .from("poster <p@example.invalid>")
//!         .newsgroup("alt.binaries.test")
//!         .subject(format!("part {i}"))
//!         .message_id(format!("part{i}@example.invalid"))
//!         .body(Bytes::from(format!("line {i}\r\n")))?;
//!     queue.send(article).await?;
//! }
//! drop(queue);
//! let report = job.finish().await?;
//! assert_eq!(report.articles, 4);
//!
//! let mut conn = Connection::connect(&target).await?;
//! let body = conn.body("<part2@example.invalid>").await?;
//! assert_eq!(body.as_deref(), Some(&b"line 2\r\n"[..]));
//! conn.quit().await;
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod article;
mod buffers;
mod check;
mod conn;
mod error;
mod link;
mod pool;
mod progress;
mod rate;
mod server;
mod tls;
mod wire;

pub use article::{Article, ArticleBuilder};
pub use buffers::{BufferPool, PooledBuffer};
pub use check::CheckConfig;
pub use conn::{Connection, PostReply};
pub use error::{Error, Result};
pub use link::RetryPolicy;
pub use pool::{ArticleSender, PostConfig, PostJob, PostReport, Poster};
pub use progress::{ConnState, Event, EventSink};
pub use rate::RateLimiter;
pub use server::{Password, ServerConfig, Timeouts, TlsMode};
pub use wire::{Reply, to_wire_body};
