//! Following a log from a peer at an explicit address: replicate its signed
//! head, read the latest index record, fetch and verify the snapshot's
//! blocks, check the snapshot's SHA-256.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use hypercore::{Hypercore, HypercoreBuilder, HypercoreError, PartialKeypair, Storage};
use hypercore_protocol::schema::{Request, Synchronize};
use hypercore_protocol::{Channel, Event, Message};
use hypercore_schema::{RequestBlock, RequestUpgrade};
use tokio::net::TcpStream;

use crate::record::{IndexRecord, hex, sha256};
use crate::wire::{protocol, wire_error};
use crate::{Error, LedgerSource, PublicKey};

/// Requests kept in flight while fetching snapshot blocks.
const WINDOW: usize = 32;

/// The latest snapshot of a followed log.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// Its index record.
    pub record: IndexRecord,
    /// The snapshot bytes (the age-encrypted 7z), hash-checked.
    pub snapshot: Vec<u8>,
    /// Blocks in the log when it was read.
    pub log_length: u64,
}

/// A peer reached at a fixed `HOST:PORT` (an `ap-server ledger seed`, or
/// any Hypercore peer that has the log).
#[derive(Debug, Clone)]
pub struct TcpPeer {
    addr: String,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

impl TcpPeer {
    /// The peer at `addr`, with 10 s to connect and 20 s of silence allowed.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(20),
        }
    }

    /// How long the peer may stay silent (also how long it has to open the log).
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Replicates `key`'s log from the peer and returns its latest snapshot.
    pub async fn pull(&self, key: &PublicKey) -> Result<Pulled, Error> {
        let addr = self.addr.as_str();
        let tcp = match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => {
                return Err(Error::Unreachable {
                    addr: addr.to_owned(),
                    source,
                });
            }
            Err(_) => {
                return Err(Error::Unreachable {
                    addr: addr.to_owned(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no answer in {} s", self.connect_timeout.as_secs()),
                    ),
                });
            }
        };
        let core = HypercoreBuilder::new(
            Storage::new_memory()
                .await
                .map_err(|e| Error::log("cannot make the in-memory log", e))?,
        )
        .key_pair(PartialKeypair {
            public: key.verifying()?,
            secret: None,
        })
        .build()
        .await
        .map_err(|e| Error::log("cannot make the in-memory log", e))?;

        let mut protocol = protocol(tcp, true, addr)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let driver_addr = addr.to_owned();
        let key_bytes = key.0;
        // The protocol moves every frame; it runs until the connection ends.
        let driver = tokio::spawn(async move {
            let mut tx = Some(tx);
            while let Some(event) = protocol.next().await {
                match event.map_err(|e| wire_error(&driver_addr, e))? {
                    Event::Handshake(_) => {
                        protocol
                            .open(key_bytes)
                            .await
                            .map_err(|e| wire_error(&driver_addr, e))?;
                    }
                    Event::Channel(channel) => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(channel);
                        }
                    }
                    _ => {}
                }
            }
            Ok::<(), Error>(())
        });
        let result = async {
            let channel = match tokio::time::timeout(self.idle_timeout, rx).await {
                Ok(Ok(channel)) => channel,
                Ok(Err(_)) => {
                    // The connection ended before the log's channel opened.
                    return Err(Error::NotServed {
                        addr: addr.to_owned(),
                        key: *key,
                    });
                }
                Err(_) => {
                    return Err(Error::NotServed {
                        addr: addr.to_owned(),
                        key: *key,
                    });
                }
            };
            Session {
                addr,
                key,
                core: &core,
                channel,
                idle: self.idle_timeout,
            }
            .run()
            .await
        }
        .await;
        let driver_result = if driver.is_finished() {
            driver.await.ok()
        } else {
            driver.abort();
            None
        };
        match (result, driver_result) {
            // A protocol error explains a closed connection better.
            (Err(Error::Disconnected { .. } | Error::NotServed { .. }), Some(Err(e)))
                if matches!(e, Error::Protocol { .. }) =>
            {
                Err(e)
            }
            (r, _) => r,
        }
    }
}

impl LedgerSource for TcpPeer {
    async fn fetch_latest(&self, key: &PublicKey) -> Result<Pulled, Error> {
        self.pull(key).await
    }
}

struct Session<'a> {
    addr: &'a str,
    key: &'a PublicKey,
    core: &'a Hypercore,
    channel: Channel,
    idle: Duration,
}

const UPGRADE_ID: u64 = 1;

impl Session<'_> {
    async fn send(&self, m: Message) -> Result<(), Error> {
        self.channel
            .send(m)
            .await
            .map_err(|e| wire_error(self.addr, e))
    }

    async fn next(&mut self, when: &'static str) -> Result<Message, Error> {
        match tokio::time::timeout(self.idle, self.channel.next()).await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(Error::Disconnected {
                addr: self.addr.to_owned(),
                when,
            }),
            Err(_) => Err(Error::Stalled {
                addr: self.addr.to_owned(),
                secs: self.idle.as_secs(),
                when,
            }),
        }
    }

    async fn request_block(&self, index: u64, fork: u64) -> Result<(), Error> {
        let nodes = self
            .core
            .missing_nodes(index)
            .await
            .map_err(|e| Error::log("cannot plan a block request", e))?;
        self.send(Message::Request(Request {
            id: index + 2,
            fork,
            block: Some(RequestBlock { index, nodes }),
            hash: None,
            seek: None,
            upgrade: None,
            manifest: false,
            priority: 0,
        }))
        .await
    }

    async fn run(mut self) -> Result<Pulled, Error> {
        self.send(Message::Synchronize(Synchronize {
            fork: 0,
            length: 0,
            remote_length: 0,
            downloading: true,
            uploading: false,
            can_upgrade: true,
        }))
        .await?;

        // 1. The signed head: an upgrade from 0 to the peer's length.
        let mut fork = 0;
        let length = loop {
            match self.next("before sending the log's signed head").await? {
                Message::Synchronize(s) if s.length > 0 => {
                    fork = s.fork;
                    self.send(Message::Request(Request {
                        id: UPGRADE_ID,
                        fork,
                        block: None,
                        hash: None,
                        seek: None,
                        upgrade: Some(RequestUpgrade {
                            start: 0,
                            length: s.length,
                        }),
                        manifest: false,
                        priority: 0,
                    }))
                    .await?;
                }
                Message::Data(d) if d.request == UPGRADE_ID => {
                    let applied = self.core.verify_and_apply_proof(d.into_proof()).await;
                    match applied {
                        Ok(true) => break self.core.info().length,
                        Ok(false) | Err(HypercoreError::InvalidSignature { .. }) => {
                            return Err(Error::OtherWriter {
                                addr: self.addr.to_owned(),
                                key: *self.key,
                            });
                        }
                        Err(e) => return Err(wire_error(self.addr, e)),
                    }
                }
                Message::NoData(n) if n.request == UPGRADE_ID => {
                    return Err(Error::Empty { key: *self.key });
                }
                _ => {}
            }
        };

        // 2. The index record: the log's last block.
        let at = length - 1;
        self.request_block(at, fork).await?;
        let record = loop {
            if let Some(block) = self.block_reply(at).await? {
                break IndexRecord::decode(&block, at)?;
            }
        };

        // 3. The snapshot's blocks, WINDOW requests in flight.
        let mut pending: BTreeSet<u64> = BTreeSet::new();
        let mut next = record.first_block;
        let end = record.first_block + record.block_count;
        while next < end || !pending.is_empty() {
            while next < end && pending.len() < WINDOW {
                self.request_block(next, fork).await?;
                pending.insert(next);
                next += 1;
            }
            let m = self.next("while sending the snapshot's blocks").await?;
            if let Some(index) = self.apply_block(m).await?
                && !pending.remove(&index)
            {
                // A block we did not ask for (or already had): harmless.
            }
        }
        let mut snapshot = Vec::with_capacity(usize::try_from(record.size).unwrap_or(0));
        for index in record.blocks() {
            let block = self
                .core
                .get(index)
                .await
                .map_err(|e| Error::log(format!("cannot read block {index}"), e))?
                .ok_or_else(|| Error::TamperedBlock {
                    addr: self.addr.to_owned(),
                    index,
                })?;
            snapshot.extend_from_slice(&block);
        }
        check_hash(&record, &snapshot)?;
        Ok(Pulled {
            record,
            snapshot,
            log_length: length,
        })
    }

    /// Waits for the reply carrying block `index`; `None` for other messages.
    async fn block_reply(&mut self, index: u64) -> Result<Option<Vec<u8>>, Error> {
        let m = self.next("before sending the index record").await?;
        if self.apply_block(m).await? == Some(index) {
            let block = self
                .core
                .get(index)
                .await
                .map_err(|e| Error::log(format!("cannot read block {index}"), e))?;
            return Ok(block);
        }
        Ok(None)
    }

    /// Verifies and stores a block reply; returns its index.
    async fn apply_block(&mut self, m: Message) -> Result<Option<u64>, Error> {
        match m {
            Message::Data(d) => {
                let Some(index) = d.block.as_ref().map(|b| b.index) else {
                    return Ok(None);
                };
                match self.core.verify_and_apply_proof(d.into_proof()).await {
                    Ok(true) => Ok(Some(index)),
                    _ => Err(Error::TamperedBlock {
                        addr: self.addr.to_owned(),
                        index,
                    }),
                }
            }
            Message::NoData(n) if n.request >= 2 => Err(Error::Protocol {
                addr: self.addr.to_owned(),
                why: format!("the peer does not have block {}", n.request - 2),
            }),
            _ => Ok(None),
        }
    }
}

/// Checks a reassembled snapshot against its index record.
pub(crate) fn check_hash(record: &IndexRecord, snapshot: &[u8]) -> Result<(), Error> {
    let got = sha256(snapshot);
    if got != record.sha256 || snapshot.len() as u64 != record.size {
        return Err(Error::HashMismatch {
            first: record.first_block,
            end: record.first_block + record.block_count,
            got: hex(&got),
            want: hex(&record.sha256),
        });
    }
    Ok(())
}
