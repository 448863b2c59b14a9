//! Against the real INN2: the full-size bar (300 articles of 700 KiB over 8
//! connections), read back by Message-ID, and the one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use ap_nntp_post::{CheckConfig, Connection, Error, Password, PostConfig, ServerConfig, TlsMode};
use common::{assert_decodes_to, message_id, post_yenc, run_tag};

fn inn2_server(connections: usize) -> (ServerConfig, ap_tests::NewsServer) {
    let inn = ap_tests::inn2();
    let addr: std::net::SocketAddr = inn.addr.parse().unwrap();
    let s =
        common::plain(addr, connections).login(inn.user.clone(), Password::new(inn.pass.clone()));
    (s, inn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inn2_300_articles_of_700k_over_8_connections_all_read_back() {
    let (server, _) = inn2_server(8);
    let tag = run_tag();
    let (count, size) = (300, 700 * 1024);
    let mut cfg = PostConfig::new(vec![server.clone()]);
    cfg.check = Some(CheckConfig {
        delay: Duration::from_millis(200),
        server: None,
        connections: 2,
    });
    let report = post_yenc(cfg, &tag, count, size).await;
    assert_eq!(report.articles, count as u64, "{report:?}");
    assert!(
        report.failed.is_empty() && report.missing.is_empty(),
        "{report:?}"
    );
    assert_eq!(report.checked, count as u64);

    // Read every body back over 4 connections and compare byte for byte.
    let mut readers = Vec::new();
    for r in 0..4 {
        let (server, tag) = (server.clone(), tag.clone());
        readers.push(tokio::spawn(async move {
            let mut conn = Connection::connect(&server).await.unwrap();
            for i in (r..count).step_by(4) {
                let id = message_id(&tag, i);
                assert!(conn.stat(&id).await.unwrap(), "{id} missing");
                let got = conn.body(&id).await.unwrap().expect("body");
                assert_decodes_to(&got, i, size);
            }
            conn.quit().await;
        }));
    }
    for r in readers {
        r.await.unwrap();
    }
}

fn one_line(e: &Error, host: &str) -> String {
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains(host), "{msg} does not name {host}");
    msg
}

#[tokio::test]
async fn wrong_password_is_one_clear_error_without_the_password() {
    let (mut server, inn) = inn2_server(1);
    server.password = Some(Password::new("not-the-right-pw-42"));
    let err = Connection::connect(&server).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let msg = one_line(&err, &inn.addr);
    assert!(
        !msg.contains("not-the-right-pw-42") && !format!("{err:?}").contains("not-the-right-pw-42")
    );
    assert!(msg.contains(&inn.user));

    // The pool stops with the same error instead of retrying forever.
    let (queue, job) =
        ap_nntp_post::Poster::start(PostConfig::new(vec![server.connections(3)]), None).unwrap();
    drop(queue);
    let err = job.finish().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn unreachable_host_is_one_clear_error() {
    // Port 9 on loopback: nothing listens there.
    let mut server = ServerConfig::new("127.0.0.1", 9).connections(2);
    server.timeouts.connect = Duration::from_secs(2);
    let err = Connection::connect(&server).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    one_line(&err, "127.0.0.1:9");
    let mut cfg = PostConfig::new(vec![server]);
    cfg.retry.backoff = Duration::from_millis(10);
    let (queue, job) = ap_nntp_post::Poster::start(cfg, None).unwrap();
    drop(queue);
    let err = job.finish().await.unwrap_err();
    one_line(&err, "127.0.0.1:9");
}

#[tokio::test]
async fn tls_to_a_plain_port_is_one_clear_error() {
    let (mut server, inn) = inn2_server(1);
    server.tls = TlsMode::Implicit;
    let err = Connection::connect(&server).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    one_line(&err, &inn.addr);
}

#[tokio::test]
async fn garbage_speaking_server_is_one_clear_error() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let err = Connection::connect(&common::plain(addr, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    let msg = one_line(&err, &addr.to_string());
    assert!(msg.contains("HTTP/1.1"), "{msg}");
}
