//! Where volumes go. The writer never seeks: it hands bytes to a
//! [`VolumeSink`] in order, so the pipeline can feed PAR2 and posting straight
//! from it, and only the 32-byte start header may arrive last.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Receives the archive as a sequence of volumes (plain byte splits of one
/// 7z stream, as 7-Zip's `-v` makes them).
///
/// Calls come in this order: for each volume `begin_volume`, any number of
/// `write`, `end_volume`; then, only if volume 0 began with `held_back > 0`,
/// one `patch_start` carrying those first bytes of volume 0.
pub trait VolumeSink {
    /// Volume `index` (0-based; its file suffix is `index + 1`) starts. The
    /// first `held_back` bytes of it are not written now: they are delivered
    /// by [`VolumeSink::patch_start`] when the archive is complete.
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()>;
    /// The next bytes of the current volume.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The current volume is complete; `len` is its full length, held-back
    /// bytes included.
    fn end_volume(&mut self, len: u64) -> io::Result<()>;
    /// The held-back first bytes of volume 0, delivered last.
    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()>;
}

impl<S: VolumeSink + ?Sized> VolumeSink for &mut S {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        (**self).begin_volume(index, held_back)
    }
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        (**self).write(bytes)
    }
    fn end_volume(&mut self, len: u64) -> io::Result<()> {
        (**self).end_volume(len)
    }
    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        (**self).patch_start(bytes)
    }
}

/// The file name of volume `index` (0-based) of archive `name`:
/// `NAME.7z.001`, `NAME.7z.002`, ...
pub fn volume_file_name(name: &str, index: u32) -> String {
    format!("{name}.7z.{:03}", u64::from(index) + 1)
}

/// Writes volumes as files `NAME.7z.001`, ... in one directory: the sink of
/// the `archive` command. Existing files are never replaced.
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
    name: String,
    current: Option<BufWriter<File>>,
    written: Vec<PathBuf>,
}

impl DirSink {
    /// Volumes of archive `name` will be created in `dir`.
    pub fn new(dir: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        DirSink {
            dir: dir.into(),
            name: name.into(),
            current: None,
            written: Vec::new(),
        }
    }

    /// The volume files created so far, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.written
    }

    fn path(&self, index: u32) -> PathBuf {
        self.dir.join(volume_file_name(&self.name, index))
    }
}

impl VolumeSink for DirSink {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        let path = self.path(index);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        // Placeholder bytes keep every later offset right; patch_start fills them.
        out.write_all(&vec![0u8; held_back as usize])?;
        self.current = Some(out);
        self.written.push(path);
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.current {
            Some(out) => out.write_all(bytes),
            None => Err(io::Error::other("write outside a volume")),
        }
    }

    fn end_volume(&mut self, _len: u64) -> io::Result<()> {
        match self.current.take() {
            // No fsync: the pipeline reads the volumes back at once, and a
            // crash mid-archive means archiving again anyway.
            Some(out) => out.into_inner().map(drop).map_err(|e| e.into_error()),
            None => Err(io::Error::other("end_volume without begin_volume")),
        }
    }

    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(0);
        let file = OpenOptions::new().write(true).open(&path)?;
        file.write_all_at(bytes, 0)
    }
}

/// Keeps every volume in memory: for tests and for callers that post small
/// archives directly.
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    /// The volumes, complete once the writer has returned.
    pub volumes: Vec<Vec<u8>>,
    /// How the calls arrived, to let tests check the protocol.
    pub patched: bool,
}

impl VolumeSink for MemorySink {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        if index as usize != self.volumes.len() {
            return Err(io::Error::other("volumes out of order"));
        }
        self.volumes.push(vec![0u8; held_back as usize]);
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.volumes.last_mut() {
            Some(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
            None => Err(io::Error::other("write outside a volume")),
        }
    }
    fn end_volume(&mut self, len: u64) -> io::Result<()> {
        match self.volumes.last() {
            Some(v) if v.len() as u64 == len => Ok(()),
            _ => Err(io::Error::other("volume length mismatch")),
        }
    }
    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.volumes.first_mut() {
            Some(v) if v.len() >= bytes.len() => {
                v[..bytes.len()].copy_from_slice(bytes);
                self.patched = true;
                Ok(())
            }
            _ => Err(io::Error::other("patch_start without volume 0")),
        }
    }
}

impl MemorySink {
    /// Writes the volumes into `dir` as `NAME.7z.001`, ... (for handing them
    /// to other tools).
    pub fn save(&self, dir: &Path, name: &str) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for (i, v) in self.volumes.iter().enumerate() {
            let path = dir.join(volume_file_name(name, i as u32));
            std::fs::write(&path, v)?;
            paths.push(path);
        }
        Ok(paths)
    }
}
