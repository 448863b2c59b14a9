//! PAR2 2.0 recovery sets: create, verify and repair.
//!
//! The principal type is [`Encoder`]: it takes the input slices of one set
//! in any order (as the pipeline produces them while posting goes on), takes
//! each file's MD5 when that file is done, and at [`Encoder::finish`] writes
//! the index `NAME.par2` and the `NAME.volA+B.par2` recovery files. It reads
//! nothing itself; [`create_files`] drives it from files on disk, hashing
//! several files at once. Every multiplication goes through one kernel,
//! [`gf::Kernel`], dispatched at runtime to GFNI (AVX-512 or AVX2), a
//! nibble shuffle (AVX2 or SSSE3), or the scalar reference.
//!
//! # Engine decision
//! Our own engine, not parmesan behind a trait. parmesan 0.5.8's library
//! entry (`create`) takes paths and opens the files itself; when recovery
//! data exceeds its memory limit it makes several passes over the inputs,
//! which a stream that is posted as it is produced cannot offer. The
//! pipeline needs slices in any order while the archive is still being
//! written, file MD5s that arrive later, and a spill file instead of a
//! second pass. Measured by `cargo xtask bench par2` (2 shared cores of a
//! Zen 5 EPYC with AVX-512 + GFNI, load average 3.5-5.6 from other
//! builds; 1 GiB random; median of 3 interleaved runs; wall times swing
//! with the other jobs on the machine, CPU times much less):
//!
//! | 768000-byte slices, 10% | wall | CPU | peak RSS |
//! |---|---|---|---|
//! | `ap-server par2` | 2.31 s | 2.47 s | 312 MiB |
//! | par2cmdline-turbo 1.4.0 | 4.49 s | 3.44 s | 125 MiB |
//! | parmesan 0.5.8 | 3.64 s | 3.57 s | 331 MiB |
//!
//! With 100 recovery slices of 1 MiB: ours 1.54 s wall, 2.36 s CPU;
//! turbo 1.89 s, 2.97 s; parmesan 1.81 s, 3.24 s. On a quiet machine
//! (load 1) the `par2create` example took 1.6 s and 1.5 s where turbo took
//! 2.1-2.3 s and 1.9-2.0 s. Peak memory stays under the recovery size plus
//! 256 MiB (batches take at most 192 MiB). Repairing one lost volume of
//! sixteen (1 GiB, 10%): `ap-client repair` 1.50 s, turbo 1.64 s,
//! par2cmdline 14.6 s, parmesan 5.6 s, all byte-identical.
//! Where the time goes (perf, 768000-byte slices): 45% the file's MD5 chain
//! (the one serial part, on a thread of its own), 35% the GF kernel, the
//! rest reading, CRC32 and writing. What makes the difference:
//!
//! - [`gf`]: GFNI affine kernels (AVX-512 and AVX2) and nibble shuffles
//!   (AVX2 and SSSE3) behind one safe entry, over a split byte layout; the
//!   engine hands the kernel a whole tile (512-byte columns of a batch's
//!   slices, turned into split layout as they are copied side by side, so
//!   they stay in L1 and do not alias in its sets) and the AVX-512 kernel
//!   updates two outputs and two blocks per pass, 0.75 loads a multiply;
//! - [`FileHasher`]: a file's MD5 and its slices' MD5s in one two-stream
//!   pass (the one sequential part), and [`md5x`] sixteen slices per
//!   AVX-512 register where the caller did not hash them;
//! - the encoder multiplies one batch on its own thread while the caller
//!   fills the next; [`create_files`] reads each file on one thread and
//!   hashes it on another, and its slice buffers go round (reader, encoder,
//!   reader) instead of being allocated and copied per slice;
//! - recovery packets are made, hashed and written sixteen at a time in
//!   one parallel pass.
//!
//! ```
//! use ap_parity::{Encoder, EncoderConfig, InputFile, VolumeLayout};
//!
//! let dir = tempfile::tempdir()?;
//! let data = vec![7u8; 10_000];
//! let file = InputFile { name: "a.bin".into(), length: data.len() as u64, md5_16k: None };
//! let config = EncoderConfig {
//!     slice_size: 4096,
//!     recovery_slices: 2,
//!     memory: 1 << 20,
//!     spill_dir: dir.path().to_path_buf(),
//!     creator: ap_parity::DEFAULT_CREATOR.into(),
//! };
//! let mut enc = Encoder::new(vec![file], config)?;
//! // Slices may come in any order.
//! for i in [2u64, 0, 1] {
//!     let start = (i * 4096) as usize;
//!     enc.add_slice(0, i, &data[start..(start + 4096).min(data.len())])?;
//! }
//! let md5 = ap_parity::packet::md5(&data);
//! enc.finish_file(0, md5, md5)?; // the file is shorter than 16 KiB
//! let created = enc.finish(dir.path(), "a.bin", VolumeLayout::Doubling)?;
//! assert_eq!(created.recovery_slices, 2);
//! assert_eq!(created.volumes.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
mod batch;
mod create;
mod engine;
mod error;
mod files;
pub mod gf;
pub mod md5x;
mod md5x2;
pub mod packet;
pub mod plan;
pub mod read;
mod repair;
mod set;
mod verify;
mod write;

pub use create::{Created, DEFAULT_CREATOR, Encoder, EncoderConfig, InputFile};
pub use error::Error;
pub use files::{CreateOptions, CreateReport, create_files, md5_16k, stored_name};
pub use md5x2::FileHasher;
pub use plan::{Redundancy, VolumeLayout};
pub use repair::{Repaired, invert, repair};
pub use set::{RecoverySet, RecoverySlice, SetFile};
pub use verify::{FileReport, FileStatus, Verification, verify};
