//! Through the fault proxy: dropped connections, stalls and injected
//! 441/503/400 replies. Every article must end up on the server exactly
//! once, and the client must finish and report no loss.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use ap_fault_proxy::{FaultConfig, FaultProxy, FaultStats};
use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{CheckConfig, Password, PostConfig, PostReport, RetryPolicy, ServerConfig};
use common::{body, post_all, run_tag};

/// The bar's rates: 5% of posts lose their connection mid-article, 2% get a
/// non-duplicate 441, 1% stall.
fn bar_faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        drop_mid_article: 0.05,
        reject_441: 0.02,
        stall_mid_article: 0.01,
        article_bytes_hint: 20_000,
        ..FaultConfig::default()
    }
}

fn heavy_faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        drop_mid_article: 0.15,
        reject_441: 0.08,
        reject_503: 0.05,
        stall_mid_article: 0.06,
        greet_400: 0.1,
        drop_after_article: 0.05,
        article_bytes_hint: 20_000,
        ..FaultConfig::default()
    }
}

fn config(server: ServerConfig, check: Option<ServerConfig>) -> PostConfig {
    let mut cfg = PostConfig::new(vec![server]);
    cfg.retry = RetryPolicy {
        max_attempts: 30,
        connect_attempts: 10,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        ..RetryPolicy::default()
    };
    // The check goes straight to the server, past the proxy.
    cfg.check = Some(CheckConfig {
        delay: Duration::from_millis(50),
        server: check,
        connections: 2,
    });
    cfg
}

fn stall_timeout(mut s: ServerConfig) -> ServerConfig {
    s.timeouts.io = Duration::from_millis(1500);
    s
}

fn assert_no_loss(report: &PostReport, count: usize) {
    assert_eq!(report.articles, count as u64, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(report.unconfirmed.is_empty(), "{report:?}");
    assert!(report.missing.is_empty(), "{report:?}");
    assert_eq!(report.checked, count as u64, "{report:?}");
}

async fn spool_run(faults: FaultConfig, count: usize, size: usize) -> (PostReport, FaultStats) {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    let server = SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
        .await
        .unwrap();
    let proxy = FaultProxy::start("127.0.0.1:0".parse().unwrap(), server.local_addr(), faults)
        .await
        .unwrap();
    let tag = run_tag();
    let cfg = config(
        stall_timeout(common::plain(proxy.local_addr(), 6)),
        Some(common::plain(server.local_addr(), 2)),
    );
    let report = post_all(cfg, &tag, count, size).await;
    assert_no_loss(&report, count);

    // Exactly once: one file per article, no second full copy ever reached
    // the spool, and each file holds what was sent.
    let spool = server.spool().clone();
    assert_eq!(spool.article_files().unwrap().len(), count);
    assert_eq!(spool.stats().stored, count as u64);
    assert_eq!(spool.stats().duplicates, 0, "an article was posted twice");
    common::assert_all_stored(&common::plain(server.local_addr(), 1), &tag, count, size).await;
    let stats = proxy.stats();
    println!(
        "retries {} confirmed_by_stat {} elapsed {:?}; proxy {stats:?}",
        report.retries, report.confirmed_by_stat, report.elapsed
    );
    server.shutdown().await;
    (report, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_behind_bar_faults_gets_every_article_once() {
    let (report, stats) = spool_run(bar_faults(7), 400, 16 * 1024).await;
    assert!(
        stats.dropped + stats.stalled + stats.rejected_441 > 0,
        "{stats:?}"
    );
    assert!(report.retries > 0, "{report:?} {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_behind_heavy_faults_gets_every_article_once() {
    let (report, stats) = spool_run(heavy_faults(11), 150, 16 * 1024).await;
    for (what, n) in [
        ("drops", stats.dropped),
        ("stalls", stats.stalled),
        ("441", stats.rejected_441),
        ("503", stats.rejected_503),
        ("400 greetings", stats.greeted_400),
        ("lost replies", stats.replies_lost),
    ] {
        assert!(n > 0, "no {what} injected: {stats:?}");
    }
    assert!(
        report.retries >= stats.dropped + stats.stalled + stats.rejected_441,
        "{report:?} {stats:?}"
    );
    // Each lost reply left the article on the server: found by STAT, not re-sent.
    assert_eq!(
        report.confirmed_by_stat, stats.replies_lost,
        "{report:?} {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inn2_behind_bar_faults_gets_every_article_once() {
    let inn = ap_tests::inn2();
    let inn_addr: SocketAddr = inn.addr.parse().unwrap();
    let login = |s: ServerConfig| s.login(inn.user.clone(), Password::new(inn.pass.clone()));
    // The bar's faults plus 2% of replies lost after INN2 took the article.
    let faults = FaultConfig {
        drop_after_article: 0.02,
        ..bar_faults(3)
    };
    let proxy = FaultProxy::start("127.0.0.1:0".parse().unwrap(), inn_addr, faults)
        .await
        .unwrap();
    let tag = run_tag();
    let count = 300;
    let size = 16 * 1024;
    let cfg = config(
        login(stall_timeout(common::plain(proxy.local_addr(), 6))),
        Some(login(common::plain(inn_addr, 2))),
    );
    let report = post_all(cfg, &tag, count, size).await;
    assert_no_loss(&report, count);
    let stats = proxy.stats();
    println!(
        "retries {} confirmed_by_stat {} elapsed {:?}; proxy {stats:?}",
        report.retries, report.confirmed_by_stat, report.elapsed
    );
    assert!(
        stats.dropped + stats.stalled + stats.rejected_441 > 0,
        "{stats:?}"
    );
    assert_eq!(
        report.confirmed_by_stat, stats.replies_lost,
        "{report:?} {stats:?}"
    );
    // INN2 keeps one copy per Message-ID; each must be there and whole.
    common::assert_all_stored(&login(common::plain(inn_addr, 1)), &tag, count, size).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reposting_a_set_confirms_duplicates_and_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    let server = SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
        .await
        .unwrap();
    let tag = run_tag();
    let target = common::plain(server.local_addr(), 3);
    let first = post_all(config(target.clone(), None), &tag, 40, 4096).await;
    assert_no_loss(&first, 40);
    // Same Message-IDs again: the spool answers 441 435, the client
    // confirms each with STAT and counts it posted, not lost, not twice.
    let second = post_all(config(target, None), &tag, 40, 4096).await;
    assert_no_loss(&second, 40);
    assert_eq!(second.confirmed_by_stat, 40, "{second:?}");
    let stats = server.spool().stats();
    assert_eq!((stats.stored, stats.duplicates), (40, 40));
    assert_eq!(server.spool().article_files().unwrap().len(), 40);
    server.shutdown().await;
}

/// A server that refuses every article (here: the proxy answers each POST
/// with 441) stops the job after a few articles with one error that names
/// the host and the reply, instead of taking every article through all its
/// attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refusing_every_article_stops_the_job_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    let server = SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
        .await
        .unwrap();
    let faults = FaultConfig {
        reject_441: 1.0,
        ..FaultConfig::default()
    };
    let proxy = FaultProxy::start("127.0.0.1:0".parse().unwrap(), server.local_addr(), faults)
        .await
        .unwrap();
    let mut cfg = PostConfig::new(vec![common::plain(proxy.local_addr(), 3)]);
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_failed_in_a_row: 4,
        ..RetryPolicy::default()
    };
    let tag = run_tag();
    let (queue, job) = ap_nntp_post::Poster::start(cfg, None).unwrap();
    let producer = tokio::spawn(async move {
        for i in 0..500 {
            // Sending fails once the job has stopped: that is the point.
            if queue
                .send(common::article(&tag, i, body(i as u64, 4096)))
                .await
                .is_err()
            {
                return i;
            }
        }
        500
    });
    let err = job.finish().await.unwrap_err();
    let queued = producer.await.unwrap();
    let text = err.to_string();
    assert!(
        matches!(err, ap_nntp_post::Error::Refusing { count: 4, .. }),
        "{text}"
    );
    assert!(text.contains("127.0.0.1") && text.contains("441"), "{text}");
    assert!(queued < 500, "the job went on taking articles: {queued}");
    assert_eq!(server.spool().stats().stored, 0);
    server.shutdown().await;
}
