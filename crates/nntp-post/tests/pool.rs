//! Pool behaviour on the embedded spool: failover, the post check on
//! another server, the rate limit, and progress events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{CheckConfig, ConnState, Event, PostConfig, Poster, ServerConfig};
use common::{article, body, post_all, run_tag};

async fn spool() -> (SpoolServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    (
        SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
            .await
            .unwrap(),
        dir,
    )
}

#[tokio::test]
async fn slots_of_a_dead_server_fail_over_to_the_next() {
    let (server, _dir) = spool().await;
    let mut dead = ServerConfig::new("127.0.0.1", 9).connections(2);
    dead.timeouts.connect = Duration::from_secs(2);
    let mut cfg = PostConfig::new(vec![dead, common::plain(server.local_addr(), 1)]);
    cfg.retry.backoff = Duration::from_millis(10);
    let report = post_all(cfg, &run_tag(), 30, 2000).await;
    assert_eq!(report.articles, 30, "{report:?}");
    assert_eq!(server.spool().stats().stored, 30);
}

#[tokio::test]
async fn post_check_on_another_server_reports_what_it_lacks() {
    let (posted_to, _d1) = spool().await;
    let (elsewhere, _d2) = spool().await;
    let mut cfg = PostConfig::new(vec![common::plain(posted_to.local_addr(), 2)]);
    cfg.check = Some(CheckConfig {
        delay: Duration::from_millis(10),
        server: Some(common::plain(elsewhere.local_addr(), 1)),
        connections: 2,
    });
    let tag = run_tag();
    let report = post_all(cfg, &tag, 12, 1000).await;
    assert_eq!(report.articles, 12);
    assert_eq!(report.checked, 12);
    let mut missing = report.missing.clone();
    missing.sort();
    let mut expected: Vec<String> = (0..12).map(|i| common::message_id(&tag, i)).collect();
    expected.sort();
    assert_eq!(missing, expected);
}

#[tokio::test]
async fn rate_limit_paces_the_whole_pool() {
    let (server, _dir) = spool().await;
    let mut cfg = PostConfig::new(vec![common::plain(server.local_addr(), 4)]);
    cfg.rate_limit = Some(2_000_000);
    let t = Instant::now();
    // 20 x 200 kB = 4 MB at 2 MB/s: at least ~1 s after one second of burst.
    let report = post_all(cfg, &run_tag(), 20, 200_000).await;
    assert_eq!(report.articles, 20);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn progress_events_add_up() {
    let (server, _dir) = spool().await;
    let bytes = Arc::new(AtomicU64::new(0));
    let posted = Arc::new(AtomicU64::new(0));
    let states = Arc::new(Mutex::new(Vec::new()));
    let (b, p, s) = (bytes.clone(), posted.clone(), states.clone());
    let sink: ap_nntp_post::EventSink = Arc::new(move |e: &Event| match e {
        Event::BytesSent { bytes, .. } => {
            b.fetch_add(*bytes, Ordering::Relaxed);
        }
        Event::Posted { .. } => {
            p.fetch_add(1, Ordering::Relaxed);
        }
        Event::Connection { conn, state, .. } => s.lock().unwrap().push((*conn, *state)),
        _ => {}
    });
    let (queue, job) = Poster::start(
        PostConfig::new(vec![common::plain(server.local_addr(), 3)]),
        Some(sink),
    )
    .unwrap();
    let tag = run_tag();
    let mut wire = 0;
    for i in 0..9 {
        let a = article(&tag, i, body(i as u64, 5000));
        wire += a.wire_len() - 3; // the terminator is not article data
        queue.send(a).await.unwrap();
    }
    drop(queue);
    let report = job.finish().await.unwrap();
    assert_eq!(posted.load(Ordering::Relaxed), 9);
    assert_eq!(bytes.load(Ordering::Relaxed), wire);
    assert_eq!(report.bytes, wire + 27);
    let states = states.lock().unwrap();
    for conn in 0..3 {
        assert!(
            states.contains(&(conn, ConnState::Connecting)),
            "{states:?}"
        );
        assert!(states.contains(&(conn, ConnState::Closed)), "{states:?}");
    }
}
