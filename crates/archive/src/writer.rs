//! Writing an archive: plan the folders, stream each through its coder and
//! 7zAES into the volume writer, then the encrypted header and the start header.

use std::io::{self, Write};
use std::num::NonZeroU64;

use lzma_rust2::{EncodeMode, Lzma2Options, Lzma2Writer, Lzma2WriterMt, LzmaOptions, MfType};

use crate::crypto::{AesWriter, DEFAULT_KDF_POWER, Key, Password};
use crate::error::{Error, Result};
use crate::format::{self, Coder, Folder, START_HEADER_LEN};
use crate::sample;
use crate::sink::VolumeSink;
use crate::source::for_each_chunk;
use crate::volume::{MIN_VOLUME_SIZE, VolumeWriter};
use crate::walk::{EntryKind, Tree};

/// How file data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Sample each file; compress what compresses, store the rest.
    Auto,
    /// LZMA2 for everything.
    Lzma2,
    /// Store everything (still encrypted).
    Copy,
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Method::Auto),
            "lzma2" => Ok(Method::Lzma2),
            "copy" => Ok(Method::Copy),
            other => Err(Error::InvalidOption(format!(
                "method {other:?} (use auto, lzma2 or copy)"
            ))),
        }
    }
}

/// Settings of one archive.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub method: Method,
    /// LZMA2 level, 0 (fastest) to 9 (smallest); 1 matches 7-Zip's `-mx=1`.
    pub level: u32,
    /// Compression threads; 0 means one per available core.
    pub threads: u32,
    /// Bytes per volume (the last one may be shorter).
    pub volume_size: u64,
    /// Key stretching: 2^power SHA-256 rounds (7-Zip uses 19).
    pub kdf_power: u8,
    /// Derive every AES IV from this seed instead of drawing it at random,
    /// so that writing the same tree again gives the same bytes: a resumed
    /// job can then re-create the volumes it already posted. Use a secret
    /// seed (the pipeline derives it from the set key), one per set.
    pub iv_seed: Option<[u8; 32]>,
    /// LZMA2 folders holding at most this many bytes in all are compressed
    /// (and encrypted) into memory before the first byte goes out, so every
    /// size is known up front and the volumes still stream in order: a
    /// media folder with a few compressible text files is not staged on
    /// disk for their sake. Above it, the start header is held back.
    pub compress_in_memory: u64,
}

/// The default of [`WriteOptions::compress_in_memory`].
pub const COMPRESS_IN_MEMORY: u64 = 64 << 20;

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            method: Method::Auto,
            level: 1,
            threads: 0,
            volume_size: 20 << 30,
            kdf_power: DEFAULT_KDF_POWER,
            iv_seed: None,
            compress_in_memory: COMPRESS_IN_MEMORY,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Length of each volume, in order.
    pub volumes: Vec<u64>,
    /// Whether volume 0's first 32 bytes came last through `patch_start`.
    /// False when every size was known up front (no LZMA2 folder): then the
    /// whole archive streamed in order.
    pub start_held_back: bool,
    /// Files whose data was LZMA2-compressed and files stored.
    pub compressed_files: usize,
    pub stored_files: usize,
    /// Plain bytes of file data, and bytes of the whole archive.
    pub data_len: u64,
    pub archive_len: u64,
}

/// LZMA2 settings for a level. Level 1 is tuned to land within a percent or
/// two of 7-Zip's `-mx=1` size at its speed (hash-chain finder, fast mode,
/// 256 KiB dictionary); levels 2 to 9 are the xz presets.
pub(crate) fn lzma_options(level: u32) -> Result<LzmaOptions> {
    Ok(match level {
        0 => LzmaOptions::new(1 << 16, 3, 0, 2, EncodeMode::Fast, 32, MfType::Hc4, 4),
        1 => LzmaOptions::new(1 << 18, 3, 0, 2, EncodeMode::Fast, 32, MfType::Hc4, 8),
        2..=9 => LzmaOptions::with_preset(level),
        _ => {
            return Err(Error::InvalidOption(format!(
                "level {level} is outside 0..=9"
            )));
        }
    })
}

fn threads(opt: u32) -> u32 {
    if opt > 0 {
        return opt;
    }
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1)
}

/// Writes `tree` as an encrypted 7z archive into `sink`, split in volumes.
///
/// With no LZMA2 folder (method copy, or auto on incompressible data), or
/// LZMA2 folders small enough to code in memory first
/// ([`WriteOptions::compress_in_memory`]), every size is known before the
/// first byte, so the header is computed first and the volumes stream
/// strictly in order. Otherwise the 32-byte start header of volume 0 is held
/// back and delivered last through `patch_start`.
pub fn write_archive<S: VolumeSink>(
    tree: &Tree,
    password: &Password,
    options: &WriteOptions,
    sink: S,
) -> Result<(S, Summary)> {
    if options.volume_size < MIN_VOLUME_SIZE {
        return Err(Error::InvalidOption(format!(
            "volume size {} is below the minimum of {MIN_VOLUME_SIZE} bytes",
            options.volume_size
        )));
    }
    let lzma = lzma_options(options.level)?;
    let key = Key::derive(password, options.kdf_power)?;
    let plan = plan(tree, options.method)?;
    let mut folders = Vec::with_capacity(plan.len());
    let iv = |index: u64| match &options.iv_seed {
        Some(seed) => Ok(Key::derived_iv(seed, index)),
        None => Key::new_iv(),
    };
    for (index, run) in plan.iter().enumerate() {
        let unpacked: u64 = run
            .entries
            .iter()
            .map(|&i| tree.entries[i].data_len())
            .sum();
        folders.push(Folder {
            coder: match run.coder {
                RunCoder::Copy => Coder::Copy,
                RunCoder::Lzma2 => Coder::Lzma2(format::lzma2_dict_prop(lzma.dict_size)),
            },
            aes_props: key.properties(&iv(index as u64)?),
            unpacked,
            coded: unpacked,
            packed: unpacked.div_ceil(16) * 16,
            crc: None,
            streams: run
                .entries
                .iter()
                .map(|&i| tree.entries[i].data_len())
                .collect(),
        });
    }
    // Small LZMA2 folders: coded into memory now (their IVs are the ones
    // they get below, so the bytes are final), which makes every size known.
    let lzma_bytes: u64 = plan
        .iter()
        .zip(&folders)
        .filter(|(r, _)| r.coder == RunCoder::Lzma2)
        .map(|(_, f)| f.unpacked)
        .sum();
    let mut precoded: Vec<Option<Vec<u8>>> = plan.iter().map(|_| None).collect();
    if lzma_bytes > 0 && lzma_bytes <= options.compress_in_memory {
        for ((run, folder), slot) in plan.iter().zip(folders.iter_mut()).zip(&mut precoded) {
            if run.coder != RunCoder::Lzma2 {
                continue;
            }
            let mut bytes = Vec::new();
            let aes = AesWriter::new(&mut bytes, &key, &aes_iv(&folder.aes_props));
            let (coded, packed) =
                lzma_folder(tree, &run.entries, aes, &lzma, threads(options.threads))?;
            if packed != bytes.len() as u64 {
                return Err(Error::Format(
                    "a folder coded in memory differs from its length".into(),
                ));
            }
            folder.coded = coded;
            folder.packed = packed;
            *slot = Some(bytes);
        }
    }
    let known_up_front = plan
        .iter()
        .zip(&precoded)
        .all(|(r, p)| r.coder == RunCoder::Copy || p.is_some());
    let held = if known_up_front {
        0
    } else {
        START_HEADER_LEN as u32
    };
    let mut out = VolumeWriter::new(sink, options.volume_size, held);

    let finish_header = |folders: &[Folder]| -> Result<(Vec<u8>, Vec<u8>, [u8; 32])> {
        let plain = format::header(&tree.entries, folders);
        let (packed, hfolder) = encode_header(&plain, &key, iv(u64::MAX)?)?;
        let pack_pos: u64 = folders.iter().map(|f| f.packed).sum();
        let next = format::encoded_header(pack_pos, &hfolder);
        let start = format::start_header(pack_pos + packed.len() as u64, &next);
        Ok((packed, next, start))
    };

    let ctx = |e: io::Error| Error::io("writing volumes", e);
    let mut upfront = None;
    if known_up_front {
        let (packed, next, start) = finish_header(&folders)?;
        out.write_all(&start).map_err(ctx)?;
        upfront = Some((packed, next));
    }
    for ((run, folder), precoded) in plan.iter().zip(folders.iter_mut()).zip(precoded) {
        if let Some(bytes) = precoded {
            out.write_all(&bytes).map_err(ctx)?;
            continue;
        }
        let iv = aes_iv(&folder.aes_props);
        let aes = AesWriter::new(&mut out, &key, &iv);
        let (coded, packed) = match run.coder {
            RunCoder::Copy => copy_folder(tree, &run.entries, aes)?,
            RunCoder::Lzma2 => {
                lzma_folder(tree, &run.entries, aes, &lzma, threads(options.threads))?
            }
        };
        if known_up_front
            && run.coder == RunCoder::Copy
            && (coded != folder.coded || packed != folder.packed)
        {
            return Err(Error::Format(
                "copy folder size differs from its plan".into(),
            ));
        }
        folder.coded = coded;
        folder.packed = packed;
    }
    let (packed, next, start) = match upfront {
        Some((packed, next)) => (packed, next, [0u8; 32]),
        None => finish_header(&folders)?,
    };
    out.write_all(&packed).map_err(ctx)?;
    out.write_all(&next).map_err(ctx)?;
    let archive_len = out.position();
    let (sink, volumes) = out.finish(&start).map_err(ctx)?;
    let compressed_files = plan
        .iter()
        .filter(|r| r.coder == RunCoder::Lzma2)
        .map(|r| r.entries.len())
        .sum();
    let total_files: usize = plan.iter().map(|r| r.entries.len()).sum();
    Ok((
        sink,
        Summary {
            volumes,
            start_held_back: !known_up_front,
            compressed_files,
            stored_files: total_files - compressed_files,
            data_len: tree.data_len(),
            archive_len,
        },
    ))
}

fn aes_iv(props: &[u8]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    if props.len() >= 18 {
        iv.copy_from_slice(&props[2..18]);
    }
    iv
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunCoder {
    Copy,
    Lzma2,
}

/// Consecutive data-carrying entries with one coder: one folder.
struct Run {
    coder: RunCoder,
    entries: Vec<usize>,
}

fn plan(tree: &Tree, method: Method) -> Result<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    for (i, e) in tree.entries.iter().enumerate() {
        if e.data_len() == 0 {
            continue;
        }
        let coder = match (method, &e.kind) {
            (Method::Copy, _) => RunCoder::Copy,
            (Method::Lzma2, _) => RunCoder::Lzma2,
            (Method::Auto, EntryKind::File { size }) => {
                let yes = sample::looks_compressible(&e.source, *size)
                    .map_err(|err| Error::io(e.source.display().to_string(), err))?;
                if yes { RunCoder::Lzma2 } else { RunCoder::Copy }
            }
            // A link target is a few bytes: it joins whatever folder is open.
            (Method::Auto, _) => runs.last().map_or(RunCoder::Copy, |r| r.coder),
        };
        match runs.last_mut() {
            Some(r) if r.coder == coder => r.entries.push(i),
            _ => runs.push(Run {
                coder,
                entries: vec![i],
            }),
        }
    }
    Ok(runs)
}

fn copy_folder<W: Write>(
    tree: &Tree,
    entries: &[usize],
    mut aes: AesWriter<W>,
) -> Result<(u64, u64)> {
    for_each_chunk(tree, entries, |chunk| aes.write_blocks_in_place(chunk))?;
    let (_, plain, packed) = aes.finish().map_err(|e| Error::io("writing volumes", e))?;
    Ok((plain, packed))
}

fn lzma_folder<W: Write>(
    tree: &Tree,
    entries: &[usize],
    aes: AesWriter<W>,
    lzma: &LzmaOptions,
    threads: u32,
) -> Result<(u64, u64)> {
    let werr = |e| Error::io("compressing", e);
    let mut options = Lzma2Options::with_preset(1);
    options.lzma_options = lzma.clone();
    let aes = if threads > 1 {
        // Independent chunks, one per worker. 16 MiB (or 4 dictionaries) keeps
        // the ratio within about a percent of one stream; smaller chunks were
        // slower here as well as larger.
        let chunk = (u64::from(lzma.dict_size) * 4).max(16 << 20);
        options.set_chunk_size(NonZeroU64::new(chunk));
        let mut w = Lzma2WriterMt::new(aes, options, threads).map_err(werr)?;
        for_each_chunk(tree, entries, |chunk| w.write_all(chunk))?;
        w.finish().map_err(werr)?
    } else {
        let mut w = Lzma2Writer::new(aes, options);
        for_each_chunk(tree, entries, |chunk| w.write_all(chunk))?;
        w.finish().map_err(werr)?
    };
    let (_, plain, packed) = aes.finish().map_err(werr)?;
    Ok((plain, packed))
}

/// The header, LZMA2-compressed then encrypted, with a CRC of the plain bytes
/// so that a wrong password is caught for certain when the header is read.
fn encode_header(plain: &[u8], key: &Key, iv: [u8; 16]) -> Result<(Vec<u8>, Folder)> {
    let werr = |e| Error::io("encoding the header", e);
    let lzma = lzma_options(1)?;
    let dict = format::lzma2_dict_prop(lzma.dict_size);
    let mut options = Lzma2Options::with_preset(1);
    options.lzma_options = lzma;
    let aes = AesWriter::new(Vec::new(), key, &iv);
    let mut w = Lzma2Writer::new(aes, options);
    w.write_all(plain).map_err(werr)?;
    let aes = w.finish().map_err(werr)?;
    let (bytes, coded, packed) = aes.finish().map_err(werr)?;
    Ok((
        bytes,
        Folder {
            coder: Coder::Lzma2(dict),
            aes_props: key.properties(&iv),
            unpacked: plain.len() as u64,
            coded,
            packed,
            crc: Some(crc32fast::hash(plain)),
            streams: vec![plain.len() as u64],
        },
    ))
}
