//! PAR2 2.0 packets: building them, and parsing them from damaged or hostile
//! bytes without trusting a single length or count.
//!
//! Every packet is a 64-byte header (magic, length, MD5 of the rest, recovery
//! set ID, type) and a body whose length is a multiple of 4. All integers are
//! little-endian.

use md5::{Digest, Md5};

/// `PAR2\0PKT`, the first 8 bytes of every packet.
pub const MAGIC: [u8; 8] = *b"PAR2\0PKT";
/// Bytes in a packet header.
pub const HEADER_LEN: usize = 64;

pub const TYPE_MAIN: [u8; 16] = *b"PAR 2.0\0Main\0\0\0\0";
pub const TYPE_FILE_DESC: [u8; 16] = *b"PAR 2.0\0FileDesc";
pub const TYPE_IFSC: [u8; 16] = *b"PAR 2.0\0IFSC\0\0\0\0";
pub const TYPE_RECOVERY: [u8; 16] = *b"PAR 2.0\0RecvSlic";
pub const TYPE_CREATOR: [u8; 16] = *b"PAR 2.0\0Creator\0";

/// Largest body accepted for any packet other than a recovery slice: a main
/// packet listing 32768 files plus room, and an IFSC for 32768 slices.
pub const MAX_CRITICAL_BODY: u64 = 32768 * 20 + 1024;
/// Most input slices (and files) a set may have.
pub const MAX_SLICES: u64 = 32768;

/// A 16-byte MD5 digest.
pub type Hash = [u8; 16];

/// MD5 of `data`.
pub fn md5(data: &[u8]) -> Hash {
    Md5::digest(data).into()
}

/// The Main packet: slice size and the File IDs of the set, in the order
/// that numbers the input slices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Main {
    pub slice_size: u64,
    pub recovery_ids: Vec<Hash>,
    pub non_recovery_ids: Vec<Hash>,
}

/// A File Description packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDesc {
    pub file_id: Hash,
    pub md5: Hash,
    pub md5_16k: Hash,
    pub length: u64,
    /// The name as stored (UTF-8 in practice), without padding.
    pub name: Vec<u8>,
}

/// Per-slice checksums of one file (Input File Slice Checksum packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ifsc {
    pub file_id: Hash,
    /// MD5 and CRC32 of each slice, the last one zero-padded to slice size.
    pub slices: Vec<(Hash, u32)>,
}

/// One parsed packet. Recovery data is not copied: the parser reports where
/// it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Main(Main),
    FileDesc(FileDesc),
    Ifsc(Ifsc),
    /// Exponent, and offset and length of the slice data in the source.
    Recovery {
        exponent: u32,
        offset: u64,
        len: u64,
    },
    Creator(Vec<u8>),
    /// A valid packet of a type this crate does not use.
    Other([u8; 16]),
}

/// File ID: MD5 of the first-16 KiB MD5, the length and the name.
pub fn file_id(md5_16k: &Hash, length: u64, name: &[u8]) -> Hash {
    let mut h = Md5::new();
    h.update(md5_16k);
    h.update(length.to_le_bytes());
    h.update(name);
    h.finalize().into()
}

/// The order PAR2 clients number files in: File IDs compared as 128-bit
/// little-endian integers (par2cmdline compares from the last byte down).
pub fn id_order(a: &Hash, b: &Hash) -> std::cmp::Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

impl Main {
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(12 + 16 * self.recovery_ids.len());
        b.extend_from_slice(&self.slice_size.to_le_bytes());
        b.extend_from_slice(&(self.recovery_ids.len() as u32).to_le_bytes());
        for id in self.recovery_ids.iter().chain(&self.non_recovery_ids) {
            b.extend_from_slice(id);
        }
        b
    }

    /// The Recovery Set ID: MD5 of the Main packet's body.
    pub fn set_id(&self) -> Hash {
        md5(&self.body())
    }
}

impl FileDesc {
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(56 + self.name.len() + 3);
        b.extend_from_slice(&self.file_id);
        b.extend_from_slice(&self.md5);
        b.extend_from_slice(&self.md5_16k);
        b.extend_from_slice(&self.length.to_le_bytes());
        b.extend_from_slice(&self.name);
        pad4(&mut b);
        b
    }
}

impl Ifsc {
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + 20 * self.slices.len());
        b.extend_from_slice(&self.file_id);
        for (h, crc) in &self.slices {
            b.extend_from_slice(h);
            b.extend_from_slice(&crc.to_le_bytes());
        }
        b
    }
}

/// Creator packet body: the text, zero-padded.
pub fn creator_body(text: &str) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    pad4(&mut b);
    b
}

/// The 64-byte header of a packet whose body bytes are hashed by `body_md5`
/// (an MD5 state already fed the set ID, type and body).
pub fn header(set_id: &Hash, kind: &[u8; 16], body_len: usize, packet_md5: &Hash) -> [u8; 64] {
    let mut h = [0u8; 64];
    h[..8].copy_from_slice(&MAGIC);
    h[8..16].copy_from_slice(&((HEADER_LEN + body_len) as u64).to_le_bytes());
    h[16..32].copy_from_slice(packet_md5);
    h[32..48].copy_from_slice(set_id);
    h[48..64].copy_from_slice(kind);
    h
}

/// A whole packet, header and body.
pub fn packet(set_id: &Hash, kind: &[u8; 16], body: &[u8]) -> Vec<u8> {
    let mut h = Md5::new();
    h.update(set_id);
    h.update(kind);
    h.update(body);
    let digest: Hash = h.finalize().into();
    let mut out = header(set_id, kind, body.len(), &digest).to_vec();
    out.extend_from_slice(body);
    out
}

fn hash_at(b: &[u8], at: usize) -> Option<Hash> {
    b.get(at..at + 16)?.try_into().ok()
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses the body of a non-recovery packet whose hash has been checked.
/// `None` means the body contradicts its own type (wrong size, counts that
/// do not fit): the packet is then treated as damaged.
pub fn parse_body(kind: &[u8; 16], body: &[u8]) -> Option<Body> {
    Some(match *kind {
        TYPE_MAIN => {
            let slice_size = u64_at(body, 0)?;
            let n = u32_at(body, 8)? as usize;
            let rest = body.get(12..)?;
            if rest.len() % 16 != 0 || n > rest.len() / 16 || slice_size == 0 || slice_size % 4 != 0
            {
                return None;
            }
            let ids: Vec<Hash> = rest
                .chunks_exact(16)
                .filter_map(|c| c.try_into().ok())
                .collect();
            let (rec, non) = ids.split_at(n);
            Body::Main(Main {
                slice_size,
                recovery_ids: rec.to_vec(),
                non_recovery_ids: non.to_vec(),
            })
        }
        TYPE_FILE_DESC => {
            let name = body.get(56..)?;
            let end = name.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            Body::FileDesc(FileDesc {
                file_id: hash_at(body, 0)?,
                md5: hash_at(body, 16)?,
                md5_16k: hash_at(body, 32)?,
                length: u64_at(body, 48)?,
                name: name[..end].to_vec(),
            })
        }
        TYPE_IFSC => {
            let rest = body.get(16..)?;
            if rest.len() % 20 != 0 {
                return None;
            }
            let slices = rest
                .chunks_exact(20)
                .filter_map(|c| Some((hash_at(c, 0)?, u32_at(c, 16)?)))
                .collect();
            Body::Ifsc(Ifsc {
                file_id: hash_at(body, 0)?,
                slices,
            })
        }
        TYPE_CREATOR => Body::Creator(body.to_vec()),
        other => Body::Other(other),
    })
}
