//! Writing PAR2 files: the index, and volumes of recovery packets each
//! followed by a copy of the critical packets.
//!
//! Recovery packets are made in one parallel pass: sixteen at a time, each
//! group reads its slices out of the engine once, turns them back into
//! PAR2's byte order, hashes the sixteen packets together
//! ([`md5x::md5_many`]) and writes them at their places in the volume files,
//! whose layout (fixed-size packets, then the critical packets) is known up
//! front.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::engine::Engine;
use crate::packet::{self, HEADER_LEN, Hash, TYPE_RECOVERY};
use crate::{Error, gf, md5x};

pub(crate) fn write_file(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for p in parts {
        out.write_all(p)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// What the recovery volumes hold.
pub(crate) struct Volumes<'a> {
    pub set_id: Hash,
    pub slice_size: usize,
    pub split: usize,
    /// `(first exponent, count)` of each volume, in exponent order.
    pub layout: &'a [(u32, u32)],
    pub paths: &'a [PathBuf],
    pub critical: &'a [u8],
}

/// Writes every volume; an error names the file it happened on.
pub(crate) fn write_volumes(engine: &Engine, v: &Volumes<'_>) -> Result<(), Error> {
    let at = |i: usize| -> PathBuf { v.paths.get(i).cloned().unwrap_or_default() };
    let packet_len = HEADER_LEN + 4 + v.slice_size;
    let files: Vec<File> = v
        .layout
        .iter()
        .enumerate()
        .map(|(i, &(_, count))| {
            let f = File::create(at(i)).map_err(|e| Error::io(&at(i), e))?;
            let end = count as u64 * packet_len as u64;
            f.write_all_at(v.critical, end)
                .map_err(|e| Error::io(&at(i), e))?;
            Ok(f)
        })
        .collect::<Result<_, Error>>()?;
    // Exponent -> (volume, place in it).
    let mut place = Vec::new();
    for (i, &(first, count)) in v.layout.iter().enumerate() {
        for e in first..first + count {
            place.push((e, i, (e - first) as u64 * packet_len as u64));
        }
    }
    // Each thread takes every `threads`-th group and reuses its buffers.
    let groups: Vec<&[(u32, usize, u64)]> = place.chunks(16).collect();
    let threads = rayon::current_num_threads().clamp(1, groups.len().max(1));
    (0..threads)
        .into_par_iter()
        .try_for_each(|t| -> Result<(), Error> {
            let mut bufs: Vec<Vec<u8>> = Vec::new();
            let mut split_buf = vec![0u8; v.split];
            for &group in groups.iter().skip(t).step_by(threads) {
                bufs.resize_with(group.len(), Vec::new);
                for (buf, &(e, _, _)) in bufs.iter_mut().zip(group) {
                    // A failure here is the spill file's, not the volume's.
                    engine
                        .output_split(e as usize, &mut split_buf)
                        .map_err(Error::Spill)?;
                    buf.resize(packet_len, 0);
                    buf[..HEADER_LEN].copy_from_slice(&packet::header(
                        &v.set_id,
                        &TYPE_RECOVERY,
                        packet_len - HEADER_LEN,
                        &[0; 16],
                    ));
                    buf[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&e.to_le_bytes());
                    gf::from_split(&split_buf, &mut buf[HEADER_LEN + 4..]);
                }
                // The packet MD5 covers everything after the MD5 field.
                let hashed: Vec<&[u8]> = bufs[..group.len()].iter().map(|b| &b[32..]).collect();
                let digests = md5x::md5_many(&hashed);
                for ((buf, digest), &(_, vol, offset)) in bufs.iter_mut().zip(digests).zip(group) {
                    buf[16..32].copy_from_slice(&digest);
                    files[vol]
                        .write_all_at(buf, offset)
                        .map_err(|err| Error::io(&at(vol), err))?;
                }
            }
            Ok(())
        })?;
    files
        .par_iter()
        .enumerate()
        .try_for_each(|(i, f)| f.sync_all().map_err(|e| Error::io(&at(i), e)))
}
