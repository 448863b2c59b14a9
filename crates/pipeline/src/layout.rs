//! Where every posted file sits in the descriptor: each volume is followed
//! by its own PAR2 set (index, then recovery files), so a volume's PAR2 set
//! is planned from its length alone and file numbers follow from the
//! lengths of the volumes before it.

use ap_parity::plan::{self, Redundancy, VolumeLayout};
use ap_secret_codec::{PostedFile, Role};

use crate::error::{Error, Result};

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

/// Plans the PAR2 set of a volume of `len` bytes at `redundancy` percent.
pub fn par2_plan(len: u64, redundancy: f64) -> Result<Par2Plan> {
    let slice_size = plan::auto_slice_size(&[len])?;
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
}

/// Splits a descriptor's files into volumes with their PAR2 files: each data
/// file starts a group and the PAR2 files after it belong to it.
pub fn groups(files: &[PostedFile]) -> Result<Vec<Group>> {
    let mut out: Vec<Group> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match f.role {
            Role::Data => out.push(Group {
                data: i as u32,
                par2: Vec::new(),
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
        let p = par2_plan(20 * 716_800, 10.0).unwrap();
        assert_eq!(p.slice_size, 716_800);
        assert_eq!(p.input_slices, 20);
        assert_eq!(p.recovery, 2);
        assert_eq!(p.files, 3);
        let small = par2_plan(1000, 10.0).unwrap();
        assert!(small.slice_size < 1000);
        assert_eq!(par2_plan(1000, 0.0).unwrap().files, 1);
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
        assert!(groups(&[f(Role::Par2)]).is_err());
        let plans = [par2_plan(20 * 716_800, 10.0).unwrap()];
        assert_eq!(data_file_index(&plans), 4);
    }
}
