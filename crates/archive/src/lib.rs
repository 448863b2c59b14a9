//! Encrypted 7z archives that stream: the first stage of `ap-server post`.
//!
//! The writer, [`write_archive`], reads a directory walk ([`scan`] gives a
//! [`Tree`], having found every unreadable file and unstorable name before
//! anything is written) and writes to a [`VolumeSink`]: volumes
//! `NAME.7z.001`, `.002`, ... of a fixed size, as plain byte splits of one 7z
//! stream, handed over in order so the pipeline can take them straight to
//! PAR2 and posting. It never seeks. [`DirSink`] writes the volumes as files.
//!
//! Every archive is AES-256 encrypted (7zAES, SHA-256 key stretching at 2^19
//! rounds like 7-Zip), data and header, so nothing, names included, can be
//! read without the password. File data is LZMA2 ([`Method::Lzma2`], levels 0
//! to 9, multi-threaded in independent chunks), stored ([`Method::Copy`]), or
//! decided per file by sampling ([`Method::Auto`]: media and archives are
//! stored instead of burning CPU on them). 7z CRCs of file data are left out:
//! PAR2 carries integrity; the header's CRC is kept, which makes a wrong
//! password a certain, single error.
//!
//! A 7z archive starts with a 32-byte start header pointing at the header at
//! the end. When no folder is compressed (copy, or auto on incompressible
//! data) every size is known from the walk, so the header is computed first
//! and volume 1 streams like the rest. With LZMA2 the packed sizes are only
//! known at the end: the first 32 bytes of volume 1 are held back (in memory)
//! and delivered last through [`VolumeSink::patch_start`]. Nothing else is
//! ever held back.
//!
//! The reader, [`Archive`], opens the volumes as one stream ([`VolumeSet`]),
//! lists, tests and extracts safely (never outside the target, never over
//! existing files unless asked, mtimes and permission bits restored).
//!
//! Symlinks are stored as links (7-Zip's Unix form: the target as data, the
//! mode in the attribute word) when their target is relative and stays
//! inside the tree; others are skipped with a [`Warning`], as are sockets,
//! FIFOs and devices. Links are never followed. 7-Zip calls any link with a
//! `..` component dangerous and extracts it only with `-snld`.
//!
//! # Why our own container
//!
//! sevenz-rust2 writes this format, but its writer needs `Write + Seek` (it
//! seeks back to patch the start header), cannot split volumes, and cannot
//! know the header before the data. The container is small (the `format`
//! module), so the writer here is our own, around lzma-rust2's LZMA2
//! encoders and our AES-NI CBC loop (the `cbc` crate as its reference), and
//! it streams with no temp file. Reading uses sevenz-rust2, which handles
//! everything 7-Zip writes.
//!
//! Measured here (2 shared cores, 64 MiB of English text, 2 threads):
//! lzma-rust2's multi-threaded LZMA2 with the level-1 settings chosen below
//! (256 KiB dictionary, hash chains of depth 8, nice length 32, 16 MiB
//! chunks) ran at about 7-Zip's `-mx=1` speed within 2 % of its size, while
//! xz's liblzma (the C library) at preset 1 ran at about half that speed;
//! the `cbc` crate's generic loop ran AES-256-CBC at 420 MB/s, our AES-NI
//! loop at about 700 MB/s, which is what lets copy mode keep up with 7-Zip.
//! The side-by-side numbers against `7zz` are taken with the `ap-server
//! archive` command (our side) on the same files.
//!
//! # Example
//!
//! ```
//! use ap_archive::{scan, write_archive, Archive, DirSink, ExtractOptions, Method, Password, WriteOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let src = tempfile::tempdir()?;
//! std::fs::write(src.path().join("hello.txt"), "hello, world\n".repeat(100))?;
//! let out = tempfile::tempdir()?;
//!
//! let tree = scan(src.path())?;
//! let password = Password::new("correct horse")?;
//! let options = WriteOptions { method: Method::Auto, volume_size: 1000, kdf_power: 10, ..Default::default() };
//! let (sink, summary) = write_archive(&tree, &password, &options, DirSink::new(out.path(), "demo"))?;
//! assert_eq!(sink.paths().len(), summary.volumes.len());
//!
//! let mut archive = Archive::open(&out.path().join("demo.7z.001"), Some(&password))?;
//! assert_eq!(archive.list()[0].name, "hello.txt");
//! let back = tempfile::tempdir()?;
//! archive.extract(back.path(), &ExtractOptions::default())?;
//! assert_eq!(std::fs::read(back.path().join("hello.txt"))?, "hello, world\n".repeat(100).into_bytes());
//! # Ok(()) }
//! ```

mod cbc_kernel;
mod crypto;
mod error;
mod extract;
mod format;
mod reader;
mod sample;
mod sink;
mod source;
mod volume;
mod walk;
mod writer;

pub use crypto::{DEFAULT_KDF_POWER, Password};
pub use error::{Error, Problem, Result};
pub use extract::{ExtractOptions, ExtractReport, safe_components};
pub use reader::{Archive, Kind, Listing};
pub use sample::compressible;
pub use sink::{DirSink, MemorySink, VolumeSink, volume_file_name};
pub use volume::{MIN_VOLUME_SIZE, VolumeSet};
pub use walk::{Entry, EntryKind, Tree, Warning, scan};
pub use writer::{COMPRESS_IN_MEMORY, Method, Summary, WriteOptions, write_archive};

/// Parses a size such as `50M`, `20G`, `700k` or `1048576` (binary units:
/// k = 1024). Used for `--volume-size`.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(t);
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], 10),
        Some('m') => (&t[..t.len() - 1], 20),
        Some('g') => (&t[..t.len() - 1], 30),
        Some('t') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| Error::InvalidOption(format!("size {text:?} (use e.g. 50M, 20G or bytes)")))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| Error::InvalidOption(format!("size {text:?} is too large")))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50M").unwrap(), 50 << 20);
        assert_eq!(parse_size("20GiB").unwrap(), 20 << 30);
        assert_eq!(parse_size("700k").unwrap(), 700 << 10);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert!(parse_size("x1").is_err());
    }
}
