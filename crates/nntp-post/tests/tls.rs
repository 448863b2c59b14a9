//! TLS: implicit TLS and STARTTLS to a server whose certificate comes from a
//! private CA given as a file, and the one-line error when the CA is not
//! trusted. A small TLS front (tokio-rustls server side) sits before the
//! embedded spool, as a provider's TLS terminator would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{Connection, Error, PostConfig, PostReply, ServerConfig, TlsMode};
use common::{article, body, message_id, post_all, run_tag};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A private CA and a `localhost` certificate signed by it; returns the
/// acceptor and the CA's PEM file.
fn pki(dir: &std::path::Path) -> (TlsAcceptor, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (TlsAcceptor::from(Arc::new(config)), ca_file)
}

async fn read_line(s: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while s.read_exact(&mut b).await.is_ok() {
        line.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&line).trim_end().to_string()
}

/// Serves TLS in front of `upstream`: from the first byte, or after a
/// plain-text greeting, CAPABILITIES and STARTTLS.
async fn tls_front(upstream: SocketAddr, acceptor: TlsAcceptor, starttls: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if starttls {
                    tcp.write_all(b"200 ready\r\n").await.unwrap();
                    loop {
                        match read_line(&mut tcp).await.as_str() {
                            "CAPABILITIES" => tcp
                                .write_all(b"101 caps\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n")
                                .await
                                .unwrap(),
                            "STARTTLS" => {
                                tcp.write_all(b"382 begin TLS\r\n").await.unwrap();
                                break;
                            }
                            "" => return,
                            _ => tcp.write_all(b"483 use STARTTLS first\r\n").await.unwrap(),
                        }
                    }
                }
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut up = TcpStream::connect(upstream).await.unwrap();
                if starttls {
                    // The client already had its greeting.
                    read_line(&mut up).await;
                }
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    addr
}

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
    let (acceptor, ca) = pki(dir.path());
    let front = tls_front(server.local_addr(), acceptor, false).await;
    let target = tls_target(front, TlsMode::Implicit, Some(ca));
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
    let (acceptor, ca) = pki(dir.path());
    let front = tls_front(server.local_addr(), acceptor, true).await;
    let mut conn = Connection::connect(&tls_target(front, TlsMode::StartTls, Some(ca)))
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
    let (acceptor, _) = pki(dir.path());
    let front = tls_front(server.local_addr(), acceptor, false).await;
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
