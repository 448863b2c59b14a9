//! Writing PAR2 files: the index, and volumes of recovery packets each
//! followed by a copy of the critical packets.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::engine::Engine;
use crate::packet::{self, Hash, TYPE_RECOVERY};
use crate::{gf, md5x};

pub(crate) fn write_file(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for p in parts {
        out.write_all(p)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// The packet MD5 of every recovery slice, sixteen at a time: each packet
/// hashes the set ID, its type, its exponent and its data, all the same
/// length, which is what [`md5x::md5_many`] wants.
pub(crate) fn recovery_digests(
    engine: &Engine,
    set_id: &Hash,
    recovery: u32,
    slice_size: usize,
    split: usize,
) -> io::Result<Vec<Hash>> {
    let groups: Vec<u32> = (0..recovery).step_by(16).collect();
    let digests: Vec<Vec<Hash>> = groups
        .par_iter()
        .map(|&first| -> io::Result<Vec<Hash>> {
            let end = (first + 16).min(recovery);
            let mut split_buf = vec![0u8; split];
            let mut bufs = Vec::with_capacity((end - first) as usize);
            for e in first..end {
                engine.output_split(e as usize, &mut split_buf)?;
                let mut b = Vec::with_capacity(36 + slice_size);
                b.extend_from_slice(set_id);
                b.extend_from_slice(&TYPE_RECOVERY);
                b.extend_from_slice(&e.to_le_bytes());
                b.resize(36 + slice_size, 0);
                gf::from_split(&split_buf, &mut b[36..]);
                bufs.push(b);
            }
            let refs: Vec<&[u8]> = bufs.iter().map(Vec::as_slice).collect();
            Ok(md5x::md5_many(&refs))
        })
        .collect::<io::Result<_>>()?;
    Ok(digests.into_iter().flatten().collect())
}

/// One volume file: its recovery packets (digests from
/// [`recovery_digests`]), then a copy of the critical packets.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_volume(
    path: &Path,
    engine: &Engine,
    set_id: &Hash,
    digests: &[Hash],
    first: u32,
    count: u32,
    slice_size: usize,
    split: usize,
    critical: &[u8],
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut split_buf = vec![0u8; split];
    let mut body = vec![0u8; 4 + slice_size];
    for e in first..first + count {
        engine.output_split(e as usize, &mut split_buf)?;
        body[..4].copy_from_slice(&e.to_le_bytes());
        gf::from_split(&split_buf, &mut body[4..]);
        let digest = digests
            .get(e as usize)
            .ok_or_else(|| io::Error::other("missing recovery digest"))?;
        out.write_all(&packet::header(set_id, &TYPE_RECOVERY, body.len(), digest))?;
        out.write_all(&body)?;
    }
    out.write_all(critical)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}
