//! Creating a set from files on disk: each file is read and MD5-hashed on its
//! own thread (several files hash at once), while the encoder multiplies the
//! slices on all cores.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use md5::{Digest, Md5};

use crate::Error;
use crate::create::{Created, DEFAULT_CREATOR, Encoder, EncoderConfig, InputFile};
use crate::md5x2::FileHasher;
use crate::packet::Hash;
use crate::plan::{self, Redundancy, VolumeLayout};

/// Options of [`create_files`].
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// `None` picks one with [`plan::auto_slice_size`].
    pub slice_size: Option<u64>,
    pub redundancy: Redundancy,
    pub layout: VolumeLayout,
    /// Memory budget in bytes for recovery data and the working batch.
    pub memory: usize,
    pub creator: String,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            slice_size: None,
            redundancy: Redundancy::Percent(10.0),
            layout: VolumeLayout::Doubling,
            memory: 1 << 30,
            creator: DEFAULT_CREATOR.to_string(),
        }
    }
}

/// Report of [`create_files`].
#[derive(Debug, Clone)]
pub struct CreateReport {
    pub created: Created,
    /// The spill file used while encoding (removed now), if recovery data
    /// did not fit the memory budget.
    pub spilled_to: Option<PathBuf>,
}

/// MD5 of the first 16 KiB of a file.
pub fn md5_16k(path: &Path) -> Result<Hash, Error> {
    let mut buf = Vec::with_capacity(16384);
    File::open(path)
        .and_then(|f| f.take(16384).read_to_end(&mut buf))
        .map_err(|e| Error::io(path, e))?;
    Ok(Md5::digest(&buf).into())
}

/// Name a file is stored under in a set: its last path component.
pub fn stored_name(path: &Path) -> Result<String, Error> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::io(path, io::Error::other("not a file name")))?;
    String::from_utf8(name.as_bytes().to_vec())
        .map_err(|_| Error::io(path, io::Error::other("file name is not UTF-8: rename it")))
}

/// Creates `DIR/BASE.par2` and its volumes for `paths`.
pub fn create_files(
    paths: &[PathBuf],
    dir: &Path,
    base: &str,
    options: &CreateOptions,
) -> Result<CreateReport, Error> {
    let mut inputs = Vec::with_capacity(paths.len());
    for p in paths {
        let length = std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len();
        inputs.push(InputFile {
            name: stored_name(p)?,
            length,
            md5_16k: Some(md5_16k(p)?),
        });
    }
    let lengths: Vec<u64> = inputs.iter().map(|f| f.length).collect();
    let slice_size = match options.slice_size {
        Some(s) => s,
        None => plan::auto_slice_size(&lengths)?,
    };
    plan::check_slice_size(slice_size, &lengths)?;
    let total: u64 = lengths
        .iter()
        .map(|&l| plan::slices_of(l, slice_size))
        .sum();
    let recovery = plan::recovery_count(options.redundancy, total)?;
    let config = EncoderConfig {
        slice_size,
        recovery_slices: recovery,
        memory: options.memory,
        spill_dir: dir.to_path_buf(),
        creator: options.creator.clone(),
    };
    let mut encoder = Encoder::new(inputs, config)?;
    let spilled_to = encoder.spill_path().map(Path::to_path_buf);

    // Readers: one thread per file, a few files at a time, each hashing its
    // file as it reads and handing slices over a bounded channel.
    let parallel = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    let s = usize::try_from(slice_size).map_err(|_| Error::BadSliceSize(slice_size))?;
    // Slice buffers go round: reader, encoder, back to a reader, so no
    // slice costs a fresh allocation (page faults) or a copy.
    let pool = Pool {
        free: Mutex::new(Vec::new()),
        capacity: crate::gf::split_len(s),
    };
    for group in (0..paths.len()).collect::<Vec<_>>().chunks(parallel) {
        std::thread::scope(|scope| -> Result<(), Error> {
            let (tx, rx) = mpsc::sync_channel::<Msg>(8);
            for &i in group {
                let tx = tx.clone();
                let path = paths[i].clone();
                let pool = &pool;
                scope.spawn(move || read_file(i, &path, s, &tx, pool));
            }
            drop(tx);
            for msg in rx {
                match msg {
                    Msg::Slice(file, index, data, md5) => {
                        if let Some(spare) = encoder.add_slice_vec(file, index, data, md5)? {
                            pool.put(spare);
                        }
                    }
                    Msg::Done(file, md5, head) => encoder.finish_file(file, md5, head)?,
                    Msg::Failed(path, e) => return Err(Error::io(&path, e)),
                }
            }
            Ok(())
        })?;
    }
    let created = encoder.finish(dir, base, options.layout)?;
    Ok(CreateReport {
        created,
        spilled_to,
    })
}

enum Msg {
    Slice(usize, u64, Vec<u8>, Hash),
    Done(usize, Hash, Hash),
    Failed(PathBuf, io::Error),
}

/// Spare slice buffers, each with room for a slice's split layout.
struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    capacity: usize,
}

impl Pool {
    fn take(&self) -> Vec<u8> {
        let spare = self.free.lock().ok().and_then(|mut v| v.pop());
        spare.unwrap_or_else(|| Vec::with_capacity(self.capacity))
    }

    fn put(&self, buf: Vec<u8>) {
        if let Ok(mut v) = self.free.lock() {
            v.push(buf);
        }
    }
}

/// Reads one file in slices on a thread of its own and hashes them on this
/// one: the file's MD5 is one sequential chain, the longest job of the
/// whole create, so nothing else (the read copies) runs on its thread.
fn read_file(file: usize, path: &Path, slice: usize, tx: &mpsc::SyncSender<Msg>, pool: &Pool) {
    let (read_tx, read_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let run = || -> io::Result<()> {
                let mut f = File::open(path)?;
                loop {
                    let mut buf = pool.take();
                    // Stale bytes of a reused buffer are overwritten by the
                    // read or cut off below; only a fresh buffer is zeroed.
                    buf.resize(slice, 0);
                    let got = crate::verify::read_full(&mut f, &mut buf)?;
                    buf.truncate(got);
                    if got == 0 || read_tx.send(Ok(buf)).is_err() || got < slice {
                        return Ok(());
                    }
                }
            };
            if let Err(e) = run() {
                let _ = read_tx.send(Err(e));
            }
        });
        let mut hasher = FileHasher::new(slice);
        for (index, buf) in read_rx.into_iter().enumerate() {
            let buf = match buf {
                Ok(buf) => buf,
                Err(e) => {
                    let _ = tx.send(Msg::Failed(path.to_path_buf(), e));
                    return;
                }
            };
            let md5 = hasher.slice(&buf);
            if tx.send(Msg::Slice(file, index as u64, buf, md5)).is_err() {
                return;
            }
        }
        let (md5, head) = hasher.finish();
        let _ = tx.send(Msg::Done(file, md5, head));
    });
}
