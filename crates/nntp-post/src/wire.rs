//! Byte-level NNTP framing: reply lines, dot-stuffing and CRLF
//! normalisation. Pure functions, so the rules are tested without sockets.

use bytes::{Bytes, BytesMut};

/// One status line: a three-digit code and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    /// Parses a status line (CRLF already stripped). `None` when the line
    /// does not start with three digits followed by a space or its end.
    pub fn parse(line: &[u8]) -> Option<Reply> {
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return None;
        }
        if line.len() > 3 && line[3] != b' ' {
            return None;
        }
        let code = line[..3]
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or_default()).into_owned();
        Some(Reply { code, text })
    }

    /// A 441/435 rejection that says the server already has the article.
    pub fn is_duplicate(&self) -> bool {
        if self.code == 435 {
            return true;
        }
        let t = self.text.to_ascii_lowercase();
        self.code == 441
            && (t.starts_with("435") || t.contains("duplicate") || t.contains("already"))
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

/// A short printable excerpt of unexpected bytes, for error messages.
pub(crate) fn sample(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes.iter().take(60) {
        match b {
            b' '..=b'~' if b != b'"' && b != b'\\' => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > 60 {
        out.push_str("...");
    }
    out.push('"');
    out
}

/// Turns a caller's body into wire form: CRLF line ends, a leading dot on
/// every line doubled, a final CRLF. yEnc output already has CRLF and rarely
/// a leading dot, so the common case returns the input without a copy.
pub fn to_wire_body(body: Bytes) -> Bytes {
    let needs_stuffing =
        body.first() == Some(&b'.') || memchr::memmem::find(&body, b"\n.").is_some();
    let bare_lf = memchr::memchr_iter(b'\n', &body).any(|i| i == 0 || body[i - 1] != b'\r');
    let ends_ok = body.is_empty() || body.ends_with(b"\r\n");
    if !needs_stuffing && !bare_lf && ends_ok {
        return body;
    }
    let mut out = BytesMut::with_capacity(body.len() + body.len() / 64 + 4);
    let mut at_line_start = true;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if at_line_start && b == b'.' {
            out.extend_from_slice(b"..");
        } else if b == b'\n' {
            if !out.ends_with(b"\r") {
                out.extend_from_slice(b"\r");
            }
            out.extend_from_slice(b"\n");
        } else if b == b'\r' && body.get(i + 1) != Some(&b'\n') {
            // A lone CR would end up as a stray byte in the line; keep it.
            out.extend_from_slice(b"\r");
        } else {
            out.extend_from_slice(&[b]);
        }
        at_line_start = b == b'\n';
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.freeze()
}

/// Removes dot-stuffing from one received line (CRLF kept).
pub(crate) fn unstuff_line(line: &[u8]) -> &[u8] {
    if line.starts_with(b"..") {
        &line[1..]
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_replies() {
        assert_eq!(
            Reply::parse(b"240 article posted ok").map(|r| r.code),
            Some(240)
        );
        assert_eq!(Reply::parse(b"205").map(|r| r.code), Some(205));
        assert!(Reply::parse(b"HTTP/1.1 400 Bad").is_none());
        assert!(Reply::parse(b"2400 x").is_none());
        assert!(Reply::parse(b"441 435 Duplicate").unwrap().is_duplicate());
        assert!(
            Reply::parse(b"441 Duplicate article")
                .unwrap()
                .is_duplicate()
        );
        assert!(!Reply::parse(b"441 Posting failed").unwrap().is_duplicate());
    }

    #[test]
    fn clean_body_is_not_copied() {
        let body = Bytes::from_static(b"=ybegin line=128\r\nabc\r\n=yend\r\n");
        let out = to_wire_body(body.clone());
        assert_eq!(out.as_ptr(), body.as_ptr());
    }

    #[test]
    fn stuffs_and_normalises() {
        assert_eq!(
            &to_wire_body(Bytes::from_static(b".a\n.\nb"))[..],
            b"..a\r\n..\r\nb\r\n"
        );
        assert_eq!(
            &to_wire_body(Bytes::from_static(b"x\r\n..y\r\n"))[..],
            b"x\r\n...y\r\n"
        );
        assert_eq!(unstuff_line(b"...y\r\n"), b"..y\r\n");
    }
}
