//! TLS setup: system trust anchors plus an optional CA file, with the `ring`
//! provider. Built once per server and shared by its connections.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

use crate::error::{Error, Result};
use crate::server::{ServerConfig, TlsMode};

/// A connector for `server`, or `None` for plain connections.
pub(crate) fn connector(server: &ServerConfig) -> Result<Option<TlsConnector>> {
    if server.tls == TlsMode::None {
        return Ok(None);
    }
    let mut roots = RootCertStore::empty();
    // Unreadable system entries are skipped: a CA file may still suffice.
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = &server.ca_file {
        add_ca_file(&mut roots, path)?;
    }
    if roots.is_empty() {
        return Err(Error::NoRoots {
            host: server.display_name(),
        });
    }
    let provider = Arc::new(crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(TlsConnector::from(Arc::new(config))))
}

fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<()> {
    let bad = |detail: String| Error::CaFile {
        path: path.to_path_buf(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    for cert in certs {
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}
