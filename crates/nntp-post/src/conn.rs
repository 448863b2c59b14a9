//! One NNTP session: connect, greeting, CAPABILITIES, STARTTLS, MODE READER,
//! AUTHINFO, then POST and the by-Message-ID reads. Every read and write runs
//! under a timeout, so a stalled socket becomes an error, never a hang.

use std::future::Future;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::article::{Article, check_message_id};
use crate::error::{Error, Result};
use crate::rate::RateLimiter;
use crate::server::{ServerConfig, TlsMode};
use crate::wire::{Reply, sample, unstuff_line};

/// Longest reply or article line accepted; more means a broken peer.
const MAX_LINE: usize = 64 * 1024;
/// Under a rate limit, articles are written in pieces this big, each booked
/// with the limiter, so the pace stays even.
const PACED_CHUNK: usize = 256 * 1024;
/// Without one, in pieces up to this big: a usual article (up to 1 MiB)
/// goes to the kernel in one call, which on loopback cost 7% less CPU than
/// three 256 KiB calls. Progress events come once a piece.
const CHUNK: usize = 1024 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a POST ended when the connection itself stayed usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostReply {
    /// 240.
    Accepted,
    /// 44x after the article was sent, or 440 before.
    Rejected(Reply),
}

/// An open, logged-in NNTP connection.
pub struct Connection {
    io: BufReader<Box<dyn Io>>,
    host: Arc<str>,
    io_timeout: Duration,
    line: Vec<u8>,
    /// Set once an article's terminator went out and cleared by its reply:
    /// a connection lost in between may have delivered the article.
    pub(crate) article_in_flight: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .finish()
    }
}

impl Connection {
    /// Connects to `server`, reads the greeting, negotiates TLS and logs in.
    pub async fn connect(server: &ServerConfig) -> Result<Connection> {
        let tls = crate::tls::connector(server)?;
        Self::connect_with(server, tls.as_ref()).await
    }

    pub(crate) async fn connect_with(
        server: &ServerConfig,
        tls: Option<&TlsConnector>,
    ) -> Result<Connection> {
        let host: Arc<str> = Arc::from(server.display_name());
        let t = server.timeouts.connect;
        let tcp = within(t, &host, "connect", async {
            TcpStream::connect((server.host.as_str(), server.port))
                .await
                .map_err(|source| Error::Connect {
                    host: host.to_string(),
                    source,
                })
        })
        .await?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match (server.tls, tls) {
            (TlsMode::Implicit, Some(tls)) => Box::new(handshake(tls, server, &host, tcp).await?),
            _ => Box::new(tcp),
        };
        let mut conn = Connection {
            io: BufReader::with_capacity(16 * 1024, io),
            host,
            io_timeout: server.timeouts.io,
            line: Vec::with_capacity(256),
            article_in_flight: false,
        };
        let greeting = conn.reply("greeting").await?;
        match greeting.code {
            200 | 201 => {}
            400 | 502 => {
                return Err(Error::Unavailable {
                    host: conn.host(),
                    reply: greeting.to_string(),
                });
            }
            _ => {
                return Err(Error::Protocol {
                    host: conn.host(),
                    sample: sample(greeting.to_string().as_bytes()),
                });
            }
        }
        let mut caps = conn.capabilities().await?;
        if server.tls == TlsMode::StartTls {
            let tls =
                tls.ok_or_else(|| Error::Config("STARTTLS without a TLS connector".into()))?;
            let r = conn.command("STARTTLS", b"STARTTLS\r\n").await?;
            if r.code != 382 {
                return Err(Error::Tls {
                    host: conn.host(),
                    source: std::io::Error::other(format!("STARTTLS refused: {r}")),
                });
            }
            let inner = std::mem::replace(
                &mut conn.io,
                BufReader::new(Box::new(tokio::io::empty()) as Box<dyn Io>),
            );
            let stream = handshake(tls, server, &conn.host, inner.into_inner()).await?;
            conn.io = BufReader::with_capacity(16 * 1024, Box::new(stream));
            caps = conn.capabilities().await?;
        }
        if caps.iter().any(|c| c == "MODE-READER") {
            conn.command("MODE READER", b"MODE READER\r\n").await?;
        }
        if let (Some(user), Some(pass)) = (&server.user, &server.password) {
            conn.login(user, pass.expose()).await?;
        }
        Ok(conn)
    }

    fn host(&self) -> String {
        self.host.to_string()
    }

    async fn login(&mut self, user: &str, pass: &str) -> Result<()> {
        let host = self.host();
        let denied = |r: &Reply| Error::Auth {
            host: host.clone(),
            user: user.to_string(),
            reply: r.to_string(),
        };
        let r = self
            .command(
                "AUTHINFO USER",
                format!("AUTHINFO USER {user}\r\n").as_bytes(),
            )
            .await?;
        let r = match r.code {
            281 => return Ok(()),
            381 => {
                self.command(
                    "AUTHINFO PASS",
                    format!("AUTHINFO PASS {pass}\r\n").as_bytes(),
                )
                .await?
            }
            _ => return Err(denied(&r)),
        };
        if r.code == 281 {
            Ok(())
        } else {
            Err(denied(&r))
        }
    }

    /// The capability labels (upper case), or none when the server predates
    /// CAPABILITIES.
    async fn capabilities(&mut self) -> Result<Vec<String>> {
        let r = self.command("CAPABILITIES", b"CAPABILITIES\r\n").await?;
        if r.code != 101 {
            return Ok(Vec::new());
        }
        let block = self.read_block("CAPABILITIES").await?;
        Ok(block
            .split(|&b| b == b'\n')
            .filter_map(|l| l.split(|&b| b == b' ' || b == b'\r').next())
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
            .collect())
    }

    /// Sends one command line and reads its status line. 480 (login needed)
    /// becomes [`Error::AuthRequired`].
    async fn command(&mut self, name: &'static str, line: &[u8]) -> Result<Reply> {
        self.write(name, line).await?;
        self.io_flush(name).await?;
        let r = self.reply(name).await?;
        if r.code == 480 {
            return Err(Error::AuthRequired { host: self.host() });
        }
        Ok(r)
    }

    /// Posts `article`. `Ok` means the connection is still in step with the
    /// server; errors mean it must be dropped.
    pub async fn post(
        &mut self,
        article: &Article,
        limiter: Option<&RateLimiter>,
        mut sent: impl FnMut(u64),
    ) -> Result<PostReply> {
        let r = self.command("POST", b"POST\r\n").await?;
        match r.code {
            340 => {}
            440 => {
                return Err(Error::PostingNotAllowed {
                    host: self.host(),
                    reply: r.to_string(),
                });
            }
            400 | 403 | 441 | 500..=599 => return Ok(PostReply::Rejected(r)),
            _ => return Err(self.unexpected("POST", r)),
        }
        // Head, body and terminator go out together: one write call per
        // chunk, no small segment of its own for the head or the dot.
        let parts = [&article.head()[..], &article.wire_body()[..], b".\r\n"];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let chunk = if limiter.is_some() {
            PACED_CHUNK
        } else {
            CHUNK
        };
        let mut done = 0;
        while done < total {
            let n = (total - done).min(chunk);
            if let Some(l) = limiter {
                l.acquire(n as u64).await;
            }
            self.write_parts("POST data", &parts, done, n).await?;
            // Progress counts article bytes, not the terminator.
            let data = (total - 3).saturating_sub(done).min(n);
            done += n;
            if done == total {
                self.article_in_flight = true;
            }
            if data > 0 {
                sent(data as u64);
            }
        }
        self.io_flush("POST data").await?;
        let r = self.reply("POST reply").await?;
        self.article_in_flight = false;
        match r.code {
            240 => Ok(PostReply::Accepted),
            400..=599 => Ok(PostReply::Rejected(r)),
            _ => Err(self.unexpected("POST", r)),
        }
    }

    /// STAT by Message-ID: whether the server has the article.
    pub async fn stat(&mut self, message_id: &str) -> Result<bool> {
        check_message_id(message_id)?;
        let r = self
            .command("STAT", format!("STAT {message_id}\r\n").as_bytes())
            .await?;
        match r.code {
            223 => Ok(true),
            430 => Ok(false),
            _ => Err(self.unexpected("STAT", r)),
        }
    }

    /// HEAD by Message-ID: the header block, or `None` for 430.
    pub async fn head(&mut self, message_id: &str) -> Result<Option<Bytes>> {
        self.fetch("HEAD", 221, message_id).await
    }

    /// BODY by Message-ID, dot-stuffing removed, or `None` for 430.
    pub async fn body(&mut self, message_id: &str) -> Result<Option<Bytes>> {
        self.fetch("BODY", 222, message_id).await
    }

    /// ARTICLE by Message-ID (headers, empty line, body), or `None` for 430.
    pub async fn article(&mut self, message_id: &str) -> Result<Option<Bytes>> {
        self.fetch("ARTICLE", 220, message_id).await
    }

    async fn fetch(
        &mut self,
        cmd: &'static str,
        ok: u16,
        message_id: &str,
    ) -> Result<Option<Bytes>> {
        check_message_id(message_id)?;
        let r = self
            .command(cmd, format!("{cmd} {message_id}\r\n").as_bytes())
            .await?;
        if r.code == 430 {
            return Ok(None);
        }
        if r.code != ok {
            return Err(self.unexpected(cmd, r));
        }
        Ok(Some(self.read_block(cmd).await?))
    }

    /// Says goodbye; errors are ignored since the socket closes anyway.
    pub async fn quit(mut self) {
        let _ = self.command("QUIT", b"QUIT\r\n").await;
    }

    fn unexpected(&self, command: &'static str, r: Reply) -> Error {
        Error::Unexpected {
            host: self.host(),
            command,
            code: r.code,
            text: r.text,
        }
    }

    async fn write(&mut self, during: &'static str, bytes: &[u8]) -> Result<()> {
        let (host, t) = (self.host.clone(), self.io_timeout);
        let io = self.io.get_mut();
        within(t, &host, during, async {
            io.write_all(bytes).await.map_err(|source| Error::Io {
                host: host.to_string(),
                source,
            })
        })
        .await
    }

    /// Writes bytes `from..from + len` of the concatenation of `parts`, with
    /// vectored writes. The timeout is for each write: a socket that takes
    /// no byte for that long has stalled, while a slow one that keeps
    /// taking bytes is never cut off however big the piece.
    async fn write_parts(
        &mut self,
        during: &'static str,
        parts: &[&[u8]],
        from: usize,
        len: usize,
    ) -> Result<()> {
        let (host, t) = (self.host.clone(), self.io_timeout);
        let io = self.io.get_mut();
        let (mut at, end) = (from, from + len);
        while at < end {
            let slices = window(parts, at, end);
            let n = within(t, &host, during, async {
                io.write_vectored(&slices)
                    .await
                    .map_err(|source| Error::Io {
                        host: host.to_string(),
                        source,
                    })
            })
            .await?;
            if n == 0 {
                return Err(Error::Io {
                    host: host.to_string(),
                    source: std::io::ErrorKind::WriteZero.into(),
                });
            }
            at += n;
        }
        Ok(())
    }

    async fn io_flush(&mut self, during: &'static str) -> Result<()> {
        let (host, t) = (self.host.clone(), self.io_timeout);
        let io = self.io.get_mut();
        within(t, &host, during, async {
            io.flush().await.map_err(|source| Error::Io {
                host: host.to_string(),
                source,
            })
        })
        .await
    }

    /// Reads one line (CRLF kept) into `self.line`.
    async fn read_line(&mut self, during: &'static str) -> Result<()> {
        self.line.clear();
        let (host, t) = (self.host.clone(), self.io_timeout);
        let (io, line) = (&mut self.io, &mut self.line);
        within(t, &host, during, async {
            let io_err = |source| Error::Io {
                host: host.to_string(),
                source,
            };
            loop {
                let buf = io.fill_buf().await.map_err(io_err)?;
                if buf.is_empty() {
                    return Err(io_err(std::io::ErrorKind::UnexpectedEof.into()));
                }
                if let Some(i) = memchr::memchr(b'\n', buf) {
                    line.extend_from_slice(&buf[..=i]);
                    io.consume(i + 1);
                    return Ok(());
                }
                let n = buf.len();
                line.extend_from_slice(buf);
                io.consume(n);
                if line.len() > MAX_LINE {
                    return Err(Error::Protocol {
                        host: host.to_string(),
                        sample: sample(line),
                    });
                }
            }
        })
        .await
    }

    async fn reply(&mut self, during: &'static str) -> Result<Reply> {
        self.read_line(during).await?;
        let trimmed = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        Reply::parse(trimmed).ok_or_else(|| Error::Protocol {
            host: self.host(),
            sample: sample(&self.line),
        })
    }

    /// Reads a multi-line block up to the lone dot, removing dot-stuffing.
    async fn read_block(&mut self, during: &'static str) -> Result<Bytes> {
        let mut out = BytesMut::new();
        loop {
            self.read_line(during).await?;
            if self.line == b".\r\n" || self.line == b".\n" {
                return Ok(out.freeze());
            }
            out.extend_from_slice(unstuff_line(&self.line));
        }
    }
}

/// The slices covering bytes `from..to` of the concatenation of `parts`.
fn window<'a>(parts: &[&'a [u8]], from: usize, to: usize) -> Vec<IoSlice<'a>> {
    let mut out = Vec::with_capacity(parts.len());
    let mut base = 0;
    for p in parts {
        let (lo, hi) = (from.max(base), to.min(base + p.len()));
        if lo < hi {
            out.push(IoSlice::new(&p[lo - base..hi - base]));
        }
        base += p.len();
    }
    out
}

async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &TlsConnector,
    server: &ServerConfig,
    host: &Arc<str>,
    stream: S,
) -> Result<tokio_rustls::client::TlsStream<S>> {
    let name = ServerName::try_from(server.host.clone()).map_err(|e| Error::Tls {
        host: host.to_string(),
        source: std::io::Error::other(e),
    })?;
    within(server.timeouts.connect, host, "TLS handshake", async {
        tls.connect(name, stream)
            .await
            .map_err(|source| Error::Tls {
                host: host.to_string(),
                source,
            })
    })
    .await
}

async fn within<T>(
    t: Duration,
    host: &str,
    during: &'static str,
    f: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(t, f).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            host: host.to_string(),
            secs: t.as_secs().max(1),
            during,
        }),
    }
}
