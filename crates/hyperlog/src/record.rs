//! The index record that closes every publish, and how a snapshot is cut
//! into blocks.
//!
//! A publish appends the snapshot's bytes in blocks of at most
//! [`BLOCK_SIZE`] and then one 88-byte index record, all in one signed
//! append, so the log's last block is always the index of the latest
//! snapshot. Encoding (integers little-endian):
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0      | 8    | magic `ap-index` (ASCII) |
//! | 8      | 4    | record format, `1` |
//! | 12     | 4    | reserved, zero |
//! | 16     | 8    | publish sequence (1 for the first publish of the log) |
//! | 24     | 8    | Delta version of the `sets` table in the snapshot |
//! | 32     | 8    | snapshot size in bytes |
//! | 40     | 8    | index of the snapshot's first block in the log |
//! | 48     | 8    | number of snapshot blocks |
//! | 56     | 32   | SHA-256 of the snapshot |

use sha2::{Digest, Sha256};

use crate::Error;

/// The largest snapshot block: Hypercore peers fetch and verify one block
/// per request, so small blocks keep a request cheap and a resume fine-grained.
pub const BLOCK_SIZE: usize = 64 * 1024;

/// Marks a block as an index record rather than snapshot bytes.
pub const INDEX_MAGIC: &[u8; 8] = b"ap-index";

/// The index record format this crate writes and the newest it reads.
pub const INDEX_FORMAT: u32 = 1;

/// Encoded length of an [`IndexRecord`].
pub const INDEX_LEN: usize = 88;

/// What a follower needs to find, check and date the latest snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRecord {
    /// 1 for the log's first publish, then +1 per publish.
    pub sequence: u64,
    /// The Delta version of the `sets` table the snapshot holds.
    pub delta_version: u64,
    /// Snapshot bytes.
    pub size: u64,
    /// Log index of the snapshot's first block.
    pub first_block: u64,
    /// Number of snapshot blocks (the record follows the last one).
    pub block_count: u64,
    /// SHA-256 of the whole snapshot.
    pub sha256: [u8; 32],
}

impl IndexRecord {
    /// The record's 88 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(INDEX_LEN);
        out.extend_from_slice(INDEX_MAGIC);
        out.extend_from_slice(&INDEX_FORMAT.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        for v in [
            self.sequence,
            self.delta_version,
            self.size,
            self.first_block,
            self.block_count,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.sha256);
        out
    }

    /// Reads the record stored at log index `at`, checking that it points
    /// at the blocks right before it.
    pub fn decode(block: &[u8], at: u64) -> Result<Self, Error> {
        let bad = |why: String| Error::BadIndex { index: at, why };
        if block.len() < 16 || &block[..8] != INDEX_MAGIC {
            return Err(bad(
                "it does not start with `ap-index`: this log is not an ap ledger log".into(),
            ));
        }
        let format = u32::from_le_bytes(le(&block[8..12]));
        if format > INDEX_FORMAT {
            return Err(bad(format!(
                "it has record format {format}, this ap reads up to {INDEX_FORMAT}: upgrade ap"
            )));
        }
        if block.len() != INDEX_LEN {
            return Err(bad(format!(
                "it is {} bytes long, format 1 has {INDEX_LEN}",
                block.len()
            )));
        }
        let u = |o: usize| u64::from_le_bytes(le(&block[o..o + 8]));
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(&block[56..88]);
        let record = Self {
            sequence: u(16),
            delta_version: u(24),
            size: u(32),
            first_block: u(40),
            block_count: u(48),
            sha256,
        };
        if record.first_block.checked_add(record.block_count) != Some(at) {
            return Err(bad(format!(
                "it names blocks {}+{} but sits at {at}",
                record.first_block, record.block_count
            )));
        }
        let max = record.block_count.saturating_mul(BLOCK_SIZE as u64);
        if record.size > max || (record.size == 0) != (record.block_count == 0) {
            return Err(bad(format!(
                "{} bytes cannot fill {} blocks of at most {BLOCK_SIZE} bytes",
                record.size, record.block_count
            )));
        }
        Ok(record)
    }

    /// The log indexes of the snapshot's blocks.
    pub fn blocks(&self) -> std::ops::Range<u64> {
        self.first_block..self.first_block + self.block_count
    }
}

fn le<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(bytes);
    a
}

/// Cuts a snapshot into blocks of [`BLOCK_SIZE`] (the last one shorter).
pub fn split(snapshot: &[u8]) -> Vec<&[u8]> {
    snapshot.chunks(BLOCK_SIZE).collect()
}

/// SHA-256 of a snapshot.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex, for digests and public keys.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let r = IndexRecord {
            sequence: 3,
            delta_version: 17,
            size: 100_000,
            first_block: 10,
            block_count: 2,
            sha256: [7; 32],
        };
        let bytes = r.encode();
        assert_eq!(bytes.len(), INDEX_LEN);
        assert_eq!(&bytes[..8], b"ap-index");
        assert_eq!(bytes[8], 1);
        assert_eq!(bytes[16], 3);
        assert_eq!(bytes[24], 17);
        assert_eq!(IndexRecord::decode(&bytes, 12).unwrap(), r);
    }

    #[test]
    fn refuses_misplaced_foreign_and_newer() {
        let r = IndexRecord {
            sequence: 1,
            delta_version: 0,
            size: 5,
            first_block: 0,
            block_count: 1,
            sha256: [0; 32],
        };
        let e = IndexRecord::decode(&r.encode(), 2).unwrap_err().to_string();
        assert!(e.contains("sits at 2"), "{e}");
        let e = IndexRecord::decode(b"hello world, not ours", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an ap ledger log"), "{e}");
        let mut newer = r.encode();
        newer[8] = 2;
        let e = IndexRecord::decode(&newer, 1).unwrap_err().to_string();
        assert!(e.contains("upgrade ap"), "{e}");
    }

    #[test]
    fn split_respects_block_size() {
        let data = vec![1u8; BLOCK_SIZE * 2 + 5];
        let blocks = split(&data);
        assert_eq!(blocks.len(), 3);
        assert!(blocks.iter().all(|b| b.len() <= BLOCK_SIZE));
        assert_eq!(blocks[2].len(), 5);
    }
}
