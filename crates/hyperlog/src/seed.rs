//! The seeder: serves the owner's log on a TCP listener and follows the log
//! folder, so a publish made by another process reaches connected peers live.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hypercore::Hypercore;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::log::{latest, lock, open_disk};
use crate::record::IndexRecord;
use crate::{Error, PublicKey};

/// How often the log folder is looked at for new publishes.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// What a running seeder reports.
#[derive(Debug)]
pub enum SeedEvent {
    /// A new publish is being served (also sent once at start).
    Serving(IndexRecord),
    /// A peer connected.
    PeerConnected(SocketAddr),
    /// A peer left; `Err` when the connection failed.
    PeerLeft(SocketAddr, Result<(), Error>),
    /// The log folder could not be re-read; the previous head stays served.
    WatchFailed(Error),
}

/// Serves one log folder on one listener.
#[derive(Debug)]
pub struct Seeder {
    dir: PathBuf,
    listener: TcpListener,
    head: Hypercore,
    record: IndexRecord,
}

impl Seeder {
    /// Opens the log in `dir` and listens on `addr` (`127.0.0.1:0` picks a port).
    pub async fn bind(dir: &Path, addr: &str) -> Result<Self, Error> {
        let (head, record) = {
            let _lock = lock(dir, false)?;
            let head = open_disk(dir).await?.ok_or_else(|| Error::Io {
                context: format!("no ledger log in {}", dir.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "run `ap-server ledger publish` first",
                ),
            })?;
            let record = latest(&head).await?.ok_or(Error::Empty {
                key: head.key_pair().public.into(),
            })?;
            (head, record)
        };
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {addr}"), e))?;
        Ok(Self {
            dir: dir.to_owned(),
            listener,
            head,
            record,
        })
    }

    /// The address peers connect to.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        self.listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the listening address", e))
    }

    /// The public key followers give.
    pub fn public_key(&self) -> PublicKey {
        self.head.key_pair().public.into()
    }

    /// The latest publish at start.
    pub fn latest(&self) -> &IndexRecord {
        &self.record
    }

    /// Serves until the listener fails; reports through `report`.
    pub async fn run(self, mut report: impl FnMut(SeedEvent) + Send) -> Result<(), Error> {
        let (tx, head) = watch::channel(self.head.clone());
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        report(SeedEvent::Serving(self.record.clone()));
        let watcher = tokio::spawn(watch_folder(
            self.dir.clone(),
            tx,
            self.record.clone(),
            events_tx.clone(),
        ));
        let result = loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => break Err(Error::io("cannot accept a connection", e)),
                    };
                    report(SeedEvent::PeerConnected(peer));
                    let head = head.clone();
                    let events = events_tx.clone();
                    tokio::spawn(async move {
                        let r = crate::wire::serve(tcp, peer.to_string(), head).await;
                        let _ = events.send(SeedEvent::PeerLeft(peer, r));
                    });
                }
                Some(event) = events.recv() => report(event),
            }
        };
        watcher.abort();
        result
    }
}

fn stamp(dir: &Path) -> Option<(u64, SystemTime, u64)> {
    let oplog = std::fs::metadata(dir.join("oplog")).ok()?;
    let tree = std::fs::metadata(dir.join("tree")).ok()?;
    Some((oplog.len(), oplog.modified().ok()?, tree.len()))
}

async fn watch_folder(
    dir: PathBuf,
    head: watch::Sender<Hypercore>,
    mut record: IndexRecord,
    events: tokio::sync::mpsc::UnboundedSender<SeedEvent>,
) {
    let mut seen = stamp(&dir);
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let now = stamp(&dir);
        if now == seen {
            continue;
        }
        let reopened = async {
            let _lock = lock(&dir, false)?;
            let Some(core) = open_disk(&dir).await? else {
                return Ok(None);
            };
            let r = latest(&core).await?;
            Ok::<_, Error>(r.map(|r| (core, r)))
        }
        .await;
        match reopened {
            Ok(Some((core, r))) if r.sequence != record.sequence => {
                record = r.clone();
                head.send_replace(core);
                let _ = events.send(SeedEvent::Serving(r));
                seen = now;
            }
            Ok(_) => seen = now,
            Err(e) => {
                let _ = events.send(SeedEvent::WatchFailed(e));
            }
        }
    }
}
