//! Where to connect and how: address, TLS mode, login and timeouts.
//! Kept apart from the connection code so a configuration can be built,
//! checked and cloned without touching the network.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// A password that never shows up in Debug output, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Arc<str>);

impl Password {
    /// Wraps a password read from a file, standard input or the environment.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(Arc::from(secret.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP (loopback, the embedded spool, test servers).
    None,
    /// TLS from the first byte (port 563), the common provider setup.
    Implicit,
    /// Plain connect, then STARTTLS (RFC 4642) before the login.
    StartTls,
}

/// Timeouts that turn a stalled socket into a retry instead of a hang.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// Longest wait for any reply line, or for the socket to take any more
    /// of an article.
    pub io: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(30),
            io: Duration::from_secs(60),
        }
    }
}

/// One news server and how many connections to open to it.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host name or IP address, also the TLS server name.
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// PEM file with extra trust anchors, for private servers.
    pub ca_file: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<Password>,
    /// Connections the pool opens to this server.
    pub connections: usize,
    pub timeouts: Timeouts,
}

impl ServerConfig {
    /// A plain-text server at `host:port` with one connection.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ServerConfig {
            host: host.into(),
            port,
            tls: TlsMode::None,
            ca_file: None,
            user: None,
            password: None,
            connections: 1,
            timeouts: Timeouts::default(),
        }
    }

    /// Parses `nntp://[user@]host[:port]`, `nntps://...` (implicit TLS, port
    /// 563) or `nntp+starttls://...`. A bare `host:port` means plain NNTP.
    /// The password is never part of the address: set it with
    /// [`ServerConfig::login`].
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |why| Error::Address {
            input: input.to_string(),
            why,
        };
        let (tls, rest) = if let Some(r) = input.strip_prefix("nntps://") {
            (TlsMode::Implicit, r)
        } else if let Some(r) = input.strip_prefix("nntp+starttls://") {
            (TlsMode::StartTls, r)
        } else if let Some(r) = input.strip_prefix("nntp://") {
            (TlsMode::None, r)
        } else if input.contains("://") {
            return Err(bad("unknown scheme"));
        } else {
            (TlsMode::None, input)
        };
        let rest = rest.trim_end_matches('/');
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => {
                if u.contains(':') {
                    return Err(bad("passwords do not belong in the address"));
                }
                (Some(u.to_string()), h)
            }
            None => (None, rest),
        };
        let default_port = if tls == TlsMode::Implicit { 563 } else { 119 };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, tail) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            let port = match tail.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad("bad port"))?,
                None if tail.is_empty() => default_port,
                None => return Err(bad("junk after ']'")),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad("bad port"))?),
                None => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut cfg = ServerConfig::new(host, port);
        cfg.tls = tls;
        cfg.user = user;
        Ok(cfg)
    }

    /// Sets the login.
    pub fn login(mut self, user: impl Into<String>, password: Password) -> Self {
        self.user = Some(user.into());
        self.password = Some(password);
        self
    }

    /// Sets the number of connections.
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n;
        self
    }

    /// `host:port`, as named in errors and events.
    pub fn display_name(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        let c = ServerConfig::parse("nntps://bob@news.example.net").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("news.example.net", 563, TlsMode::Implicit)
        );
        assert_eq!(c.user.as_deref(), Some("bob"));
        let c = ServerConfig::parse("127.0.0.1:1119").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("127.0.0.1", 1119, TlsMode::None)
        );
        let c = ServerConfig::parse("nntp+starttls://[::1]:1119").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("::1", 1119, TlsMode::StartTls)
        );
        assert!(ServerConfig::parse("nntp://bob:secret@h").is_err());
        assert!(ServerConfig::parse("http://h").is_err());
    }

    #[test]
    fn password_is_hidden() {
        let c = ServerConfig::new("h", 119).login("u", Password::new("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
