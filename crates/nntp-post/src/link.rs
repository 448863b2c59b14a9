//! A pool slot's hold on a connection: opens it on demand, fails over to the
//! next server after repeated connect failures, and backs off between tries.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_rustls::TlsConnector;

use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::progress::{ConnState, Event, EventSink, emit};
use crate::server::ServerConfig;

/// A server with its TLS connector, built once.
pub(crate) struct Target {
    pub cfg: ServerConfig,
    pub tls: Option<TlsConnector>,
    pub name: Arc<str>,
}

impl Target {
    pub fn new(cfg: ServerConfig) -> Result<Self> {
        let tls = crate::tls::connector(&cfg)?;
        let name = Arc::from(cfg.display_name());
        Ok(Target { cfg, tls, name })
    }
}

/// Retry and backoff settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per article before it is reported failed.
    pub max_attempts: u32,
    /// Connect tries per server before failing over to the next; after a
    /// full round over every server the job stops with the last error.
    pub connect_attempts: u32,
    /// First backoff; doubles on each retry up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Articles given up one after another, none posted in between, after
    /// which the job stops: a server that refuses everything (a full disk,
    /// a filter, an account without posting rights) would otherwise take
    /// every article through all its attempts, which is hours, not an error.
    pub max_failed_in_a_row: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            connect_attempts: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(15),
            max_failed_in_a_row: 8,
        }
    }
}

impl RetryPolicy {
    pub(crate) fn delay(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(16);
        self.backoff
            .saturating_mul(1 << shift)
            .min(self.max_backoff)
    }
}

pub(crate) struct Link {
    pub id: usize,
    targets: Arc<Vec<Target>>,
    /// Indices into `targets`, this slot's preferred server first.
    order: Vec<usize>,
    pos: usize,
    failures: u32,
    pub conn: Option<Connection>,
    retry: RetryPolicy,
    events: Option<EventSink>,
    stop: watch::Receiver<bool>,
}

impl Link {
    pub fn new(
        id: usize,
        targets: Arc<Vec<Target>>,
        first: usize,
        retry: RetryPolicy,
        events: Option<EventSink>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let n = targets.len();
        let order = (0..n).map(|i| (first + i) % n).collect();
        Link {
            id,
            targets,
            order,
            pos: 0,
            failures: 0,
            conn: None,
            retry,
            events,
            stop,
        }
    }

    pub fn host(&self) -> Arc<str> {
        self.targets[self.order[self.pos]].name.clone()
    }

    pub fn state(&self, state: ConnState) {
        emit(
            &self.events,
            Event::Connection {
                conn: self.id,
                host: self.host(),
                state,
            },
        );
    }

    pub fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleeps unless the job stops first; `false` when it stopped.
    pub async fn pause(&mut self, d: Duration) -> bool {
        self.state(ConnState::Backoff);
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = stop.wait_for(|s| *s) => false,
        }
    }

    /// An open connection, connecting (with failover) if needed. Any error
    /// returned ends the job: fatal ones at once, connect failures after
    /// every server was tried.
    pub async fn ensure(&mut self) -> Result<&mut Connection> {
        loop {
            if self.conn.is_some() {
                break;
            }
            if self.stopped() {
                return Err(Error::Stopped);
            }
            let target = &self.targets[self.order[self.pos]];
            self.state(ConnState::Connecting);
            match Connection::connect_with(&target.cfg, target.tls.as_ref()).await {
                Ok(c) => {
                    self.conn = Some(c);
                    self.failures = 0;
                    self.state(ConnState::Idle);
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    self.failures += 1;
                    let per_server = self.retry.connect_attempts.max(1);
                    if self.failures >= per_server * self.order.len() as u32 {
                        return Err(e);
                    }
                    if self.failures.is_multiple_of(per_server) {
                        self.pos = (self.pos + 1) % self.order.len();
                    }
                    let d = self.retry.delay(self.failures);
                    if !self.pause(d).await {
                        return Err(Error::Stopped);
                    }
                }
            }
        }
        self.conn.as_mut().ok_or(Error::Stopped)
    }

    pub fn drop_conn(&mut self) {
        self.conn = None;
    }

    pub async fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), c.quit()).await;
        }
        self.state(ConnState::Closed);
    }
}
