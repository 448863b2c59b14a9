//! A TCP proxy that breaks NNTP connections on purpose, for tests.
//!
//! The principal type is the [`FaultProxy`], which listens on a local
//! address and forwards each connection to a real news server (INN2 or the
//! embedded spool). It reads the client's side as NNTP, so a [`FaultConfig`]
//! can strike per article: drop the connection partway through an
//! article's data, stall (stop forwarding, keep the socket open), or answer
//! a POST with 441 or 503 in place of the server. Per connection it can
//! answer the greeting with 400, drop after a byte count, and delay every
//! chunk. Choices come from a seeded generator, one stream per connection,
//! so a run is repeatable. What it did is counted in [`FaultStats`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use ap_fault_proxy::{FaultConfig, FaultProxy};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // A stand-in upstream that greets and closes.
//! let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let up_addr = upstream.local_addr()?;
//! tokio::spawn(async move {
//!     if let Ok((mut s, _)) = upstream.accept().await {
//!         let _ = s.write_all(b"200 hello\r\n").await;
//!     }
//! });
//! let config = FaultConfig { greet_400: 1.0, ..FaultConfig::default() };
//! let proxy = FaultProxy::start("127.0.0.1:0".parse().unwrap(), up_addr, config).await?;
//! let mut c = tokio::net::TcpStream::connect(proxy.local_addr()).await?;
//! let mut got = String::new();
//! c.read_to_string(&mut got).await?;
//! assert!(got.starts_with("400"));
//! assert_eq!(proxy.stats().greeted_400, 1);
//! # Ok(())
//! # }
//! ```

mod conn;
mod rng;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What to break, and how often. Probabilities are in 0..=1.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    pub seed: u64,
    /// Per POST: close both sides partway through the article's data.
    pub drop_mid_article: f64,
    /// Per POST: forward the whole article, then close before the server's
    /// reply reaches the client (the server has it; the client cannot know).
    pub drop_after_article: f64,
    /// Per POST: stop forwarding partway through the article's data.
    pub stall_mid_article: f64,
    /// Per POST: read the article and answer `441 posting failed`.
    pub reject_441: f64,
    /// Per POST: answer the POST command with `503`.
    pub reject_503: f64,
    /// Per connection: answer the greeting with `400` and close.
    pub greet_400: f64,
    /// Per connection: close after this many client bytes.
    pub drop_after_bytes: Option<u64>,
    /// Added before forwarding each chunk, both ways.
    pub delay: Duration,
    /// Upper bound for where in an article a drop or stall strikes.
    pub article_bytes_hint: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            seed: 1,
            drop_mid_article: 0.0,
            drop_after_article: 0.0,
            stall_mid_article: 0.0,
            reject_441: 0.0,
            reject_503: 0.0,
            greet_400: 0.0,
            drop_after_bytes: None,
            delay: Duration::ZERO,
            article_bytes_hint: 64 * 1024,
        }
    }
}

/// Counts of what the proxy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    pub connections: u64,
    pub posts: u64,
    pub dropped: u64,
    pub replies_lost: u64,
    pub stalled: u64,
    pub rejected_441: u64,
    pub rejected_503: u64,
    pub greeted_400: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub connections: AtomicU64,
    pub posts: AtomicU64,
    pub dropped: AtomicU64,
    pub replies_lost: AtomicU64,
    pub stalled: AtomicU64,
    pub rejected_441: AtomicU64,
    pub rejected_503: AtomicU64,
    pub greeted_400: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on `listen` and forwards to `upstream`.
    pub async fn start(
        listen: SocketAddr,
        upstream: SocketAddr,
        config: FaultConfig,
    ) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let config = Arc::new(config);
        let task = tokio::spawn(async move {
            let mut n = 0u64;
            while let Ok((sock, _)) = listener.accept().await {
                n += 1;
                bump(&c.connections);
                tokio::spawn(conn::run(sock, upstream, config.clone(), c.clone(), n));
            }
        });
        Ok(FaultProxy {
            addr,
            counters,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> FaultStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FaultStats {
            connections: get(&c.connections),
            posts: get(&c.posts),
            dropped: get(&c.dropped),
            replies_lost: get(&c.replies_lost),
            stalled: get(&c.stalled),
            rejected_441: get(&c.rejected_441),
            rejected_503: get(&c.rejected_503),
            greeted_400: get(&c.greeted_400),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
