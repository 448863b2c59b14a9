//! A session's receive side: command lines and whole articles read from the
//! socket into one buffer that the session keeps. An article arrives straight
//! in the memory that is written to disk (no second buffer, no growing copy),
//! and its dot-stuffing is removed in place, which for yEnc bodies (no line
//! starts with a dot) moves nothing.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest command line kept; the rest of a longer one is dropped.
const MAX_LINE: usize = 4096;
/// Free room asked of the buffer before each socket read, so a read takes
/// whatever the socket holds in one call.
const READ_ROOM: usize = 256 * 1024;

/// Buffered input over a byte stream. `buf[pos..]` is received but not yet
/// consumed.
pub(crate) struct Input<S> {
    inner: S,
    buf: Vec<u8>,
    pos: usize,
}

impl<S: AsyncRead + Unpin> Input<S> {
    pub fn new(inner: S) -> Self {
        Input {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }

    /// The stream, for writing replies.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Appends what the socket has to `buf`; 0 at EOF.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < READ_ROOM / 4 {
            self.buf.reserve(READ_ROOM);
        }
        self.inner.read_buf(&mut self.buf).await
    }

    /// Reads one command line (LF kept) into `line`; `false` on EOF before
    /// any byte. Over-long lines are cut.
    pub async fn read_line(&mut self, line: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            let unread = &self.buf[self.pos..];
            let (take, done) = match memchr::memchr(b'\n', unread) {
                Some(i) => (i + 1, true),
                None => (unread.len(), false),
            };
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&unread[..take.min(room)]);
            self.pos += take;
            if done {
                return Ok(true);
            }
            self.buf.clear();
            self.pos = 0;
            if self.fill().await? == 0 {
                return Ok(!line.is_empty());
            }
        }
    }

    /// Reads article data up to the lone dot and removes dot-stuffing.
    /// `None` when it exceeded `max` bytes as received (the data is still
    /// read to its end, so the session stays in step).
    pub async fn read_article(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        // A CRLF in front lets the first line match the "\r\n." patterns too.
        self.buf.drain(..self.pos);
        self.pos = 0;
        self.buf.splice(0..0, *b"\r\n");
        let mut scan = 0;
        let mut too_big = false;
        loop {
            if let Some(i) = memchr::memmem::find(&self.buf[scan..], b"\r\n.\r\n") {
                let end = scan + i;
                let rest = self.buf[end + 5..].to_vec();
                self.buf.truncate(end + 2);
                let received = end;
                let mut article = std::mem::replace(&mut self.buf, rest);
                if too_big || received > max {
                    self.recycle(article);
                    return Ok(None);
                }
                unstuff_in_place(&mut article);
                return Ok(Some(article));
            }
            if self.buf.len() > max + 8 {
                // Keep the tail, which may hold the start of the terminator.
                too_big = true;
                let keep_from = self.buf.len() - 4;
                self.buf.drain(..keep_from);
            }
            scan = self.buf.len().saturating_sub(4);
            if self.fill().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Takes back an article's buffer once it is stored, so the next article
    /// is received into memory that is already mapped and big enough.
    pub fn recycle(&mut self, mut spent: Vec<u8>) {
        if spent.capacity() > self.buf.capacity() {
            spent.clear();
            spent.extend_from_slice(&self.buf[self.pos..]);
            self.buf = spent;
            self.pos = 0;
        }
    }
}

/// Drops the first dot of every line that starts with one, and the CRLF that
/// `read_article` put in front, moving bytes down inside `data`.
fn unstuff_in_place(data: &mut Vec<u8>) {
    let len = data.len();
    if len < 2 {
        data.clear();
        return;
    }
    // `r`: next byte to keep; `w`: where it goes. Every move goes below
    // `r - 2`, so the CRLF a later match starts with is still original.
    let (mut r, mut w) = (2, 0);
    loop {
        match memchr::memmem::find(&data[r - 2..], b"\r\n.") {
            Some(i) => {
                let dot = r - 2 + i + 2;
                data.copy_within(r..dot, w);
                w += dot - r;
                r = dot + 1;
            }
            None => {
                data.copy_within(r..len, w);
                w += len - r;
                break;
            }
        }
    }
    data.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward version, to check the in-place one against.
    fn unstuff_copy(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in data[2..].split_inclusive(|&b| b == b'\n') {
            out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        out
    }

    #[test]
    fn unstuffs_in_place() {
        for body in [
            &b""[..],
            b"a\r\n",
            b"..a\r\nb\r\n...c\r\n",
            b"..\r\n..\r\n",
            b"x\r\n..\r\n.y\r\n",
            b"=ybegin\r\nabc\r\n=yend\r\n",
        ] {
            let mut framed = b"\r\n".to_vec();
            framed.extend_from_slice(body);
            let want = unstuff_copy(&framed);
            unstuff_in_place(&mut framed);
            assert_eq!(framed, want, "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[tokio::test]
    async fn reads_article_across_chunks() {
        let wire: &[u8] = b"POST\r\nH: v\r\n\r\n..x\r\n.\r\nQUIT\r\n";
        for chunk in [1, 2, 3, 5, 64] {
            let reader = tokio_test_reader(wire, chunk);
            let mut io = Input::new(reader);
            let mut line = Vec::new();
            assert!(io.read_line(&mut line).await.unwrap());
            assert_eq!(line, b"POST\r\n");
            let got = io.read_article(1000).await.unwrap().unwrap();
            assert_eq!(got, b"H: v\r\n\r\n.x\r\n");
            line.clear();
            assert!(io.read_line(&mut line).await.unwrap());
            assert_eq!(line, b"QUIT\r\n");
            line.clear();
            assert!(!io.read_line(&mut line).await.unwrap());
        }
        let mut io = Input::new(&b"H: v\r\n\r\n0123456789\r\n.\r\nQUIT\r\n"[..]);
        assert!(io.read_article(10).await.unwrap().is_none());
        let mut line = Vec::new();
        assert!(io.read_line(&mut line).await.unwrap());
        assert_eq!(line, b"QUIT\r\n");
        let mut io = Input::new(&b"H: v\r\n\r\nno end\r\n"[..]);
        assert!(io.read_article(1000).await.is_err());
    }

    #[tokio::test]
    async fn too_big_article_is_read_to_its_end() {
        let mut wire = b"H: v\r\n\r\n".to_vec();
        for _ in 0..2000 {
            wire.extend_from_slice(b"0123456789\r\n");
        }
        wire.extend_from_slice(b".\r\nQUIT\r\n");
        let mut io = Input::new(tokio_test_reader(&wire, 700));
        assert!(io.read_article(5000).await.unwrap().is_none());
        let mut line = Vec::new();
        assert!(io.read_line(&mut line).await.unwrap());
        assert_eq!(line, b"QUIT\r\n");
    }

    /// A reader that hands out at most `chunk` bytes per read.
    fn tokio_test_reader(data: &[u8], chunk: usize) -> impl AsyncRead + Unpin {
        let (mut tx, rx) = tokio::io::duplex(chunk);
        let data = data.to_vec();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for c in data.chunks(chunk) {
                if tx.write_all(c).await.is_err() {
                    return;
                }
            }
        });
        rx
    }
}
