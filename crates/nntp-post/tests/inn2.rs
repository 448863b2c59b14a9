//! Against the real INN2: the full-size bar (300 articles of 700 KiB over 8
//! connections), read back by Message-ID, and the one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use ap_nntp_post::{Connection, Error, Password, PostConfig, ServerConfig, TlsMode};
use common::run_tag;

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
    common::round_trip(
        &server,
        &run_tag(),
        300,
        700 * 1024,
        Duration::from_millis(200),
    )
    .await;
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
