//! An embedded news server that stores articles crash-safely on disk.
//!
//! The principal type is the [`SpoolServer`], which serves NNTP on a TCP
//! address for a [`Spool`], the on-disk store, configured by a
//! [`SpoolConfig`] (optional login, maximum article size). Clients speak the
//! reader commands a poster and a fetcher need: CAPABILITIES, MODE READER,
//! AUTHINFO USER/PASS, POST, STAT, HEAD, BODY, ARTICLE (by Message-ID),
//! DATE and QUIT. A second POST of a Message-ID gets `441 435 Duplicate`,
//! as INN answers. The store reports counts through [`SpoolStats`].
//!
//! Each article is written to a temporary file, fsynced, and hard-linked
//! into `articles/ab/<sha256 of Message-ID>`; a crash at any point leaves
//! either the whole article or nothing visible. It is the default target
//! when no news server is configured, and `ap-server spool` runs it alone.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! let dir = tempfile::tempdir()?;
//! let spool = Spool::open(dir.path(), SpoolConfig::default())?;
//! let server = SpoolServer::bind("127.0.0.1:0".parse()?, spool).await?;
//!
//! let mut io = BufReader::new(tokio::net::TcpStream::connect(server.local_addr()).await?);
//! let mut line = String::new();
//! io.read_line(&mut line).await?; // 200 greeting
//! io.get_mut().write_all(b"POST\r\n").await?;
//! line.clear();
//! io.read_line(&mut line).await?;
//! assert!(line.starts_with("340"));
//! io.get_mut().write_all(b"Message-ID: <a@b>\r\nNewsgroups: t\r\n\r\n..dot\r\n.\r\n").await?;
//! line.clear();
//! io.read_line(&mut line).await?;
//! assert!(line.starts_with("240"));
//!
//! assert_eq!(server.spool().get("<a@b>")?.as_deref(), Some(&b"Message-ID: <a@b>\r\nNewsgroups: t\r\n\r\n.dot\r\n"[..]));
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod input;
mod server;
mod session;
mod store;

pub use server::SpoolServer;
pub use store::{Spool, SpoolConfig, SpoolError, SpoolStats, Stored};
