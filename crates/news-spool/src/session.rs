//! One client session: the NNTP reader commands the poster and the fetcher
//! use, over any byte stream.

use std::time::SystemTime;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::input::Input;
use crate::store::{Spool, Stored};

/// Serves one connection until QUIT, EOF or an I/O error.
pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    spool: Spool,
) -> std::io::Result<()> {
    let mut io = Input::new(stream);
    let mut authed = spool.config().login.is_none();
    let mut user: Option<String> = None;
    io.get_mut()
        .write_all(b"200 news spool ready, posting allowed\r\n")
        .await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if !io.read_line(&mut line).await? {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match text.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (text.to_ascii_uppercase(), ""),
        };
        let needs_login = matches!(verb.as_str(), "POST" | "STAT" | "HEAD" | "BODY" | "ARTICLE");
        let out = io.get_mut();
        if needs_login && !authed {
            out.write_all(b"480 authentication required\r\n").await?;
            continue;
        }
        match verb.as_str() {
            "CAPABILITIES" => {
                let mut caps =
                    String::from("101 capability list follows\r\nVERSION 2\r\nREADER\r\nPOST\r\n");
                if !authed {
                    caps.push_str("AUTHINFO USER\r\n");
                }
                caps.push_str(".\r\n");
                out.write_all(caps.as_bytes()).await?;
            }
            "MODE" if arg.eq_ignore_ascii_case("READER") => {
                out.write_all(b"200 posting allowed\r\n").await?
            }
            "AUTHINFO" => {
                let (kind, value) = arg.split_once(' ').unwrap_or((arg, ""));
                let reply: &[u8] = match (kind.to_ascii_uppercase().as_str(), &spool.config().login)
                {
                    (_, None) => b"502 no login needed\r\n",
                    ("USER", Some(_)) => {
                        user = Some(value.to_string());
                        b"381 password required\r\n"
                    }
                    ("PASS", Some((u, p))) => match &user {
                        None => b"482 send AUTHINFO USER first\r\n",
                        Some(given) if given == u && value == p => {
                            authed = true;
                            b"281 authentication accepted\r\n"
                        }
                        Some(_) => b"481 authentication failed\r\n",
                    },
                    _ => b"501 unknown AUTHINFO kind\r\n",
                };
                out.write_all(reply).await?;
            }
            "POST" => {
                out.write_all(b"340 send article\r\n").await?;
                out.flush().await?;
                let max = spool.config().max_article_size;
                let reply = match io.read_article(max).await? {
                    None => "441 article too large",
                    Some(article) => {
                        let (reply, buf) = store(&spool, article).await;
                        if let Some(buf) = buf {
                            io.recycle(buf);
                        }
                        reply
                    }
                };
                let out = io.get_mut();
                out.write_all(reply.as_bytes()).await?;
                out.write_all(b"\r\n").await?;
            }
            "STAT" | "HEAD" | "BODY" | "ARTICLE" => {
                if !(arg.starts_with('<') && arg.ends_with('>')) {
                    out.write_all(b"412 no newsgroup selected\r\n").await?;
                    continue;
                }
                let found = if verb == "STAT" {
                    spool.contains(arg).then(Vec::new)
                } else {
                    let (s, id) = (spool.clone(), arg.to_string());
                    tokio::task::spawn_blocking(move || s.get(&id))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .flatten()
                };
                let Some(article) = found else {
                    out.write_all(b"430 no such article\r\n").await?;
                    continue;
                };
                let split =
                    memchr::memmem::find(&article, b"\r\n\r\n").map_or(article.len(), |i| i + 2);
                let (code, part): (u16, &[u8]) = match verb.as_str() {
                    "STAT" => (223, &[]),
                    "HEAD" => (221, &article[..split]),
                    "BODY" => (222, article.get(split + 2..).unwrap_or_default()),
                    _ => (220, &article[..]),
                };
                out.write_all(format!("{code} 0 {arg}\r\n").as_bytes())
                    .await?;
                if code != 223 {
                    out.write_all(&stuff(part)).await?;
                    out.write_all(b".\r\n").await?;
                }
            }
            "DATE" => {
                out.write_all(format!("111 {}\r\n", date_now()).as_bytes())
                    .await?
            }
            "QUIT" => {
                out.write_all(b"205 bye\r\n").await?;
                out.flush().await?;
                return Ok(());
            }
            _ => out.write_all(b"500 unknown command\r\n").await?,
        }
        out_flush(&mut io).await?;
    }
}

async fn out_flush<S: AsyncWrite + AsyncRead + Unpin>(io: &mut Input<S>) -> std::io::Result<()> {
    io.get_mut().flush().await
}

/// Stores the article on a blocking thread; gives its buffer back for the
/// next one, so a session receives into the same memory every time.
async fn store(spool: &Spool, article: Vec<u8>) -> (&'static str, Option<Vec<u8>>) {
    let Some(id) = message_id(&article) else {
        return ("441 no Message-ID header", Some(article));
    };
    let s = spool.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let r = s.put(&id, &article);
        (r, article)
    })
    .await;
    match stored {
        Ok((Ok(Stored::New), buf)) => ("240 article received ok", Some(buf)),
        Ok((Ok(Stored::Duplicate), buf)) => ("441 435 Duplicate", Some(buf)),
        Ok((Err(_), buf)) => ("441 cannot store article", Some(buf)),
        Err(_) => ("441 cannot store article", None),
    }
}

/// The Message-ID header's value, from the header block.
fn message_id(article: &[u8]) -> Option<String> {
    let end = memchr::memmem::find(article, b"\r\n\r\n").unwrap_or(article.len());
    article[..end].split(|&b| b == b'\n').find_map(|l| {
        let l = String::from_utf8_lossy(l);
        let (name, value) = l.split_once(':')?;
        let value = value.trim();
        (name.eq_ignore_ascii_case("Message-ID")
            && value.starts_with('<')
            && value.ends_with('>')
            && !value.contains(' '))
        .then(|| value.to_string())
    })
}

/// Doubles the leading dot of lines for sending.
fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    if data.first() == Some(&b'.') {
        out.push(b'.');
    }
    let mut last = 0;
    for p in memchr::memmem::find_iter(data, b"\n.") {
        out.extend_from_slice(&data[last..=p]);
        out.push(b'.');
        last = p + 1;
    }
    out.extend_from_slice(&data[last..]);
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The DATE reply's `yyyymmddhhmmss`, in UTC (RFC 3977 7.1).
fn date_now() -> String {
    date_of(SystemTime::now())
}

fn date_of(when: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(when)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_message_id() {
        assert_eq!(
            message_id(b"From: a\r\nMessage-id: <x@y>\r\n\r\nbody").as_deref(),
            Some("<x@y>")
        );
        assert_eq!(message_id(b"From: a\r\n\r\nMessage-ID: <x@y>\r\n"), None);
    }

    #[test]
    fn date_is_utc_yyyymmddhhmmss() {
        let at = |secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(date_of(at(0)), "19700101000000");
        assert_eq!(date_of(at(951_782_400 + 3_661)), "20000229010101");
        assert_eq!(date_now().len(), 14);
    }
}
