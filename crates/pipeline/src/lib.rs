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
//! # Layout of a set
//! Files in descriptor order: volume 1, its PAR2 index, its recovery files,
//! volume 2, ... ([`layout`]). One PAR2 set per volume means slice numbers
//! are known from the first byte of each volume.
//!
//! # What is buffered where
//! The archive writer's API hands volumes over in order but its IVs are
//! random, so volume bytes cannot be produced a second time for a re-post.
//! Volumes are therefore staged as files under the work directory (inside
//! the data directory) while they are posted and until the post check has
//! passed; the PAR2 files of each volume are written there too. The work
//! directory is removed when the job ends. Memory stays bounded: one
//! article per queue slot, one PAR2 batch, the recovery accumulators up to
//! [`PostOptions::par2_memory`] (spilled beyond).
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
pub mod layout;
mod post;
mod progress;
mod record;
mod stage;
mod target;
mod upload;

pub use config::{Config, DEFAULT_CONNECTIONS, PASSWORD_ENV, ServerEntry, config_path};
pub use error::{Error, Result};
pub use fetch::{FetchOptions, Fetched, fetch};
pub use post::{PostOptions, Posted, post};
pub use progress::{Progress, ProgressSink};
pub use record::{SetRecord, write_record};
pub use target::Target;
