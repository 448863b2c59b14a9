//! Helpers shared by the integration tests: deterministic article bodies,
//! unique Message-IDs, and a posting run that returns its report.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ap_nntp_post::{
    Article, ArticleBuilder, CheckConfig, Connection, PostConfig, PostReport, Poster, ServerConfig,
    Timeouts,
};
use bytes::Bytes;

/// A run tag that keeps Message-IDs unique across runs against INN2.
pub fn run_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}.{}", std::process::id())
}

pub fn message_id(tag: &str, i: usize) -> String {
    format!("<{tag}.{i}@ap-test.invalid>")
}

/// `len` bytes of body in 128-byte CRLF lines, derived from `seed`; every
/// 97th line starts with a dot, to exercise dot-stuffing.
pub fn body(seed: u64, len: usize) -> Bytes {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + len / 64);
    let mut line = 0usize;
    while out.len() < len {
        let n = 128.min(len - out.len());
        for j in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = b'!' + (x % 94) as u8;
            out.push(if j == 0 && line % 97 == 3 { b'.' } else { c });
        }
        out.extend_from_slice(b"\r\n");
        line += 1;
    }
    Bytes::from(out)
}

/// `len` bytes of binary data derived from `seed`.
pub fn data(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Part `i` (0-based) of `total` of a virtual file made of `part_len`-byte
/// parts of [`data`], yEnc-encoded as a posting body.
pub fn yenc_body(i: usize, total: usize, part_len: usize) -> Bytes {
    let info = ap_yenc::PartInfo::new(
        "f.bin",
        (total * part_len) as u64,
        i as u32 + 1,
        total as u32,
        (i * part_len) as u64,
        part_len as u64,
    );
    let (body, _) = ap_yenc::encode_part(&info, &data(i as u64, part_len)).unwrap();
    Bytes::from(body)
}

/// Checks that a fetched body decodes cleanly to part `i`'s bytes.
pub fn assert_decodes_to(body: &[u8], i: usize, part_len: usize) {
    let decoded = ap_yenc::decode_part(body).unwrap();
    assert!(
        decoded.report.issues.is_empty(),
        "part {i}: {:?}",
        decoded.report.issues
    );
    assert!(
        decoded.data == data(i as u64, part_len),
        "part {i} decodes to other bytes"
    );
}

pub fn article(tag: &str, i: usize, body: Bytes) -> Article {
    ArticleBuilder::new()
        .from("Poster <poster@ap-test.invalid>")
        .newsgroup("alt.binaries.test")
        .subject(format!("test {i}"))
        .message_id(message_id(tag, i))
        .date(SystemTime::now())
        .body(body)
        .unwrap()
}

pub fn plain(addr: SocketAddr, connections: usize) -> ServerConfig {
    let mut s = ServerConfig::new(addr.ip().to_string(), addr.port()).connections(connections);
    s.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        io: Duration::from_secs(3),
    };
    s
}

/// Posts `count` text articles of `size` bytes and returns the report.
pub async fn post_all(config: PostConfig, tag: &str, count: usize, size: usize) -> PostReport {
    post_with(config, tag, count, move |i| body(i as u64, size)).await
}

/// Posts `count` yEnc articles of `part_len` data bytes each.
pub async fn post_yenc(config: PostConfig, tag: &str, count: usize, part_len: usize) -> PostReport {
    post_with(config, tag, count, move |i| yenc_body(i, count, part_len)).await
}

async fn post_with(
    config: PostConfig,
    tag: &str,
    count: usize,
    make: impl Fn(usize) -> Bytes + Send + 'static,
) -> PostReport {
    let (queue, job) = Poster::start(config, None).unwrap();
    let tag2 = tag.to_string();
    let producer = tokio::spawn(async move {
        for i in 0..count {
            queue.send(article(&tag2, i, make(i))).await.unwrap();
        }
    });
    producer.await.unwrap();
    job.finish().await.unwrap()
}

/// The round-trip bar: `count` yEnc parts of `part_len` bytes posted to
/// `server` with a post check after `check_delay`, none lost, every one
/// checked; then each read back by Message-ID over 4 connections, present
/// by STAT and decoding to the bytes sent.
pub async fn round_trip(
    server: &ServerConfig,
    tag: &str,
    count: usize,
    part_len: usize,
    check_delay: Duration,
) -> PostReport {
    let mut cfg = PostConfig::new(vec![server.clone()]);
    cfg.check = Some(CheckConfig {
        delay: check_delay,
        server: None,
        connections: 2,
    });
    let report = post_yenc(cfg, tag, count, part_len).await;
    assert_eq!(report.articles, count as u64, "{report:?}");
    assert!(
        report.failed.is_empty() && report.missing.is_empty(),
        "{report:?}"
    );
    assert_eq!(report.checked, count as u64);

    let mut readers = Vec::new();
    for r in 0..4 {
        let (server, tag) = (server.clone(), tag.to_string());
        readers.push(tokio::spawn(async move {
            let mut conn = Connection::connect(&server).await.unwrap();
            for i in (r..count).step_by(4) {
                let id = message_id(&tag, i);
                assert!(conn.stat(&id).await.unwrap(), "{id} missing");
                let got = conn.body(&id).await.unwrap().expect("body");
                assert_decodes_to(&got, i, part_len);
            }
            assert!(!conn.stat("<absent@ap-test.invalid>").await.unwrap());
            conn.quit().await;
        }));
    }
    for r in readers {
        r.await.unwrap();
    }
    report
}

/// Reads each of the `count` text articles of [`post_all`] back from
/// `server` by Message-ID and checks it holds what was sent.
pub async fn assert_all_stored(server: &ServerConfig, tag: &str, count: usize, size: usize) {
    let mut conn = Connection::connect(server).await.unwrap();
    for i in 0..count {
        let got = conn
            .body(&message_id(tag, i))
            .await
            .unwrap()
            .expect("stored");
        assert!(got == body(i as u64, size), "article {i} differs");
    }
    conn.quit().await;
}
