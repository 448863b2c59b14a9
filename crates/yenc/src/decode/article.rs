//! The article decoder: finds `=ybegin`, decodes the body with the SIMD
//! kernels, reads `=ypart` and `=yend` wherever they turn up, and reports
//! every check the part fails instead of stopping at the first.

use super::{BodyState, Stop, decode_body};
use crate::crc::Crc32;
use crate::header::{Begin, End, Keyword, PartRange, parse_keyword_line};
use crate::{DecodeError, Kernel};
use thiserror::Error;

/// Keyword lines longer than this are refused rather than buffered.
const MAX_LINE: usize = 64 * 1024;

/// A check that a decoded part failed. The data is still returned: a
/// downloader with PAR2 can often repair a part whose CRC is wrong.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Issue {
    #[error("no `=yend` line: the article is truncated")]
    MissingEnd,
    #[error("`{field}` says {declared} bytes but {actual} were decoded")]
    SizeMismatch {
        field: &'static str,
        declared: u64,
        actual: u64,
    },
    #[error("`pcrc32={declared:08x}` but the decoded data has CRC32 {actual:08x}")]
    PcrcMismatch { declared: u32, actual: u32 },
    #[error("`crc32={declared:08x}` but the decoded file has CRC32 {actual:08x}")]
    CrcMismatch { declared: u32, actual: u32 },
    #[error("`=ybegin part={begin}` but `=yend part={end}`")]
    PartNumberMismatch { begin: u32, end: u32 },
    #[error("the data ends inside an escape (`=` with nothing after it)")]
    TruncatedEscape,
}

/// Everything learned about a decoded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub begin: Begin,
    pub part: Option<PartRange>,
    pub end: Option<End>,
    /// Bytes decoded.
    pub size: u64,
    /// CRC32 of the decoded bytes.
    pub crc32: u32,
    /// Failed checks, in the order found; empty for a clean part.
    pub issues: Vec<Issue>,
}

impl Report {
    /// The first failed check as an error, for callers that accept only
    /// clean parts.
    pub fn check(&self) -> Result<(), DecodeError> {
        match self.issues.first() {
            Some(issue) => Err(DecodeError::Check(issue.clone())),
            None => Ok(()),
        }
    }
}

/// A decoded part with its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub data: Vec<u8>,
    pub report: Report,
}

/// How far one [`Decoder::feed`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes used; less than given only when `out` filled up.
    pub consumed: usize,
    pub written: usize,
    /// `=yend` has been read; later input is ignored.
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Skipping lines (article headers, text) until `=ybegin`.
    Seek,
    Body,
    /// Reading a `=y...` line found inside the body.
    Keyword,
    /// The last chunk ended in a line-start `=`.
    PendingEq,
    Done,
}

/// Streaming decoder for one yEnc part, fed an article (headers optional)
/// in chunks of any size.
#[derive(Debug)]
pub struct Decoder {
    kernel: Kernel,
    strip_dots: bool,
    phase: Phase,
    line: Vec<u8>,
    overflow: bool,
    st: BodyState,
    crc: Crc32,
    begin: Option<Begin>,
    part: Option<PartRange>,
    end: Option<End>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder for text as it comes off NNTP: a `.` that starts a line is
    /// dot-stuffing and is dropped.
    pub fn new() -> Self {
        Self::with_options(true, Kernel::best())
    }

    /// `strip_dots = false` for text whose dot-stuffing was already undone.
    pub fn with_options(strip_dots: bool, kernel: Kernel) -> Self {
        Decoder {
            kernel,
            strip_dots,
            phase: Phase::Seek,
            line: Vec::new(),
            overflow: false,
            st: BodyState::default(),
            crc: Crc32::new(),
            begin: None,
            part: None,
            end: None,
        }
    }

    /// Appends to the line buffer up to LF; true when the line is complete.
    fn take_line(&mut self, input: &[u8], i: &mut usize) -> bool {
        let rest = &input[*i..];
        let (chunk, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(p) => (&rest[..p], true),
            None => (rest, false),
        };
        let room = MAX_LINE.saturating_sub(self.line.len());
        if chunk.len() > room {
            self.overflow = true;
        }
        self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        *i += chunk.len() + usize::from(complete);
        complete
    }

    /// Decodes from `input` into `out`. Consumes all input when `out` is at
    /// least as long as it; otherwise feed the rest again.
    pub fn feed(&mut self, input: &[u8], out: &mut [u8]) -> Result<Progress, DecodeError> {
        let (mut i, mut o) = (0, 0);
        while i < input.len() {
            match self.phase {
                Phase::Seek => {
                    if self.take_line(input, &mut i) {
                        if self.line.starts_with(b"=ybegin") {
                            if self.overflow {
                                return Err(DecodeError::LineTooLong { line: "=ybegin" });
                            }
                            if let Keyword::Begin(b) = parse_keyword_line(&self.line)? {
                                self.begin = Some(b);
                                self.phase = Phase::Body;
                                self.st = BodyState {
                                    esc: false,
                                    line_start: true,
                                };
                            }
                        }
                        self.line.clear();
                        self.overflow = false;
                    }
                }
                Phase::Body => {
                    let take = (input.len() - i).min(out.len() - o);
                    if take == 0 {
                        break;
                    }
                    let (ci, co, stop) = decode_body(
                        self.kernel,
                        &input[i..i + take],
                        &mut out[o..],
                        &mut self.st,
                        self.strip_dots,
                    );
                    self.crc.update(&out[o..o + co]);
                    i += ci;
                    o += co;
                    match stop {
                        Stop::Done => {}
                        Stop::Keyword => self.phase = Phase::Keyword,
                        Stop::NeedMore => {
                            i += 1;
                            self.phase = Phase::PendingEq;
                        }
                    }
                }
                Phase::PendingEq => {
                    if input[i] == b'y' {
                        self.line.clear();
                        self.line.push(b'=');
                        self.phase = Phase::Keyword;
                    } else {
                        self.st = BodyState {
                            esc: true,
                            line_start: false,
                        };
                        self.phase = Phase::Body;
                    }
                }
                Phase::Keyword => {
                    if self.take_line(input, &mut i) {
                        self.keyword_line()?;
                    }
                }
                Phase::Done => i = input.len(),
            }
        }
        Ok(Progress {
            consumed: i,
            written: o,
            done: self.phase == Phase::Done,
        })
    }

    fn keyword_line(&mut self) -> Result<(), DecodeError> {
        if self.overflow {
            return Err(DecodeError::LineTooLong { line: "=y" });
        }
        match parse_keyword_line(&self.line)? {
            Keyword::Part(p) => {
                if self.part.is_none() && self.crc.is_empty() {
                    self.part = Some(p);
                }
            }
            Keyword::End(e) => {
                self.end = Some(e);
                self.phase = Phase::Done;
            }
            Keyword::Begin(_) | Keyword::Other => {}
        }
        if self.phase != Phase::Done {
            self.phase = Phase::Body;
            self.st = BodyState {
                esc: false,
                line_start: true,
            };
        }
        self.line.clear();
        self.overflow = false;
        Ok(())
    }

    /// Ends the input and runs the checks.
    pub fn finish(mut self) -> Result<Report, DecodeError> {
        match self.phase {
            Phase::Seek => {
                return Err(if self.line.starts_with(b"=ybegin") {
                    DecodeError::TruncatedHeader { line: "=ybegin" }
                } else {
                    DecodeError::NoBegin
                });
            }
            // The trailer often has no line end after it.
            Phase::Keyword => self.keyword_line()?,
            _ => {}
        }
        let Some(begin) = self.begin else {
            return Err(DecodeError::NoBegin);
        };
        let size = self.crc.len();
        let crc32 = self.crc.finish();
        let mut issues = Vec::new();
        if self.st.esc {
            issues.push(Issue::TruncatedEscape);
        }
        match &self.end {
            None => issues.push(Issue::MissingEnd),
            Some(end) => {
                if end.size != size {
                    issues.push(Issue::SizeMismatch {
                        field: "=yend size",
                        declared: end.size,
                        actual: size,
                    });
                }
                if let (Some(b), Some(e)) = (begin.part, end.part)
                    && b != e
                {
                    issues.push(Issue::PartNumberMismatch { begin: b, end: e });
                }
                if let Some(p) = end.pcrc32
                    && p != crc32
                {
                    issues.push(Issue::PcrcMismatch {
                        declared: p,
                        actual: crc32,
                    });
                }
            }
        }
        let whole = match &self.part {
            Some(p) => {
                let declared = (p.end + 1).saturating_sub(p.begin);
                if declared != size {
                    issues.push(Issue::SizeMismatch {
                        field: "=ypart begin..end",
                        declared,
                        actual: size,
                    });
                }
                p.begin == 1 && p.end == begin.size
            }
            None => {
                if begin.size != size && begin.part.is_none() {
                    issues.push(Issue::SizeMismatch {
                        field: "=ybegin size",
                        declared: begin.size,
                        actual: size,
                    });
                }
                begin.part.is_none()
            }
        };
        if let Some(c) = self.end.as_ref().and_then(|e| e.crc32)
            && whole
            && c != crc32
        {
            issues.push(Issue::CrcMismatch {
                declared: c,
                actual: crc32,
            });
        }
        Ok(Report {
            begin,
            part: self.part,
            end: self.end,
            size,
            crc32,
            issues,
        })
    }
}

/// Decodes one article into `out` (at least as long as the article).
pub fn decode_part_into(article: &[u8], out: &mut [u8]) -> Result<(usize, Report), DecodeError> {
    if out.len() < article.len() {
        return Err(DecodeError::BufferTooSmall {
            need: article.len(),
            have: out.len(),
        });
    }
    let mut dec = Decoder::new();
    let p = dec.feed(article, out)?;
    Ok((p.written, dec.finish()?))
}

/// Decodes one article into a new buffer.
pub fn decode_part(article: &[u8]) -> Result<Decoded, DecodeError> {
    let mut data = vec![0u8; article.len()];
    let (n, report) = decode_part_into(article, &mut data)?;
    data.truncate(n);
    Ok(Decoded { data, report })
}
