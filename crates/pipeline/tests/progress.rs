#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What a post job reports while it runs, for the binaries' progress bars:
//! through a fault proxy in front of INN2 that turns some POSTs into 441s,
//! every article the job counts was reported posted and checked, every
//! retry was reported with its reason, and the connection counts stay
//! within the pool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ap_fault_proxy::{FaultConfig, FaultProxy};
use ap_nntp_post::{Password, ServerConfig};
use ap_pipeline::{PostOptions, Progress, ProgressSink, Target};

#[derive(Default)]
struct Seen {
    posted: u64,
    retries: Vec<String>,
    present: u64,
    absent: u64,
    connections: Vec<(usize, usize)>,
}

#[test]
fn a_post_reports_articles_retries_checks_and_busy_connections() {
    let inn = ap_tests::inn2();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt
        .block_on(FaultProxy::start(
            "127.0.0.1:0".parse().unwrap(),
            inn.addr.parse().unwrap(),
            FaultConfig {
                seed: 7,
                reject_441: 0.15,
                ..FaultConfig::default()
            },
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.bin"), ap_tests::noise(5, 1 << 20)).unwrap();
    let mut server =
        ServerConfig::parse(&format!("nntp://{}@{}", inn.user, proxy.local_addr())).unwrap();
    server.password = Some(Password::new(inn.pass.clone()));
    let target = Target::Servers(vec![server.connections(3)]);
    let options = PostOptions {
        groups: vec![inn.group.clone()],
        article_size: 64 * 1024,
        kdf_power: 6,
        work_dir: dir.path().to_path_buf(),
        check_delay: Duration::from_millis(50),
        ..PostOptions::default()
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink: ProgressSink = {
        let seen = seen.clone();
        Arc::new(move |p: &Progress| {
            let mut s = seen.lock().unwrap();
            match p {
                Progress::Posted => s.posted += 1,
                Progress::Retry(why) => s.retries.push(why.clone()),
                Progress::Checked { present: true } => s.present += 1,
                Progress::Checked { present: false } => s.absent += 1,
                Progress::Connections { posting, open } => s.connections.push((*posting, *open)),
                _ => {}
            }
        })
    };
    let posted = ap_pipeline::post(&src, &options, &target, Some(sink)).unwrap();
    let s = seen.lock().unwrap();

    assert!(posted.articles > 20, "{} articles", posted.articles);
    assert_eq!(s.posted, posted.articles);
    assert_eq!(s.present, posted.articles, "every posted article checked");
    assert_eq!(s.absent, 0);
    assert!(proxy.stats().rejected_441 > 0);
    assert_eq!(s.retries.len() as u64, posted.retries);
    assert!(
        posted.retries >= proxy.stats().rejected_441,
        "{}",
        posted.retries
    );
    assert!(
        s.retries.iter().all(|r| r.contains("441")),
        "{:?}",
        s.retries
    );
    // Three posting connections; the check's are not counted.
    assert!(s.connections.iter().all(|&(p, o)| p <= o && o <= 3));
    assert!(s.connections.iter().any(|&(p, _)| p >= 1));
    assert_eq!(s.connections.last().map(|c| c.0), Some(0));
}
