//! Encoding one part of a multi-part post: the keyword lines, the escaped
//! body in CRLF lines, and the CRCs, streamed from the caller's chunks into
//! the caller's buffer or writer.

pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use crate::crc::{Crc32, FileCrc};
use crate::header::{write_begin, write_end, write_part};
use crate::{EncodeError, Kernel};
use std::io::{self, Write};

/// The line length yEnc posters use.
pub const DEFAULT_LINE: usize = 128;

/// Most bytes that `n` input bytes can encode to, CRLFs included, whatever
/// column the line is at: every byte escaped plus a CRLF per full line.
pub fn max_encoded_len(n: usize, line: usize) -> usize {
    let line = line.max(1);
    2 * n + 2 * (2 * n / line + 1)
}

/// Encodes `input` continuing at column `*col`, with the given kernel.
/// `out` must hold `max_encoded_len(input.len(), line)` bytes.
pub(crate) fn encode_body(
    kernel: Kernel,
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
    ends_part: bool,
) -> usize {
    let (body, last) = match (ends_part, input.split_last()) {
        (true, Some((last, body))) => (body, Some(*last)),
        _ => (input, None),
    };
    #[cfg(target_arch = "x86_64")]
    let (ip, op) = {
        let k = kernel.or_best();
        // SAFETY: `or_best` only returns kernels the CPU supports.
        unsafe {
            match k {
                Kernel::Avx512 => x86::encode_avx512(line, col, body, out),
                Kernel::Avx2 => x86::encode_avx2(line, col, body, out),
                Kernel::Ssse3 => x86::encode_ssse3(line, col, body, out),
                Kernel::Sse2 => x86::encode_sse2(line, col, body, out),
                Kernel::Scalar => (0, 0),
            }
        }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (ip, op) = {
        let _ = kernel;
        (0, 0)
    };
    let mut o = op + scalar::encode(line, col, &body[ip..], &mut out[op..], false);
    if let Some(b) = last {
        o += scalar::encode(line, col, &[b], &mut out[o..], true);
    }
    o
}

/// Encodes a raw body (no keyword lines) in one call, as node-yencode's
/// `encodeTo` does: lines of `line` columns, CRLF-separated, the last line
/// left open. Returns the bytes written.
pub fn encode_raw(data: &[u8], line: usize, out: &mut [u8]) -> Result<usize, EncodeError> {
    encode_raw_with(Kernel::best(), data, line, out)
}

/// [`encode_raw`] with a chosen kernel (falls back to the best available one
/// when the CPU lacks it); for tests and benchmarks.
pub fn encode_raw_with(
    kernel: Kernel,
    data: &[u8],
    line: usize,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    check_line(line)?;
    let need = max_encoded_len(data.len(), line);
    if out.len() < need {
        return Err(EncodeError::BufferTooSmall {
            need,
            have: out.len(),
        });
    }
    let mut col = 0;
    Ok(encode_body(kernel, line, &mut col, data, out, true))
}

fn check_line(line: usize) -> Result<(), EncodeError> {
    if (2..=997).contains(&line) {
        Ok(())
    } else {
        Err(EncodeError::BadLineLength(line))
    }
}

/// What a part is: its place in the file and how to lay it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// File name for `name=`: no CR, LF or NUL.
    pub name: String,
    /// Size of the whole file.
    pub file_size: u64,
    /// 1-based part number.
    pub part: u32,
    pub total: u32,
    /// 0-based offset of the part's first byte in the file.
    pub offset: u64,
    /// Bytes in this part.
    pub len: u64,
    /// Line length; [`DEFAULT_LINE`] unless set.
    pub line: usize,
    /// CRC32 of the whole file, written as `crc32=` when given. For a part
    /// that is the whole file it is filled in automatically.
    pub file_crc: Option<u32>,
    /// CRC32 and length of the file bytes before this part. A poster that
    /// encodes parts in order keeps a [`FileCrc`] of the parts so far and
    /// passes it on the last part: `crc32=` is then derived from it and this
    /// part's own CRC, with no second read of the data.
    pub crc_before: Option<FileCrc>,
}

impl PartInfo {
    pub fn new(
        name: impl Into<String>,
        file_size: u64,
        part: u32,
        total: u32,
        offset: u64,
        len: u64,
    ) -> Self {
        PartInfo {
            name: name.into(),
            file_size,
            part,
            total,
            offset,
            len,
            line: DEFAULT_LINE,
            file_crc: None,
            crc_before: None,
        }
    }

    /// Upper bound of the encoded article for this part, keyword lines
    /// included: size buffers for [`encode_part_into`] with it.
    pub fn max_encoded_len(&self) -> usize {
        let len = usize::try_from(self.len).unwrap_or(usize::MAX / 4);
        self.head().len() + max_encoded_len(len, self.line) + MAX_TRAILER_LEN + 6
    }

    fn validate(&self) -> Result<(), EncodeError> {
        check_line(self.line)?;
        if self.name.is_empty() {
            return Err(EncodeError::EmptyName);
        }
        if self.name.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(EncodeError::BadName);
        }
        if self.part == 0 || self.part > self.total {
            return Err(EncodeError::BadPartNumber {
                part: self.part,
                total: self.total,
            });
        }
        let end = self.offset.saturating_add(self.len);
        if end > self.file_size {
            return Err(EncodeError::PartOutsideFile {
                begin: self.offset + 1,
                end,
                file_size: self.file_size,
            });
        }
        Ok(())
    }

    fn head(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(96 + self.name.len());
        write_begin(
            &mut h,
            self.part,
            self.total,
            self.line,
            self.file_size,
            &self.name,
        );
        write_part(&mut h, self.offset + 1, self.offset + self.len);
        h
    }
}

/// Longest possible `=yend` line.
pub const MAX_TRAILER_LEN: usize = 96;

/// What the trailer said about an encoded part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartSummary {
    pub size: u64,
    pub pcrc32: u32,
    pub crc32: Option<u32>,
    /// Bytes of the whole encoded article.
    pub encoded_len: u64,
}

/// Streaming encoder for one part.
///
/// Write [`Encoder::header`] first, then the output of each
/// [`Encoder::feed`], then that of [`Encoder::finish`]. The last input byte
/// of each chunk is held back until the next call, because only the part's
/// very last byte is known to end a line early.
#[derive(Debug)]
pub struct Encoder {
    info: PartInfo,
    head: Vec<u8>,
    kernel: Kernel,
    col: usize,
    crc: Crc32,
    held: Option<u8>,
    written: u64,
}

impl Encoder {
    pub fn new(info: PartInfo) -> Result<Self, EncodeError> {
        Self::with_kernel(info, Kernel::best())
    }

    /// An encoder that uses a chosen kernel; for tests and benchmarks.
    pub fn with_kernel(info: PartInfo, kernel: Kernel) -> Result<Self, EncodeError> {
        info.validate()?;
        let head = info.head();
        let written = head.len() as u64;
        Ok(Encoder {
            info,
            head,
            kernel,
            col: 0,
            crc: Crc32::new(),
            held: None,
            written,
        })
    }

    /// The `=ybegin` and `=ypart` lines.
    pub fn header(&self) -> &[u8] {
        &self.head
    }

    /// Most bytes one [`Encoder::feed`] of `n` bytes can write.
    pub fn max_feed_len(&self, n: usize) -> usize {
        max_encoded_len(n, self.info.line)
    }

    /// Encodes a chunk into `out`, returning the bytes written.
    pub fn feed(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
        let Some((&last, body)) = data.split_last() else {
            return Ok(0);
        };
        let need = self.max_feed_len(data.len());
        if out.len() < need {
            return Err(EncodeError::BufferTooSmall {
                need,
                have: out.len(),
            });
        }
        let line = self.info.line;
        let mut o = 0;
        if let Some(h) = self.held.take() {
            o += scalar::encode(line, &mut self.col, &[h], out, false);
        }
        // Encode first, then CRC the same bytes while they are still in
        // cache: on input that comes cold from memory (a mapped file, a
        // buffer filled by another core) the CRC's loads stall where the
        // encoder's overlap with its arithmetic, so CRC-first was 20%
        // slower over 700 KiB parts. Blocks keep a long feed's input in L2.
        for block in body.chunks(CACHE_BLOCK) {
            o += encode_body(
                self.kernel,
                line,
                &mut self.col,
                block,
                &mut out[o..],
                false,
            );
            self.crc.update(block);
        }
        self.crc.update(std::slice::from_ref(&last));
        self.held = Some(last);
        self.written += o as u64;
        Ok(o)
    }

    /// Encodes the held byte, closes the last line and writes `=yend`.
    /// `out` must hold [`MAX_TRAILER_LEN`] + 6 bytes.
    pub fn finish(mut self, out: &mut [u8]) -> Result<(usize, PartSummary), EncodeError> {
        let need = MAX_TRAILER_LEN + 6;
        if out.len() < need {
            return Err(EncodeError::BufferTooSmall {
                need,
                have: out.len(),
            });
        }
        let fed = self.crc.len();
        if fed != self.info.len {
            return Err(EncodeError::LengthMismatch {
                announced: self.info.len,
                fed,
            });
        }
        let mut o = 0;
        if let Some(h) = self.held.take() {
            o += scalar::encode(self.info.line, &mut self.col, &[h], out, true);
        }
        if self.col > 0 {
            out[o..o + 2].copy_from_slice(b"\r\n");
            o += 2;
        }
        let pcrc32 = self.crc.finish();
        let whole = self.info.offset == 0 && self.info.len == self.info.file_size;
        let derived = self
            .info
            .crc_before
            .filter(|b| b.len == self.info.offset)
            .map(|mut b| {
                b.push(pcrc32, self.info.len);
                b.crc
            });
        let crc32 = self
            .info
            .file_crc
            .or(derived)
            .or(if whole { Some(pcrc32) } else { None });
        let mut tail = Vec::with_capacity(MAX_TRAILER_LEN);
        write_end(&mut tail, self.info.len, self.info.part, pcrc32, crc32);
        out[o..o + tail.len()].copy_from_slice(&tail);
        o += tail.len();
        self.written += o as u64;
        Ok((
            o,
            PartSummary {
                size: self.info.len,
                pcrc32,
                crc32,
                encoded_len: self.written,
            },
        ))
    }
}

/// Encodes a whole part into `out` (size it with
/// [`PartInfo::max_encoded_len`]); returns the bytes written.
pub fn encode_part_into(
    info: &PartInfo,
    data: &[u8],
    out: &mut [u8],
) -> Result<(usize, PartSummary), EncodeError> {
    let mut enc = Encoder::new(info.clone())?;
    let need = info.max_encoded_len();
    if out.len() < need {
        return Err(EncodeError::BufferTooSmall {
            need,
            have: out.len(),
        });
    }
    let h = enc.header().len();
    out[..h].copy_from_slice(enc.header());
    let n = enc.feed(data, &mut out[h..])?;
    let (t, summary) = enc.finish(&mut out[h + n..])?;
    Ok((h + n + t, summary))
}

/// Encodes a whole part into a new buffer.
pub fn encode_part(info: &PartInfo, data: &[u8]) -> Result<(Vec<u8>, PartSummary), EncodeError> {
    let mut out = vec![0u8; info.max_encoded_len()];
    let (n, summary) = encode_part_into(info, data, &mut out)?;
    out.truncate(n);
    Ok((out, summary))
}

/// A [`Write`] adapter: bytes written to it come out of the inner writer
/// as an encoded part, through one bounded scratch buffer.
#[derive(Debug)]
pub struct EncodeWriter<W: Write> {
    enc: Encoder,
    inner: W,
    buf: Vec<u8>,
}

/// Input bytes encoded per write to the inner writer.
const WRITER_CHUNK: usize = 64 * 1024;

/// Input encoded before it is CRC'd; well under a core's L2.
const CACHE_BLOCK: usize = 512 * 1024;

impl<W: Write> EncodeWriter<W> {
    /// Writes the keyword lines to `inner` and returns the adapter.
    pub fn new(info: PartInfo, mut inner: W) -> io::Result<Self> {
        let enc = Encoder::new(info).map_err(io::Error::other)?;
        inner.write_all(enc.header())?;
        let buf = vec![0u8; enc.max_feed_len(WRITER_CHUNK).max(MAX_TRAILER_LEN + 6)];
        Ok(EncodeWriter { enc, inner, buf })
    }

    /// Writes the trailer and returns the inner writer with the summary.
    pub fn finish(mut self) -> io::Result<(W, PartSummary)> {
        let (n, summary) = self.enc.finish(&mut self.buf).map_err(io::Error::other)?;
        self.inner.write_all(&self.buf[..n])?;
        Ok((self.inner, summary))
    }
}

impl<W: Write> Write for EncodeWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let chunk = &data[..data.len().min(WRITER_CHUNK)];
        let n = self
            .enc
            .feed(chunk, &mut self.buf)
            .map_err(io::Error::other)?;
        self.inner.write_all(&self.buf[..n])?;
        Ok(chunk.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
