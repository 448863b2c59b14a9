//! `ap-server spool` as a child process, killed with SIGKILL while clients
//! are in the middle of POSTs: after a restart on the same directory every
//! article is either whole or absent, and no temporary file survives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

mod common;

use common::start_spool as start;

struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Client {
            r: BufReader::new(s),
        };
        assert!(c.line().starts_with("200"));
        c
    }
    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap();
        l
    }
    fn send(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.r.get_mut().write_all(b)
    }
    fn cmd(&mut self, c: &str) -> String {
        self.send(format!("{c}\r\n").as_bytes()).unwrap();
        self.line()
    }
}

fn article(i: usize) -> Vec<u8> {
    let mut a = format!("From: p <p@x.invalid>\r\nNewsgroups: alt.test\r\nSubject: {i}\r\nMessage-ID: <k{i}@x.invalid>\r\n\r\n").into_bytes();
    for l in 0..4000 {
        a.extend_from_slice(format!("{i:06}-{l:06}-{}\r\n", "y".repeat(100)).as_bytes());
    }
    a
}

#[test]
fn kill_9_during_post_leaves_no_partial_article() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path());

    // One client stops halfway through an article and waits.
    let mut partial = Client::connect(addr);
    assert!(partial.cmd("POST").starts_with("340"));
    let half = article(9999);
    partial.send(&half[..half.len() / 2]).unwrap();

    // Others post whole articles as fast as they can until the kill.
    let posters: Vec<_> = (0..3)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                let mut sent = Vec::new();
                for i in (t * 1000)..(t * 1000 + 1000) {
                    if c.send(b"POST\r\n").is_err() {
                        break;
                    }
                    let mut l = String::new();
                    if c.r.read_line(&mut l).unwrap_or(0) == 0 {
                        break;
                    }
                    sent.push(i);
                    if c.send(&article(i)).and_then(|_| c.send(b".\r\n")).is_err() {
                        break;
                    }
                    let mut l = String::new();
                    if c.r.read_line(&mut l).unwrap_or(0) == 0 {
                        break;
                    }
                    assert!(l.starts_with("240"), "{l}");
                }
                sent
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let attempted: Vec<usize> = posters
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    assert!(
        attempted.len() > 3,
        "the posters barely started: {attempted:?}"
    );

    // Restart on the same directory: stray temporary files are gone, and
    // every article is whole or absent.
    let (mut child, addr) = start(dir.path());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    let mut c = Client::connect(addr);
    let mut whole = 0;
    for &i in &attempted {
        let reply = c.cmd(&format!("ARTICLE <k{i}@x.invalid>"));
        if reply.starts_with("430") {
            continue;
        }
        assert!(reply.starts_with("220"), "{reply}");
        let mut got = Vec::new();
        loop {
            let mut l = Vec::new();
            c.r.read_until(b'\n', &mut l).unwrap();
            if l == b".\r\n" {
                break;
            }
            got.extend_from_slice(&l);
        }
        assert!(got == article(i), "article {i} is not whole");
        whole += 1;
    }
    assert!(c.cmd("STAT <k9999@x.invalid>").starts_with("430"));
    let files = count_files(&dir.path().join("articles"));
    assert_eq!(files, whole, "stored files vs whole articles");
    assert!(whole > 0, "nothing was stored before the kill");
    assert!(c.cmd("QUIT").starts_with("205"));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = Vec::new();
    let _ = partial.r.read_to_end(&mut rest);
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}
