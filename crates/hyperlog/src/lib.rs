//! The ledger's public log: each encrypted ledger snapshot published on the
//! owner's Hypercore log, followed by anyone holding the log's public key.
//!
//! The principal types are [`DiskLog`] (the owner's log folder, extended
//! with a [`Signer`] whose key file lives outside it), [`Seeder`] (serves
//! the folder over the Noise-encrypted Hypercore wire protocol and follows
//! it, so new publishes reach peers live) and [`TcpPeer`] (a follower's view
//! of one peer at an explicit address). A publish appends the snapshot in
//! blocks of at most [`BLOCK_SIZE`] and one [`IndexRecord`]; a pull reads the
//! last record, fetches its blocks (each verified against the signed Merkle
//! tree) and checks the snapshot's SHA-256. Snapshots are opaque bytes here
//! (ap-ledger's age-encrypted 7z). Publishing and fetching go through the
//! [`LedgerPublisher`] and [`LedgerSource`] traits, so peer discovery
//! (Hyperswarm) can be added as another source. Failures are [`Error`]s;
//! nothing here prints.
//!
//! ```
//! use ap_hyperlog::{DiskLog, LedgerPublisher, LedgerSource, Seeder, Signer, TcpPeer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = tempfile::tempdir()?;
//! let rt = tokio::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let signer = Signer::load_or_create(&data.path().join("ledger-log.key"))?;
//!     let log = DiskLog::new(&data.path().join("ledger-log"), signer)?;
//!     let record = log.publish(b"an encrypted snapshot", 7).await?;
//!     assert_eq!((record.sequence, record.delta_version), (1, 7));
//!
//!     let seeder = Seeder::bind(log.dir(), "127.0.0.1:0").await?;
//!     let addr = seeder.local_addr()?.to_string();
//!     tokio::spawn(seeder.run(|_| {}));
//!
//!     let pulled = TcpPeer::new(addr).fetch_latest(&log.public_key()).await?;
//!     assert_eq!(pulled.snapshot, b"an encrypted snapshot");
//!     Ok::<_, ap_hyperlog::Error>(())
//! })?;
//! # Ok(()) }
//! ```

mod error;
mod frame;
mod key;
mod log;
mod pull;
mod record;
mod seed;
mod wire;

pub use error::Error;
pub use key::{PublicKey, Signer};
pub use log::DiskLog;
pub use pull::{Pulled, TcpPeer};
pub use record::{BLOCK_SIZE, INDEX_FORMAT, INDEX_LEN, INDEX_MAGIC, IndexRecord};
pub use seed::{SeedEvent, Seeder};

/// Where snapshots are published: today the owner's [`DiskLog`].
pub trait LedgerPublisher {
    /// The key followers replicate by.
    fn public_key(&self) -> PublicKey;

    /// Appends a snapshot of the `sets` table at `delta_version`.
    fn publish(
        &self,
        snapshot: &[u8],
        delta_version: u64,
    ) -> impl Future<Output = Result<IndexRecord, Error>> + Send;
}

impl LedgerPublisher for DiskLog {
    fn public_key(&self) -> PublicKey {
        DiskLog::public_key(self)
    }

    async fn publish(&self, snapshot: &[u8], delta_version: u64) -> Result<IndexRecord, Error> {
        self.append(snapshot, delta_version).await
    }
}

/// Where a follower gets a log's latest snapshot: today one peer at an
/// explicit address ([`TcpPeer`]); a Hyperswarm lookup by the key's
/// discovery key would be another.
pub trait LedgerSource {
    /// Replicates the log of `key` and returns its latest snapshot.
    fn fetch_latest(&self, key: &PublicKey) -> impl Future<Output = Result<Pulled, Error>> + Send;
}

/// The same operations for callers without an async runtime (the CLIs):
/// each call runs its own.
pub mod blocking {
    use crate::{DiskLog, Error, IndexRecord, LedgerPublisher, PublicKey, Pulled, SeedEvent};

    fn runtime() -> Result<tokio::runtime::Runtime, Error> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the async runtime", e))
    }

    /// [`LedgerPublisher::publish`] on `log`.
    pub fn publish(
        log: &DiskLog,
        snapshot: &[u8],
        delta_version: u64,
    ) -> Result<IndexRecord, Error> {
        runtime()?.block_on(log.publish(snapshot, delta_version))
    }

    /// Binds a [`crate::Seeder`] on `listen`, hands its address, key and
    /// latest record to `ready`, then serves until the listener fails.
    pub fn seed(
        dir: &std::path::Path,
        listen: &str,
        ready: impl FnOnce(std::net::SocketAddr, PublicKey, &IndexRecord),
        report: impl FnMut(SeedEvent) + Send,
    ) -> Result<(), Error> {
        runtime()?.block_on(async {
            let seeder = crate::Seeder::bind(dir, listen).await?;
            ready(seeder.local_addr()?, seeder.public_key(), seeder.latest());
            seeder.run(report).await
        })
    }

    /// [`crate::TcpPeer::pull`] from `addr`.
    pub fn pull(addr: &str, key: &PublicKey) -> Result<Pulled, Error> {
        runtime()?.block_on(crate::TcpPeer::new(addr).pull(key))
    }
}
