//! yEnc 1.3 for posting and fetching binaries: a part encoder, a tolerant
//! decoder, and CRC32, with SIMD kernels picked at run time.
//!
//! The principal types are [`Encoder`] (built from a [`PartInfo`]: the part's
//! place in the file and its line length) and [`Decoder`]. Both read the
//! caller's chunks (`&[u8]`) and write into the caller's buffer, so an
//! article goes from file bytes to the NNTP `POST` body with no whole-article
//! copy; [`EncodeWriter`] does the same through any [`std::io::Write`]. The
//! encoder reports a [`PartSummary`] (part CRC, file CRC when known); the
//! decoder a [`Report`] that lists every failed check as an [`Issue`]
//! instead of panicking or failing, since PAR2 repair can still use the data.
//!
//! The encoder escapes `.` at line starts, so its output needs no NNTP
//! dot-stuffing; the decoder drops dot-stuffing by default. The kernels
//! ([`Kernel`]: scalar, SSE2, SSSE3, AVX2, AVX-512 VBMI2) all produce the
//! same bytes; [`Kernel::best`] is used unless a `_with` function picks one.
//! [`crc32_combine`] derives a file's `crc32=` from its parts' `pcrc32=`.
//!
//! ```
//! use ap_yenc::{PartInfo, decode_part, encode_part};
//!
//! let file = b"\0 .hello\r\n=world\t".repeat(40);
//! let info = PartInfo::new("file.bin", file.len() as u64, 1, 1, 0, file.len() as u64);
//! let (article, summary) = encode_part(&info, &file)?;
//! assert!(article.starts_with(b"=ybegin part=1 total=1 line=128 size=680 name=file.bin\r\n"));
//! assert_eq!(summary.pcrc32, ap_yenc::crc32(&file));
//!
//! let decoded = decode_part(&article)?;
//! assert_eq!(decoded.data, file);
//! assert!(decoded.report.issues.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod crc;
mod decode;
mod encode;
mod error;
pub mod header;
mod kernel;

pub use crc::{Crc32, FileCrc, crc32, crc32_combine};
pub use decode::{
    Decoded, Decoder, Issue, Progress, Report, decode_part, decode_part_into, decode_raw,
    decode_raw_with,
};
pub use encode::{
    DEFAULT_LINE, EncodeWriter, Encoder, MAX_TRAILER_LEN, PartInfo, PartSummary, encode_part,
    encode_part_into, encode_raw, encode_raw_with, max_encoded_len,
};
pub use error::{DecodeError, EncodeError};
pub use kernel::Kernel;

#[cfg(test)]
mod tests;
