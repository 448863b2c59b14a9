//! The ledger: the Delta Lake record of every set posted and of the posting
//! queue, with age-encrypted 7z snapshots.
//!
//! The principal type is [`Ledger`]. It reads and writes two Delta tables
//! under one location (default [`default_location`]): `sets`, one row per
//! posted set with its key K sealed with age to the ledger's recipients,
//! and `jobs`, the queue as one event per state change. Writes go through
//! deltalake's `RecordBatchWriter` and commits (appends retry when another
//! writer committed first; taking a job commits strictly, so two workers
//! never take the same one); reads go through the Parquet files of the
//! table's current snapshot. It reports through [`Error`], and never prints.
//! The schema and its versioning rule are in docs/LEDGER.md.
//!
//! ```
//! use ap_ledger::{Ledger, SetInfo};
//! use ap_secret_codec::SetKey;
//! use ap_secret_codec::recipients::Identities;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let owner = age::x25519::Identity::generate();
//! let location = dir.path().to_str().ok_or("path")?;
//! let ledger = Ledger::create(location, &[owner.to_public().to_string()])?;
//!
//! let key = SetKey::generate()?;
//! let info = SetInfo {
//!     set_id: "s1".into(), title: "photos".into(), created_at: 1_795_500_000,
//!     posted_at: Some(1_795_500_100), source_bytes: 5_000_000, posted_bytes: 5_400_000,
//!     file_count: 9, article_count: 8, groups: vec!["alt.binaries.test".into()],
//!     server_host: "news.example".into(), status: "posted".into(), secret: "ap1...".into(),
//! };
//! ledger.record_set(info.clone(), &key)?;
//!
//! let rows = ledger.sets(None)?;
//! assert_eq!(rows[0].info, info);
//! let ids: Identities = vec![Box::new(owner)];
//! assert_eq!(rows[0].open_key(&ids)?.as_bytes(), key.as_bytes());
//! # Ok(()) }
//! ```

mod columns;
mod error;
mod jobs;
mod ledger;
mod sets;
mod snapshot;
mod table;
mod time;

pub use deltalake::kernel::Version;
pub use error::{Error, Result};
pub use jobs::{Job, JobEvent, JobState, fold};
pub use ledger::{Ledger, RECIPIENTS_KEY, default_location};
pub use sets::{SetInfo, SetRow};
pub use snapshot::{SNAPSHOT_FORMAT, SNAPSHOT_PASSWORD, SnapshotSummary, import};
pub use table::{SCHEMA_VERSION, SCHEMA_VERSION_KEY, TABLE_KEY};
pub use time::utc_time;
