//! The deterministic writer. The layout is fixed byte for byte (ap rebuilds
//! NZBs from secret strings and promises the same bytes as at post time), so
//! it is assembled by hand with quick-xml's escaping rather than through a
//! generic serializer whose whitespace could change between versions.

use std::borrow::Cow;

use crate::{Nzb, NzbError};

/// The first lines of every NZB we write, as Nyuu writes them.
pub(crate) const PROLOGUE: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
    "<!DOCTYPE nzb PUBLIC \"-//newzBin//DTD NZB 1.1//EN\" \"http://www.newzbin.com/DTD/nzb/nzb-1.1.dtd\">\n",
    "<nzb xmlns=\"http://www.newzbin.com/DTD/2003/nzb\">\n",
);

impl Nzb {
    /// The NZB as XML text. Fails only when a value holds a control
    /// character XML 1.0 cannot carry.
    pub fn to_xml(&self) -> Result<String, NzbError> {
        let mut out = String::with_capacity(512 + 128 * self.files.len());
        out.push_str(PROLOGUE);
        if !self.meta.is_empty() {
            out.push_str("\t<head>\n");
            for meta in &self.meta {
                out.push_str("\t\t<meta type=\"");
                out.push_str(&attr(&meta.kind, "a meta type")?);
                out.push_str("\">");
                out.push_str(&text(&meta.value, "a meta value")?);
                out.push_str("</meta>\n");
            }
            out.push_str("\t</head>\n");
        }
        for file in &self.files {
            out.push_str("\t<file poster=\"");
            out.push_str(&attr(&file.poster, "a poster")?);
            out.push_str("\" date=\"");
            out.push_str(&file.date.to_string());
            out.push_str("\" subject=\"");
            out.push_str(&attr(&file.subject, "a subject")?);
            out.push_str("\">\n\t\t<groups>\n");
            for group in &file.groups {
                out.push_str("\t\t\t<group>");
                out.push_str(&text(group, "a group")?);
                out.push_str("</group>\n");
            }
            out.push_str("\t\t</groups>\n\t\t<segments>\n");
            for seg in &file.segments {
                out.push_str("\t\t\t<segment bytes=\"");
                out.push_str(&seg.bytes.to_string());
                out.push_str("\" number=\"");
                out.push_str(&seg.number.to_string());
                out.push_str("\">");
                out.push_str(&text(&seg.message_id, "a Message-ID")?);
                out.push_str("</segment>\n");
            }
            out.push_str("\t\t</segments>\n\t</file>\n");
        }
        out.push_str("</nzb>\n");
        Ok(out)
    }
}

fn check(value: &str, what: &'static str) -> Result<(), NzbError> {
    match value.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        Some(c) => Err(NzbError::Unrepresentable {
            what,
            code: c as u32,
        }),
        None => Ok(()),
    }
}

/// Attribute values also escape tab, line feed and carriage return, which a
/// parser would otherwise normalise to spaces.
fn attr<'a>(value: &'a str, what: &'static str) -> Result<Cow<'a, str>, NzbError> {
    check(value, what)?;
    let escaped = quick_xml::escape::escape(value);
    if !escaped.contains(['\t', '\n', '\r']) {
        return Ok(escaped);
    }
    Ok(Cow::Owned(
        escaped
            .replace('\t', "&#9;")
            .replace('\n', "&#10;")
            .replace('\r', "&#13;"),
    ))
}

/// Text escapes carriage return, which parsers fold into line feeds.
fn text<'a>(value: &'a str, what: &'static str) -> Result<Cow<'a, str>, NzbError> {
    check(value, what)?;
    let escaped = quick_xml::escape::escape(value);
    if !escaped.contains('\r') {
        return Ok(escaped);
    }
    Ok(Cow::Owned(escaped.replace('\r', "&#13;")))
}
