//! The encoder's compute thread. While it hashes and multiplies one batch
//! of slices, the caller fills the next, so reading and hashing the file
//! (the one sequential part) never waits for the multiplication.

use std::io;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crc32fast::Hasher as Crc;
use rayon::prelude::*;

use crate::engine::Engine;
use crate::packet::Hash;
use crate::{gf, md5x};

/// A slice waiting for its batch.
pub(crate) struct Pending {
    /// Global slice number (decides its constant).
    pub global: u64,
    pub file: usize,
    pub index: usize,
    /// The slice, zero-padded to the split-layout length.
    pub data: Vec<u8>,
    /// Its MD5, if the caller computed it.
    pub md5: Option<Hash>,
}

/// What the worker returns for a batch: `(file, index, (md5, crc))` of each
/// slice, and the buffers for reuse.
pub(crate) struct Done {
    pub sums: Vec<(usize, usize, (Hash, u32))>,
    pub buffers: Vec<Vec<u8>>,
    pub result: io::Result<()>,
}

pub(crate) struct Worker {
    tx: Option<SyncSender<Vec<Pending>>>,
    rx: Receiver<Done>,
    handle: Option<JoinHandle<Option<Engine>>>,
    pub in_flight: usize,
}

impl Worker {
    pub(crate) fn spawn(
        engine: Option<Engine>,
        constants: Vec<u16>,
        recovery: usize,
        slice: usize,
        split: usize,
    ) -> Worker {
        let (tx, jobs) = sync_channel::<Vec<Pending>>(1);
        let (done_tx, rx) = sync_channel::<Done>(2);
        let handle = std::thread::spawn(move || {
            let mut engine = engine;
            if let Some(e) = engine.as_mut() {
                e.prefault();
            }
            for mut batch in jobs {
                let result = run(
                    &mut batch,
                    engine.as_mut(),
                    &constants,
                    recovery,
                    slice,
                    split,
                );
                let (sums, buffers) = match result {
                    Ok(sums) => (sums, batch.into_iter().map(|p| p.data).collect()),
                    Err(e) => {
                        let _ = done_tx.send(Done {
                            sums: Vec::new(),
                            buffers: Vec::new(),
                            result: Err(e),
                        });
                        continue;
                    }
                };
                if done_tx
                    .send(Done {
                        sums,
                        buffers,
                        result: Ok(()),
                    })
                    .is_err()
                {
                    break;
                }
            }
            engine
        });
        Worker {
            tx: Some(tx),
            rx,
            handle: Some(handle),
            in_flight: 0,
        }
    }

    /// Hands a batch over; blocks only while the worker still has one queued.
    pub(crate) fn send(&mut self, batch: Vec<Pending>) -> io::Result<()> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| io::Error::other("encoder worker already stopped"))?;
        tx.send(batch)
            .map_err(|_| io::Error::other("encoder worker stopped"))?;
        self.in_flight += 1;
        Ok(())
    }

    /// The next finished batch.
    pub(crate) fn recv(&mut self) -> io::Result<Done> {
        let done = self
            .rx
            .recv()
            .map_err(|_| io::Error::other("encoder worker stopped"))?;
        self.in_flight -= 1;
        Ok(done)
    }

    /// Stops the worker and takes the engine back.
    pub(crate) fn stop(mut self) -> io::Result<Option<Engine>> {
        self.tx = None;
        let handle = self
            .handle
            .take()
            .ok_or_else(|| io::Error::other("encoder worker already stopped"))?;
        handle
            .join()
            .map_err(|_| io::Error::other("encoder worker panicked"))
    }
}

type Sums = Vec<(usize, usize, (Hash, u32))>;

fn run(
    batch: &mut [Pending],
    engine: Option<&mut Engine>,
    constants: &[u16],
    recovery: usize,
    slice: usize,
    split: usize,
) -> io::Result<Sums> {
    // MD5s first (of the zero-padded slice), sixteen lanes at a time, for
    // slices the caller did not hash.
    let unhashed: Vec<&[u8]> = batch
        .iter()
        .filter(|p| p.md5.is_none())
        .map(|p| &p.data[..slice])
        .collect();
    let mut computed = unhashed
        .par_chunks(16)
        .flat_map_iter(md5x::md5_many)
        .collect::<Vec<Hash>>()
        .into_iter();
    let md5s: Vec<Hash> = batch
        .iter()
        .map(|p| p.md5.or_else(|| computed.next()).unwrap_or_default())
        .collect();
    // Then CRC32; the engine turns the slices into split layout tile by
    // tile as it copies them.
    let crcs: Vec<u32> = batch
        .par_iter()
        .map(|p| {
            let mut crc = Crc::new();
            crc.update(&p.data[..slice]);
            crc.finalize()
        })
        .collect();
    if let Some(engine) = engine {
        let n = batch.len();
        let mut coeffs = vec![0u16; recovery * n];
        for (i, p) in batch.iter().enumerate() {
            let c = constants.get(p.global as usize).copied().unwrap_or(0);
            for j in 0..recovery {
                coeffs[j * n + i] = gf::pow(c, j as u32);
            }
        }
        let inputs: Vec<&[u8]> = batch.iter().map(|p| &p.data[..split]).collect();
        engine.process_raw(&inputs, &coeffs)?;
    }
    Ok(batch
        .iter()
        .zip(md5s.into_iter().zip(crcs))
        .map(|(p, sum)| (p.file, p.index, sum))
        .collect())
}
