//! The matrix engine under create and repair: `outputs[j] ^= Σ_i c[j][i] ·
//! inputs[i]`, batch after batch, over all cores.
//!
//! Accumulators are stored tile-major (`[tile][output][tile bytes]`) so each
//! thread owns whole tiles, and a tile's inputs stay in cache while every
//! output is updated. When the accumulators do not fit the memory budget
//! they live in a spill file of exactly that size and pass through memory a
//! window of tiles at a time.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::gf::{self, Kernel};

/// Where the accumulators live.
enum Store {
    Memory(Vec<u8>),
    Spill {
        file: File,
        path: PathBuf,
        window: Vec<u8>,
        tiles_per_window: usize,
    },
}

pub(crate) struct Engine {
    /// Split-layout bytes per slice.
    split: usize,
    outputs: usize,
    tile: usize,
    store: Store,
    kernel: Kernel,
}

impl Engine {
    /// An engine for `outputs` slices of `split` split-layout bytes, fed
    /// batches of up to `batch` inputs. `memory` bounds the accumulators;
    /// beyond it they spill into a file created in `spill_dir`.
    pub(crate) fn new(
        split: usize,
        outputs: usize,
        batch: usize,
        memory: usize,
        spill_dir: &Path,
    ) -> io::Result<Engine> {
        // About 32 KiB of inputs per tile keeps them in L1 while every
        // output passes over them (the kernel takes all outputs of a tile
        // in one call, two per pass): measured in `benches/parity.rs`,
        // 512-byte tiles of 64 inputs run twice as fast as 4 KiB ones.
        let tile = (32 * 1024 / batch.max(1)).clamp(256, 16 * 1024) / gf::BLOCK * gf::BLOCK;
        let tile = tile.min(split.max(gf::BLOCK));
        let total = split * outputs;
        let store = if total <= memory {
            Store::Memory(vec![0u8; total])
        } else {
            let tile_bytes = tile * outputs;
            let tiles_per_window = (memory / tile_bytes.max(1)).max(1);
            let mut spill = tempfile_in(spill_dir)?;
            spill.0.set_len(total as u64)?;
            Store::Spill {
                file: spill.0,
                path: std::mem::take(&mut spill.1),
                window: vec![0u8; tiles_per_window * tile_bytes],
                tiles_per_window,
            }
        };
        Ok(Engine {
            split,
            outputs,
            tile,
            store,
            kernel: Kernel::detect(),
        })
    }

    /// Maps the accumulators' pages by writing one byte in each. Fresh
    /// zeroed memory is mapped lazily; the first batch would read each page
    /// (mapping the shared zero page) and then write it (a second fault to
    /// copy it). Run on the worker thread while the first batch is read.
    pub(crate) fn prefault(&mut self) {
        const PAGE: usize = 4096;
        let buf = match &mut self.store {
            Store::Memory(acc) => acc.as_mut_slice(),
            Store::Spill { window, .. } => window.as_mut_slice(),
        };
        buf.par_chunks_mut(1 << 20).for_each(|chunk| {
            for page in chunk.chunks_mut(PAGE) {
                // A write the compiler cannot drop as storing a known zero.
                page[0] = std::hint::black_box(0);
            }
        });
    }

    /// Path of the spill file, when the accumulators did not fit in memory.
    pub(crate) fn spill_path(&self) -> Option<&Path> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Spill { path, .. } => Some(path),
        }
    }

    fn tiles(&self) -> usize {
        self.split.div_ceil(self.tile)
    }

    fn tile_width(&self, t: usize) -> usize {
        self.tile.min(self.split - t * self.tile)
    }

    /// Byte offset of tile `t` in the tile-major store.
    fn tile_offset(&self, t: usize) -> usize {
        t * self.tile * self.outputs
    }

    /// Adds `Σ_i coeffs[j * n + i] · inputs[i]` to every output `j`.
    /// Inputs are split-layout, `split` bytes each.
    pub(crate) fn process(&mut self, inputs: &[&[u8]], coeffs: &[u16]) -> io::Result<()> {
        self.run(inputs, coeffs, false)
    }

    /// Like [`process`](Engine::process) with inputs in PAR2's byte order
    /// (zero-padded to `split` bytes): each tile turns into split layout
    /// as it is copied side by side, one pass over the data instead of two.
    pub(crate) fn process_raw(&mut self, inputs: &[&[u8]], coeffs: &[u16]) -> io::Result<()> {
        self.run(inputs, coeffs, true)
    }

    fn run(&mut self, inputs: &[&[u8]], coeffs: &[u16], raw: bool) -> io::Result<()> {
        let n = inputs.len();
        if n == 0 || self.outputs == 0 {
            return Ok(());
        }
        debug_assert_eq!(coeffs.len(), n * self.outputs);
        let tiles = self.tiles();
        let (tile, outputs, kernel, split) = (self.tile, self.outputs, self.kernel, self.split);
        let prepared = kernel.prepare(coeffs);
        let work = |first_tile: usize, buf: &mut [u8]| {
            // Carve `buf` (tiles first_tile.. in tile-major order) into
            // disjoint per-tile chunks, then run them in parallel.
            let mut chunks = Vec::new();
            let mut rest = buf;
            let mut t = first_tile;
            while !rest.is_empty() && t < tiles {
                let w = tile.min(split - t * tile);
                let (head, tail) = rest.split_at_mut(w * outputs);
                chunks.push((t, w, head));
                rest = tail;
                t += 1;
            }
            chunks.into_par_iter().for_each_init(
                Vec::new,
                |scratch: &mut Vec<u8>, (t, w, chunk)| {
                    // The tile's column of every input, copied side by side:
                    // the inputs are separate buffers at the same offsets
                    // modulo the page size, so read in place their columns
                    // would all fall into the same few L1 sets and evict one
                    // another on every output.
                    let off = t * tile;
                    scratch.clear();
                    for s in inputs {
                        let column = &s[off..off + w];
                        if raw {
                            let at = scratch.len();
                            scratch.resize(at + w, 0);
                            gf::to_split(column, &mut scratch[at..]);
                        } else {
                            scratch.extend_from_slice(column);
                        }
                    }
                    let srcs: Vec<&[u8]> = scratch.chunks_exact(w).collect();
                    kernel.mul_add_outputs(chunk, &srcs, &prepared);
                },
            );
        };
        match &mut self.store {
            Store::Memory(acc) => work(0, acc),
            Store::Spill {
                file,
                window,
                tiles_per_window,
                ..
            } => {
                let mut t = 0;
                while t < tiles {
                    let last = (t + *tiles_per_window).min(tiles);
                    let start = t * tile * outputs;
                    let end = if last == tiles {
                        split * outputs
                    } else {
                        last * tile * outputs
                    };
                    let buf = &mut window[..end - start];
                    file.read_exact_at(buf, start as u64)?;
                    work(t, buf);
                    file.write_all_at(buf, start as u64)?;
                    t = last;
                }
            }
        }
        Ok(())
    }

    /// Output `j` in split layout (`split` bytes).
    pub(crate) fn output_split(&self, j: usize, out: &mut [u8]) -> io::Result<()> {
        for t in 0..self.tiles() {
            let w = self.tile_width(t);
            let src = self.tile_offset(t) + j * w;
            let dst = &mut out[t * self.tile..t * self.tile + w];
            match &self.store {
                Store::Memory(acc) => dst.copy_from_slice(&acc[src..src + w]),
                Store::Spill { file, .. } => file.read_exact_at(dst, src as u64)?,
            }
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Store::Spill { path, .. } = &self.store {
            // Best effort: the file is ours and only holds scratch data.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A fresh scratch file in `dir` (no extra dependency: a unique name from
/// the process ID and a counter, created exclusively).
fn tempfile_in(dir: &Path) -> io::Result<(File, PathBuf)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".ap-parity-spill-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
