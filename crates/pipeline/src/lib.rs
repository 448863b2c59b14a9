//! The post and fetch jobs of ap: where the stage crates compose.
//!
//! [`post`] reads a directory walk ([`ap_archive::scan`]), writes the
//! encrypted archive (password derived from a fresh set key K) through a
//! volume sink that stages each volume and announces it when complete;
//! each volume gets its own PAR2 set ([`ap_parity::Encoder`], fed slice by
//! slice on its own thread while the same bytes are yEnc-encoded and
//! queued to [`ap_nntp_post::Poster`]); the PAR2 files follow their volume.
//! Every name, subject, From header and Message-ID is derived from K as
//! [`ap_secret_codec`] defines it, so the NZB of the post is
//! [`ap_secret_codec::to_nzb`] of the returned [`Posted::descriptor`]. The
//! pool checks every article with STAT; missing ones are posted again under
//! attempt + 1, recorded in the descriptor.
//!
//! [`fetch`] goes the other way for a [`Descriptor`](ap_secret_codec::Descriptor):
//! articles over N connections, yEnc-decoded into place, each volume
//! verified and repaired from its PAR2 set, then extracted.
//!
//! Both report [`Progress`] events to an optional [`ProgressSink`] and talk
//! to a [`Target`]: configured servers, or the embedded news spool
//! ([`ap_news_spool`]) under the data directory ([`Config`]).
//!
//! # Resume
//! With [`PostOptions::journal_dir`], a job keeps a journal per source
//! folder (the set key, its settings, a fingerprint of the tree, and every
//! article the server confirmed). Killed at any point and started again on
//! the same folder, it makes the same set (same key, archive bytes, PAR2
//! files and Message-IDs) and sends only what the journal does not name; a
//! folder that changed in between is refused. The journal is removed when
//! the job succeeds.
//!
//! # Layout of a set
//! Files in descriptor order: volume 1, its PAR2 index, its recovery files,
//! volume 2, ... ([`layout`]). One PAR2 set per volume means slice numbers
//! are known from the first byte of each volume.
//!
//! # What is buffered where
//! - Copy folders (method copy, or auto when nothing compresses): the 7z
//!   start header comes first and names the archive's length, so every
//!   volume's length and PAR2 plan are known before the first article. The
//!   bytes go from the archive writer into articles and the volume's PAR2
//!   encoder with no file on disk ([`Posted::streamed`]). Only each volume's
//!   PAR2 files (about the redundancy's share of it) are written to the work
//!   directory, posted after the volume, and removed with it at the end.
//!   The archive is byte-repeatable (IVs from a seed derived from K), so a
//!   re-post of a lost data article writes the archive again into a sink
//!   that keeps only that article, and checks its CRC against the first post.
//! - Compressible data up to [`PostOptions::compress_in_memory`] (64 MiB:
//!   the text files of a media folder) is compressed in memory first; then
//!   every size is known and the set streams as above.
//! - More LZMA2 data than that (method lzma2, or auto when a file
//!   compresses): packed sizes are known only as they are written and the
//!   start header comes last, so each volume is written to the work directory and posted (with
//!   its PAR2 set) as soon as it is complete, then deleted; volume 1 waits
//!   for its start header and is posted last. Temp space: the first volume,
//!   the volume being written and PAR2 files. Re-posts write the archive
//!   again here too (LZMA2 chunks are coded independently, so the output
//!   repeats; the CRC check would stop a re-post if it did not).
//! - Memory: one article per queue slot, one PAR2 batch, the recovery
//!   accumulators up to [`PostOptions::par2_memory`] (spilled beyond).
//!
//! ```
//! use ap_pipeline::{FetchOptions, PostOptions, Target, fetch, post};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = tempfile::tempdir()?;
//! let src = tempfile::tempdir()?;
//! std::fs::write(src.path().join("hello.txt"), "hello, world\n")?;
//!
//! let target = Target::Spool { dir: data.path().join("spool"), connections: 2 };
//! let options = PostOptions { kdf_power: 4, work_dir: data.path().into(), ..PostOptions::default() };
//! let posted = post(src.path(), &options, &target, None)?;
//! assert_eq!(posted.nzb, ap_secret_codec::to_nzb(&posted.descriptor).to_xml()?);
//!
//! let out = data.path().join("out");
//! let fetch_options = FetchOptions { work_dir: data.path().into(), repair_memory: 1 << 26, overwrite: false };
//! fetch(&posted.descriptor, &target, &out, &fetch_options, None)?;
//! assert_eq!(std::fs::read(out.join("hello.txt"))?, b"hello, world\n");
//! # Ok(()) }
//! ```

mod config;
mod error;
mod fetch;
mod journal;
pub mod layout;
pub mod parts;
mod post;
mod progress;
mod record;
mod regen;
mod send;
mod sink;
mod target;
mod upload;

pub use config::{
    Config, DEFAULT_CONNECTIONS, PASSWORD_ENV, PostSettings, ServerEntry, config_path,
};
pub use error::{Error, Result};
pub use fetch::{FetchOptions, Fetched, fetch};
pub use post::{PostOptions, Posted, post};
pub use progress::{Progress, ProgressSink};
pub use record::{SetRecord, write_record};
pub use send::{NzbgetApi, SabnzbdApi, send_nzbget, send_sabnzbd};
pub use target::Target;
