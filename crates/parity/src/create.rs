//! The streaming encoder: slices in, in any order; recovery files out at the
//! end.

use std::path::{Path, PathBuf};

use crate::batch::{Pending, Worker};
use crate::engine::Engine;
use crate::gf;
use crate::packet::{
    self, FileDesc, Hash, Ifsc, Main, TYPE_CREATOR, TYPE_FILE_DESC, TYPE_IFSC, TYPE_MAIN,
};
use crate::plan::{self, VolumeLayout};
use crate::{Error, write};

/// One input file of a set, as far as it is known before its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The name stored in the set (no directories), UTF-8.
    pub name: String,
    pub length: u64,
    /// MD5 of the first 16 KiB. Sets of several files need it up front,
    /// because it decides the order that numbers every slice; a one-file set
    /// may give it later, to [`Encoder::finish_file`].
    pub md5_16k: Option<Hash>,
}

/// Settings of an [`Encoder`].
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    pub slice_size: u64,
    pub recovery_slices: u32,
    /// Bytes the encoder may hold: recovery accumulators plus the batches of
    /// slices being multiplied. Accumulators that do not fit spill to a file
    /// of the recovery data's size (slices are padded to 128 bytes there, so
    /// a slice size that is not a multiple of 128 adds up to 124 bytes per
    /// recovery slice; the automatic sizes are multiples of 128).
    pub memory: usize,
    /// Where a spill file goes, if one is needed.
    pub spill_dir: PathBuf,
    /// Text of the Creator packet.
    pub creator: String,
}

/// Text of the Creator packet unless the caller names one: generic on
/// purpose, so posted sets do not name this tool.
pub const DEFAULT_CREATOR: &str = "PAR 2.0 client";

struct FileState {
    input: InputFile,
    slices: u64,
    first_slice: u64,
    md5: Option<Hash>,
    checksums: Vec<Option<(Hash, u32)>>,
    /// Slices handed to the encoder (their checksums may still be coming).
    seen: Vec<bool>,
}

/// Builds one PAR2 recovery set from slices fed in any order.
///
/// Feed every slice with [`add_slice`](Encoder::add_slice), report each
/// file's MD5 with [`finish_file`](Encoder::finish_file), then
/// [`finish`](Encoder::finish) writes the index and volume files. Recovery
/// data is a sum over slices, so arrival order does not change it.
pub struct Encoder {
    slice_size: usize,
    split: usize,
    files: Vec<FileState>,
    input_slices: u64,
    recovery: u32,
    worker: Worker,
    spill: Option<PathBuf>,
    batch: usize,
    /// Slices the pending batch is handed over at: small at first, so the
    /// multiplying starts while the first slices are still being read and
    /// hashed, then doubling up to `batch`.
    flush_at: usize,
    pending: Vec<Pending>,
    spare: Vec<Vec<u8>>,
    creator: String,
}

/// What [`Encoder::finish`] wrote.
#[derive(Debug, Clone)]
pub struct Created {
    pub index: PathBuf,
    pub volumes: Vec<PathBuf>,
    pub slice_size: u64,
    pub input_slices: u64,
    pub recovery_slices: u32,
    pub set_id: Hash,
    /// Zero-byte inputs, left out of the set (PAR2 clients treat an empty
    /// file in a set as damaged); whoever restores the files makes these.
    pub skipped_empty: Vec<String>,
}

impl Encoder {
    /// Plans the set. Fails when the slice size or counts break PAR2's limits
    /// or when several files come without their 16 KiB MD5s.
    pub fn new(files: Vec<InputFile>, config: EncoderConfig) -> Result<Encoder, Error> {
        let lengths: Vec<u64> = files.iter().map(|f| f.length).collect();
        plan::check_slice_size(config.slice_size, &lengths)?;
        let slice_size = usize::try_from(config.slice_size)
            .map_err(|_| Error::BadSliceSize(config.slice_size))?;
        if files.len() > 1 && files.iter().any(|f| f.md5_16k.is_none()) {
            return Err(Error::OrderUnknown);
        }
        let mut states: Vec<FileState> = files
            .into_iter()
            .map(|input| {
                let slices = plan::slices_of(input.length, config.slice_size);
                FileState {
                    input,
                    slices,
                    first_slice: 0,
                    md5: None,
                    checksums: vec![None; slices as usize],
                    seen: vec![false; slices as usize],
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..states.len()).collect();
        if states.len() > 1 {
            let ids: Vec<Hash> = states
                .iter()
                .map(|f| f.id_with(f.input.md5_16k.unwrap_or_default()))
                .collect();
            order.sort_by(|&a, &b| packet::id_order(&ids[a], &ids[b]));
        }
        let mut next = 0;
        for &i in &order {
            states[i].first_slice = next;
            next += states[i].slices;
        }
        let total = next as usize;
        let split = gf::split_len(slice_size);
        let recovery = if total == 0 {
            0
        } else {
            config.recovery_slices
        };
        let acc = split.saturating_mul(recovery as usize);
        // Two batches (one filling, one computing) inside the budget left
        // after the accumulators, of up to 96 MiB each (128 slices at
        // most). Each batch passes over all accumulators once, so bigger
        // batches mean less memory traffic: 128 slices of 768000 bytes use
        // 18% less CPU than 64. 192 MiB of batches plus the read-ahead stay
        // inside the 256 MiB over the recovery size that creating may use.
        // When the accumulators spill, each batch costs a read and a write
        // of the whole spill file: then three quarters of the budget go to
        // batches (up to 512 slices) and the rest is the window through
        // which the spill file passes.
        let batch = if acc <= config.memory {
            (config.memory - acc) / (2 * split)
        } else {
            config.memory / 4 * 3 / (2 * split)
        };
        let cap = if acc <= config.memory {
            ((96 << 20) / split).clamp(4, 128)
        } else {
            512
        };
        let batch = batch.clamp(4, cap).min(total.max(1));
        let acc_budget = config.memory.saturating_sub(2 * batch * split);
        let engine = if recovery > 0 {
            Some(
                Engine::new(
                    split,
                    recovery as usize,
                    batch,
                    acc_budget,
                    &config.spill_dir,
                )
                .map_err(Error::Spill)?,
            )
        } else {
            None
        };
        let spill = engine
            .as_ref()
            .and_then(Engine::spill_path)
            .map(Path::to_path_buf);
        let worker = Worker::spawn(
            engine,
            gf::input_constants(total),
            recovery as usize,
            slice_size,
            split,
        );
        Ok(Encoder {
            slice_size,
            split,
            files: states,
            input_slices: total as u64,
            recovery,
            worker,
            spill,
            batch,
            flush_at: batch.min(16),
            pending: Vec::with_capacity(batch),
            spare: Vec::new(),
            creator: config.creator,
        })
    }

    /// The spill file, when the recovery data did not fit the memory budget.
    pub fn spill_path(&self) -> Option<&Path> {
        self.spill.as_deref()
    }

    /// Number of recovery slices this set will carry.
    pub fn recovery_slices(&self) -> u32 {
        self.recovery
    }

    /// Adds slice `index` of file `file` (its bytes; the last slice of a file
    /// may be short). Any order; each slice once.
    pub fn add_slice(&mut self, file: usize, index: u64, data: &[u8]) -> Result<(), Error> {
        self.add(file, index, data, None)
    }

    /// Like [`add_slice`](Encoder::add_slice), with the slice's MD5 (of the
    /// zero-padded slice) already computed, as [`crate::FileHasher`] makes
    /// it while hashing the whole file in the same pass.
    pub fn add_slice_hashed(
        &mut self,
        file: usize,
        index: u64,
        data: &[u8],
        md5: Hash,
    ) -> Result<(), Error> {
        self.add(file, index, data, Some(md5))
    }

    /// Like [`add_slice_hashed`](Encoder::add_slice_hashed), taking the
    /// slice's buffer instead of copying it (a reader that fills buffers
    /// saves a copy of every byte). Returns a spare buffer, when the encoder
    /// has one, for the caller to fill next; buffers with capacity for
    /// [`gf::split_len`]`(slice_size)` bytes are never reallocated.
    pub fn add_slice_vec(
        &mut self,
        file: usize,
        index: u64,
        data: Vec<u8>,
        md5: Hash,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.check(file, index, data.len())?;
        self.push(file, index, data, Some(md5))?;
        Ok(self.spare.pop())
    }

    fn add(
        &mut self,
        file: usize,
        index: u64,
        data: &[u8],
        md5: Option<Hash>,
    ) -> Result<(), Error> {
        self.check(file, index, data.len())?;
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.push(file, index, buf, md5)
    }

    /// Refuses a slice that is out of range, the wrong length or a repeat.
    fn check(&self, file: usize, index: u64, len: usize) -> Result<(), Error> {
        let f = self.files.get(file).ok_or(Error::NoSuchFile(file))?;
        if index >= f.slices {
            return Err(Error::SliceOutOfRange {
                file: f.input.name.clone(),
                index,
            });
        }
        let want =
            (f.input.length - index * self.slice_size as u64).min(self.slice_size as u64) as usize;
        if len != want {
            return Err(Error::SliceLength {
                file: f.input.name.clone(),
                index,
                got: len,
                want,
            });
        }
        if f.seen[index as usize] {
            return Err(Error::DuplicateSlice {
                file: f.input.name.clone(),
                index,
            });
        }
        Ok(())
    }

    /// Queues a checked slice; `buf` holds exactly its bytes.
    fn push(
        &mut self,
        file: usize,
        index: u64,
        mut buf: Vec<u8>,
        md5: Option<Hash>,
    ) -> Result<(), Error> {
        let global = self.files[file].first_slice + index;
        self.files[file].seen[index as usize] = true;
        // Zero padding to the split-layout length the engine works in.
        buf.resize(self.split, 0);
        self.pending.push(Pending {
            global,
            file,
            index: index as usize,
            data: buf,
            md5,
        });
        if self.pending.len() >= self.flush_at {
            self.flush_at = (self.flush_at * 2).min(self.batch);
            self.flush(1)?;
        }
        Ok(())
    }

    /// Records a finished file's MD5 (and its 16 KiB MD5, needed here if it
    /// was not known up front).
    pub fn finish_file(&mut self, file: usize, md5: Hash, md5_16k: Hash) -> Result<(), Error> {
        let f = self.files.get_mut(file).ok_or(Error::NoSuchFile(file))?;
        if let Some(known) = f.input.md5_16k
            && known != md5_16k
        {
            return Err(Error::HashChanged(f.input.name.clone()));
        }
        f.input.md5_16k = Some(md5_16k);
        f.md5 = Some(md5);
        Ok(())
    }

    /// Hands the pending batch to the worker, then collects finished
    /// batches until at most `keep` are still in flight.
    fn flush(&mut self, keep: usize) -> Result<(), Error> {
        if !self.pending.is_empty() {
            let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.batch));
            self.worker.send(batch).map_err(Error::Spill)?;
        }
        while self.worker.in_flight > keep {
            let done = self.worker.recv().map_err(Error::Spill)?;
            done.result.map_err(Error::Spill)?;
            for (file, index, sum) in done.sums {
                self.files[file].checksums[index] = Some(sum);
            }
            self.spare.extend(done.buffers);
        }
        Ok(())
    }

    /// Writes `BASE.par2` and the `BASE.volA+B.par2` files into `dir`.
    pub fn finish(
        mut self,
        dir: &Path,
        base: &str,
        layout: VolumeLayout,
    ) -> Result<Created, Error> {
        self.flush(0)?;
        self.spare.clear();
        let engine = self.worker.stop().map_err(Error::Spill)?;
        for f in &self.files {
            let missing = f.checksums.iter().filter(|c| c.is_none()).count();
            if missing > 0 {
                return Err(Error::Incomplete(format!(
                    "{} slices of {} never arrived",
                    missing, f.input.name
                )));
            }
            if f.md5.is_none() {
                return Err(Error::Incomplete(format!(
                    "the MD5 of {} never arrived",
                    f.input.name
                )));
            }
        }
        // Zero-byte files stay out of the set, as par2cmdline and
        // par2cmdline-turbo leave them out: par2cmdline reports an empty
        // file of a set as damaged. The order of the others was fixed by the
        // up-front hashes, which finish_file checked did not change.
        let mut ordered: Vec<&FileState> =
            self.files.iter().filter(|f| f.input.length > 0).collect();
        ordered.sort_by_key(|f| f.first_slice);
        let skipped_empty: Vec<String> = self
            .files
            .iter()
            .filter(|f| f.input.length == 0)
            .map(|f| f.input.name.clone())
            .collect();
        let descs: Vec<FileDesc> = ordered
            .iter()
            .map(|f| {
                let md5_16k = f.input.md5_16k.unwrap_or_default();
                FileDesc {
                    file_id: f.id_with(md5_16k),
                    md5: f.md5.unwrap_or_default(),
                    md5_16k,
                    length: f.input.length,
                    name: f.input.name.as_bytes().to_vec(),
                }
            })
            .collect();
        let main = Main {
            slice_size: self.slice_size as u64,
            recovery_ids: descs.iter().map(|d| d.file_id).collect(),
            non_recovery_ids: Vec::new(),
        };
        let set_id = main.set_id();
        let mut critical = packet::packet(&set_id, &TYPE_MAIN, &main.body());
        for (d, f) in descs.iter().zip(&ordered) {
            critical.extend(packet::packet(&set_id, &TYPE_FILE_DESC, &d.body()));
            let ifsc = Ifsc {
                file_id: d.file_id,
                slices: f.checksums.iter().flatten().copied().collect(),
            };
            critical.extend(packet::packet(&set_id, &TYPE_IFSC, &ifsc.body()));
        }
        critical.extend(packet::packet(
            &set_id,
            &TYPE_CREATOR,
            &packet::creator_body(&self.creator),
        ));

        let index = dir.join(format!("{base}.par2"));
        write::write_file(&index, &[&critical]).map_err(|e| Error::io(&index, e))?;
        let largest = self.files.iter().map(|f| f.slices).max().unwrap_or(0);
        let vols = plan::volumes(self.recovery, layout, largest);
        let paths: Vec<PathBuf> = vols
            .iter()
            .map(|&(first, count)| dir.join(plan::volume_name(base, first, count, self.recovery)))
            .collect();
        if let Some(engine) = &engine {
            let volumes = write::Volumes {
                set_id,
                slice_size: self.slice_size,
                split: self.split,
                layout: &vols,
                paths: &paths,
                critical: &critical,
            };
            write::write_volumes(engine, &volumes)?;
        }
        Ok(Created {
            index,
            volumes: paths,
            slice_size: self.slice_size as u64,
            input_slices: self.input_slices,
            recovery_slices: self.recovery,
            set_id,
            skipped_empty,
        })
    }
}

impl FileState {
    fn id_with(&self, md5_16k: Hash) -> Hash {
        packet::file_id(&md5_16k, self.input.length, self.input.name.as_bytes())
    }
}
