//! Writing PAR2 files: the index, and volumes of recovery packets each
//! followed by a copy of the critical packets.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use md5::{Digest, Md5};

use crate::engine::Engine;
use crate::gf;
use crate::packet::{self, Hash, TYPE_RECOVERY};

pub(crate) fn write_file(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for p in parts {
        out.write_all(p)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_volume(
    path: &Path,
    engine: &Engine,
    set_id: &Hash,
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
        let mut h = Md5::new();
        h.update(set_id);
        h.update(TYPE_RECOVERY);
        h.update(&body);
        let digest: Hash = h.finalize().into();
        out.write_all(&packet::header(set_id, &TYPE_RECOVERY, body.len(), &digest))?;
        out.write_all(&body)?;
    }
    out.write_all(critical)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}
