//! Splitting one archive stream into volumes (writing) and joining volume
//! files back into one seekable stream (reading).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sink::VolumeSink;

/// Smallest volume size accepted: the start header must fit in volume 0.
pub const MIN_VOLUME_SIZE: u64 = 64;

/// A `Write` over a [`VolumeSink`] that cuts the stream every `volume_size`
/// bytes. Volumes begin lazily, so no empty trailing volume is ever made.
pub(crate) struct VolumeWriter<S: VolumeSink> {
    sink: S,
    volume_size: u64,
    /// Index of the open volume, if one is open.
    open: Option<u32>,
    next_index: u32,
    in_volume: u64,
    total: u64,
    held_back: u32,
    pub(crate) lengths: Vec<u64>,
}

impl<S: VolumeSink> VolumeWriter<S> {
    /// `held_back` leading bytes of volume 0 are counted but not written:
    /// the caller delivers them with [`VolumeWriter::finish`].
    pub(crate) fn new(sink: S, volume_size: u64, held_back: u32) -> Self {
        VolumeWriter {
            sink,
            volume_size,
            open: None,
            next_index: 0,
            in_volume: 0,
            total: u64::from(held_back),
            held_back,
            lengths: Vec::new(),
        }
    }

    /// Bytes of the archive so far, held-back bytes included.
    pub(crate) fn position(&self) -> u64 {
        self.total
    }

    fn begin_if_needed(&mut self) -> io::Result<()> {
        if self.open.is_none() {
            let index = self.next_index;
            let held = if index == 0 { self.held_back } else { 0 };
            self.sink.begin_volume(index, held)?;
            self.open = Some(index);
            self.next_index += 1;
            self.in_volume = u64::from(held);
        }
        Ok(())
    }

    fn end_current(&mut self) -> io::Result<()> {
        if self.open.take().is_some() {
            self.sink.end_volume(self.in_volume)?;
            self.lengths.push(self.in_volume);
        }
        Ok(())
    }

    /// Ends the last volume and delivers the held-back start, if any.
    pub(crate) fn finish(mut self, start: &[u8]) -> io::Result<(S, Vec<u64>)> {
        if self.open.is_none() && self.next_index == 0 {
            // An archive is never empty, but keep the protocol intact anyway.
            self.begin_if_needed()?;
        }
        self.end_current()?;
        if self.held_back > 0 {
            self.sink.patch_start(start)?;
        }
        Ok((self.sink, self.lengths))
    }
}

impl<S: VolumeSink> Write for VolumeWriter<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while !rest.is_empty() {
            self.begin_if_needed()?;
            let room = self.volume_size - self.in_volume;
            let n = rest.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            self.sink.write(&rest[..n])?;
            self.in_volume += n as u64;
            self.total += n as u64;
            rest = &rest[n..];
            if self.in_volume == self.volume_size {
                self.end_current()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The volumes of one archive, read as one seekable stream.
#[derive(Debug)]
pub struct VolumeSet {
    paths: Vec<PathBuf>,
    /// Start offset of each volume in the joined stream, plus the total at the end.
    starts: Vec<u64>,
    pos: u64,
    current: Option<(usize, File)>,
}

impl VolumeSet {
    /// Opens `NAME.7z.001` and every following `NAME.7z.NNN` that exists; a
    /// path not ending in `.001` is read as a single-file archive.
    pub fn open(first: &Path) -> Result<Self> {
        let name = first
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Volumes(format!("{}: not a file name", first.display())))?;
        let mut paths = vec![first.to_path_buf()];
        if let Some(stem) = name.strip_suffix(".001") {
            for n in 2u32.. {
                let next = first.with_file_name(format!("{stem}.{n:03}"));
                if !next.is_file() {
                    break;
                }
                paths.push(next);
            }
        }
        let mut starts = vec![0u64];
        for p in &paths {
            let len = std::fs::metadata(p)
                .map_err(|e| Error::io(p.display().to_string(), e))?
                .len();
            let last = starts.last().copied().unwrap_or(0);
            starts.push(last + len);
        }
        Ok(VolumeSet {
            paths,
            starts,
            pos: 0,
            current: None,
        })
    }

    /// The volume files, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    fn total(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Bytes in all volumes together.
    pub fn len(&self) -> u64 {
        self.total()
    }

    /// Whether the volumes hold no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

impl Read for VolumeSet {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.total() || buf.is_empty() {
            return Ok(0);
        }
        // The volume holding `pos`: the last start at or before it.
        let idx = self.starts.partition_point(|&s| s <= self.pos) - 1;
        let within = self.pos - self.starts[idx];
        let file = match &mut self.current {
            Some((i, f)) if *i == idx => f,
            _ => {
                let f = File::open(&self.paths[idx])?;
                &mut self.current.insert((idx, f)).1
            }
        };
        file.seek(SeekFrom::Start(within))?;
        let room = self.starts[idx + 1] - self.pos;
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} is shorter than when opened", self.paths[idx].display()),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for VolumeSet {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.total().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the archive",
            )),
        }
    }
}
