//! The post check: every posted article is looked up with STAT once its
//! delay has passed, while later articles are still being posted. Only
//! Message-IDs wait here, so memory stays small.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::Result;
use crate::link::{Link, Target};
use crate::pool::Shared;
use crate::progress::{ConnState, Event, emit};
use crate::server::ServerConfig;

/// When and where to check.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Time between an article's post and its STAT (propagation time).
    pub delay: Duration,
    /// Check on another server (a different provider's view); default: the
    /// posting servers.
    pub server: Option<ServerConfig>,
    /// Check connections (default 1 when 0).
    pub connections: usize,
}

impl CheckConfig {
    pub fn after(delay: Duration) -> Self {
        CheckConfig {
            delay,
            server: None,
            connections: 1,
        }
    }
}

pub(crate) struct CheckItem {
    pub posted: Instant,
    pub message_id: String,
}

pub(crate) fn spawn_checkers(
    cfg: CheckConfig,
    posting: &Arc<Vec<Target>>,
    first_id: usize,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> Result<(mpsc::UnboundedSender<CheckItem>, Vec<JoinHandle<()>>)> {
    let targets = match cfg.server {
        Some(s) => Arc::new(vec![Target::new(s)?]),
        None => posting.clone(),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let n = cfg.connections.max(1);
    let handles = (0..n)
        .map(|i| {
            let link = Link::new(
                first_id + i,
                targets.clone(),
                i % targets.len(),
                shared.retry,
                shared.events.clone(),
                stop.clone(),
            );
            tokio::spawn(checker(shared.clone(), link, rx.clone(), cfg.delay))
        })
        .collect();
    Ok((tx, handles))
}

async fn checker(
    sh: Arc<Shared>,
    mut link: Link,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<CheckItem>>>,
    delay: Duration,
) {
    let mut stop = sh.stop.subscribe();
    loop {
        let next = {
            let mut rx = rx.lock().await;
            tokio::select! {
                a = rx.recv() => a,
                _ = stop.wait_for(|s| *s) => None,
            }
        };
        let Some(item) = next else { break };
        tokio::select! {
            _ = tokio::time::sleep_until(item.posted + delay) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        match stat(&sh, &mut link, &item.message_id).await {
            Ok(present) => {
                sh.report(|r| {
                    r.checked += 1;
                    if !present {
                        r.missing.push(item.message_id.clone());
                    }
                });
                emit(
                    &sh.events,
                    Event::Checked {
                        message_id: item.message_id,
                        present,
                    },
                );
            }
            Err(e) => {
                sh.fail(e);
                break;
            }
        }
    }
    link.close().await;
}

/// STAT with reconnects; an error return is fatal for the job.
async fn stat(sh: &Shared, link: &mut Link, id: &str) -> Result<bool> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        link.ensure().await?;
        link.state(ConnState::Checking);
        let Some(conn) = link.conn.as_mut() else {
            continue;
        };
        match conn.stat(id).await {
            Ok(present) => {
                link.state(ConnState::Idle);
                return Ok(present);
            }
            Err(e) if e.is_fatal() || attempts >= sh.retry.max_attempts => return Err(e),
            Err(_) => {
                link.drop_conn();
                link.pause(sh.retry.delay(attempts)).await;
            }
        }
    }
}
