//! Reading archives from their volumes: list, test, and hand entries to the
//! safe extractor. Decoding is sevenz-rust2's; this module joins the volumes,
//! turns its errors into ours (one clear wrong-password error) and reads the
//! Unix metadata 7-Zip keeps in the attribute word.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::SystemTime;

use sevenz_rust2::{ArchiveEntry, ArchiveReader};

use crate::crypto::Password;
use crate::error::{Error, Result};
use crate::format::{ATTR_DIRECTORY, ATTR_UNIX_EXTENSION, SIGNATURE};
use crate::volume::VolumeSet;
use crate::walk::from_filetime;

/// What an entry is, as the archive says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
}

/// One entry of an archive, for listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    /// Unix permission bits, when the archive carries them.
    pub mode: Option<u32>,
}

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFDIR: u32 = 0o040_000;

pub(crate) fn describe(e: &ArchiveEntry) -> Listing {
    let unix = (e.has_windows_attributes && e.windows_attributes & ATTR_UNIX_EXTENSION != 0)
        .then_some(e.windows_attributes >> 16);
    let kind = match unix.map(|m| m & S_IFMT) {
        Some(S_IFLNK) => Kind::Symlink,
        Some(S_IFDIR) => Kind::Dir,
        _ if e.is_directory
            || (e.has_windows_attributes && e.windows_attributes & ATTR_DIRECTORY != 0) =>
        {
            Kind::Dir
        }
        _ => Kind::File,
    };
    Listing {
        name: e.name.clone(),
        kind,
        size: e.size,
        mtime: e
            .has_last_modified_date
            .then(|| from_filetime(u64::from(e.last_modified_date)))
            .flatten(),
        mode: unix.map(|m| m & 0o7777),
    }
}

/// An open archive (all its volumes).
pub struct Archive {
    inner: ArchiveReader<VolumeSet>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").finish_non_exhaustive()
    }
}

/// Whether the next header is an encoded header run through 7zAES: then
/// nothing, not even the names, can be read without the password.
fn header_is_encrypted(set: &mut VolumeSet) -> Result<bool> {
    let ioerr = |e| Error::io("reading the start header", e);
    let mut start = [0u8; 32];
    set.seek(SeekFrom::Start(0)).map_err(ioerr)?;
    set.read_exact(&mut start).map_err(ioerr)?;
    if start[..6] != SIGNATURE {
        return Err(Error::Format("not a 7z archive (bad signature)".into()));
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&start[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let (offset, size) = (word(12), word(20));
    let needed = offset.saturating_add(size).saturating_add(32);
    if needed > set.len() {
        return Err(Error::Volumes(format!(
            "the archive is {needed} bytes but its volumes hold {}: a volume is missing or short (first missing after {})",
            set.len(),
            set.paths()
                .last()
                .map_or_else(String::new, |p| p.display().to_string())
        )));
    }
    if size == 0 || size > 1 << 20 {
        return Ok(false);
    }
    let mut next = vec![0u8; size as usize];
    set.seek(SeekFrom::Start(32 + offset)).map_err(ioerr)?;
    set.read_exact(&mut next).map_err(ioerr)?;
    set.seek(SeekFrom::Start(0)).map_err(ioerr)?;
    Ok(next.first() == Some(&0x17) && next.windows(4).any(|w| w == [0x06, 0xF1, 0x07, 0x01]))
}

pub(crate) fn map_error(e: sevenz_rust2::Error) -> Error {
    use sevenz_rust2::Error as E;
    match e {
        E::PasswordRequired => Error::PasswordRequired,
        E::MaybeBadPassword(_) => Error::WrongPassword,
        E::Io(io, ctx) => Error::io(ctx.into_owned(), io),
        E::FileOpen(io, name) => Error::io(name, io),
        other => Error::Format(other.to_string()),
    }
}

impl Archive {
    /// Opens the archive whose first volume is `first` (`NAME.7z.001`).
    pub fn open(first: &Path, password: Option<&Password>) -> Result<Self> {
        let mut set = VolumeSet::open(first)?;
        let encrypted = header_is_encrypted(&mut set)?;
        let pw = password.map_or_else(sevenz_rust2::Password::empty, Password::to_reader_password);
        if encrypted && password.is_none() {
            return Err(Error::PasswordRequired);
        }
        match ArchiveReader::new(set, pw) {
            Ok(inner) => Ok(Archive { inner }),
            Err(sevenz_rust2::Error::Io(e, ctx)) if !encrypted => {
                Err(Error::io(ctx.into_owned(), e))
            }
            // The header decrypted to garbage or failed its CRC.
            Err(_) if encrypted => Err(Error::WrongPassword),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Every entry, in archive order.
    pub fn list(&self) -> Vec<Listing> {
        self.inner.archive().files.iter().map(describe).collect()
    }

    /// Decodes everything and checks every CRC the archive carries (ours
    /// carry none for data: PAR2 guards it), returning the bytes decoded.
    pub fn test(&mut self) -> Result<u64> {
        let mut total = 0u64;
        self.inner
            .for_each_entries(|_, r| {
                total += io::copy(r, &mut io::sink())?;
                Ok(true)
            })
            .map_err(map_error)?;
        Ok(total)
    }

    /// Visits every entry with a reader of its data (for the extractor).
    pub(crate) fn visit(
        &mut self,
        mut each: impl FnMut(&ArchiveEntry, &mut dyn Read) -> Result<()>,
    ) -> Result<()> {
        let mut stopped = None;
        let r = self.inner.for_each_entries(|e, r| match each(e, r) {
            Ok(()) => Ok(true),
            Err(err) => {
                stopped = Some(err);
                Err(sevenz_rust2::Error::Other("stopped".into()))
            }
        });
        match (stopped, r) {
            (Some(err), _) => Err(err),
            (None, Err(e)) => Err(map_error(e)),
            (None, Ok(())) => Ok(()),
        }
    }
}
