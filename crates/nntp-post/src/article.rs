//! Articles as they go on the wire. Only the headers the caller names are
//! written: nothing that identifies the tool, the host or the user.

use std::time::SystemTime;

use ap_yenc::{PartInfo, PartSummary};
use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::wire::to_wire_body;

/// A ready-to-send article: header block and body in wire form (CRLF,
/// dot-stuffed). Cloning is cheap, so retries resend the same bytes under
/// the same Message-ID.
#[derive(Clone, Debug)]
pub struct Article {
    message_id: String,
    head: Bytes,
    body: Bytes,
}

impl Article {
    /// The Message-ID with its angle brackets.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// Header block, ending with the empty line.
    pub fn head(&self) -> &Bytes {
        &self.head
    }

    /// Body in wire form, without the terminating dot line.
    pub fn wire_body(&self) -> &Bytes {
        &self.body
    }

    /// Bytes this article puts on the wire, terminator included.
    pub fn wire_len(&self) -> u64 {
        (self.head.len() + self.body.len() + 3) as u64
    }
}

/// Builds an [`Article`] from caller-chosen header values and a body.
#[derive(Debug, Clone, Default)]
pub struct ArticleBuilder {
    from: Option<String>,
    newsgroups: Vec<String>,
    subject: Option<String>,
    message_id: Option<String>,
    date: Option<String>,
}

impl ArticleBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    pub fn newsgroup(mut self, group: impl Into<String>) -> Self {
        self.newsgroups.push(group.into());
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// With or without angle brackets.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Adds a Date header for `when` (RFC 5322, UTC).
    pub fn date(mut self, when: SystemTime) -> Self {
        self.date = Some(rfc5322_date(when));
        self
    }

    /// Finishes the article around `body`, which is sent as given apart from
    /// CRLF normalisation and dot-stuffing where a line starts with a dot.
    pub fn body(self, body: Bytes) -> Result<Article> {
        self.finish(body, to_wire_body)
    }

    /// Finishes the article around the body of `other`, shared rather than
    /// copied and not scanned again: it is in wire form already. For posting
    /// the same bytes under new headers (a new Message-ID, say).
    pub fn body_of(self, other: &Article) -> Result<Article> {
        self.finish(other.body.clone(), |b| b)
    }

    /// Finishes the article with `data` yEnc-encoded as the part `info`,
    /// straight into `buf` (at least [`PartInfo::max_encoded_len`] bytes),
    /// which then is the body: no copy, and `buf` is dropped with the last
    /// clone of the article, so a caller's buffer type can hand its memory
    /// back to a pool in `Drop`.
    ///
    /// The encoder ends lines with CRLF and escapes a dot at a line start,
    /// so the body is in wire form without another look at its bytes.
    pub fn yenc_part<B>(
        self,
        info: &PartInfo,
        data: &[u8],
        mut buf: B,
    ) -> Result<(Article, PartSummary)>
    where
        B: AsRef<[u8]> + AsMut<[u8]> + Send + 'static,
    {
        let (len, summary) = ap_yenc::encode_part_into(info, data, buf.as_mut())
            .map_err(|e| Error::Article(format!("cannot yEnc-encode the part: {e}")))?;
        let body = Bytes::from_owner(Prefix { buf, len });
        debug_assert!(crate::wire::is_wire_form(&body));
        Ok((self.finish(body, |b| b)?, summary))
    }

    fn finish(self, body: Bytes, to_wire: impl FnOnce(Bytes) -> Bytes) -> Result<Article> {
        let from = need("From", self.from)?;
        let subject = need("Subject", self.subject)?;
        let id = need("Message-ID", self.message_id)?;
        let id = if id.starts_with('<') {
            id
        } else {
            format!("<{id}>")
        };
        check_message_id(&id)?;
        if self.newsgroups.is_empty() {
            return Err(Error::Article("no newsgroup given".into()));
        }
        for g in &self.newsgroups {
            if g.is_empty() || g.bytes().any(|b| b <= b' ' || b == b',' || b >= 0x7f) {
                return Err(Error::Article(format!("bad newsgroup name {g:?}")));
            }
        }
        let groups = self.newsgroups.join(",");
        let mut head = BytesMut::new();
        for (name, value) in [
            ("From", from.as_str()),
            ("Newsgroups", groups.as_str()),
            ("Subject", subject.as_str()),
            ("Message-ID", id.as_str()),
        ]
        .into_iter()
        .chain(self.date.as_deref().map(|d| ("Date", d)))
        {
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::Article(format!(
                    "the {name} header holds a line break"
                )));
            }
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        Ok(Article {
            message_id: id,
            head: head.freeze(),
            body: to_wire(body),
        })
    }
}

/// The first `len` bytes of a caller's buffer, as the owner behind `Bytes`.
struct Prefix<B> {
    buf: B,
    len: usize,
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for Prefix<B> {
    fn as_ref(&self) -> &[u8] {
        &self.buf.as_ref()[..self.len]
    }
}

fn need(name: &str, v: Option<String>) -> Result<String> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| Error::Article(format!("the {name} header is missing")))
}

/// RFC 5536 rules that matter on the wire: `<left@right>`, printable ASCII,
/// no spaces or further angle brackets, at most 250 bytes.
pub(crate) fn check_message_id(id: &str) -> Result<()> {
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or_else(|| Error::Article(format!("Message-ID {id:?} is not <left@right>")))?;
    let ok = id.len() <= 250
        && inner.contains('@')
        && inner
            .bytes()
            .all(|b| (b'!'..=b'~').contains(&b) && b != b'<' && b != b'>');
    if ok {
        Ok(())
    } else {
        Err(Error::Article(format!(
            "Message-ID {id:?} is not <left@right> in printable ASCII"
        )))
    }
}

/// `Tue, 24 Nov 2026 07:04:46 +0000` (RFC 5322, UTC).
fn rfc5322_date(when: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(when)
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// A builder with every header but the body's: `from` and `id` vary.
    fn headers(from: &str, id: &str) -> ArticleBuilder {
        ArticleBuilder::new()
            .from(from)
            .newsgroup("alt.binaries.test")
            .subject("s")
            .message_id(id)
    }

    #[test]
    fn formats_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_590_286);
        assert_eq!(rfc5322_date(t), "Wed, 25 Nov 2026 07:04:46 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
    }

    #[test]
    fn yenc_parts_are_in_wire_form_and_decode() {
        // Bytes that need escaping, dots at every line start, all lengths
        // around a line's end.
        for len in [0usize, 1, 127, 128, 129, 255, 256, 1000, 5000] {
            let data: Vec<u8> = (0..len)
                .map(|i| match i % 7 {
                    0 => b'.',
                    1 => 0,
                    2 => b'\r',
                    3 => b'\n',
                    4 => b'=',
                    5 => b' ',
                    _ => (i * 37) as u8,
                })
                .chain(std::iter::once(b'.'))
                .collect();
            let info = PartInfo::new("f.bin", data.len() as u64, 1, 1, 0, data.len() as u64);
            let buf = vec![0u8; info.max_encoded_len()];
            let (a, summary) = headers("x <x@y.z>", "p@d")
                .yenc_part(&info, &data, buf)
                .unwrap();
            assert!(crate::wire::is_wire_form(a.wire_body()), "{len}");
            assert_eq!(a.wire_body().len() as u64, summary.encoded_len);
            let back = ap_yenc::decode_part(a.wire_body()).unwrap();
            assert_eq!(back.data, data);
        }
        let info = PartInfo::new("f.bin", 10, 1, 1, 0, 10);
        assert!(
            headers("a", "a@b")
                .yenc_part(&info, &[0; 10], vec![0u8; 4])
                .is_err()
        );
    }

    #[test]
    fn builds_only_named_headers() {
        let a = headers("x <x@y.z>", "abc@d")
            .body(Bytes::from_static(b"hi\r\n"))
            .unwrap();
        assert_eq!(
            &a.head()[..],
            b"From: x <x@y.z>\r\nNewsgroups: alt.binaries.test\r\nSubject: s\r\nMessage-ID: <abc@d>\r\n\r\n"
        );
        assert!(headers("a", "no at").body(Bytes::new()).is_err());
        assert!(headers("a\r\nX: y", "a@b").body(Bytes::new()).is_err());
    }

    #[test]
    fn body_of_shares_the_body_under_new_headers() {
        let first = headers("a <a@b.c>", "one@x")
            .body(Bytes::from_static(b".dot\nline\n"))
            .unwrap();
        let second = headers("a <a@b.c>", "two@x").body_of(&first).unwrap();
        assert_eq!(second.message_id(), "<two@x>");
        assert_eq!(&second.wire_body()[..], b"..dot\r\nline\r\n");
        // The same memory, not a copy.
        assert_eq!(second.wire_body().as_ptr(), first.wire_body().as_ptr());
        // Headers are still checked.
        assert!(headers("a", "bad").body_of(&first).is_err());
    }
}
