//! The text form of a secret: `ap1_`, then the envelope bytes in base64url
//! without padding, cut into blocks of at most [`BLOCK_CHARS`] characters,
//! each followed by four check characters. The check is a two-symbol code
//! over GF(2^12) (one symbol per two characters) that locates any single
//! damaged character, so a bad copy is reported with its position.

use crate::Error;

pub const PREFIX: &str = "ap1_";
/// Data characters per block: 4095 symbols of two characters, less one so
/// the block length stays even.
pub const BLOCK_CHARS: usize = 8190;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// x^12 + x^6 + x^4 + x + 1, primitive: x generates all 4095 non-zero elements.
const POLY: u32 = 0x1053;

struct Gf {
    exp: Vec<u16>,
    log: Vec<u16>,
}

fn gf() -> &'static Gf {
    static GF: std::sync::OnceLock<Gf> = std::sync::OnceLock::new();
    GF.get_or_init(|| {
        let mut exp = vec![0u16; 4095];
        let mut log = vec![0u16; 4096];
        let mut x = 1u32;
        for (i, e) in exp.iter_mut().enumerate() {
            *e = x as u16;
            log[x as usize] = i as u16;
            x <<= 1;
            if x & 0x1000 != 0 {
                x ^= POLY;
            }
        }
        Gf { exp, log }
    })
}

/// `a * x^i` in GF(2^12).
fn mul_pow(a: u16, i: usize) -> u16 {
    if a == 0 {
        return 0;
    }
    let g = gf();
    g.exp[(usize::from(g.log[usize::from(a)]) + i) % 4095]
}

/// The two check symbols of a block of 6-bit values.
fn check(values: &[u8]) -> (u16, u16) {
    let (mut c0, mut c1) = (0u16, 0u16);
    for (j, pair) in values.chunks(2).enumerate() {
        let hi = u16::from(pair[0]);
        let lo = pair.get(1).map_or(0, |&v| u16::from(v));
        let s = (hi << 6) | lo;
        c0 ^= s;
        c1 ^= mul_pow(s, j);
    }
    (c0, c1)
}

fn value_of(c: u8) -> Option<u8> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

/// Writes envelope bytes as a secret string.
pub fn encode(bytes: &[u8]) -> String {
    let mut values = Vec::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let n = u32::from(chunk[0]) << 16
            | u32::from(chunk.get(1).copied().unwrap_or(0)) << 8
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for k in 0..=chunk.len() {
            values.push(((n >> (18 - 6 * k)) & 63) as u8);
        }
    }
    let mut out = String::with_capacity(PREFIX.len() + values.len() * 4 / 3 + 8);
    out.push_str(PREFIX);
    for block in values.chunks(BLOCK_CHARS) {
        let (c0, c1) = check(block);
        for &v in block.iter().chain(&[
            (c0 >> 6) as u8,
            (c0 & 63) as u8,
            (c1 >> 6) as u8,
            (c1 & 63) as u8,
        ]) {
            out.push(char::from(ALPHABET[usize::from(v)]));
        }
    }
    out
}

/// Reads a secret string back into envelope bytes. Whitespace anywhere is
/// ignored (mail clients wrap long lines); positions in errors count
/// characters of the text as given, from 1.
pub fn decode(text: &str) -> Result<Vec<u8>, Error> {
    let chars: Vec<(usize, char)> = text
        .chars()
        .enumerate()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, c)| (i + 1, c))
        .collect();
    let head: String = chars.iter().take(PREFIX.len()).map(|&(_, c)| c).collect();
    if head != PREFIX {
        return Err(prefix_error(&head));
    }
    let body = &chars[PREFIX.len()..];
    let mut values = Vec::with_capacity(body.len());
    for &(pos, c) in body {
        match u8::try_from(c).ok().and_then(value_of) {
            Some(v) => values.push(v),
            None => return Err(Error::Damaged { position: pos }),
        }
    }
    let mut data = Vec::with_capacity(values.len());
    let mut at = 0;
    while at < values.len() {
        let len = (values.len() - at).min(BLOCK_CHARS + 4);
        if len < 5 {
            return Err(Error::DamagedSomewhere("it is cut short"));
        }
        let block = &values[at..at + len - 4];
        let stored = &values[at + len - 4..at + len];
        let c0 = u16::from(stored[0]) << 6 | u16::from(stored[1]);
        let c1 = u16::from(stored[2]) << 6 | u16::from(stored[3]);
        let (d0, d1) = check(block);
        let (e0, e1) = (c0 ^ d0, c1 ^ d1);
        if e0 != 0 || e1 != 0 {
            let located = locate(e0, e1, block.len()).map(|i| at + i);
            return Err(match located {
                Some(i) => Error::Damaged {
                    position: body[i].0,
                },
                None => {
                    Error::DamagedSomewhere("more than one character is wrong, missing or extra")
                }
            });
        }
        data.extend_from_slice(block);
        at += len;
    }
    values_to_bytes(&data, |i| body[block_index(i)].0)
}

/// Maps an index into the data values back to its index in the body,
/// skipping the check characters of earlier blocks.
fn block_index(i: usize) -> usize {
    i + i / BLOCK_CHARS * 4
}

/// Which data or check character of a block a syndrome pair points at.
fn locate(e0: u16, e1: u16, data_len: usize) -> Option<usize> {
    let which_of_pair = |e: u16| if e >> 6 != 0 { 0 } else { 1 };
    match (e0 != 0, e1 != 0) {
        (true, false) => Some(data_len + which_of_pair(e0)),
        (false, true) => Some(data_len + 2 + which_of_pair(e1)),
        _ => {
            let g = gf();
            let j = (usize::from(g.log[usize::from(e1)]) + 4095
                - usize::from(g.log[usize::from(e0)]))
                % 4095;
            let i = 2 * j + which_of_pair(e0);
            // Both halves of a pair changed means two characters changed.
            (e0 >> 6 == 0 || e0 & 63 == 0)
                .then_some(i)
                .filter(|&i| i < data_len)
        }
    }
}

fn values_to_bytes(values: &[u8], position: impl Fn(usize) -> usize) -> Result<Vec<u8>, Error> {
    if values.len() % 4 == 1 {
        return Err(Error::DamagedSomewhere("a character is missing or extra"));
    }
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for chunk in values.chunks(4) {
        let mut n = 0u32;
        for (k, &v) in chunk.iter().enumerate() {
            n |= u32::from(v) << (18 - 6 * k);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
        // Unused low bits of a short last group must be zero (canonical).
        if chunk.len() < 4 && n & ((1 << (24 - 8 * (chunk.len() - 1))) - 1) != 0 {
            return Err(Error::Damaged {
                position: position(values.len() - 1),
            });
        }
    }
    Ok(out)
}

fn prefix_error(head: &str) -> Error {
    let version = head
        .strip_prefix("ap")
        .and_then(|rest| rest.strip_suffix('_'))
        .and_then(|v| v.parse::<u64>().ok());
    match version {
        Some(v) if v > 1 => Error::NewerVersion {
            found: v,
            supported: 1,
        },
        _ => Error::NotASecret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_polynomial_is_primitive() {
        let g = gf();
        let mut seen = std::collections::HashSet::new();
        for &e in &g.exp {
            assert!(seen.insert(e), "x^i repeats before 4095 steps");
        }
        assert_eq!(seen.len(), 4095);
    }

    #[test]
    fn every_single_character_change_is_located() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..40).collect();
        let text = encode(&bytes);
        assert_eq!(decode(&text).unwrap(), bytes);
        for i in PREFIX.len()..text.len() {
            let mut damaged = text.clone().into_bytes();
            damaged[i] = if damaged[i] == b'A' { b'B' } else { b'A' };
            let damaged = String::from_utf8(damaged).unwrap();
            match decode(&damaged) {
                Err(Error::Damaged { position }) => assert_eq!(position, i + 1, "char {i}"),
                other => panic!("char {i}: {other:?}"),
            }
        }
    }
}
