//! A TLS terminator in front of a plain news server, as a provider runs one:
//! a private CA (written as a PEM file for the client's `ca_file`) and a
//! `localhost` certificate signed by it, served with implicit TLS or after
//! a plain greeting and STARTTLS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A running front: where it listens and the CA file that trusts it.
#[derive(Debug, Clone)]
pub struct TlsFront {
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
}

/// Starts a front for `upstream` on a free loopback port, on the current
/// tokio runtime; the CA file goes into `dir`.
///
/// # Panics
/// When the certificates cannot be made or the port bound: test setup.
pub async fn start(upstream: SocketAddr, dir: &Path, starttls: bool) -> TlsFront {
    let (acceptor, ca_file) = pki(dir);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the TLS front");
    let addr = listener.local_addr().expect("the front's address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(tcp, upstream, acceptor.clone(), starttls));
        }
    });
    TlsFront { addr, ca_file }
}

fn pki(dir: &Path) -> (TlsAcceptor, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("server params")
        .signed_by(&key, &issuer)
        .expect("server certificate");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).expect("writing the CA file");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server certificate chain");
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

async fn serve(mut tcp: TcpStream, upstream: SocketAddr, acceptor: TlsAcceptor, starttls: bool) {
    if starttls {
        if tcp.write_all(b"200 ready\r\n").await.is_err() {
            return;
        }
        loop {
            let reply: &[u8] = match read_line(&mut tcp).await.as_str() {
                "CAPABILITIES" => b"101 caps\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n",
                "STARTTLS" => b"382 begin TLS\r\n",
                "" => return,
                _ => b"483 use STARTTLS first\r\n",
            };
            if tcp.write_all(reply).await.is_err() {
                return;
            }
            if reply.starts_with(b"382") {
                break;
            }
        }
    }
    let Ok(mut tls) = acceptor.accept(tcp).await else {
        return;
    };
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return;
    };
    if starttls {
        // The client already had its greeting.
        read_line(&mut up).await;
    }
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
}
