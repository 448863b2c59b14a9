//! The `auto` method's judgement: will this file compress? Media and
//! archives are already compressed, and running LZMA over them burns minutes
//! for nothing (7-Zip takes about 70 s on 200 MB of random data here).
//!
//! Instead of trial-compressing (which costs an encoder set-up per file,
//! too slow for 20,000 small files), a few windows of the file are measured
//! for order-0 entropy and for how often a 4-byte sequence repeats within the
//! window (the matches an LZ coder would find). Data with near-8-bit entropy
//! and almost no repeats is stored.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes in one sample window.
const WINDOW: usize = 32 * 1024;
/// Files up to this size are measured whole.
const WHOLE: u64 = 3 * WINDOW as u64;

/// Whether the sampled data looks worth compressing.
pub fn looks_compressible(path: &Path, size: u64) -> io::Result<bool> {
    if size < 64 {
        return Ok(true);
    }
    let mut f = File::open(path)?;
    let mut buf = Vec::with_capacity(WHOLE as usize);
    if size <= WHOLE {
        f.take(size).read_to_end(&mut buf)?;
        return Ok(compressible(&buf));
    }
    let mut any = false;
    for at in [0, size / 2 - WINDOW as u64 / 2, size - WINDOW as u64] {
        buf.clear();
        f.seek(SeekFrom::Start(at))?;
        (&mut f).take(WINDOW as u64).read_to_end(&mut buf)?;
        any |= compressible(&buf);
        if any {
            break;
        }
    }
    Ok(any)
}

/// The measure on one window.
pub fn compressible(data: &[u8]) -> bool {
    if data.len() < 64 {
        return true;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    if entropy < 7.5 {
        return true;
    }
    // Repeated 4-byte sequences, as a hash-table match finder would see them.
    let mut table = vec![u32::MAX; 1 << 14];
    let mut matches = 0usize;
    for i in 0..data.len().saturating_sub(3) {
        let v = u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        let h = (v.wrapping_mul(2_654_435_761) >> 18) as usize;
        let prev = table[h];
        if prev != u32::MAX && data[prev as usize..prev as usize + 4] == data[i..i + 4] {
            matches += 1;
        }
        table[h] = i as u32;
    }
    matches * 100 > data.len() * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize) -> Vec<u8> {
        let mut s = 0x1234_5678_9abc_def0u64;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn noise_is_stored_and_text_compressed() {
        assert!(!compressible(&noise(WINDOW)));
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(800);
        assert!(compressible(&text));
        // High entropy but repetitive: noise repeated.
        let mut rep = noise(4096);
        rep.extend_from_within(..);
        rep.extend_from_within(..);
        assert!(compressible(&rep));
    }
}
