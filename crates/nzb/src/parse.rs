//! The tolerant reader. NZBs in the wild differ in encoding declarations,
//! DOCTYPEs, namespaces, indentation, line endings, element case, angle
//! brackets around Message-IDs and HTML entities; none of that stops a
//! downloader, so none of it stops us. What cannot be read (broken XML, a
//! missing `<nzb>` root, a segment without a number) is reported with its
//! line and column.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::{Meta, Nzb, NzbError, NzbFile, Segment};

/// Decompressed NZBs larger than this are refused: real ones are a few
/// megabytes, and a gzip bomb must not exhaust memory.
const MAX_DECOMPRESSED: u64 = 512 << 20;

impl Nzb {
    /// Reads an NZB from its bytes: plain XML or gzip-compressed (`.nzb.gz`,
    /// recognised by its magic bytes), UTF-8 or, failing that, Latin-1.
    pub fn parse(bytes: &[u8]) -> Result<Nzb, NzbError> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_DECOMPRESSED)
                .read_to_end(&mut out)
                .map_err(NzbError::Gzip)?;
            return Nzb::parse_text(&decode_text(&out));
        }
        Nzb::parse_text(&decode_text(bytes))
    }

    /// Reads an NZB from text already decoded.
    pub fn parse_text(text: &str) -> Result<Nzb, NzbError> {
        Parser {
            text,
            reader: Reader::from_str(text),
        }
        .run()
    }
}

fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        // Old indexers declare ISO-8859-1; every byte is then one code point.
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// What the text being collected belongs to.
enum Target {
    None,
    Meta(String),
    Group,
    Segment(u64, u32),
}

struct Parser<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
}

impl Parser<'_> {
    fn malformed(&self, offset: u64, message: impl Into<String>) -> NzbError {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // Back off to a char boundary so slicing cannot fail.
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &self.text[..end];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        NzbError::Malformed {
            line,
            column,
            message: message.into(),
        }
    }

    fn run(mut self) -> Result<Nzb, NzbError> {
        let mut nzb = Nzb::default();
        let mut seen_root = false;
        let mut depth_in_root = 0usize;
        let mut file: Option<NzbFile> = None;
        let mut target = Target::None;
        let mut buf = String::new();
        loop {
            let at = self.reader.buffer_position();
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let pos = self.reader.error_position();
                    return Err(self.malformed(pos, e.to_string()));
                }
            };
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let empty = matches!(event, Event::Empty(_));
                    let name = local_name(start);
                    if !seen_root {
                        if name != "nzb" {
                            return Err(self.malformed(
                                at,
                                format!("the root element is <{name}>, not <nzb>"),
                            ));
                        }
                        seen_root = true;
                        if empty {
                            break;
                        }
                        continue;
                    }
                    if !empty {
                        depth_in_root += 1;
                    }
                    match name.as_str() {
                        "meta" => target = Target::Meta(attr(start, "type").unwrap_or_default()),
                        "file" => {
                            if file.is_some() {
                                return Err(self.malformed(at, "a <file> inside another <file>"));
                            }
                            file = Some(NzbFile {
                                poster: attr(start, "poster").unwrap_or_default(),
                                date: attr(start, "date")
                                    .and_then(|d| d.trim().parse().ok())
                                    .unwrap_or(0),
                                subject: attr(start, "subject").unwrap_or_default(),
                                ..NzbFile::default()
                            });
                        }
                        "group" => target = Target::Group,
                        "segment" => {
                            let number = attr(start, "number")
                                .and_then(|n| n.trim().parse().ok())
                                .ok_or_else(|| {
                                    self.malformed(
                                        at,
                                        "a <segment> without a numeric number attribute",
                                    )
                                })?;
                            let bytes = attr(start, "bytes")
                                .and_then(|b| b.trim().parse().ok())
                                .unwrap_or(0);
                            target = Target::Segment(bytes, number);
                        }
                        _ => {}
                    }
                    buf.clear();
                    if empty {
                        self.finish(&mut nzb, &mut file, &mut target, &mut buf, &name, at)?;
                    }
                }
                Event::End(ref end) => {
                    let name = end.local_name().as_ref().to_ascii_lowercase();
                    if depth_in_root == 0 {
                        // The closing </nzb>; anything after it is ignored.
                        break;
                    }
                    depth_in_root -= 1;
                    self.finish(&mut nzb, &mut file, &mut target, &mut buf, &name, at)?;
                }
                Event::Text(t) => buf.push_str(&t.xml10_content()),
                Event::CData(c) => buf.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => match r.resolve_char_ref() {
                    Ok(Some(c)) => buf.push(c),
                    _ => {
                        let name: &str = &r;
                        buf.push_str(&resolve_named(name));
                    }
                },
                Event::Eof => {
                    if !seen_root {
                        return Err(self.malformed(at, "no <nzb> element: this is not an NZB"));
                    }
                    return Err(self.malformed(at, "the document ends before </nzb>"));
                }
                _ => {}
            }
        }
        Ok(nzb)
    }

    fn finish(
        &self,
        nzb: &mut Nzb,
        file: &mut Option<NzbFile>,
        target: &mut Target,
        buf: &mut String,
        name: &str,
        at: u64,
    ) -> Result<(), NzbError> {
        match (name, std::mem::replace(target, Target::None)) {
            ("meta", Target::Meta(kind)) => nzb.meta.push(Meta {
                kind,
                value: buf.trim().to_owned(),
            }),
            ("group", Target::Group) => match file {
                Some(f) => f.groups.push(buf.trim().to_owned()),
                None => return Err(self.malformed(at, "a <group> outside any <file>")),
            },
            ("segment", Target::Segment(bytes, number)) => {
                let id = buf.trim();
                let id = id
                    .strip_prefix('<')
                    .and_then(|i| i.strip_suffix('>'))
                    .unwrap_or(id);
                match file {
                    Some(f) => f.segments.push(Segment {
                        bytes,
                        number,
                        message_id: id.to_owned(),
                    }),
                    None => return Err(self.malformed(at, "a <segment> outside any <file>")),
                }
            }
            ("file", _) => {
                if let Some(f) = file.take() {
                    nzb.files.push(f);
                }
            }
            (_, other) => *target = other,
        }
        buf.clear();
        Ok(())
    }
}

fn local_name(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_ascii_lowercase()
}

/// An attribute's value, unescaped and with XML's whitespace normalisation,
/// keeping unknown entities as written instead of failing on them.
fn attr(start: &BytesStart<'_>, key: &str) -> Option<String> {
    start
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case(key))
        .map(|a| unescape(&a.value))
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let raw = raw.replace("\r\n", "\n");
    let mut rest = raw.as_str();
    while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if !tail.starts_with('&') {
            out.push(' ');
            rest = &tail[1..];
            continue;
        }
        match tail.find(';').filter(|&j| j > 1 && j <= 12) {
            Some(j) => {
                out.push_str(&resolve_named(&tail[1..j]));
                rest = &tail[j + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Resolves `name` of `&name;`: the XML entities, character references and
/// the HTML ones seen in NZBs; anything else stays as written.
fn resolve_named(name: &str) -> String {
    let simple = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        "nbsp" => Some('\u{a0}'),
        _ => None,
    };
    if let Some(c) = simple {
        return c.to_string();
    }
    let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()
    } else {
        name.strip_prefix('#').and_then(|d| d.parse().ok())
    };
    match code.and_then(char::from_u32) {
        Some(c) => c.to_string(),
        None => format!("&{name};"),
    }
}
