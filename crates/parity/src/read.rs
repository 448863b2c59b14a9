//! Scanning PAR2 files for packets. Nothing read is trusted: lengths are
//! checked against the file before anything is allocated, every packet's MD5
//! is checked before its body is parsed, and damage makes the scanner skip
//! ahead to the next packet magic rather than fail.

use std::io::{self, Read, Seek, SeekFrom};

use md5::{Digest, Md5};

use crate::packet::{self, Body, HEADER_LEN, Hash, MAGIC, MAX_CRITICAL_BODY, TYPE_RECOVERY};

/// One valid packet found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub set_id: Hash,
    pub body: Body,
}

/// Everything [`scan`] found in one source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub packets: Vec<Found>,
    /// Packets (or stretches of bytes) skipped as damaged.
    pub damaged: usize,
}

/// Scans `len` bytes of `src` for packets.
pub fn scan<R: Read + Seek>(src: &mut R, len: u64) -> io::Result<Scan> {
    let mut out = Scan::default();
    let mut pos = 0u64;
    let mut header = [0u8; HEADER_LEN];
    while pos + HEADER_LEN as u64 <= len {
        src.seek(SeekFrom::Start(pos))?;
        src.read_exact(&mut header)?;
        if header[..8] != MAGIC {
            out.damaged += 1;
            pos = next_magic(src, pos + 1, len)?;
            continue;
        }
        match packet_at(src, pos, len, &header)? {
            Some((found, plen)) => {
                out.packets.push(found);
                pos += plen;
            }
            None => {
                out.damaged += 1;
                pos = next_magic(src, pos + 1, len)?;
            }
        }
    }
    Ok(out)
}

/// Scans packets held in memory (what the fuzz target drives).
pub fn scan_bytes(bytes: &[u8]) -> Scan {
    let mut cursor = io::Cursor::new(bytes);
    // Reading from memory cannot fail; an error here would be a bug in the
    // scanner's own bounds, reported as "nothing found".
    scan(&mut cursor, bytes.len() as u64).unwrap_or_default()
}

/// The packet whose header is at `pos`, and its length; `None` if damaged.
fn packet_at<R: Read + Seek>(
    src: &mut R,
    pos: u64,
    len: u64,
    header: &[u8; 64],
) -> io::Result<Option<(Found, u64)>> {
    let mut u64b = [0u8; 8];
    u64b.copy_from_slice(&header[8..16]);
    let plen = u64::from_le_bytes(u64b);
    if plen < HEADER_LEN as u64 || plen % 4 != 0 || plen > len - pos {
        return Ok(None);
    }
    let mut want = [0u8; 16];
    want.copy_from_slice(&header[16..32]);
    let mut set_id = [0u8; 16];
    set_id.copy_from_slice(&header[32..48]);
    let mut kind = [0u8; 16];
    kind.copy_from_slice(&header[48..64]);
    let body_len = plen - HEADER_LEN as u64;
    let mut h = Md5::new();
    h.update(&header[32..64]);
    if kind == TYPE_RECOVERY {
        if body_len < 4 {
            return Ok(None);
        }
        // Stream the slice through MD5 without holding it.
        let mut buf = vec![0u8; (1 << 20).min(body_len as usize)];
        let mut left = body_len;
        let mut exponent = [0u8; 4];
        let mut first = true;
        while left > 0 {
            let n = (buf.len() as u64).min(left) as usize;
            src.read_exact(&mut buf[..n])?;
            if first {
                exponent.copy_from_slice(&buf[..4]);
                first = false;
            }
            h.update(&buf[..n]);
            left -= n as u64;
        }
        let digest: Hash = h.finalize().into();
        if digest != want {
            return Ok(None);
        }
        let exponent = u32::from_le_bytes(exponent);
        let body = Body::Recovery {
            exponent,
            offset: pos + HEADER_LEN as u64 + 4,
            len: body_len - 4,
        };
        return Ok(Some((Found { set_id, body }, plen)));
    }
    if body_len > MAX_CRITICAL_BODY {
        return Ok(None);
    }
    let mut body = vec![0u8; body_len as usize];
    src.read_exact(&mut body)?;
    h.update(&body);
    let digest: Hash = h.finalize().into();
    if digest != want {
        return Ok(None);
    }
    Ok(packet::parse_body(&kind, &body).map(|body| (Found { set_id, body }, plen)))
}

/// Position of the next packet magic at or after `from`, or `len`.
fn next_magic<R: Read + Seek>(src: &mut R, from: u64, len: u64) -> io::Result<u64> {
    const CHUNK: usize = 1 << 16;
    let mut buf = vec![0u8; CHUNK + MAGIC.len()];
    let mut at = from;
    while at < len {
        let n = ((len - at) as usize).min(buf.len());
        src.seek(SeekFrom::Start(at))?;
        src.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].windows(MAGIC.len()).position(|w| w == MAGIC) {
            return Ok(at + i as u64);
        }
        if n < buf.len() {
            break;
        }
        at += CHUNK as u64;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Main, TYPE_MAIN};

    #[test]
    fn finds_packets_around_damage() {
        let main = Main {
            slice_size: 8,
            recovery_ids: vec![[1; 16]],
            non_recovery_ids: vec![],
        };
        let p = packet::packet(&main.set_id(), &TYPE_MAIN, &main.body());
        let mut bytes = b"junk".to_vec();
        bytes.extend(&p);
        let mut bad = p.clone();
        bad[70] ^= 1; // breaks its MD5
        bytes.extend(&bad);
        bytes.extend(&p);
        let scan = scan_bytes(&bytes);
        assert_eq!(scan.packets.len(), 2);
        assert!(scan.damaged >= 2);
        assert_eq!(scan.packets[0].body, Body::Main(main));
    }

    #[test]
    fn hostile_lengths_are_skipped() {
        let mut h = MAGIC.to_vec();
        h.extend(u64::MAX.to_le_bytes());
        h.extend([0u8; 48]);
        assert_eq!(scan_bytes(&h).packets.len(), 0);
        let mut h = MAGIC.to_vec();
        h.extend(12u64.to_le_bytes());
        h.extend([0u8; 48]);
        assert_eq!(scan_bytes(&h).packets.len(), 0);
    }
}
