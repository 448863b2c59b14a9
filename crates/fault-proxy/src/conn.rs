//! One proxied connection: the client's bytes go through a small NNTP state
//! machine that decides, per POST, whether to break something.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Mutex;

use crate::rng::Rng;
use crate::{Counters, FaultConfig, bump};

const TERM: &[u8] = b"\r\n.\r\n";

enum Fault {
    None,
    Drop(u64),
    Stall(u64),
    LoseReply,
}

enum State {
    Command(Vec<u8>),
    /// Forwarding article data; `seen` bytes so far, `tail` the last bytes
    /// for spotting the terminator across reads.
    Article {
        fault: Fault,
        seen: u64,
        tail: Vec<u8>,
    },
    /// Swallowing article data, then answering `reply`.
    Discard {
        tail: Vec<u8>,
        reply: &'static [u8],
    },
    /// Stalled: nothing more is forwarded.
    Stalled,
}

/// Where the terminator ends in `chunk`, given the bytes before it.
fn find_term(tail: &[u8], chunk: &[u8]) -> Option<usize> {
    let mut joined = tail.to_vec();
    joined.extend_from_slice(chunk);
    memchr::memmem::find(&joined, TERM).map(|i| i + TERM.len() - tail.len())
}

fn new_tail(tail: &[u8], chunk: &[u8]) -> Vec<u8> {
    let mut t = tail.to_vec();
    t.extend_from_slice(chunk);
    let keep = t.len().saturating_sub(TERM.len() - 1);
    t.split_off(keep)
}

pub(crate) async fn run(
    client: TcpStream,
    upstream: SocketAddr,
    cfg: Arc<FaultConfig>,
    stats: Arc<Counters>,
    n: u64,
) {
    let mut rng = Rng::new(cfg.seed, n);
    let mut client = client;
    if rng.unit() < cfg.greet_400 {
        bump(&stats.greeted_400);
        let _ = client
            .write_all(b"400 service temporarily unavailable\r\n")
            .await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let (mut cr, cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let cw = Arc::new(Mutex::new(cw));
    let down_w = cw.clone();
    // Set when the server's replies must no longer reach the client.
    let mute = Arc::new(AtomicBool::new(false));
    let down_mute = mute.clone();
    let delay = cfg.delay;
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Ok(n) = sr.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if down_mute.load(Ordering::SeqCst) {
                continue;
            }
            if down_w.lock().await.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut state = State::Command(Vec::new());
        let mut total = 0u64;
        loop {
            let Ok(n) = cr.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            total += n as u64;
            if cfg.drop_after_bytes.is_some_and(|max| total > max) {
                bump(&stats.dropped);
                return;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                match step(
                    &mut state, rest, &mut rng, &cfg, &stats, &mut sw, &cw, &mute,
                )
                .await
                {
                    Some(used) => rest = &rest[used..],
                    None => return,
                }
            }
            if matches!(state, State::Stalled) {
                // Stalled: swallow everything until the client gives up.
                while matches!(cr.read(&mut buf).await, Ok(n) if n > 0) {}
                return;
            }
        }
    };
    tokio::select! {
        _ = down => {}
        _ = up => {}
    }
}

/// Handles a prefix of `data`; returns how much it used, or `None` to close
/// the connection.
#[allow(clippy::too_many_arguments)]
async fn step(
    state: &mut State,
    data: &[u8],
    rng: &mut Rng,
    cfg: &FaultConfig,
    stats: &Counters,
    sw: &mut OwnedWriteHalf,
    cw: &Mutex<OwnedWriteHalf>,
    mute: &AtomicBool,
) -> Option<usize> {
    match state {
        State::Command(line) => {
            let (used, done) = match memchr::memchr(b'\n', data) {
                Some(i) => (i + 1, true),
                None => (data.len(), false),
            };
            line.extend_from_slice(&data[..used]);
            if !done {
                return Some(used);
            }
            let is_post = line.eq_ignore_ascii_case(b"POST\r\n");
            let l = std::mem::take(line);
            if !is_post {
                sw.write_all(&l).await.ok()?;
                return Some(used);
            }
            bump(&stats.posts);
            let r = rng.unit();
            let mut edge = cfg.reject_503;
            if r < edge {
                bump(&stats.rejected_503);
                cw.lock()
                    .await
                    .write_all(b"503 temporary failure, try again\r\n")
                    .await
                    .ok()?;
                return Some(used);
            }
            edge += cfg.reject_441;
            if r < edge {
                bump(&stats.rejected_441);
                cw.lock()
                    .await
                    .write_all(b"340 send article\r\n")
                    .await
                    .ok()?;
                *state = State::Discard {
                    tail: b"\r\n".to_vec(),
                    reply: b"441 posting failed\r\n",
                };
                return Some(used);
            }
            let hint = cfg.article_bytes_hint;
            let fault = if r < edge + cfg.drop_mid_article {
                Fault::Drop(rng.upto(hint))
            } else if r < edge + cfg.drop_mid_article + cfg.stall_mid_article {
                Fault::Stall(rng.upto(hint))
            } else if r < edge
                + cfg.drop_mid_article
                + cfg.stall_mid_article
                + cfg.drop_after_article
            {
                Fault::LoseReply
            } else {
                Fault::None
            };
            sw.write_all(&l).await.ok()?;
            *state = State::Article {
                fault,
                seen: 0,
                tail: b"\r\n".to_vec(),
            };
            Some(used)
        }
        State::Discard { tail, reply } => match find_term(tail, data) {
            Some(end) => {
                let reply = *reply;
                *state = State::Command(Vec::new());
                cw.lock().await.write_all(reply).await.ok()?;
                Some(end)
            }
            None => {
                *tail = new_tail(tail, data);
                Some(data.len())
            }
        },
        State::Stalled => Some(data.len()),
        State::Article { fault, seen, tail } => {
            let end = find_term(tail, data);
            let len = end.unwrap_or(data.len());
            let strike = match fault {
                Fault::Drop(at) | Fault::Stall(at) => Some(*at),
                Fault::None | Fault::LoseReply => None,
            };
            if let Some(at) = strike {
                // Strike before the article completes, at the latest just
                // before the terminator's last byte.
                let limit = if end.is_some() {
                    *seen + len as u64 - 1
                } else {
                    u64::MAX
                };
                let at = at.min(limit);
                if *seen + len as u64 >= at {
                    let upto = (at - *seen) as usize;
                    sw.write_all(&data[..upto]).await.ok()?;
                    if matches!(fault, Fault::Drop(_)) {
                        bump(&stats.dropped);
                        return None;
                    }
                    bump(&stats.stalled);
                    *state = State::Stalled;
                    return Some(data.len());
                }
            }
            sw.write_all(&data[..len]).await.ok()?;
            *seen += len as u64;
            if end.is_some() && matches!(fault, Fault::LoseReply) {
                // Hold the socket until the server has taken the article,
                // then cut it before the reply can pass.
                mute.store(true, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                bump(&stats.replies_lost);
                return None;
            }
            if end.is_some() {
                *state = State::Command(Vec::new());
            } else {
                *tail = new_tail(tail, data);
            }
            Some(len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_terminator_across_reads() {
        assert_eq!(find_term(b"\r\n", b".\r\nQUIT"), Some(3));
        assert_eq!(find_term(b"ab\r\n", b".\r\n"), Some(3));
        assert_eq!(find_term(b"x\r", b"\n.\r\nMORE"), Some(4));
        assert_eq!(find_term(b"xy", b"z\r\n.\r"), None);
        assert_eq!(new_tail(b"abcd", b"ef"), b"cdef");
    }
}
