//! Smoke tests of every peer tool: each one runs here once, for real, so a
//! broken or missing peer shows up as one clearly named failure before any
//! interop test depends on it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ap_tests::{
    NewsServer, inn2, node_script, nzbget, par2_turbo, par2cmdline, peer_command, python_module,
    run_ok,
};

/// A unique token so repeated runs never collide on Message-IDs.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}.{}", std::process::id())
}

/// Just enough NNTP to prove the server works: the real client is crates/nntp-post.
struct Nntp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Nntp {
    fn connect(server: &NewsServer) -> Self {
        let stream = TcpStream::connect(&server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut nntp = Nntp {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = nntp.line();
        assert!(
            greeting.starts_with("200") || greeting.starts_with("201"),
            "greeting: {greeting}"
        );
        nntp
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    fn command(&mut self, text: &str) -> String {
        self.writer
            .write_all(format!("{text}\r\n").as_bytes())
            .unwrap();
        self.line()
    }

    fn login(&mut self, server: &NewsServer) {
        let reply = self.command(&format!("AUTHINFO USER {}", server.user));
        assert!(reply.starts_with("381"), "AUTHINFO USER: {reply}");
        let reply = self.command(&format!("AUTHINFO PASS {}", server.pass));
        assert!(reply.starts_with("281"), "AUTHINFO PASS: {reply}");
    }

    /// Reads a multi-line block up to the lone ".", undoing dot-stuffing.
    fn block(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            if line == "." {
                return lines;
            }
            lines.push(line.strip_prefix('.').map(str::to_owned).unwrap_or(line));
        }
    }
}

#[test]
fn inn2_authenticates_posts_and_reads_back() {
    let server = inn2();
    let mut nntp = Nntp::connect(&server);
    nntp.login(&server);

    let id = format!("<{}@smoke.example.test>", unique());
    let body = ["first line", ".starts with a dot", "last line"];
    assert!(nntp.command("POST").starts_with("340"));
    let mut article = format!(
        "From: poster <poster@example.test>\r\nNewsgroups: {}\r\nSubject: smoke\r\nMessage-ID: {id}\r\n\r\n",
        server.group
    );
    for line in body {
        let stuffed = if line.starts_with('.') {
            format!(".{line}")
        } else {
            line.to_owned()
        };
        article.push_str(&stuffed);
        article.push_str("\r\n");
    }
    article.push_str(".\r\n");
    nntp.writer.write_all(article.as_bytes()).unwrap();
    let reply = nntp.line();
    assert!(reply.starts_with("240"), "POST: {reply}");

    // A repeated Message-ID is refused as a duplicate, which the poster relies on.
    assert!(nntp.command("POST").starts_with("340"));
    nntp.writer.write_all(article.as_bytes()).unwrap();
    let reply = nntp.line();
    assert!(
        reply.starts_with("441") || reply.starts_with("435"),
        "duplicate POST: {reply}"
    );

    let reply = nntp.command(&format!("STAT {id}"));
    assert!(reply.starts_with("223"), "STAT: {reply}");
    let reply = nntp.command(&format!("BODY {id}"));
    assert!(reply.starts_with("222"), "BODY: {reply}");
    assert_eq!(nntp.block(), body);
    let reply = nntp.command("STAT <never-posted@smoke.example.test>");
    assert!(
        reply.starts_with("430"),
        "STAT of a missing article: {reply}"
    );
    nntp.command("QUIT");
}

#[test]
fn sevenzip_round_trips_an_encrypted_multi_volume_archive() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    let data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(src.join("sub/data.bin"), &data).unwrap();
    fs::write(src.join("naïve.txt"), "hello").unwrap();

    let archive = dir.path().join("set.7z");
    run_ok(
        peer_command("7zz")
            .current_dir(&src)
            .args(["a", "-mx=0", "-mhe=on", "-v70k", "-psmoke-password"])
            .arg(&archive)
            .arg("."),
    );
    assert!(
        dir.path().join("set.7z.003").is_file(),
        "expected at least three volumes"
    );

    // Without the password the encrypted header hides every name.
    let listing = peer_command("7zz")
        .arg("l")
        .arg("-pwrong")
        .arg(dir.path().join("set.7z.001"))
        .output()
        .unwrap();
    assert!(!listing.status.success());
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("data.bin"));

    let out = dir.path().join("out");
    run_ok(
        peer_command("7zz")
            .args(["x", "-psmoke-password", "-y"])
            .arg(format!("-o{}", out.display()))
            .arg(dir.path().join("set.7z.001")),
    );
    assert_eq!(fs::read(out.join("sub/data.bin")).unwrap(), data);
    assert_eq!(fs::read_to_string(out.join("naïve.txt")).unwrap(), "hello");
}

fn par2_create_damage_repair(par2: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("volume.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i ^ (i >> 7)) as u8).collect();
    fs::write(&file, &data).unwrap();
    run_ok(Command::new(par2).current_dir(dir.path()).args([
        "c",
        "-q",
        "-s10000",
        "-r10",
        "set.par2",
        "volume.bin",
    ]));
    run_ok(
        Command::new(par2)
            .current_dir(dir.path())
            .args(["v", "-q", "set.par2"]),
    );

    let mut damaged = data.clone();
    damaged[1000..6000].fill(0xAA);
    fs::write(&file, &damaged).unwrap();
    let verify = Command::new(par2)
        .current_dir(dir.path())
        .args(["v", "-q", "set.par2"])
        .output()
        .unwrap();
    assert!(!verify.status.success(), "verify must notice the damage");
    run_ok(
        Command::new(par2)
            .current_dir(dir.path())
            .args(["r", "-q", "set.par2"]),
    );
    assert_eq!(fs::read(&file).unwrap(), data);
}

#[test]
fn par2cmdline_creates_and_repairs() {
    par2_create_damage_repair(&par2cmdline());
}

#[test]
fn par2cmdline_turbo_creates_and_repairs() {
    par2_create_damage_repair(&par2_turbo());
}

#[test]
fn age_round_trips_to_a_generated_identity() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.txt");
    run_ok(peer_command("age-keygen").arg("-o").arg(&key));
    let recipient =
        String::from_utf8(run_ok(peer_command("age-keygen").arg("-y").arg(&key))).unwrap();
    let plain = dir.path().join("plain");
    fs::write(&plain, b"descriptor bytes").unwrap();
    let sealed = dir.path().join("sealed.age");
    run_ok(
        peer_command("age")
            .args(["-r", recipient.trim(), "-o"])
            .arg(&sealed)
            .arg(&plain),
    );
    let opened = run_ok(
        peer_command("age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(&sealed),
    );
    assert_eq!(opened, b"descriptor bytes");
}

/// NZBGet downloads a real yEnc article from INN2 through an NZB: the
/// downloader end of every later end-to-end test.
#[test]
fn nzbget_downloads_an_article_from_inn2() {
    let server = inn2();
    let dir = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let id = format!("{}@smoke.example.test", unique());

    // One-part yEnc by hand (the real encoder is crates/yenc).
    let mut encoded = Vec::new();
    let mut col = 0;
    for &byte in &payload {
        let out = byte.wrapping_add(42);
        let escape = matches!(out, 0 | b'\n' | b'\r' | b'=')
            || (col == 0 && matches!(out, b'.' | b'\t' | b' '));
        if escape {
            encoded.extend_from_slice(&[b'=', out.wrapping_add(64)]);
            col += 2;
        } else {
            encoded.push(out);
            col += 1;
        }
        if col >= 128 {
            encoded.extend_from_slice(b"\r\n");
            col = 0;
        }
    }
    if col > 0 {
        encoded.extend_from_slice(b"\r\n");
    }
    let crc = crc32(&payload);
    let mut nntp = Nntp::connect(&server);
    nntp.login(&server);
    assert!(nntp.command("POST").starts_with("340"));
    let mut article = format!(
        "From: poster <poster@example.test>\r\nNewsgroups: {}\r\nSubject: smoke yEnc (1/1)\r\nMessage-ID: <{id}>\r\n\r\n\
         =ybegin line=128 size={} name=smoke.bin\r\n",
        server.group,
        payload.len()
    )
    .into_bytes();
    article.extend_from_slice(&encoded);
    article.extend_from_slice(
        format!("=yend size={} crc32={crc:08x}\r\n.\r\n", payload.len()).as_bytes(),
    );
    nntp.writer.write_all(&article).unwrap();
    let reply = nntp.line();
    assert!(reply.starts_with("240"), "POST: {reply}");
    nntp.command("QUIT");

    let nzb = dir.path().join("smoke.nzb");
    fs::write(
        &nzb,
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<nzb xmlns=\"http://www.newzbin.com/DTD/2003/nzb\">\n\
             <file poster=\"poster\" date=\"1700000000\" subject=\"smoke yEnc (1/1)\">\n\
             <groups><group>{}</group></groups>\n<segments><segment bytes=\"{}\" number=\"1\">{id}</segment></segments>\n\
             </file>\n</nzb>\n",
            server.group,
            payload.len()
        ),
    )
    .unwrap();

    let main_dir = dir.path().join("main");
    let conf = dir.path().join("nzbget.conf");
    let extra = [
        ("Server1.Connections", "2"),
        ("ParCheck", "auto"),
        ("DirectWrite", "yes"),
    ];
    nzbget::write_config(&conf, &main_dir, &server, NZBGET_CONTROL_PORT, &extra);
    // NZBGet has no "download this and exit" mode: run it as a server in the
    // foreground, queue the NZB through it, and poll its history.
    let mut daemon = peer_command("nzbget")
        .arg("-c")
        .arg(&conf)
        .arg("-s")
        .spawn()
        .unwrap();
    let added = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        peer_command("nzbget")
            .arg("-c")
            .arg(&conf)
            .arg("-A")
            .arg(&nzb)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let history = added.then(wait_for_history);
    let _ = peer_command("nzbget")
        .arg("-c")
        .arg(&conf)
        .arg("-Q")
        .output();
    let _ = daemon.wait();
    assert!(added, "nzbget did not accept the NZB");
    let history = history.unwrap();
    assert!(
        history.contains("\"Status\" : \"SUCCESS") || history.contains("\"Status\":\"SUCCESS"),
        "history: {history}"
    );
    let downloaded = find_file(&main_dir.join("dst"), "smoke.bin").expect("smoke.bin downloaded");
    assert_eq!(fs::read(downloaded).unwrap(), payload);
}

const NZBGET_CONTROL_PORT: u16 = 16789;

/// Polls NZBGet's JSON-RPC history until one entry has a final status.
fn wait_for_history() -> String {
    for _ in 0..150 {
        std::thread::sleep(Duration::from_millis(200));
        let Some(reply) = nzbget::history(NZBGET_CONTROL_PORT) else {
            continue;
        };
        if reply.contains("\"Status\"")
            && !reply.contains("\"result\" : [ ]")
            && !reply.contains("\"result\":[]")
        {
            return reply;
        }
    }
    panic!("NZBGet reported no finished download within 30 s");
}

fn find_file(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[test]
fn python_peers_read_and_decode() {
    let python = python_module("deltalake");
    python_module("duckdb");
    python_module("sabctools");
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import os, sys, deltalake, duckdb, pyarrow as pa, sabctools
path = sys.argv[1]
deltalake.write_deltalake(path, pa.table({"id": [1, 2, 3]}))
assert deltalake.DeltaTable(path).to_pyarrow_table().num_rows == 3
# DuckDB's delta extension is not installable offline: read the snapshot's Parquet files.
files = ",".join(f"'{f}'" for f in deltalake.DeltaTable(path).file_uris())
assert duckdb.sql(f"select sum(id) from read_parquet([{files}])").fetchall() == [(6,)]
encoded, crc = sabctools.yenc_encode(b"hello")
print("ok", len(encoded), hex(crc), flush=True)
# Python deltalake sometimes aborts in its thread-pool teardown at exit.
os._exit(0)
"#;
    let out = run_ok(
        Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(dir.path().join("table")),
    );
    assert!(
        String::from_utf8_lossy(&out).starts_with("ok "),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn node_peers_load_and_run() {
    let out = run_ok(&mut node_script(
        r#"
const y = require('yencode');
const enc = y.encode(Buffer.from('hello'));
if (Buffer.compare(y.decode(enc), Buffer.from('hello')) !== 0) throw new Error('yencode round trip');
const H10 = require('hypercore10'), H11 = require('hypercore11');
if (typeof H10 !== 'function' || typeof H11 !== 'function') throw new Error('hypercore exports');
require.resolve('nyuu/package.json');
console.log('ok', y.crc32(Buffer.from('hello')).toString('hex'));
"#,
    ));
    // CRC32("hello") = 0x3610a686
    assert_eq!(String::from_utf8_lossy(&out).trim(), "ok 3610a686");
    // Nyuu prints its help to stderr.
    let help = peer_command("nyuu").arg("--help").output().unwrap();
    assert!(help.status.success(), "nyuu --help: {help:?}");
    assert!(String::from_utf8_lossy(&help.stderr).contains("Nyuu v0.4.0"));
}
