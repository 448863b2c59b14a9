//! Rebuilding missing slices: pick as many recovery slices as slices are
//! missing, invert that square submatrix over GF(2^16) (Gauss-Jordan), fold
//! the inverse into one coefficient per input, and let the same engine that
//! creates sets run one pass over the good slices.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use md5::{Digest, Md5};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::set::RecoverySet;
use crate::verify::{FileStatus, Verification};
use crate::{Error, gf};

/// What [`repair`] did.
#[derive(Debug, Clone, Default)]
pub struct Repaired {
    /// Files rewritten or renamed into place.
    pub files: Vec<String>,
    /// Slices rebuilt from recovery data.
    pub slices: u64,
}

/// Inverts a square matrix over GF(2^16), row-major; `None` if singular.
pub fn invert(mut a: Vec<u16>, n: usize) -> Option<Vec<u16>> {
    let mut inv = vec![0u16; n * n];
    for i in 0..n {
        inv[i * n + i] = 1;
    }
    for col in 0..n {
        let pivot = (col..n).find(|&r| a[r * n + col] != 0)?;
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
                inv.swap(pivot * n + k, col * n + k);
            }
        }
        let p = gf::inv(a[col * n + col])?;
        for k in 0..n {
            a[col * n + k] = gf::mul(a[col * n + k], p);
            inv[col * n + k] = gf::mul(inv[col * n + k], p);
        }
        for r in 0..n {
            let f = a[r * n + col];
            if r == col || f == 0 {
                continue;
            }
            for k in 0..n {
                a[r * n + k] ^= gf::mul(f, a[col * n + k]);
                inv[r * n + k] ^= gf::mul(f, inv[col * n + k]);
            }
        }
    }
    Some(inv)
}

/// Repairs every file `verification` found wrong, in the set's folder.
/// `memory` bounds the rebuilt slices held at once (beyond it they spill).
pub fn repair(
    set: &RecoverySet,
    verification: &Verification,
    memory: usize,
) -> Result<Repaired, Error> {
    let missing = verification.missing_slices();
    if missing > verification.recovery_available {
        return Err(Error::NotEnoughRecovery {
            missing,
            available: verification.recovery_available,
        });
    }
    let s = set.slice_size as usize;
    let split = gf::split_len(s);
    let total = set.input_slices() as usize;
    let constants = gf::input_constants(total);
    // Global numbers of missing slices, and the good ones with their source.
    let mut lost: Vec<usize> = Vec::new();
    let mut good: Vec<(usize, &Path, u64, usize)> = Vec::new();
    for (f, r) in set.files.iter().zip(&verification.files) {
        for (i, ok) in r.good.iter().enumerate() {
            let global = f.first_slice as usize + i;
            match (&r.found_at, ok) {
                (Some(p), true) => {
                    let len = (f.desc.length - (i * s) as u64).min(s as u64) as usize;
                    good.push((global, p.as_path(), (i * s) as u64, len));
                }
                _ => lost.push(global),
            }
        }
    }
    let m = lost.len();
    let mut engine = None;
    if m > 0 {
        let chosen = &set.recovery[..m];
        let mut a = vec![0u16; m * m];
        for (j, r) in chosen.iter().enumerate() {
            for (i, &g) in lost.iter().enumerate() {
                a[j * m + i] = gf::pow(constants[g], r.exponent);
            }
        }
        let ainv = invert(a, m).ok_or(Error::Singular)?;
        let batch = 32usize.min(good.len() + m).max(1);
        let mut eng = Engine::new(
            split,
            m,
            batch,
            memory.saturating_sub(2 * batch * split),
            &set.dir,
        )
        .map_err(Error::Spill)?;
        // Inputs: the chosen recovery slices, then every good slice.
        let inputs: Vec<Input<'_>> = chosen
            .iter()
            .map(|r| Input {
                path: &r.path,
                offset: r.offset,
                len: s,
            })
            .chain(good.iter().map(|&(_, p, off, len)| Input {
                path: p,
                offset: off,
                len,
            }))
            .collect();
        let column = |idx: usize| -> Vec<u16> {
            if idx < m {
                (0..m).map(|i| ainv[i * m + idx]).collect()
            } else {
                let c = constants[good[idx - m].0];
                let v: Vec<u16> = chosen.iter().map(|r| gf::pow(c, r.exponent)).collect();
                (0..m)
                    .map(|i| (0..m).fold(0u16, |acc, j| acc ^ gf::mul(ainv[i * m + j], v[j])))
                    .collect()
            }
        };
        let mut split_buf = vec![0u8; batch * split];
        for start in (0..inputs.len()).step_by(batch) {
            let end = (start + batch).min(inputs.len());
            let n = end - start;
            let cols: Vec<Vec<u16>> = (start..end).into_par_iter().map(column).collect();
            split_buf
                .par_chunks_mut(split)
                .zip(&inputs[start..end])
                .try_for_each(|(out, input)| input.load_split(out, s))?;
            let mut coeffs = vec![0u16; m * n];
            for (k, col) in cols.iter().enumerate() {
                for i in 0..m {
                    coeffs[i * n + k] = col[i];
                }
            }
            let refs: Vec<&[u8]> = split_buf.chunks_exact(split).take(n).collect();
            eng.process(&refs, &coeffs).map_err(Error::Spill)?;
        }
        engine = Some(eng);
    }
    // Rewrite each file that is not complete under its own name.
    let mut done = Repaired {
        files: Vec::new(),
        slices: m as u64,
    };
    let mut lost_pos = 0usize;
    for (f, r) in set.files.iter().zip(&verification.files) {
        let first_lost = lost_pos;
        lost_pos += r.bad_slices();
        if r.status == FileStatus::Complete {
            continue;
        }
        let target = set.dir.join(&f.name);
        if r.status == FileStatus::Renamed
            && let Some(src) = &r.found_at
        {
            fs::rename(src, &target).map_err(|e| Error::io(&target, e))?;
            done.files.push(f.name.clone());
            continue;
        }
        let tmp = set.dir.join(format!(".{}.ap-repair", f.name));
        let written = (|| -> Result<[u8; 16], Error> {
            let mut out = BufWriter::new(File::create(&tmp).map_err(|e| Error::io(&tmp, e))?);
            let mut md5 = Md5::new();
            let mut buf = vec![0u8; s];
            let mut sbuf = vec![0u8; split];
            let mut k = first_lost;
            for (i, ok) in r.good.iter().enumerate() {
                let len = (f.desc.length - (i * s) as u64).min(s as u64) as usize;
                match (&r.found_at, ok, &engine) {
                    (Some(p), true, _) => {
                        Input {
                            path: p,
                            offset: (i * s) as u64,
                            len,
                        }
                        .load(&mut buf[..len])?;
                    }
                    (_, _, Some(e)) => {
                        e.output_split(k, &mut sbuf).map_err(Error::Spill)?;
                        gf::from_split(&sbuf, &mut buf[..len]);
                        k += 1;
                    }
                    _ => return Err(Error::RepairMismatch(f.name.clone())),
                }
                md5.update(&buf[..len]);
                out.write_all(&buf[..len]).map_err(|e| Error::io(&tmp, e))?;
            }
            out.into_inner()
                .map_err(|e| Error::io(&tmp, e.into_error()))?
                .sync_all()
                .map_err(|e| Error::io(&tmp, e))?;
            Ok(md5.finalize().into())
        })();
        match written {
            Ok(h) if h == f.desc.md5 => {
                fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
                done.files.push(f.name.clone());
            }
            other => {
                let _ = fs::remove_file(&tmp);
                other?;
                return Err(Error::RepairMismatch(f.name.clone()));
            }
        }
    }
    Ok(done)
}

/// A slice's bytes somewhere in a file.
struct Input<'a> {
    path: &'a Path,
    offset: u64,
    len: usize,
}

impl Input<'_> {
    fn load(&self, buf: &mut [u8]) -> Result<(), Error> {
        let f = File::open(self.path).map_err(|e| Error::io(self.path, e))?;
        let mut reader = FileAt {
            f: &f,
            at: self.offset,
        };
        let got = reader.read_full(buf).map_err(|e| Error::io(self.path, e))?;
        if got < buf.len() {
            return Err(Error::io(
                self.path,
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        Ok(())
    }

    fn load_split(&self, out: &mut [u8], slice: usize) -> Result<(), Error> {
        let mut buf = vec![0u8; slice];
        self.load(&mut buf[..self.len])?;
        gf::to_split(&buf, out);
        Ok(())
    }
}

struct FileAt<'a> {
    f: &'a File,
    at: u64,
}

impl FileAt<'_> {
    fn read_full(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.f.read_at(&mut buf[got..], self.at + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_identity() {
        let n = 5;
        let c = gf::input_constants(n);
        let a: Vec<u16> = (0..n * n)
            .map(|k| gf::pow(c[k % n], (k / n) as u32))
            .collect();
        let inv = invert(a.clone(), n).unwrap();
        for i in 0..n {
            for j in 0..n {
                let v = (0..n).fold(0, |acc, k| acc ^ gf::mul(inv[i * n + k], a[k * n + j]));
                assert_eq!(v, u16::from(i == j));
            }
        }
        assert!(invert(vec![1, 1, 1, 1], 2).is_none());
    }
}
