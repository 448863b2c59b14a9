//! Reading the files of a folder, in order and exactly as the walk saw them,
//! on a thread of its own so the disk works while the coder does.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::walk::{EntryKind, Tree};

const CHUNK: usize = 1 << 20;

/// Feeds every entry's data, exactly as planned, to `emit`. A reader thread
/// fills the next buffers while `emit` encrypts or compresses the current one.
pub(crate) fn for_each_chunk(
    tree: &Tree,
    entries: &[usize],
    mut emit: impl FnMut(&mut [u8]) -> io::Result<()>,
) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>>>(3);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut next_buf = || back_rx.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
            let sent = read_entries(tree, entries, &mut next_buf, &mut |chunk| {
                tx.send(Ok(chunk)).is_ok()
            });
            if let Err(e) = sent {
                // The consumer may be gone already; then nobody needs the error.
                let _ = tx.send(Err(e));
            }
        });
        for chunk in rx {
            let mut chunk = chunk?;
            emit(&mut chunk).map_err(|e| Error::io("writing volumes", e))?;
            let _ = back_tx.send(chunk);
        }
        Ok(())
    })
}

/// Reads the entries' data in chunks; stops early (Ok) when `deliver` says
/// the consumer is gone.
fn read_entries(
    tree: &Tree,
    entries: &[usize],
    next_buf: &mut dyn FnMut() -> Vec<u8>,
    deliver: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<()> {
    for &i in entries {
        let e = &tree.entries[i];
        match &e.kind {
            EntryKind::Symlink { target } => {
                if !deliver(target.as_bytes().to_vec()) {
                    return Ok(());
                }
            }
            EntryKind::File { size } => {
                let rerr = |err| Error::io(e.source.display().to_string(), err);
                let changed = || Error::FileChanged {
                    path: e.source.clone(),
                    expected: *size,
                };
                let mut f = File::open(&e.source).map_err(rerr)?;
                let mut left = *size;
                while left > 0 {
                    let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                    let mut buf = next_buf();
                    buf.resize(want, 0);
                    let n = read_full(&mut f, &mut buf).map_err(rerr)?;
                    if n < want {
                        return Err(changed());
                    }
                    if !deliver(buf) {
                        return Ok(());
                    }
                    left -= n as u64;
                }
                let mut probe = [0u8; 1];
                if f.read(&mut probe).map_err(rerr)? != 0 {
                    return Err(changed());
                }
            }
            EntryKind::Dir => {}
        }
    }
    Ok(())
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
