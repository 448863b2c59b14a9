//! The archive's volume sink in the post job: each volume is written to the
//! staging folder and announced to the uploader as soon as it is complete,
//! so PAR2 and posting of volume N run while volume N+1 is being written.

use std::io;
use std::sync::mpsc::Sender;

use ap_archive::{DirSink, VolumeSink};

use crate::progress::{Progress, ProgressSink, emit};

/// What the uploader hears about volumes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Staged {
    /// Volume `index` has this final length (its bytes may still be held).
    Length { index: u32, len: u64 },
    /// Volume `index` is complete on disk.
    Ready { index: u32 },
}

pub(crate) struct StageSink {
    inner: DirSink,
    tx: Sender<Staged>,
    index: u32,
    first_held: bool,
    progress: Option<ProgressSink>,
}

impl StageSink {
    pub(crate) fn new(inner: DirSink, tx: Sender<Staged>, progress: Option<ProgressSink>) -> Self {
        StageSink {
            inner,
            tx,
            index: 0,
            first_held: false,
            progress,
        }
    }

    fn tell(&self, msg: Staged) -> io::Result<()> {
        self.tx
            .send(msg)
            .map_err(|_| io::Error::other("the uploader stopped"))
    }
}

impl VolumeSink for StageSink {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        self.index = index;
        if index == 0 {
            self.first_held = held_back > 0;
        }
        self.inner.begin_volume(index, held_back)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write(bytes)?;
        emit(&self.progress, Progress::Read(bytes.len() as u64));
        Ok(())
    }

    fn end_volume(&mut self, len: u64) -> io::Result<()> {
        self.inner.end_volume(len)?;
        self.tell(Staged::Length {
            index: self.index,
            len,
        })?;
        if self.index == 0 && self.first_held {
            return Ok(());
        }
        self.tell(Staged::Ready { index: self.index })
    }

    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.patch_start(bytes)?;
        self.tell(Staged::Ready { index: 0 })
    }
}
