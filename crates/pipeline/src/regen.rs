//! Bytes of streamed volumes, produced a second time. The archive is
//! byte-repeatable (its IVs come from a seed derived from K), so a re-post
//! of an article that vanished writes the archive again into a sink that
//! keeps only the wanted ranges: no volume is ever kept on disk for it.

use std::collections::HashMap;
use std::io;

use ap_archive::{Password, Tree, VolumeSink, WriteOptions, write_archive};

use crate::error::{Error, Result};

/// An article of the set: (file, part).
pub(crate) type Article = (u32, u32);

/// One range wanted back: `len` bytes at `start` of volume `volume`, known
/// to the caller as `key` (file, part).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    pub volume: u32,
    pub start: u64,
    pub len: usize,
    pub key: (u32, u32),
}

struct Capture {
    held: bool,
    wants: HashMap<u32, Vec<Want>>,
    last_volume: u32,
    volume: u32,
    pos: u64,
    out: HashMap<(u32, u32), Vec<u8>>,
}

impl VolumeSink for Capture {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        if index == 0 {
            self.held = held_back > 0;
        }
        // Everything wanted is captured: stop the writer early (not when
        // volume 0's first bytes still come last).
        if index > self.last_volume && !self.held {
            return Err(io::Error::other(DONE));
        }
        self.volume = index;
        self.pos = u64::from(if index == 0 { held_back } else { 0 });
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.capture(bytes);
        Ok(())
    }

    fn end_volume(&mut self, _len: u64) -> io::Result<()> {
        Ok(())
    }

    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Volume 0's held-back first bytes.
        self.volume = 0;
        self.pos = 0;
        self.capture(bytes);
        Ok(())
    }
}

impl Capture {
    fn capture(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len() as u64;
        if let Some(wants) = self.wants.get(&self.volume) {
            for w in wants {
                let w_end = w.start + w.len as u64;
                let (from, to) = (w.start.max(self.pos), w_end.min(end));
                if from < to {
                    let buf = self.out.entry(w.key).or_insert_with(|| vec![0; w.len]);
                    let src = &bytes[(from - self.pos) as usize..(to - self.pos) as usize];
                    buf[(from - w.start) as usize..(to - w.start) as usize].copy_from_slice(src);
                }
            }
        }
        self.pos = end;
    }
}

const DONE: &str = "captured every wanted range";

/// Writes the archive again and returns the wanted ranges.
pub(crate) fn regenerate(
    tree: &Tree,
    password: &Password,
    options: &WriteOptions,
    wants: Vec<Want>,
) -> Result<Vec<(Article, Vec<u8>)>> {
    let last_volume = wants.iter().map(|w| w.volume).max().unwrap_or(0);
    let keys: Vec<(u32, u32)> = wants.iter().map(|w| w.key).collect();
    let mut by_volume: HashMap<u32, Vec<Want>> = HashMap::new();
    for w in wants {
        by_volume.entry(w.volume).or_default().push(w);
    }
    let mut capture = Capture {
        held: false,
        wants: by_volume,
        last_volume,
        volume: 0,
        pos: 0,
        out: HashMap::new(),
    };
    let written = write_archive(tree, password, options, &mut capture).map(|_| ());
    // The writer stops with an error once the sink has all it wants.
    let complete = keys.iter().all(|k| capture.out.contains_key(k));
    if let (Err(e), false) = (written, complete) {
        return Err(Error::Archive(e));
    }
    keys.into_iter()
        .map(|k| {
            capture
                .out
                .remove(&k)
                .map(|b| (k, b))
                .ok_or_else(|| Error::Internal("a wanted range was never written".into()))
        })
        .collect()
}
