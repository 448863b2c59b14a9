//! The embedded spool passes the same round trip as INN2: 300 articles of
//! 700 KiB over 8 connections, all present, every body read back equal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{Connection, Error, Password};
use common::{body, run_tag};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_300_articles_of_700k_over_8_connections_all_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let login = Some(("poster".to_string(), "spool-pw".to_string()));
    let spool = Spool::open(
        dir.path(),
        SpoolConfig {
            login,
            ..SpoolConfig::default()
        },
    )
    .unwrap();
    let server = SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
        .await
        .unwrap();
    let target = common::plain(server.local_addr(), 8).login("poster", Password::new("spool-pw"));
    let count = 300;
    common::round_trip(
        &target,
        &run_tag(),
        count,
        700 * 1024,
        Duration::from_millis(100),
    )
    .await;
    assert_eq!(server.spool().article_files().unwrap().len(), count);

    // The spool's own login check gives the client's one-line auth error.
    let mut wrong = target.clone();
    wrong.password = Some(Password::new("nope-nope"));
    let err = Connection::connect(&wrong).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn spool_rejects_oversized_articles_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(
        dir.path(),
        SpoolConfig {
            max_article_size: 10_000,
            ..SpoolConfig::default()
        },
    )
    .unwrap();
    let server = SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
        .await
        .unwrap();
    let mut conn = Connection::connect(&common::plain(server.local_addr(), 1))
        .await
        .unwrap();
    let big = common::article("big", 0, body(1, 20_000));
    let reply = conn.post(&big, None, |_| {}).await.unwrap();
    assert!(
        matches!(reply, ap_nntp_post::PostReply::Rejected(ref r) if r.code == 441),
        "{reply:?}"
    );
    let small = common::article("small", 0, body(2, 2_000));
    assert_eq!(
        conn.post(&small, None, |_| {}).await.unwrap(),
        ap_nntp_post::PostReply::Accepted
    );
    assert!(!conn.stat(big.message_id()).await.unwrap());
    let head = conn.head(small.message_id()).await.unwrap().unwrap();
    assert!(
        head.starts_with(b"From: ") && head.ends_with(b"\r\n"),
        "{head:?}"
    );
    let art = conn.article(small.message_id()).await.unwrap().unwrap();
    assert_eq!(art.len(), head.len() + 2 + body(2, 2_000).len());
    conn.quit().await;
    server.shutdown().await;
}
