#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Post and fetch round trips through the embedded spool and INN2: a tree
//! with large, small, empty, non-ASCII and nested entries comes back
//! byte-identical (contents, names, mtimes), also after articles vanished
//! from the server and PAR2 rebuilt them, and after a post through a proxy
//! that breaks connections.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use ap_nntp_post::{Password, ServerConfig};
use ap_pipeline::{FetchOptions, Fetched, PostOptions, Posted, Target, fetch, post};
use ap_secret_codec::Descriptor;

fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("nested/deeper/deepest")).unwrap();
    fs::create_dir_all(root.join("empty dir")).unwrap();
    fs::write(root.join("large.bin"), ap_tests::noise(1, 5_000_000)).unwrap();
    fs::write(root.join("small.txt"), b"small file\n").unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("naïve ünïcødé 日本.txt"), "non-ASCII name\n").unwrap();
    fs::write(
        root.join("nested/deeper/deepest/leaf.bin"),
        ap_tests::noise(2, 300_000),
    )
    .unwrap();
    fs::write(root.join("nested/mid.txt"), "middle\n".repeat(1000)).unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    for f in ["large.bin", "small.txt", "nested/mid.txt"] {
        fs::File::options()
            .write(true)
            .open(root.join(f))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
}

/// Every entry under `root`: relative path to a line naming its kind, size,
/// a hash of its contents and its mtime in 7z's 100 ns units (directories
/// carry no mtime: extracting into them changes it).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p.clone());
                out.insert(rel, "dir".into());
            } else {
                let data = fs::read(&p).unwrap();
                let mut h = std::collections::hash_map::DefaultHasher::new();
                data.hash(&mut h);
                let t = meta
                    .modified()
                    .unwrap()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap();
                let ticks = t.as_nanos() / 100;
                out.insert(
                    rel,
                    format!("file {} {:016x} {ticks}", data.len(), h.finish()),
                );
            }
        }
    }
    out
}

fn options(work: &Path) -> PostOptions {
    PostOptions {
        title: "round trip".into(),
        // Several volumes, each with articles enough for PAR2 to rebuild one.
        article_size: 64 * 1024,
        volume_size: 2 << 20,
        redundancy: 10.0,
        kdf_power: 6,
        work_dir: work.to_path_buf(),
        check_delay: Duration::from_millis(50),
        ..PostOptions::default()
    }
}

/// A work folder with the test tree in `src`, and the embedded spool in
/// `spool` as the target.
fn spool_job() -> (tempfile::TempDir, PathBuf, Target) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    make_tree(&src);
    let target = Target::Spool {
        dir: dir.path().join("spool"),
        connections: 3,
    };
    (dir, src, target)
}

/// The descriptor survives its own encoding and gives the NZB the post
/// wrote, so the secret rebuilds it; returns the encoding.
fn the_secret_rebuilds_the_nzb(posted: &Posted) -> Vec<u8> {
    let d = &posted.descriptor;
    let bytes = d.encode().unwrap();
    assert!(ap_secret_codec::Descriptor::decode(&bytes).unwrap() == *d);
    assert_eq!(posted.nzb, ap_secret_codec::to_nzb(d).to_xml().unwrap());
    bytes
}

/// Fetches the set `d` from `target` into `out`, working under `work`.
fn fetch_into(d: &Descriptor, target: &Target, out: &Path, work: &Path) -> Fetched {
    let options = FetchOptions {
        work_dir: work.to_path_buf(),
        repair_memory: 64 << 20,
        overwrite: false,
    };
    fetch(d, target, out, &options, None).unwrap()
}

/// Message-IDs (with angle brackets) of about `percent` of the set's data
/// articles, at most one per volume, so each volume stays repairable.
fn victims(posted: &Posted, percent: f64) -> Vec<String> {
    let d = &posted.descriptor;
    let groups = ap_pipeline::layout::groups(&d.files).unwrap();
    let articles: u32 = (0..d.files.len()).map(|i| d.parts(i)).sum();
    let want = ((f64::from(articles) * percent / 100.0).ceil() as usize).max(1);
    groups
        .iter()
        .cycle()
        .take(want.min(groups.len()))
        .enumerate()
        .map(|(n, g)| {
            let parts = d.parts(g.data as usize);
            let part = 1 + (n as u32 * 7) % parts;
            format!("<{}>", d.key.message_id(g.data, part, 0, &d.domain))
        })
        .collect()
}

#[test]
fn spool_round_trip_then_repair_after_losing_articles() {
    let (dir, src, target) = spool_job();
    // Copy: every size is known up front, so the volumes stream.
    let mut opts = options(dir.path());
    opts.method = ap_archive::Method::Copy;
    let posted = post(&src, &opts, &target, None).unwrap();
    assert!(posted.embedded_spool);
    assert!(posted.streamed);
    assert!(posted.volumes >= 3, "{posted:?}");
    assert_eq!(the_secret_rebuilds_the_nzb(&posted)[0], 1);
    // Nothing left in the staging folder.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("post-"))
        .collect();
    assert!(leftovers.is_empty());

    let out = dir.path().join("out");
    let fetched = fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!(fetched.missing_articles, 0);
    assert_eq!(snapshot(&src), snapshot(&out));

    let spool = ap_news_spool::Spool::open(&dir.path().join("spool"), Default::default()).unwrap();
    nzb_names_match_the_par2_data(&posted, &spool);

    // Delete about 3% of the articles from the spool's disk.
    let gone = victims(&posted, 3.0);
    for id in &gone {
        fs::remove_file(spool.path_for(id)).unwrap();
    }
    let out2 = dir.path().join("out2");
    let fetched = fetch_into(&posted.descriptor, &target, &out2, dir.path());
    assert_eq!(fetched.missing_articles, gone.len() as u64);
    assert!(fetched.repaired_slices > 0);
    assert_eq!(snapshot(&src), snapshot(&out2));
}

/// The decoded bytes of posted file `index`, read from the spool's disk.
fn posted_file(posted: &Posted, spool: &ap_news_spool::Spool, index: u32) -> Vec<u8> {
    let d = &posted.descriptor;
    let mut out = Vec::new();
    for part in 1..=d.parts(index as usize) {
        let id = d.message_id(index, part);
        let article = fs::read(spool.path_for(&format!("<{id}>"))).unwrap();
        let body = article
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|at| &article[at + 4..])
            .expect("a head and a body");
        out.extend(ap_yenc::decode_part(body).unwrap().data);
    }
    out
}

/// PAR2 packets of `kind` (`RecvSlic`, `FileDesc`) in a file: their bodies.
fn packets<'a>(data: &'a [u8], kind: &[u8; 8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 64 <= data.len() && &data[at..at + 8] == b"PAR2\0PKT" {
        let len = u64::from_le_bytes(data[at + 8..at + 16].try_into().unwrap()) as usize;
        if &data[at + 48..at + 56] == b"PAR 2.0\0" && &data[at + 56..at + 64] == kind {
            out.push(&data[at + 64..at + len]);
        }
        at += len;
    }
    out
}

/// The NZB's names are the set's own: each volume's PAR2 index describes a
/// file of the volume's name, and `VOLUME.volA+B.par2` holds the B
/// recovery slices from exponent A of that volume's set.
fn nzb_names_match_the_par2_data(posted: &Posted, spool: &ap_news_spool::Spool) {
    let names = ap_secret_codec::file_names(&posted.descriptor);
    let (mut indexes, mut recovery_files) = (0, 0);
    for (i, name) in names.iter().enumerate() {
        let Some(volume) = name.strip_suffix(".par2") else {
            continue;
        };
        let data = posted_file(posted, spool, i as u32);
        match volume.rsplit_once(".vol") {
            Some((volume, range)) => {
                let (a, b) = range.split_once('+').unwrap();
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                let exponents: Vec<u32> = packets(&data, b"RecvSlic")
                    .iter()
                    .map(|p| u32::from_le_bytes(p[..4].try_into().unwrap()))
                    .collect();
                assert_eq!(exponents, (a..a + b).collect::<Vec<_>>(), "{name}");
                assert!(names.contains(&volume.to_string()), "{name}");
                recovery_files += 1;
            }
            None => {
                let descs = packets(&data, b"FileDesc");
                assert_eq!(descs.len(), 1, "{name}");
                // File ID, MD5, 16k MD5, length, then the NUL-padded name.
                let described = String::from_utf8_lossy(&descs[0][56..]);
                assert_eq!(described.trim_end_matches('\0'), volume, "{name}");
                indexes += 1;
            }
        }
    }
    assert_eq!(indexes, posted.volumes, "{names:?}");
    assert!(recovery_files >= indexes, "{names:?}");
}

#[test]
fn a_set_above_the_split_threshold_is_posted_in_parts_and_comes_back_whole() {
    let (dir, src, target) = spool_job();
    // About 5.6 MB of data: above 4 MB it splits into parts of about 2 MB,
    // each cut into 1 MiB volumes with their own PAR2 sets. Auto: the part
    // holding large.bin is stored and streams, the text part is compressed.
    let mut opts = options(dir.path());
    opts.volume_size = 1 << 20;
    opts.split_above = 4_000_000;
    opts.part_size = 2_000_000;
    let posted = post(&src, &opts, &target, None).unwrap();
    let parts = ap_pipeline::parts::split_tree(
        &ap_archive::scan(&src).unwrap(),
        opts.split_above,
        opts.part_size,
    );
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let d = &posted.descriptor;
    let starts = d
        .files
        .iter()
        .filter(|f| f.role == ap_secret_codec::Role::PartStart)
        .count();
    assert_eq!(starts, parts.len() - 1, "one part start per later part");
    let groups = ap_pipeline::layout::groups(&d.files).unwrap();
    assert_eq!(groups.len(), posted.volumes);
    assert!(
        groups.iter().all(|g| !g.par2.is_empty()),
        "every volume has its own PAR2 set"
    );
    // One descriptor and one NZB for the whole set; the secret carries it.
    let bytes = the_secret_rebuilds_the_nzb(&posted);
    assert_eq!(bytes[0], 2, "split sets are descriptor version 2");
    // Each part's volumes are named after its own first volume.
    let spool = ap_news_spool::Spool::open(&dir.path().join("spool"), Default::default()).unwrap();
    nzb_names_match_the_par2_data(&posted, &spool);

    let out = dir.path().join("out");
    fetch_into(d, &target, &out, dir.path());
    assert_eq!(snapshot(&src), snapshot(&out));

    // An article lost in every volume of every part: each volume's own PAR2
    // set rebuilds it.
    let gone = victims(&posted, 100.0);
    assert_eq!(gone.len(), groups.len());
    for id in &gone {
        fs::remove_file(spool.path_for(id)).unwrap();
    }
    let out2 = dir.path().join("out2");
    let fetched = fetch_into(d, &target, &out2, dir.path());
    assert_eq!(fetched.missing_articles, gone.len() as u64);
    assert_eq!(fetched.repaired_volumes, groups.len());
    assert_eq!(snapshot(&src), snapshot(&out2));
}

fn inn2_target(connections: usize) -> (Target, ap_tests::NewsServer) {
    let inn = ap_tests::inn2();
    let (host, port) = inn.addr.rsplit_once(':').unwrap();
    let server = ServerConfig::new(host, port.parse().unwrap())
        .login(inn.user.clone(), Password::new(inn.pass.clone()))
        .connections(connections);
    (Target::Servers(vec![server]), inn)
}

#[test]
fn inn2_round_trip_then_repair_after_cancels() {
    let (target, inn) = inn2_target(4);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    make_tree(&src);
    let mut opts = options(dir.path());
    opts.groups = vec![inn.group.clone()];
    // Auto compresses the text files; with no memory for them the volumes
    // are staged first.
    opts.compress_in_memory = 0;
    let posted = post(&src, &opts, &target, None).unwrap();
    assert!(!posted.embedded_spool);
    assert!(!posted.streamed);
    assert_eq!(posted.reposted, 0);

    let out = dir.path().join("out");
    fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!(snapshot(&src), snapshot(&out));

    // Cancel about 3% of the articles on the server (ctlinnd, as the news
    // admin), then fetch again: PAR2 rebuilds them.
    let gone = victims(&posted, 3.0);
    for id in &gone {
        let status = Command::new("ctlinnd")
            .args(["-s", "cancel", id])
            .status()
            .expect("ctlinnd (package inn2) cancels articles on the test server");
        assert!(status.success(), "ctlinnd cancel {id} failed");
    }
    let out2 = dir.path().join("out2");
    let fetched = fetch_into(&posted.descriptor, &target, &out2, dir.path());
    assert_eq!(fetched.missing_articles, gone.len() as u64);
    assert!(fetched.repaired_volumes > 0);
    assert_eq!(snapshot(&src), snapshot(&out2));
}

/// The bar faults (5% of POSTs dropped mid-article, 2% answered
/// 441, 1% stalled) plus 2% of replies lost after INN2 took the article,
/// between a whole post job and INN2: the set comes back whole from INN2
/// with no article missing, so nothing was lost and PAR2 had nothing to do.
#[test]
fn a_set_posted_to_inn2_through_faults_comes_back_whole_with_nothing_lost() {
    let (target, inn) = inn2_target(4);
    let Target::Servers(servers) = &target else {
        unreachable!()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt
        .block_on(ap_fault_proxy::FaultProxy::start(
            "127.0.0.1:0".parse().unwrap(),
            inn.addr.parse().unwrap(),
            ap_fault_proxy::FaultConfig {
                seed: 24,
                drop_mid_article: 0.05,
                reject_441: 0.02,
                stall_mid_article: 0.01,
                drop_after_article: 0.02,
                article_bytes_hint: 60_000,
                ..Default::default()
            },
        ))
        .unwrap();
    let mut through = servers[0].clone();
    through.host = proxy.local_addr().ip().to_string();
    through.port = proxy.local_addr().port();
    // A stall is noticed after 1.5 s instead of the default minute.
    through.timeouts.io = Duration::from_millis(1500);

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    make_tree(&src);
    let mut opts = options(dir.path());
    opts.groups = vec![inn.group.clone()];
    let posted = post(&src, &opts, &Target::Servers(vec![through]), None).unwrap();
    let stats = proxy.stats();
    // This seed strikes with every kind of fault (it is 7 drops, 2 stalls,
    // one 441 and 5 lost replies in 112 POSTs).
    for (what, n) in [
        ("drops", stats.dropped),
        ("stalls", stats.stalled),
        ("441", stats.rejected_441),
        ("lost replies", stats.replies_lost),
    ] {
        assert!(n > 0, "no {what} injected: {stats:?}");
    }
    let refused = stats.dropped + stats.stalled + stats.rejected_441;
    assert!(
        posted.retries >= refused,
        "{} retries, {stats:?}",
        posted.retries
    );
    // Each article was sent again only when the server had not stored it:
    // one POST per article plus one per drop, stall or 441, none for a lost
    // reply (STAT found those).
    assert_eq!(stats.posts, posted.articles + refused, "{stats:?}");
    // Every article reached INN2 under its first Message-ID.
    assert_eq!(posted.reposted, 0, "{stats:?}");

    let out = dir.path().join("out");
    let fetched = fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!((fetched.missing_articles, fetched.damaged_articles), (0, 0));
    assert_eq!(fetched.repaired_volumes, 0);
    assert_eq!(snapshot(&src), snapshot(&out));
}

#[test]
fn a_refused_login_stops_the_job_before_anything_is_posted() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    make_tree(&src);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ap_news_spool::SpoolConfig {
        login: Some(("user".into(), "right".into())),
        ..Default::default()
    };
    let spool = ap_news_spool::Spool::open(&dir.path().join("spool"), config).unwrap();
    let server = runtime
        .block_on(ap_news_spool::SpoolServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            spool,
        ))
        .unwrap();
    let addr = server.local_addr();
    let target = Target::Servers(vec![
        ServerConfig::new(addr.ip().to_string(), addr.port())
            .login("user", Password::new("wrong"))
            .connections(2),
    ]);
    let err = post(&src, &options(dir.path()), &target, None).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("nothing was posted"), "{text}");
    assert!(!text.contains("wrong"), "the password leaked: {text}");
    assert_eq!(server.spool().stats().stored, 0);
    assert!(server.spool().article_files().unwrap().is_empty());
    runtime.block_on(server.shutdown());
}

#[test]
fn an_article_lost_after_posting_is_posted_again_under_the_next_attempt() {
    lost_article_is_posted_again(ap_archive::Method::Copy);
}

#[test]
fn a_lost_article_of_a_compressed_set_is_posted_again_too() {
    lost_article_is_posted_again(ap_archive::Method::Lzma2);
}

/// The server loses the first article it stored, after accepting it: the
/// check finds it missing and it is posted again under attempt 1, its bytes
/// made again by writing the (byte-repeatable) archive a second time.
fn lost_article_is_posted_again(method: ap_archive::Method) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    make_tree(&src);
    let spool_dir = dir.path().join("spool");
    let target = Target::Spool {
        dir: spool_dir.clone(),
        connections: 2,
    };
    // The server loses the first article it stored, after accepting it.
    let articles = spool_dir.join("articles");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let deleter = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let first = walk_files(&articles).into_iter().next();
            if let Some(f) = first
                && fs::remove_file(&f).is_ok()
            {
                return Some(f);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    });
    let mut opts = options(dir.path());
    opts.method = method;
    // Compressed folders take the staged path.
    opts.compress_in_memory = 0;
    opts.check_delay = Duration::from_millis(1500);
    let posted = post(&src, &opts, &target, None).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(deleter.join().unwrap().is_some(), "no article was deleted");
    assert_eq!(posted.streamed, method == ap_archive::Method::Copy);
    assert_eq!(posted.reposted, 1);
    assert_eq!(posted.descriptor.reposts.len(), 1);
    assert_eq!(posted.descriptor.reposts[0].attempt, 1);

    let out = dir.path().join("out");
    let fetched = fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!(fetched.missing_articles, 0);
    assert_eq!(snapshot(&src), snapshot(&out));
}

#[test]
fn compressed_archives_are_staged_or_streamed_and_come_back_too() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("docs")).unwrap();
    fs::write(
        src.join("docs/text.txt"),
        "compressible text\n".repeat(200_000),
    )
    .unwrap();
    fs::write(src.join("random.bin"), ap_tests::noise(9, 500_000)).unwrap();
    let target = Target::Spool {
        dir: dir.path().join("spool"),
        connections: 2,
    };
    let mut opts = options(dir.path());
    opts.method = ap_archive::Method::Lzma2;
    opts.compress_in_memory = 0;
    let posted = post(&src, &opts, &target, None).unwrap();
    assert!(!posted.streamed);
    assert!(posted.archive_bytes < posted.data_bytes);
    let out = dir.path().join("out");
    fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!(snapshot(&src), snapshot(&out));

    // With memory for them (the default) the same folder streams: no
    // volume is staged on disk, and it comes back the same.
    opts.compress_in_memory = ap_archive::COMPRESS_IN_MEMORY;
    let posted = post(&src, &opts, &target, None).unwrap();
    assert!(posted.streamed);
    assert!(posted.archive_bytes < posted.data_bytes);
    let out = dir.path().join("out-streamed");
    fetch_into(&posted.descriptor, &target, &out, dir.path());
    assert_eq!(snapshot(&src), snapshot(&out));
}

fn walk_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
