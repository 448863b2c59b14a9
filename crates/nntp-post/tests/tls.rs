//! TLS: implicit TLS and STARTTLS to a server whose certificate comes from a
//! private CA given as a file, and the one-line error when the CA is not
//! trusted. A small TLS front (`ap_tests::tls`, tokio-rustls) sits before the
//! embedded spool, as a provider's TLS terminator would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{Connection, Error, PostConfig, PostReply, ServerConfig, TlsMode};
use ap_tests::tls;
use common::{article, body, message_id, post_all, run_tag};

async fn spool() -> (SpoolServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool"), SpoolConfig::default()).unwrap();
    (
        SpoolServer::bind("127.0.0.1:0".parse().unwrap(), spool)
            .await
            .unwrap(),
        dir,
    )
}

fn tls_target(addr: SocketAddr, mode: TlsMode, ca: Option<PathBuf>) -> ServerConfig {
    let mut s = ServerConfig::new("localhost", addr.port()).connections(2);
    s.tls = mode;
    s.ca_file = ca;
    s
}

#[tokio::test]
async fn implicit_tls_with_a_private_ca_posts_and_reads_back() {
    let (server, dir) = spool().await;
    let front = tls::start(server.local_addr(), dir.path(), false).await;
    let target = tls_target(front.addr, TlsMode::Implicit, Some(front.ca_file));
    let tag = run_tag();
    let report = post_all(PostConfig::new(vec![target.clone()]), &tag, 6, 50_000).await;
    assert_eq!(report.articles, 6, "{report:?}");
    let mut conn = Connection::connect(&target).await.unwrap();
    let got = conn.body(&message_id(&tag, 4)).await.unwrap().unwrap();
    assert!(got == body(4, 50_000));
    conn.quit().await;
    assert_eq!(server.spool().stats().stored, 6);
}

#[tokio::test]
async fn starttls_with_a_private_ca_posts() {
    let (server, dir) = spool().await;
    let front = tls::start(server.local_addr(), dir.path(), true).await;
    let mut conn = Connection::connect(&tls_target(
        front.addr,
        TlsMode::StartTls,
        Some(front.ca_file),
    ))
    .await
    .unwrap();
    let a = article("starttls", 1, body(9, 3000));
    assert_eq!(
        conn.post(&a, None, |_| {}).await.unwrap(),
        PostReply::Accepted
    );
    assert!(conn.stat(a.message_id()).await.unwrap());
    conn.quit().await;
}

#[tokio::test]
async fn untrusted_certificate_is_one_clear_tls_error() {
    let (server, dir) = spool().await;
    let front = tls::start(server.local_addr(), dir.path(), false)
        .await
        .addr;
    let err = Connection::connect(&tls_target(front, TlsMode::Implicit, None))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        !msg.contains('\n') && msg.contains(&format!("localhost:{}", front.port())),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");

    let missing = tls_target(front, TlsMode::Implicit, Some(dir.path().join("nope.pem")));
    let err = Connection::connect(&missing).await.unwrap_err();
    assert!(matches!(err, Error::CaFile { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.pem"), "{err}");
}
