#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The post check and the upload limit as `ap-server post` exposes them:
//! `--check-server` asks another server (with its own password) whether
//! every article arrived, `--check-delay` waits before asking,
//! `--rate-limit` paces the upload and `--article-size` sets the article
//! size. Against INN2 and standalone spools.

use std::fs;
use std::path::Path;
use std::process::Output;

mod common;

use common::{Spool, ap_server};

/// A folder of about `n` bytes that do not compress.
fn source(home: &Path, n: usize) -> std::path::PathBuf {
    let src = home.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("data.bin"), ap_tests::noise(11, n)).unwrap();
    fs::write(src.join("notes.txt"), "check me\n".repeat(100)).unwrap();
    src
}

/// The `--json` summary, the last line of standard error.
fn summary(out: &Output) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().rev().find(|l| l.starts_with('{'));
    serde_json::from_str(line.unwrap_or_else(|| panic!("no summary: {stderr}"))).unwrap()
}

#[test]
fn a_paced_post_to_inn2_is_checked_on_a_check_server_with_its_own_password() {
    let inn = ap_tests::inn2();
    let home = tempfile::tempdir().unwrap();
    let src = source(home.path(), 3 << 20);
    let rate: u64 = 2 << 20;
    let started = std::time::Instant::now();
    let out = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args(["--server", &format!("nntp://{}@{}", inn.user, inn.addr)])
        .args(["--group", &inn.group, "--json"])
        .args(["--rate-limit", "2M", "--check-delay", "300ms"])
        .args(["--article-size", "256K"])
        // The same INN2 under another name: the check logs in on its own.
        .args([
            "--check-server",
            &format!("nntp://{}@localhost:{}", inn.user, port(&inn.addr)),
        ])
        .env("AP_NNTP_PASSWORD", &inn.pass)
        .env("AP_NNTP_CHECK_PASSWORD", &inn.pass)
        .output()
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(&inn.pass), "{stderr}");
    let s = summary(&out);
    assert_eq!(s["reposted"], 0, "{s}");
    assert_eq!(s["retries"], 0, "{s}");
    // 3 MiB of data in articles of 256 KiB, then the PAR2 files.
    assert!(s["articles"].as_u64().unwrap() > 12, "{s}");
    // Paced: the limiter lets the first article go at once and books every
    // later byte at 2 MiB/s, so the job cannot take less than that.
    let wire = s["wire_bytes"].as_u64().unwrap();
    assert!(wire > 3 << 20, "{s}");
    let floor = (wire - 1_000_000) as f64 / rate as f64;
    assert!(
        elapsed >= floor,
        "{elapsed:.2} s for {wire} bytes at 2 MiB/s"
    );
}

#[test]
fn articles_missing_on_the_check_server_are_posted_again_then_reported() {
    let (posting, empty) = (Spool::start(), Spool::start());
    let home = tempfile::tempdir().unwrap();
    let src = source(home.path(), 50_000);
    let out = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args(["--server", &format!("nntp://{}", posting.addr)])
        .args(["--check-server", &format!("nntp://{}", empty.addr)])
        .args(["--check-delay", "50ms", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("still missing after 3 re-post rounds"),
        "{stderr}"
    );
    // Asked the empty server, which has nothing; posted the set four times
    // (once and three re-post rounds) under new Message-IDs.
    assert_eq!(empty.articles(), 0);
    let first = posting.articles();
    assert!(first > 0 && first % 4 == 0, "{first} articles");
}

#[test]
fn a_wrong_check_password_stops_the_job_before_anything_is_posted() {
    let inn = ap_tests::inn2();
    let posting = Spool::start();
    let home = tempfile::tempdir().unwrap();
    let src = source(home.path(), 10_000);
    let wrong = "not-the-check-password";
    let out = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args(["--server", &format!("nntp://{}", posting.addr)])
        .args([
            "--check-server",
            &format!("nntp://{}@{}", inn.user, inn.addr),
        ])
        .env("AP_NNTP_CHECK_PASSWORD", wrong)
        .output()
        .unwrap();
    let error = ap_tests::one_error_line(&out);
    assert!(error.contains("check server: news server"), "{error}");
    assert!(error.contains(&inn.addr), "{error}");
    assert!(error.contains("AP_NNTP_CHECK_PASSWORD"), "{error}");
    assert!(error.contains("nothing was posted"), "{error}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(wrong));
    assert_eq!(posting.articles(), 0);
}

#[test]
fn bad_check_and_rate_settings_are_refused_with_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let src = source(home.path(), 1_000);
    let refuse = |args: &[&str], want: &[&str]| {
        let out = ap_server(home.path())
            .arg("post")
            .arg(&src)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        for w in want {
            assert!(stderr.contains(w), "{args:?}: {stderr}");
        }
    };
    refuse(&["--check-delay", "soon"], &["\"soon\"", "30s"]);
    refuse(&["--rate-limit", "fast"], &["\"fast\"", "40M"]);
    refuse(
        &["--article-size", "700001"],
        &["\"700001\"", "multiple of 4"],
    );
    // The embedded spool is the only server: nobody else has its articles.
    refuse(
        &["--check-server", "nntp://127.0.0.1:9"],
        &["check server needs a news server to post to", "--server"],
    );
    assert_eq!(
        common::spool_articles(&home.path().join("data/ap/spool")),
        0
    );
}

fn port(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(_, p)| p)
}
