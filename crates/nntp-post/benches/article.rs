//! Building one 716800-byte yEnc article, the bench's article size: the
//! general path (encode into a scratch buffer, copy into `Bytes`, scan the
//! body for wire form) against [`ArticleBuilder::yenc_part`] (encode into
//! the buffer that becomes the body; no copy, no scan), and the wire-form
//! scan on its own. The side-by-side against Nyuu and pesto is
//! `cargo xtask bench post` with `examples/post-files.rs`.

use ap_nntp_post::{ArticleBuilder, BufferPool, to_wire_body};
use ap_yenc::{PartInfo, encode_part_into};
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const PART: usize = 716_800;

fn builder() -> ArticleBuilder {
    ArticleBuilder::new()
        .from("a <b@c.invalid>")
        .newsgroup("alt.binaries.test")
        .subject("s yEnc (1/1)")
        .message_id("0123456789abcdef@bench.invalid")
}

fn bench(c: &mut Criterion) {
    let data = ap_tests::noise(1, PART);
    let info = PartInfo::new("f", PART as u64, 1, 1, 0, PART as u64);
    let mut g = c.benchmark_group("article/716800");
    g.throughput(Throughput::Bytes(PART as u64));

    let mut scratch = vec![0u8; info.max_encoded_len()];
    g.bench_function("encode, copy, body()", |b| {
        b.iter(|| {
            let (n, _) = encode_part_into(&info, &data, &mut scratch).expect("room");
            let body = Bytes::copy_from_slice(&scratch[..n]);
            black_box(builder().body(body).expect("article"))
        })
    });

    // The buffer comes back when the article is dropped, as in the pipeline
    // and post-files.
    let buffers = BufferPool::new();
    g.bench_function("yenc_part()", |b| {
        b.iter(|| {
            let buf = buffers.take(info.max_encoded_len());
            let (article, _) = builder().yenc_part(&info, &data, buf).expect("article");
            black_box(&article);
        })
    });

    let (n, _) = encode_part_into(&info, &data, &mut scratch).expect("room");
    let body = Bytes::copy_from_slice(&scratch[..n]);
    g.bench_function("wire-form scan", |b| {
        b.iter(|| black_box(to_wire_body(black_box(body.clone()))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
