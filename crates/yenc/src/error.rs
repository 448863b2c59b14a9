//! Typed failures. Encoding fails only on caller mistakes (too small a
//! buffer, a name that cannot go on a header line, a part that is not the
//! length it promised); decoding fails on input that is not a yEnc part at
//! all, while checks that a part can fail and still yield data (CRC, size)
//! are reported as [`crate::Issue`]s.

use thiserror::Error;

/// Why a part could not be encoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EncodeError {
    #[error(
        "output buffer holds {have} bytes but up to {need} may be written: size it with the matching max_*_len function"
    )]
    BufferTooSmall { need: usize, have: usize },
    #[error("file name is empty: yEnc needs a name= field")]
    EmptyName,
    #[error("file name contains a CR, LF or NUL byte, which cannot go on a header line")]
    BadName,
    #[error("line length {0} is out of range: use 2..=997 (128 is the usual)")]
    BadLineLength(usize),
    #[error("part {part} of {total} is impossible: parts count from 1 up to total")]
    BadPartNumber { part: u32, total: u32 },
    #[error("part covers bytes {begin}..{end} but the file has {file_size}")]
    PartOutsideFile {
        begin: u64,
        end: u64,
        file_size: u64,
    },
    #[error("part was announced as {announced} bytes but {fed} were fed")]
    LengthMismatch { announced: u64, fed: u64 },
}

/// Why input could not be decoded as a yEnc part.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("no `=ybegin` line found: the input is not a yEnc article")]
    NoBegin,
    #[error("the {line} line is cut short: it has no line end")]
    TruncatedHeader { line: &'static str },
    #[error("the {line} line has no `{field}=` field")]
    MissingField {
        line: &'static str,
        field: &'static str,
    },
    #[error("the {line} line has `{field}={value}`, which is not a valid number")]
    BadNumber {
        line: &'static str,
        field: &'static str,
        value: String,
    },
    #[error("the {line} line has `{field}={value}`, which is not an 8-digit hex CRC32")]
    BadCrc {
        line: &'static str,
        field: &'static str,
        value: String,
    },
    #[error("the {line} line is longer than 64 KiB: not a yEnc keyword line")]
    LineTooLong { line: &'static str },
    #[error("output buffer holds {have} bytes but the part needs {need}")]
    BufferTooSmall { need: usize, have: usize },
    #[error("the part failed its checks: {0}")]
    Check(crate::Issue),
}
