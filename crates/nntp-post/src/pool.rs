//! The posting pool: N connection slots over one or more servers, fed from
//! a bounded queue, each retrying its article until it is on the server.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::article::Article;
use crate::check::{CheckConfig, CheckItem, spawn_checkers};
use crate::conn::PostReply;
use crate::error::{Error, Result};
use crate::link::{Link, RetryPolicy, Target};
use crate::progress::{ConnState, Event, EventSink, emit};
use crate::rate::RateLimiter;
use crate::server::ServerConfig;

/// Everything a posting job needs.
#[derive(Debug, Clone)]
pub struct PostConfig {
    /// Servers in failover order; each brings `connections` slots.
    pub servers: Vec<ServerConfig>,
    /// Articles waiting in memory at most; `send` waits when it is full.
    pub queue_depth: usize,
    /// Job-wide limit in bytes per second.
    pub rate_limit: Option<u64>,
    pub retry: RetryPolicy,
    /// STAT every article after a delay.
    pub check: Option<CheckConfig>,
}

impl PostConfig {
    pub fn new(servers: Vec<ServerConfig>) -> Self {
        PostConfig {
            servers,
            queue_depth: 0,
            rate_limit: None,
            retry: RetryPolicy::default(),
            check: None,
        }
    }
}

/// The outcome of a job. An article is in exactly one of: posted (the
/// counters), `failed`, or `unconfirmed`; the check adds `missing`.
#[derive(Debug, Clone, Default)]
pub struct PostReport {
    /// Articles on the server (240, or confirmed by STAT).
    pub articles: u64,
    /// Article bytes put on the wire by successful posts.
    pub bytes: u64,
    /// Failed attempts that were tried again.
    pub retries: u64,
    /// Articles found already present (duplicate reply or a STAT after an
    /// ambiguous failure) and therefore not sent again.
    pub confirmed_by_stat: u64,
    /// Given up after the configured attempts: (Message-ID, last reason).
    pub failed: Vec<(String, String)>,
    /// The server said duplicate but STAT did not find it (only when no
    /// post check runs; otherwise the check decides).
    pub unconfirmed: Vec<String>,
    /// Articles the post check looked up.
    pub checked: u64,
    /// Articles the post check did not find: re-post them under a new
    /// Message-ID (attempt + 1).
    pub missing: Vec<String>,
    pub elapsed: Duration,
}

/// Starts posting jobs.
#[derive(Debug)]
pub struct Poster;

/// The feeding end of a job's bounded queue.
#[derive(Debug, Clone)]
pub struct ArticleSender {
    tx: mpsc::Sender<Article>,
}

impl ArticleSender {
    /// Queues an article, waiting while the queue is full. Fails with
    /// [`Error::Stopped`] once a fatal error ended the job.
    pub async fn send(&self, article: Article) -> Result<()> {
        self.tx.send(article).await.map_err(|_| Error::Stopped)
    }
}

/// A running job. Drop every [`ArticleSender`], then call [`PostJob::finish`].
#[derive(Debug)]
pub struct PostJob {
    handle: JoinHandle<Result<PostReport>>,
}

impl PostJob {
    /// Waits for the queue to drain, the posts and the post check to end.
    pub async fn finish(self) -> Result<PostReport> {
        self.handle
            .await
            .map_err(|e| Error::Config(format!("posting task ended abnormally: {e}")))?
    }
}

pub(crate) struct Shared {
    rx: tokio::sync::Mutex<mpsc::Receiver<Article>>,
    pub limiter: Option<RateLimiter>,
    pub retry: RetryPolicy,
    pub events: Option<EventSink>,
    pub fatal: Mutex<Option<Error>>,
    /// Articles given up since the last one posted (any connection).
    failed_in_a_row: AtomicU32,
    pub stop: watch::Sender<bool>,
    pub report: Mutex<PostReport>,
}

impl Shared {
    pub fn fail(&self, e: Error) {
        if matches!(e, Error::Stopped) {
            return;
        }
        if let Ok(mut f) = self.fatal.lock() {
            f.get_or_insert(e);
        }
        let _ = self.stop.send(true);
    }

    pub fn report(&self, f: impl FnOnce(&mut PostReport)) {
        if let Ok(mut r) = self.report.lock() {
            f(&mut r);
        }
    }
}

impl Poster {
    /// Starts a job on the current tokio runtime.
    pub fn start(
        config: PostConfig,
        events: Option<EventSink>,
    ) -> Result<(ArticleSender, PostJob)> {
        let slots: usize = config.servers.iter().map(|s| s.connections).sum();
        if slots == 0 {
            return Err(Error::Config(
                "no server with at least one connection".into(),
            ));
        }
        let targets = Arc::new(
            config
                .servers
                .into_iter()
                .map(Target::new)
                .collect::<Result<Vec<_>>>()?,
        );
        let depth = if config.queue_depth == 0 {
            slots * 2
        } else {
            config.queue_depth
        };
        let (tx, rx) = mpsc::channel(depth);
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            rx: tokio::sync::Mutex::new(rx),
            limiter: config.rate_limit.map(RateLimiter::new),
            retry: config.retry,
            events,
            fatal: Mutex::new(None),
            failed_in_a_row: AtomicU32::new(0),
            stop,
            report: Mutex::new(PostReport::default()),
        });
        let start = Instant::now();
        let (check_tx, checkers) = match config.check {
            Some(check) => {
                let (ctx, handles) =
                    spawn_checkers(check, &targets, slots, shared.clone(), stop_rx.clone())?;
                (Some(ctx), handles)
            }
            None => (None, Vec::new()),
        };
        let mut workers = Vec::with_capacity(slots);
        let mut id = 0;
        for (t, target) in targets.iter().enumerate() {
            for _ in 0..target.cfg.connections {
                let link = Link::new(
                    id,
                    targets.clone(),
                    t,
                    shared.retry,
                    shared.events.clone(),
                    stop_rx.clone(),
                );
                workers.push(tokio::spawn(worker(shared.clone(), link, check_tx.clone())));
                id += 1;
            }
        }
        drop(check_tx);
        let handle = tokio::spawn(async move {
            for w in workers {
                let _ = w.await;
            }
            shared.rx.lock().await.close();
            for c in checkers {
                let _ = c.await;
            }
            if let Some(e) = shared.fatal.lock().ok().and_then(|mut f| f.take()) {
                return Err(e);
            }
            let mut report = shared.report.lock().map(|r| r.clone()).unwrap_or_default();
            report.elapsed = start.elapsed();
            Ok(report)
        });
        Ok((ArticleSender { tx }, PostJob { handle }))
    }
}

async fn worker(sh: Arc<Shared>, mut link: Link, check: Option<mpsc::UnboundedSender<CheckItem>>) {
    if let Err(e) = link.ensure().await {
        sh.fail(e);
    }
    let mut stop = sh.stop.subscribe();
    while !link.stopped() {
        let next = {
            let mut rx = sh.rx.lock().await;
            tokio::select! {
                a = rx.recv() => a,
                _ = stop.wait_for(|s| *s) => None,
            }
        };
        let Some(article) = next else { break };
        if let Err(e) = post_one(&sh, &mut link, &article, check.as_ref()).await {
            sh.fail(e);
            break;
        }
    }
    link.close().await;
}

enum Step {
    Posted,
    Present,
    Unconfirmed,
    Retry { reason: String, drop: bool },
}

/// Posts one article until it is on the server or out of attempts. An
/// error return is fatal for the whole job.
async fn post_one(
    sh: &Shared,
    link: &mut Link,
    article: &Article,
    check: Option<&mpsc::UnboundedSender<CheckItem>>,
) -> Result<()> {
    let id = article.message_id();
    let mut maybe_delivered = false;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let step = attempt(sh, link, article, &mut maybe_delivered).await?;
        let (reason, drop) = match step {
            Step::Retry { reason, drop } => (reason, drop),
            done => {
                sh.failed_in_a_row.store(0, Ordering::Relaxed);
                link.state(ConnState::Idle);
                let bytes = article.wire_len();
                sh.report(|r| {
                    r.articles += 1;
                    r.bytes += bytes;
                    if matches!(done, Step::Present) {
                        r.confirmed_by_stat += 1;
                    }
                    if matches!(done, Step::Unconfirmed) && check.is_none() {
                        r.unconfirmed.push(id.to_string());
                    }
                });
                emit(
                    &sh.events,
                    Event::Posted {
                        message_id: id.to_string(),
                        bytes,
                        attempts,
                    },
                );
                if let Some(c) = check {
                    let _ = c.send(CheckItem {
                        posted: Instant::now(),
                        message_id: id.to_string(),
                    });
                }
                return Ok(());
            }
        };
        if drop {
            link.drop_conn();
        }
        if attempts >= sh.retry.max_attempts {
            sh.report(|r| r.failed.push((id.to_string(), reason.clone())));
            emit(
                &sh.events,
                Event::Failed {
                    message_id: id.to_string(),
                    reason: reason.clone(),
                },
            );
            let count = sh.failed_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
            if count >= sh.retry.max_failed_in_a_row.max(1) {
                return Err(Error::Refusing {
                    host: link.host().to_string(),
                    count,
                    reply: reason,
                });
            }
            return Ok(());
        }
        sh.report(|r| r.retries += 1);
        emit(
            &sh.events,
            Event::Retry {
                message_id: id.to_string(),
                attempt: attempts,
                reason,
            },
        );
        if !link.pause(sh.retry.delay(attempts)).await {
            return Err(Error::Stopped);
        }
    }
}

async fn attempt(
    sh: &Shared,
    link: &mut Link,
    article: &Article,
    maybe_delivered: &mut bool,
) -> Result<Step> {
    let conn_id = link.id;
    link.ensure().await?;
    link.state(ConnState::Posting);
    let Some(conn) = link.conn.as_mut() else {
        return Err(Error::Stopped);
    };
    let id = article.message_id();
    let lost = |e: Error, delivered: &mut bool, in_flight: bool| -> Result<Step> {
        *delivered |= in_flight;
        if e.is_fatal() {
            Err(e)
        } else {
            Ok(Step::Retry {
                reason: e.to_string(),
                drop: true,
            })
        }
    };
    if *maybe_delivered {
        // The last attempt may have reached the server: look before sending
        // it again, so the article is never posted twice.
        match conn.stat(id).await {
            Ok(true) => return Ok(Step::Present),
            Ok(false) => *maybe_delivered = false,
            Err(e) => return lost(e, maybe_delivered, false),
        }
    }
    let events = &sh.events;
    let sent = |bytes| {
        emit(
            events,
            Event::BytesSent {
                conn: conn_id,
                bytes,
            },
        )
    };
    match conn.post(article, sh.limiter.as_ref(), sent).await {
        Ok(PostReply::Accepted) => Ok(Step::Posted),
        Ok(PostReply::Rejected(r)) if r.is_duplicate() => match conn.stat(id).await {
            Ok(true) => Ok(Step::Present),
            Ok(false) => Ok(Step::Unconfirmed),
            Err(e) => lost(e, maybe_delivered, true),
        },
        Ok(PostReply::Rejected(r)) => {
            // 400 and 502/503 mean the server is closing or unwilling:
            // reconnect; 441/403/other 5xx keep the connection.
            let drop = matches!(r.code, 400 | 502 | 503);
            Ok(Step::Retry {
                reason: format!("{} answered {r}", link.host()),
                drop,
            })
        }
        Err(e) => {
            let in_flight = link.conn.as_ref().is_some_and(|c| c.article_in_flight);
            lost(e, maybe_delivered, in_flight)
        }
    }
}
