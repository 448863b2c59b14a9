//! Our parts against the decoders and encoders people actually run:
//! SABnzbd's `sabctools`, node `yencode` (the core of Nyuu and ParPar's
//! tooling) and Nyuu's own article builder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ap_tests::{node_script, python_module, run_ok};
use ap_yenc::{Decoder, FileCrc, PartInfo, crc32, decode_part, encode_part};
use std::path::Path;
use std::process::Command;

/// Deterministic test file: random bytes, then runs of the bytes that need
/// escaping (always, at line edges, at line starts).
fn test_file(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let nasty = [214u8, 224, 227, 19, 223, 246, 4];
    for (i, chunk) in data.chunks_mut(997).enumerate().skip(1).step_by(3) {
        let b = nasty[i % nasty.len()];
        for (j, d) in chunk.iter_mut().enumerate() {
            *d = if j % 3 == 0 {
                nasty[(i + j) % nasty.len()]
            } else {
                b
            };
        }
    }
    data
}

const PART: usize = 100_000;

fn our_parts(data: &[u8]) -> Vec<(PartInfo, Vec<u8>, u32)> {
    let total = data.len().div_ceil(PART) as u32;
    let mut file = FileCrc::default();
    let parts: Vec<(PartInfo, Vec<u8>, u32)> = data
        .chunks(PART)
        .enumerate()
        .map(|(i, chunk)| {
            let mut info = PartInfo::new(
                "my file (1).bin",
                data.len() as u64,
                i as u32 + 1,
                total,
                (i * PART) as u64,
                chunk.len() as u64,
            );
            if i as u32 + 1 == total {
                // The poster's way: the file CRC comes from the parts' CRCs.
                info.crc_before = Some(file);
            }
            let (article, summary) = encode_part(&info, chunk).unwrap();
            file.push(summary.pcrc32, chunk.len() as u64);
            (info, article, summary.pcrc32)
        })
        .collect();
    let last = &parts.last().unwrap().1;
    let want = format!("crc32={:08x}\r\n", crc32(data));
    assert!(
        last.ends_with(want.as_bytes()),
        "last part carries the file CRC"
    );
    parts
}

#[test]
fn sabctools_decodes_our_parts() {
    let python = python_module("sabctools");
    let dir = tempfile::tempdir().unwrap();
    let data = test_file(350_000);
    let parts = our_parts(&data);
    for (i, (_, article, _)) in parts.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.yenc")), article).unwrap();
    }
    let script = r#"
import sabctools, sys, os, json
d = sys.argv[1]
for i in range(int(sys.argv[2])):
    art = open(os.path.join(d, f"{i}.yenc"), "rb").read()
    resp = b"222 0 <a@b> body\r\n" + art + b".\r\n"
    dec = sabctools.Decoder(1 << 20)
    dec.expect(i)
    mv = memoryview(dec)
    pos = 0
    out = []
    while pos < len(resp):
        n = min(len(mv), len(resp) - pos)
        mv[:n] = resp[pos:pos + n]
        dec.process(n)
        pos += n
        out.extend(dec)
    assert len(out) == 1, out
    r = out[0]
    open(os.path.join(d, f"{i}.out"), "wb").write(bytes(r.data))
    print(json.dumps({"crc": r.crc, "crc_expected": r.crc_expected, "name": r.file_name,
                      "begin": r.part_begin, "end": r.part_end, "size": r.file_size}))
"#;
    let out = run_ok(
        Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(dir.path())
            .arg(parts.len().to_string()),
    );
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(lines.len(), parts.len());
    for (i, ((info, _, pcrc), line)) in parts.iter().zip(lines).enumerate() {
        let got = std::fs::read(dir.path().join(format!("{i}.out"))).unwrap();
        let want = &data[info.offset as usize..(info.offset + info.len) as usize];
        assert!(got == want, "part {i}: sabctools decoded different bytes");
        assert!(
            line.contains(&format!("\"crc\": {pcrc}")),
            "part {i}: {line}"
        );
        assert!(line.contains("\"name\": \"my file (1).bin\""), "{line}");
        // sabctools reports the range 0-based, end exclusive.
        assert!(
            line.contains(&format!(
                "\"begin\": {}, \"end\": {}",
                info.offset,
                info.offset + info.len
            )),
            "{line}"
        );
    }
}

fn node_lines(script: &str, dir: &Path) -> String {
    String::from_utf8(run_ok(node_script(script).arg(dir))).unwrap()
}

#[test]
fn node_yencode_decodes_our_parts() {
    let dir = tempfile::tempdir().unwrap();
    let data = test_file(350_000);
    let parts = our_parts(&data);
    for (i, (_, article, _)) in parts.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.yenc")), article).unwrap();
    }
    let script = format!(
        r#"
const y = require('yencode'), fs = require('fs'), path = require('path');
const d = process.argv[1];
for (let i = 0; i < {n}; i++) {{
  const r = y.from_post(fs.readFileSync(path.join(d, i + '.yenc')), true);
  if (r instanceof Error) throw r;
  fs.writeFileSync(path.join(d, i + '.out'), r.data);
  console.log(JSON.stringify({{ crc: r.crc32.toString('hex'), begin: r.props.begin, end: r.props.end }}));
}}"#,
        n = parts.len()
    );
    let out = node_lines(&script, dir.path());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), parts.len());
    for (i, ((info, _, pcrc), line)) in parts.iter().zip(lines).enumerate() {
        let got = std::fs::read(dir.path().join(format!("{i}.out"))).unwrap();
        let want = &data[info.offset as usize..(info.offset + info.len) as usize];
        assert!(got == want, "part {i}: yencode decoded different bytes");
        assert!(
            line.contains(&format!("\"crc\":\"{pcrc:08x}\"")),
            "part {i}: {line}"
        );
        assert!(
            line.contains(&format!("\"pcrc32\":\"{pcrc:08x}\"")),
            "part {i}: {line}"
        );
    }
}

#[test]
fn we_decode_node_yencode_parts() {
    let dir = tempfile::tempdir().unwrap();
    let data = test_file(350_000);
    std::fs::write(dir.path().join("file.bin"), &data).unwrap();
    let n = data.len().div_ceil(PART);
    let script = format!(
        r#"
const y = require('yencode'), fs = require('fs'), path = require('path');
const d = process.argv[1];
const data = fs.readFileSync(path.join(d, 'file.bin'));
const enc = y.multi_post('file.bin', data.length, {n}, 128);
for (let i = 0; i < {n}; i++)
  fs.writeFileSync(path.join(d, i + '.yenc'), enc.encode(data.subarray(i * {PART}, (i + 1) * {PART})));
"#
    );
    node_lines(&script, dir.path());
    let mut file = FileCrc::default();
    for i in 0..n {
        let article = std::fs::read(dir.path().join(format!("{i}.yenc"))).unwrap();
        let decoded = decode_part(&article).unwrap();
        let want = &data[i * PART..((i + 1) * PART).min(data.len())];
        assert!(decoded.data == want, "part {i}");
        assert_eq!(decoded.report.issues, vec![], "part {i}");
        file.push(decoded.report.crc32, decoded.report.size);
        let end = decoded.report.end.unwrap();
        if i + 1 == n {
            assert_eq!(end.crc32, Some(file.crc), "file crc from part crcs");
        }
    }
    assert_eq!(file.crc, crc32(&data));
}

#[test]
fn we_decode_nyuu_articles() {
    let dir = tempfile::tempdir().unwrap();
    let data = test_file(350_000);
    std::fs::write(dir.path().join("file.bin"), &data).unwrap();
    let n = data.len().div_ceil(PART);
    // Nyuu's article builder (lib/article.js) makes the exact bytes Nyuu
    // sends after POST: headers, blank line, yEnc part, "\r\n.\r\n".
    let script = format!(
        r#"
const MultiEncoder = require('nyuu/lib/article.js');
const fs = require('fs'), path = require('path');
const d = process.argv[1];
const data = fs.readFileSync(path.join(d, 'file.bin'));
const enc = new MultiEncoder('file name.bin', data.length, {PART}, 128, new Date(0));
enc.setHeaders({{ From: 'poster <p@example.invalid>', Newsgroups: 'alt.binaries.test', Subject: null }},
  '"file name.bin" yEnc (', '/{n})');
for (let i = 0; i < {n}; i++)
  fs.writeFileSync(path.join(d, i + '.art'), enc.generate(data.subarray(i * {PART}, (i + 1) * {PART})).data);
"#
    );
    node_lines(&script, dir.path());
    for i in 0..n {
        let article = std::fs::read(dir.path().join(format!("{i}.art"))).unwrap();
        assert!(
            article.starts_with(b"Message-ID: <"),
            "Nyuu article with headers"
        );
        // Streamed in odd-sized chunks, as it comes off a socket.
        let mut dec = Decoder::new();
        let mut out = vec![0u8; article.len()];
        let mut written = 0;
        for chunk in article.chunks(4093) {
            let p = dec.feed(chunk, &mut out[written..]).unwrap();
            written += p.written;
        }
        let report = dec.finish().unwrap();
        let want = &data[i * PART..((i + 1) * PART).min(data.len())];
        assert!(&out[..written] == want, "part {i}");
        assert_eq!(report.issues, vec![], "part {i}");
        assert_eq!(report.begin.name, "file name.bin");
        assert_eq!(report.begin.part, Some(i as u32 + 1));
    }
}

/// Reads one NNTP response line (with its CRLF).
fn nntp_line(r: &mut impl std::io::BufRead) -> Vec<u8> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).unwrap();
    line
}

/// Sends a command and checks the reply code.
fn nntp_cmd(w: &mut std::net::TcpStream, r: &mut impl std::io::BufRead, cmd: &str, want: &str) {
    use std::io::Write;
    w.write_all(cmd.as_bytes()).unwrap();
    w.write_all(b"\r\n").unwrap();
    let reply = nntp_line(r);
    let verb = cmd.split(' ').take(2).collect::<Vec<_>>().join(" ");
    assert!(
        reply.starts_with(want.as_bytes()),
        "{verb}: {}",
        String::from_utf8_lossy(&reply)
    );
}

#[test]
fn we_decode_nyuu_posts_fetched_from_inn2() {
    // The whole path: Nyuu's CLI posts to INN2, we fetch the articles raw
    // (dot-stuffed, with the server's headers) and decode them.
    let server = ap_tests::inn2();
    let dir = tempfile::tempdir().unwrap();
    let mut data = test_file(350_000);
    // Fresh content each run, so nothing on the server can stand in for it.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    data[..16].copy_from_slice(&stamp.to_le_bytes());
    let file = dir.path().join("nyuu file.bin");
    std::fs::write(&file, &data).unwrap();
    let nzb = dir.path().join("out.nzb");
    let (host, port) = server.addr.rsplit_once(':').unwrap();
    run_ok(
        ap_tests::peer_command("nyuu")
            .args([
                "-h",
                host,
                "-P",
                port,
                "-u",
                &server.user,
                "-p",
                &server.pass,
                "-g",
                &server.group,
                "-a",
                "100K",
                "-o",
            ])
            .arg(&nzb)
            .arg(&file),
    );
    let nzb = std::fs::read_to_string(&nzb).unwrap();
    let mut segments: Vec<(usize, String)> = nzb
        .split("<segment ")
        .skip(1)
        .map(|s| {
            let number = s
                .split("number=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let id = s
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_owned();
            (number, id)
        })
        .collect();
    segments.sort();
    assert_eq!(segments.len(), data.len().div_ceil(102_400), "{nzb}");

    let stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = std::io::BufReader::new(stream);
    assert!(nntp_line(&mut r).starts_with(b"20"));
    nntp_cmd(
        &mut w,
        &mut r,
        &format!("AUTHINFO USER {}", server.user),
        "381",
    );
    nntp_cmd(
        &mut w,
        &mut r,
        &format!("AUTHINFO PASS {}", server.pass),
        "281",
    );
    let mut whole = Vec::new();
    for (number, id) in &segments {
        nntp_cmd(&mut w, &mut r, &format!("ARTICLE <{id}>"), "220");
        let mut raw = Vec::new();
        loop {
            let line = nntp_line(&mut r);
            assert!(
                !line.is_empty(),
                "connection closed inside article {number}"
            );
            if line == b".\r\n" {
                break;
            }
            raw.extend_from_slice(&line);
        }
        let mut dec = Decoder::new();
        let mut out = vec![0u8; raw.len()];
        let p = dec.feed(&raw, &mut out).unwrap();
        let report = dec.finish().unwrap();
        assert_eq!(report.issues, vec![], "segment {number}");
        assert_eq!(report.begin.name, "nyuu file.bin");
        whole.extend_from_slice(&out[..p.written]);
    }
    assert!(
        whole == data,
        "Nyuu's post, fetched from INN2, decoded differently"
    );
}
