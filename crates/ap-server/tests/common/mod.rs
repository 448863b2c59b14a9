//! Helpers shared by ap-server's CLI tests. Each test binary uses some.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A standalone spool (`ap-server spool`) in a temporary folder, on a free
/// loopback port; killed when dropped.
pub struct Spool {
    child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Spool {
    pub fn start() -> Spool {
        let dir = tempfile::tempdir().unwrap();
        let (child, addr) = start_spool(dir.path());
        Spool { child, addr, dir }
    }

    /// Articles it stores.
    pub fn articles(&self) -> usize {
        spool_articles(self.dir.path())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ap-server` with its data and config under `home`, and none of the
/// caller's server passwords or ledger location.
pub fn ap_server(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ap-server"));
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("AP_LEDGER")
        .env_remove("AP_NNTP_PASSWORD")
        .env_remove("AP_NNTP_CHECK_PASSWORD");
    c
}

/// `ap-server spool` on a free loopback port, storing under `dir`; returns
/// once it listens.
pub fn start_spool(dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ap-server"))
        .args(["spool", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .parse()
        .unwrap();
    (child, addr)
}

/// Articles stored in the spool directory `dir` (none if it is missing).
pub fn spool_articles(dir: &Path) -> usize {
    if !dir.exists() {
        return 0;
    }
    ap_news_spool::Spool::open(dir, Default::default())
        .unwrap()
        .article_files()
        .unwrap()
        .len()
}
