//! The keyword lines around a yEnc body: `=ybegin`, `=ypart` and `=yend`.
//!
//! Real posters disagree on field order, pad lines with spaces, write CRCs
//! in either case and with fewer digits, and put spaces in names. The parser
//! therefore reads `key=value` pairs in any order, ignores keys it does not
//! know, and takes `name=` (always last by the spec) to the end of the line.

use crate::DecodeError;
use std::io::Write as _;

/// The `=ybegin` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begin {
    /// Part number, absent on single-part posts from older encoders.
    pub part: Option<u32>,
    pub total: Option<u32>,
    pub line: Option<u32>,
    /// Size of the whole file.
    pub size: u64,
    pub name: String,
}

/// The `=ypart` line: the part's 1-based inclusive byte range in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRange {
    pub begin: u64,
    pub end: u64,
}

/// The `=yend` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    /// Size of this part's data.
    pub size: u64,
    pub part: Option<u32>,
    pub pcrc32: Option<u32>,
    pub crc32: Option<u32>,
}

/// Splits a keyword line (without `=yXXX` and line end) into fields.
/// Returns the pairs before `name=` and the name, if any.
/// A `key=value` pair of a keyword line.
type Pair<'a> = (&'a [u8], &'a [u8]);

fn fields(rest: &[u8]) -> (Vec<Pair<'_>>, Option<&[u8]>) {
    let mut pairs = Vec::new();
    let mut s = rest;
    loop {
        while let [b' ' | b'\t', tail @ ..] = s {
            s = tail;
        }
        if s.is_empty() {
            return (pairs, None);
        }
        if let Some(name) = s.strip_prefix(b"name=") {
            return (pairs, Some(trim_end(name)));
        }
        let end = s
            .iter()
            .position(|&b| b == b' ' || b == b'\t')
            .unwrap_or(s.len());
        let token = &s[..end];
        s = &s[end..];
        if let Some(eq) = token.iter().position(|&b| b == b'=') {
            let (key, value) = (&token[..eq], &token[eq + 1..]);
            if value.is_empty() {
                // `key= value`: some posters put a space after the `=`.
                while let [b' ' | b'\t', tail @ ..] = s {
                    s = tail;
                }
                let end = s
                    .iter()
                    .position(|&b| b == b' ' || b == b'\t')
                    .unwrap_or(s.len());
                if !s.starts_with(b"name=") {
                    pairs.push((key, &s[..end]));
                    s = &s[end..];
                    continue;
                }
            }
            pairs.push((key, value));
        }
    }
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [head @ .., b' ' | b'\t' | b'\r' | b'\n'] = s {
        s = head;
    }
    s
}

fn find<'a>(pairs: &[(&[u8], &'a [u8])], key: &str) -> Option<&'a [u8]> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key.as_bytes()))
        .map(|&(_, v)| v)
}

fn number(
    pairs: &[(&[u8], &[u8])],
    line: &'static str,
    field: &'static str,
) -> Result<Option<u64>, DecodeError> {
    let Some(v) = find(pairs, field) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(v).ok();
    match text.and_then(|t| t.parse::<u64>().ok()) {
        Some(n) => Ok(Some(n)),
        None => Err(DecodeError::BadNumber {
            line,
            field,
            value: String::from_utf8_lossy(v).into_owned(),
        }),
    }
}

fn small(
    pairs: &[(&[u8], &[u8])],
    line: &'static str,
    field: &'static str,
) -> Result<Option<u32>, DecodeError> {
    match number(pairs, line, field)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| DecodeError::BadNumber {
                line,
                field,
                value: n.to_string(),
            }),
    }
}

fn crc(
    pairs: &[(&[u8], &[u8])],
    line: &'static str,
    field: &'static str,
) -> Result<Option<u32>, DecodeError> {
    let Some(v) = find(pairs, field) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(v).ok();
    // Some posters write `0x` or fewer than 8 digits; both are tolerated.
    let text = text.map(|t| t.strip_prefix("0x").unwrap_or(t));
    match text
        .filter(|t| !t.is_empty() && t.len() <= 8)
        .and_then(|t| u32::from_str_radix(t, 16).ok())
    {
        Some(n) => Ok(Some(n)),
        None => Err(DecodeError::BadCrc {
            line,
            field,
            value: String::from_utf8_lossy(v).into_owned(),
        }),
    }
}

/// Parses the text after `=ybegin` up to the line end.
pub fn parse_begin(rest: &[u8]) -> Result<Begin, DecodeError> {
    const L: &str = "=ybegin";
    let (pairs, name) = fields(rest);
    let size = number(&pairs, L, "size")?.ok_or(DecodeError::MissingField {
        line: L,
        field: "size",
    })?;
    let name = name.ok_or(DecodeError::MissingField {
        line: L,
        field: "name",
    })?;
    Ok(Begin {
        part: small(&pairs, L, "part")?,
        total: small(&pairs, L, "total")?,
        line: small(&pairs, L, "line")?,
        size,
        name: String::from_utf8_lossy(name).into_owned(),
    })
}

/// Parses the text after `=ypart` up to the line end.
pub fn parse_part(rest: &[u8]) -> Result<PartRange, DecodeError> {
    const L: &str = "=ypart";
    let (pairs, _) = fields(rest);
    let begin = number(&pairs, L, "begin")?.ok_or(DecodeError::MissingField {
        line: L,
        field: "begin",
    })?;
    let end = number(&pairs, L, "end")?.ok_or(DecodeError::MissingField {
        line: L,
        field: "end",
    })?;
    Ok(PartRange { begin, end })
}

/// Parses the text after `=yend` up to the line end.
pub fn parse_end(rest: &[u8]) -> Result<End, DecodeError> {
    const L: &str = "=yend";
    let (pairs, _) = fields(rest);
    let size = number(&pairs, L, "size")?.ok_or(DecodeError::MissingField {
        line: L,
        field: "size",
    })?;
    Ok(End {
        size,
        part: small(&pairs, L, "part")?,
        pcrc32: crc(&pairs, L, "pcrc32")?,
        crc32: crc(&pairs, L, "crc32")?,
    })
}

/// A keyword line as found in an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyword {
    Begin(Begin),
    Part(PartRange),
    End(End),
    /// `=y` followed by a keyword this crate does not know; skipped.
    Other,
}

/// Parses one whole keyword line (starting `=y`, line end optional).
pub fn parse_keyword_line(line: &[u8]) -> Result<Keyword, DecodeError> {
    let line = trim_end(line);
    if let Some(rest) = line.strip_prefix(b"=ybegin")
        && (rest.is_empty() || rest[0] == b' ')
    {
        return parse_begin(rest).map(Keyword::Begin);
    }
    if let Some(rest) = line.strip_prefix(b"=ypart")
        && (rest.is_empty() || rest[0] == b' ')
    {
        return parse_part(rest).map(Keyword::Part);
    }
    if let Some(rest) = line.strip_prefix(b"=yend")
        && (rest.is_empty() || rest[0] == b' ')
    {
        return parse_end(rest).map(Keyword::End);
    }
    Ok(Keyword::Other)
}

/// Appends `=ybegin part= total= line= size= name=` with CRLF.
pub(crate) fn write_begin(
    out: &mut Vec<u8>,
    part: u32,
    total: u32,
    line: usize,
    size: u64,
    name: &str,
) {
    let _ = write!(
        out,
        "=ybegin part={part} total={total} line={line} size={size} name={name}\r\n"
    );
}

/// Appends `=ypart begin= end=` with CRLF.
pub(crate) fn write_part(out: &mut Vec<u8>, begin: u64, end: u64) {
    let _ = write!(out, "=ypart begin={begin} end={end}\r\n");
}

/// Appends `=yend size= part= pcrc32= [crc32=]` with CRLF.
pub(crate) fn write_end(out: &mut Vec<u8>, size: u64, part: u32, pcrc32: u32, crc32: Option<u32>) {
    let _ = write!(out, "=yend size={size} part={part} pcrc32={pcrc32:08x}");
    if let Some(c) = crc32 {
        let _ = write!(out, " crc32={c:08x}");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn begin_any_order_and_spaced_name() {
        let b = parse_begin(b" size=100 line=128  total=3 part=2 name=my file .bin  \r\n").unwrap();
        assert_eq!(b.part, Some(2));
        assert_eq!(b.total, Some(3));
        assert_eq!(b.line, Some(128));
        assert_eq!(b.size, 100);
        assert_eq!(b.name, "my file .bin");
    }

    #[test]
    fn end_tolerates_case_and_short_crc() {
        let e = parse_end(b" size=5 part=1 pcrc32=ABCD crc32=0x0000beef ").unwrap();
        assert_eq!(e.pcrc32, Some(0xabcd));
        assert_eq!(e.crc32, Some(0xbeef));
        assert_eq!(e.part, Some(1));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            parse_begin(b" line=128 name=x").unwrap_err(),
            DecodeError::MissingField {
                line: "=ybegin",
                field: "size"
            }
        );
        assert!(matches!(
            parse_begin(b" size=12x name=x").unwrap_err(),
            DecodeError::BadNumber { field: "size", .. }
        ));
        assert!(matches!(
            parse_end(b" size=1 pcrc32=zz").unwrap_err(),
            DecodeError::BadCrc {
                field: "pcrc32",
                ..
            }
        ));
        assert_eq!(
            parse_part(b" begin=1").unwrap_err(),
            DecodeError::MissingField {
                line: "=ypart",
                field: "end"
            }
        );
    }
}
