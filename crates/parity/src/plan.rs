//! Choices made before the first byte: slice size, recovery count, and how
//! recovery slices spread over the `.volA+B.par2` files.

use crate::Error;
use crate::packet::MAX_SLICES;

/// Usenet article size the default slice size is a multiple of, so each
/// recovery slice posts as whole articles.
pub const ARTICLE_SIZE: u64 = 716_800;

/// Largest slice size accepted, in a set we make or one we read: buffers of
/// this size are allocated per slice, so a hostile set must not choose it.
pub const MAX_SLICE_SIZE: u64 = 1 << 30;

/// How much recovery data to make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Redundancy {
    /// Percent of the input slice count, rounded up.
    Percent(f64),
    /// An exact number of recovery slices.
    Slices(u32),
}

/// How recovery slices are spread over the volume files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeLayout {
    /// 1, 2, 4, ... slices per file (par2cmdline's default), each file
    /// capped at the slice count of the largest input file.
    Doubling,
    /// This many files of (nearly) equal slice counts.
    Uniform(u32),
}

/// Slice count of one file.
pub fn slices_of(length: u64, slice_size: u64) -> u64 {
    length.div_ceil(slice_size)
}

/// The slice size for files of these lengths: a multiple of 4 with at most
/// 32768 input slices in all, by default a multiple of [`ARTICLE_SIZE`].
/// Sets smaller than ten articles get smaller slices (about 100 of them, a
/// multiple of 128 bytes), so
/// a tiny file does not carry a 700 KB recovery slice.
pub fn auto_slice_size(lengths: &[u64]) -> Result<u64, Error> {
    let total: u64 = lengths.iter().sum();
    let count = |s: u64| lengths.iter().map(|&l| slices_of(l, s)).sum::<u64>();
    if lengths.len() as u64 > MAX_SLICES {
        return Err(Error::TooManyFiles(lengths.len() as u64));
    }
    if total < 10 * ARTICLE_SIZE {
        // A multiple of 128, the kernels' block, so a spill file is never
        // larger than the recovery data.
        let mut s = (total.div_ceil(100)).div_ceil(128).max(1) * 128;
        while count(s) > MAX_SLICES {
            s += 128;
        }
        return Ok(s);
    }
    // Each file wastes at most one slice, so this lower bound is close.
    let mut m = total.div_ceil(ARTICLE_SIZE * MAX_SLICES).max(1);
    while count(m * ARTICLE_SIZE) > MAX_SLICES {
        m += 1;
    }
    Ok(m * ARTICLE_SIZE)
}

/// Checks a slice size the user gave.
pub fn check_slice_size(slice_size: u64, lengths: &[u64]) -> Result<(), Error> {
    if slice_size == 0 || !slice_size.is_multiple_of(4) || slice_size > MAX_SLICE_SIZE {
        return Err(Error::BadSliceSize(slice_size));
    }
    let count: u64 = lengths.iter().map(|&l| slices_of(l, slice_size)).sum();
    if count > MAX_SLICES {
        return Err(Error::TooManySlices {
            slices: count,
            slice_size,
        });
    }
    Ok(())
}

/// Number of recovery slices for `input_slices` inputs.
pub fn recovery_count(redundancy: Redundancy, input_slices: u64) -> Result<u32, Error> {
    let n = match redundancy {
        Redundancy::Slices(n) => n as u64,
        Redundancy::Percent(p) if p.is_finite() && p >= 0.0 => {
            (input_slices as f64 * p / 100.0).ceil() as u64
        }
        Redundancy::Percent(_) => return Err(Error::BadRedundancy),
    };
    if n > 65535 {
        return Err(Error::TooManyRecovery(n));
    }
    Ok(n as u32)
}

/// `(first exponent, count)` of each volume file.
pub fn volumes(recovery: u32, layout: VolumeLayout, largest_file_slices: u64) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    match layout {
        VolumeLayout::Doubling => {
            let cap = largest_file_slices.clamp(1, u32::MAX as u64) as u32;
            let (mut first, mut size) = (0u32, 1u32);
            while first < recovery {
                let n = size.min(recovery - first);
                out.push((first, n));
                first += n;
                size = size.saturating_mul(2).min(cap);
            }
        }
        VolumeLayout::Uniform(files) => {
            let files = files.clamp(1, recovery.max(1));
            let mut first = 0;
            for i in 0..files {
                let n = recovery / files + u32::from(i < recovery % files);
                if n > 0 {
                    out.push((first, n));
                }
                first += n;
            }
        }
    }
    out
}

/// `NAME.volA+B.par2`, with par2cmdline's zero-padded widths.
pub fn volume_name(base: &str, first: u32, count: u32, recovery: u32) -> String {
    let width = recovery.to_string().len().max(2);
    format!("{base}.vol{first:0width$}+{count:0width$}.par2")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_slice_size_is_article_multiple_within_limit() {
        assert_eq!(auto_slice_size(&[1 << 30]).unwrap(), ARTICLE_SIZE);
        let s = auto_slice_size(&[40_000_000_000]).unwrap();
        assert_eq!(s % ARTICLE_SIZE, 0);
        assert!(slices_of(40_000_000_000, s) <= MAX_SLICES);
        let tiny = auto_slice_size(&[1000]).unwrap();
        assert_eq!(tiny % 4, 0);
        assert_eq!(auto_slice_size(&[0]).unwrap(), 128);
    }

    #[test]
    fn volumes_cover_every_exponent_once() {
        for layout in [VolumeLayout::Doubling, VolumeLayout::Uniform(3)] {
            for r in [0u32, 1, 7, 140, 1000] {
                let v = volumes(r, layout, 100);
                assert_eq!(v.iter().map(|x| x.1).sum::<u32>(), r);
                let mut next = 0;
                for (first, n) in v {
                    assert_eq!(first, next);
                    next += n;
                }
            }
        }
        assert_eq!(volume_name("a", 3, 4, 35), "a.vol03+04.par2");
    }
}
