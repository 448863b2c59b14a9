//! The bytes of a 7z header: start header, streams info, files info and the
//! encoded (encrypted) header that points at them. Written from the 7z format
//! description and checked against 7-Zip itself in the interop tests.

use crate::walk::{Entry, EntryKind};

pub(crate) const SIGNATURE: [u8; 6] = [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C];
pub(crate) const START_HEADER_LEN: u64 = 32;

const K_END: u8 = 0x00;
const K_HEADER: u8 = 0x01;
const K_MAIN_STREAMS_INFO: u8 = 0x04;
const K_FILES_INFO: u8 = 0x05;
const K_PACK_INFO: u8 = 0x06;
const K_UNPACK_INFO: u8 = 0x07;
const K_SUBSTREAMS_INFO: u8 = 0x08;
const K_SIZE: u8 = 0x09;
const K_CRC: u8 = 0x0A;
const K_FOLDER: u8 = 0x0B;
const K_CODERS_UNPACK_SIZE: u8 = 0x0C;
const K_NUM_UNPACK_STREAM: u8 = 0x0D;
const K_EMPTY_STREAM: u8 = 0x0E;
const K_EMPTY_FILE: u8 = 0x0F;
const K_NAME: u8 = 0x11;
const K_MTIME: u8 = 0x14;
const K_WIN_ATTRIBUTES: u8 = 0x15;
const K_ENCODED_HEADER: u8 = 0x17;

/// Windows attribute bits 7-Zip uses; the high 16 bits carry `st_mode`
/// when [`ATTR_UNIX_EXTENSION`] is set.
pub(crate) const ATTR_DIRECTORY: u32 = 0x10;
pub(crate) const ATTR_ARCHIVE: u32 = 0x20;
pub(crate) const ATTR_UNIX_EXTENSION: u32 = 0x8000;

/// The inner coder of a folder; every folder is then encrypted by 7zAES.
#[derive(Debug, Clone)]
pub(crate) enum Coder {
    Copy,
    /// LZMA2 with its one-byte dictionary-size property.
    Lzma2(u8),
}

/// One folder (7-Zip's "block"): coders [inner, 7zAES], one packed stream.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub(crate) coder: Coder,
    pub(crate) aes_props: Vec<u8>,
    /// Size of the plain data (all its files together).
    pub(crate) unpacked: u64,
    /// Size after the inner coder (= `unpacked` for Copy).
    pub(crate) coded: u64,
    /// Size after encryption, a multiple of 16.
    pub(crate) packed: u64,
    /// CRC of the plain data, when known (the header's folder has one).
    pub(crate) crc: Option<u32>,
    /// Sizes of the files stored in this folder, in order.
    pub(crate) streams: Vec<u64>,
}

/// 7z's variable-length number: the leading one bits of the first byte say
/// how many little-endian bytes follow.
pub(crate) fn number(out: &mut Vec<u8>, value: u64) {
    let mut first = 0u8;
    let mut mask = 0x80u8;
    let mut extra = 0;
    while extra < 8 {
        if value < (1u64 << (7 * (extra + 1))) {
            first |= (value >> (8 * extra)) as u8;
            break;
        }
        first |= mask;
        mask >>= 1;
        extra += 1;
    }
    out.push(first);
    out.extend_from_slice(&value.to_le_bytes()[..extra]);
}

/// The LZMA2 property byte for a dictionary size (the smallest encodable
/// size that is at least `dict`).
pub(crate) fn lzma2_dict_prop(dict: u32) -> u8 {
    for p in 0u8..40 {
        let size = (2u64 | u64::from(p & 1)) << (p / 2 + 11);
        if u64::from(dict) <= size {
            return p;
        }
    }
    40
}

fn write_folder(out: &mut Vec<u8>, f: &Folder) {
    number(out, 2);
    match f.coder {
        Coder::Copy => {
            out.push(0x01);
            out.push(0x00);
        }
        Coder::Lzma2(prop) => {
            out.push(0x21);
            out.push(0x21);
            out.push(1);
            out.push(prop);
        }
    }
    out.push(0x20 | 4);
    out.extend_from_slice(&[0x06, 0xF1, 0x07, 0x01]);
    number(out, f.aes_props.len() as u64);
    out.extend_from_slice(&f.aes_props);
    // Bond: coder 0's packed input is coder 1's (7zAES) output.
    number(out, 0);
    number(out, 1);
}

fn write_bits(out: &mut Vec<u8>, bits: &[bool]) {
    for chunk in bits.chunks(8) {
        let mut b = 0u8;
        for (i, &bit) in chunk.iter().enumerate() {
            if bit {
                b |= 0x80 >> i;
            }
        }
        out.push(b);
    }
}

fn write_streams_info(out: &mut Vec<u8>, pack_pos: u64, folders: &[Folder], substreams: bool) {
    out.push(K_PACK_INFO);
    number(out, pack_pos);
    number(out, folders.len() as u64);
    out.push(K_SIZE);
    for f in folders {
        number(out, f.packed);
    }
    out.push(K_END);

    out.push(K_UNPACK_INFO);
    out.push(K_FOLDER);
    number(out, folders.len() as u64);
    out.push(0); // not external
    for f in folders {
        write_folder(out, f);
    }
    out.push(K_CODERS_UNPACK_SIZE);
    for f in folders {
        number(out, f.unpacked);
        number(out, f.coded);
    }
    if folders.iter().any(|f| f.crc.is_some()) {
        out.push(K_CRC);
        let defined: Vec<bool> = folders.iter().map(|f| f.crc.is_some()).collect();
        if defined.iter().all(|&d| d) {
            out.push(1);
        } else {
            out.push(0);
            write_bits(out, &defined);
        }
        for f in folders {
            if let Some(crc) = f.crc {
                out.extend_from_slice(&crc.to_le_bytes());
            }
        }
    }
    out.push(K_END);

    if substreams {
        out.push(K_SUBSTREAMS_INFO);
        if folders.iter().any(|f| f.streams.len() != 1) {
            out.push(K_NUM_UNPACK_STREAM);
            for f in folders {
                number(out, f.streams.len() as u64);
            }
        }
        if folders.iter().any(|f| f.streams.len() > 1) {
            out.push(K_SIZE);
            for f in folders {
                // The last size of each folder is implied by the folder's size.
                for &s in f.streams.iter().take(f.streams.len().saturating_sub(1)) {
                    number(out, s);
                }
            }
        }
        out.push(K_END);
    }
    out.push(K_END);
}

/// The 7-Zip attribute word of an entry: Windows bits plus `st_mode << 16`.
/// The file-type bits come from the entry's kind, never from `mode`, so a
/// caller-built [`Entry`] cannot store a link as a file or the reverse.
pub(crate) fn attributes(e: &Entry) -> u32 {
    const S_IFREG: u32 = 0o100_000;
    const S_IFDIR: u32 = 0o040_000;
    const S_IFLNK: u32 = 0o120_000;
    let (win, kind) = match e.kind {
        EntryKind::Dir => (ATTR_DIRECTORY, S_IFDIR),
        EntryKind::File { .. } => (ATTR_ARCHIVE, S_IFREG),
        EntryKind::Symlink { .. } => (ATTR_ARCHIVE, S_IFLNK),
    };
    win | ATTR_UNIX_EXTENSION | ((kind | (e.mode & 0o7777)) << 16)
}

fn property(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    number(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// The plain header: streams of `folders` (packed data starting right after
/// the start header) and the files of `entries`, whose data-carrying members
/// fill the folders' streams in order.
pub(crate) fn header(entries: &[Entry], folders: &[Folder]) -> Vec<u8> {
    let mut out = vec![K_HEADER];
    if !folders.is_empty() {
        out.push(K_MAIN_STREAMS_INFO);
        write_streams_info(&mut out, 0, folders, true);
    }
    out.push(K_FILES_INFO);
    number(&mut out, entries.len() as u64);

    let empty_stream: Vec<bool> = entries.iter().map(|e| e.data_len() == 0).collect();
    if empty_stream.iter().any(|&b| b) {
        let mut body = Vec::new();
        write_bits(&mut body, &empty_stream);
        property(&mut out, K_EMPTY_STREAM, &body);
        let empty_file: Vec<bool> = entries
            .iter()
            .filter(|e| e.data_len() == 0)
            .map(|e| e.kind != EntryKind::Dir)
            .collect();
        if empty_file.iter().any(|&b| b) {
            let mut body = Vec::new();
            write_bits(&mut body, &empty_file);
            property(&mut out, K_EMPTY_FILE, &body);
        }
    }

    let mut names = vec![0u8]; // not external
    for e in entries {
        names.extend(e.name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    }
    property(&mut out, K_NAME, &names);

    let mut times = vec![1u8, 0u8]; // all defined, not external
    for e in entries {
        times.extend_from_slice(&e.mtime.to_le_bytes());
    }
    property(&mut out, K_MTIME, &times);

    let mut attrs = vec![1u8, 0u8];
    for e in entries {
        attrs.extend_from_slice(&attributes(e).to_le_bytes());
    }
    property(&mut out, K_WIN_ATTRIBUTES, &attrs);

    out.push(K_END); // files info
    out.push(K_END); // header
    out
}

/// The "next header" that the start header points at: it tells a reader to
/// decode (decrypt) the real header from the packed stream at `pack_pos`.
pub(crate) fn encoded_header(pack_pos: u64, folder: &Folder) -> Vec<u8> {
    let mut out = vec![K_ENCODED_HEADER];
    write_streams_info(&mut out, pack_pos, std::slice::from_ref(folder), false);
    out
}

/// The 32-byte start header.
pub(crate) fn start_header(next_offset: u64, next: &[u8]) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..6].copy_from_slice(&SIGNATURE);
    h[6] = 0;
    h[7] = 4;
    h[12..20].copy_from_slice(&next_offset.to_le_bytes());
    h[20..28].copy_from_slice(&(next.len() as u64).to_le_bytes());
    h[28..32].copy_from_slice(&crc32fast::hash(next).to_le_bytes());
    let crc = crc32fast::hash(&h[12..32]);
    h[8..12].copy_from_slice(&crc.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_encode_like_7zip() {
        let enc = |v| {
            let mut o = Vec::new();
            number(&mut o, v);
            o
        };
        assert_eq!(enc(0x7F), vec![0x7F]);
        assert_eq!(enc(0x80), vec![0x80, 0x80]);
        assert_eq!(enc(0x3FFF), vec![0xBF, 0xFF]);
        assert_eq!(enc(0x4000), vec![0xC0, 0x00, 0x40]);
        assert_eq!(
            enc(u64::MAX),
            [&[0xFF][..], &u64::MAX.to_le_bytes()].concat()
        );
    }

    #[test]
    fn dict_props() {
        assert_eq!(lzma2_dict_prop(1 << 12), 0);
        assert_eq!(lzma2_dict_prop(1 << 18), 12);
        assert_eq!(lzma2_dict_prop(1 << 20), 16);
        assert_eq!(lzma2_dict_prop(3 << 20), 19);
    }
}
