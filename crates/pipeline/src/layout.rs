//! Where every posted file sits in the descriptor: each volume is followed
//! by its own PAR2 set (index, then recovery files), so a volume's PAR2 set
//! is planned from its length alone and file numbers follow from the
//! lengths of the volumes before it.

use ap_parity::plan::{self, Redundancy, VolumeLayout};
use ap_secret_codec::{PostedFile, Role};

use crate::error::{Error, Result};

/// PAR2 2.0's limit on input slices per set.
const MAX_SLICES: u64 = 32768;

/// How recovery slices spread over a volume's `.volA+B.par2` files.
pub const PAR2_LAYOUT: VolumeLayout = VolumeLayout::Doubling;

/// The PAR2 set of one volume, decided before its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Par2Plan {
    pub slice_size: u64,
    pub input_slices: u64,
    pub recovery: u32,
    /// `.par2` files: the index plus the recovery files.
    pub files: u32,
}

/// Plans the PAR2 set of a volume of `len` bytes at `redundancy` percent,
/// posted in articles of `article_size` bytes.
///
/// A slice is one article, or a whole number of them when a volume would
/// otherwise pass PAR2's 32768 slices: a lost article then costs exactly
/// that many slices, so every volume with at least one recovery slice per
/// article survives losing an article whatever its size, and the recovery
/// files post in whole articles. A volume smaller than an article is one
/// slice of its own length (rounded up to PAR2's multiple of 4).
pub fn par2_plan(len: u64, redundancy: f64, article_size: u32) -> Result<Par2Plan> {
    let article = u64::from(article_size).max(4);
    let per_slice = len.div_ceil(article * MAX_SLICES).max(1);
    let slice_size = (per_slice * article).min(len.max(1)).next_multiple_of(4);
    let input_slices = plan::slices_of(len, slice_size);
    let recovery = plan::recovery_count(Redundancy::Percent(redundancy), input_slices)?;
    let recovery = if input_slices == 0 { 0 } else { recovery };
    let vols = plan::volumes(recovery, PAR2_LAYOUT, input_slices);
    Ok(Par2Plan {
        slice_size,
        input_slices,
        recovery,
        files: 1 + vols.len() as u32,
    })
}

/// The descriptor index of volume `index`'s data file, given the PAR2
/// plans of the volumes before it.
pub fn data_file_index(plans_before: &[Par2Plan]) -> u32 {
    plans_before.iter().map(|p| 1 + p.files).sum()
}

/// One volume and its PAR2 files, as found in a descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Descriptor index of the data volume.
    pub data: u32,
    /// Descriptor indices of its `.par2` files, the index first.
    pub par2: Vec<u32>,
    /// This volume is the first of an archive (of the set, or of a part of
    /// a split set).
    pub starts_archive: bool,
}

/// Splits a descriptor's files into volumes with their PAR2 files: each data
/// file starts a group and the PAR2 files after it belong to it.
pub fn groups(files: &[PostedFile]) -> Result<Vec<Group>> {
    let mut out: Vec<Group> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match f.role {
            Role::Data | Role::PartStart => out.push(Group {
                data: i as u32,
                par2: Vec::new(),
                starts_archive: out.is_empty() || f.role == Role::PartStart,
            }),
            Role::Par2 => match out.last_mut() {
                Some(g) => g.par2.push(i as u32),
                None => {
                    return Err(Error::Internal(
                        "the set starts with a PAR2 file, not a volume".into(),
                    ));
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_volume_length() {
        let p = par2_plan(20 * 716_800, 10.0, 716_800).unwrap();
        assert_eq!(p.slice_size, 716_800);
        assert_eq!(p.input_slices, 20);
        assert_eq!(p.recovery, 2);
        assert_eq!(p.files, 3);
        // A small volume still has a whole article of recovery.
        let few = par2_plan(5 * 65_536 + 100, 10.0, 65_536).unwrap();
        assert_eq!(
            (few.slice_size, few.input_slices, few.recovery),
            (65_536, 6, 1)
        );
        let small = par2_plan(1000, 10.0, 716_800).unwrap();
        assert_eq!((small.slice_size, small.input_slices), (1000, 1));
        assert_eq!(par2_plan(1001, 10.0, 716_800).unwrap().slice_size, 1004);
        assert_eq!(par2_plan(1000, 0.0, 716_800).unwrap().files, 1);
        // 40 GiB in 716800-byte articles: two articles a slice, within 32768.
        let big = par2_plan(40 << 30, 10.0, 716_800).unwrap();
        assert_eq!(big.slice_size, 2 * 716_800);
        assert!(big.input_slices <= MAX_SLICES);
    }

    #[test]
    fn groups_pair_volumes_with_their_par2_files() {
        let f = |role| PostedFile { role, size: 1 };
        let files = [
            f(Role::Data),
            f(Role::Par2),
            f(Role::Par2),
            f(Role::Data),
            f(Role::Par2),
        ];
        let g = groups(&files).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].par2, vec![1, 2]);
        assert_eq!(g[1].data, 3);
        assert!(g[0].starts_archive && !g[1].starts_archive);
        let mut split = files;
        split[3].role = Role::PartStart;
        assert!(groups(&split).unwrap()[1].starts_archive);
        assert!(groups(&[f(Role::Par2)]).is_err());
        let plans = [par2_plan(20 * 716_800, 10.0, 716_800).unwrap()];
        assert_eq!(data_file_index(&plans), 4);
    }
}
