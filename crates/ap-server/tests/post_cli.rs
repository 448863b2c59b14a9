#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-server post` as users run it: the secret alone on standard output,
//! the NZB written at post time equal to the one the secret rebuilds, and a
//! source it cannot read stopping the job before anything is posted.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::ap_server;

fn spool_articles(home: &Path) -> usize {
    common::spool_articles(&home.join("data/ap/spool"))
}

#[test]
fn post_prints_only_the_secret_and_the_nzb_it_rebuilds() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("a.txt"), "alpha\n".repeat(5000)).unwrap();
    fs::write(src.join("sub/ünï.bin"), vec![7u8; 100_000]).unwrap();
    let me = age::x25519::Identity::generate();
    let nzb = home.path().join("set.nzb");
    let out: Output = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args(["--title", "cli test", "--redundancy", "5", "--recipient"])
        .arg(me.to_public().to_string())
        .arg("--nzb-out")
        .arg(&nzb)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("embedded news spool"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {stdout}");
    assert!(lines[0].starts_with("ap1_"));

    let ids: ap_secret_codec::recipients::Identities = vec![Box::new(me)];
    let d = ap_secret_codec::open(lines[0], &ids).unwrap();
    assert_eq!(d.title, "cli test");
    let rebuilt = ap_secret_codec::to_nzb(&d).to_xml().unwrap();
    assert_eq!(fs::read_to_string(&nzb).unwrap(), rebuilt);
    assert!(spool_articles(home.path()) > 0);
    // The set is recorded, readable by the owner only.
    let sets: Vec<_> = fs::read_dir(home.path().join("data/ap/sets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sets.len(), 1);
    assert_eq!(
        fs::metadata(&sets[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Nothing staged is left behind.
    let work = home.path().join("data/ap/work");
    assert_eq!(fs::read_dir(work).unwrap().count(), 0);
}

#[test]
fn a_set_above_split_above_is_posted_in_parts_of_part_size() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    fs::create_dir_all(src.join("b")).unwrap();
    for (name, seed) in [("a1.bin", 1u8), ("a2.bin", 2), ("b/b1.bin", 3)] {
        // Incompressible, so the parts keep their sizes.
        let mut x = u32::from(seed).wrapping_mul(2_654_435_761);
        let data: Vec<u8> = (0..1_200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        fs::write(src.join(name), data).unwrap();
    }
    let me = age::x25519::Identity::generate();
    let recipient = me.to_public().to_string();
    let out: Output = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args([
            "--split-above",
            "3M",
            "--part-size",
            "1M",
            "--volume-size",
            "1M",
        ])
        .args(["--recipient", &recipient])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("posting 3 parts"), "{stderr}");
    let secret = String::from_utf8(out.stdout).unwrap();
    let ids: ap_secret_codec::recipients::Identities = vec![Box::new(me)];
    let d = ap_secret_codec::open(secret.trim(), &ids).unwrap();
    let starts = d
        .files
        .iter()
        .filter(|f| f.role == ap_secret_codec::Role::PartStart)
        .count();
    assert_eq!(starts, 2, "three parts: two part starts after the first");

    // Below the threshold the same folder is one archive.
    let out: Output = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .args(["--split-above", "10M", "--volume-size", "1M"])
        .args(["--recipient", &recipient])
        .output()
        .unwrap();
    assert!(out.status.success());
    let d = ap_secret_codec::open(String::from_utf8(out.stdout).unwrap().trim(), &ids).unwrap();
    assert!(
        d.files
            .iter()
            .all(|f| f.role != ap_secret_codec::Role::PartStart)
    );
}

#[test]
fn an_unreadable_file_stops_the_job_before_anything_is_posted() {
    let home = tempfile::tempdir().unwrap();
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let src = home.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("fine.txt"), "fine\n").unwrap();
    fs::write(src.join("locked.bin"), "secret\n").unwrap();
    fs::set_permissions(src.join("locked.bin"), fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = if fs::File::open(src.join("locked.bin")).is_ok() {
        // Root reads anything: run the job as nobody, for whom the file is
        // unreadable as it would be for a user.
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_ap-server"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env_remove("AP_NNTP_PASSWORD");
        c
    } else {
        ap_server(home.path())
    };
    let out = cmd.arg("post").arg(&src).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "one clear error: {stderr}");
    assert!(stderr.starts_with("ap-server: error:"), "{stderr}");
    assert!(stderr.contains("locked.bin"), "{stderr}");
    assert!(stderr.contains("nothing was posted"), "{stderr}");
    assert_eq!(spool_articles(home.path()), 0);
}

/// Kill -9 at ten points of a post, then run it again each time: the job
/// continues the same set (same key, so every article on the server belongs
/// to the final NZB and none is stored twice), and the result comes back
/// whole.
#[test]
fn a_post_killed_at_ten_points_resumes_the_same_set() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    // Large enough, with kill points close enough, that a fast machine still
    // sees the job killed at least five times before it can finish.
    fs::write(src.join("a.bin"), ap_tests::noise(5, 9_000_000)).unwrap();
    fs::write(src.join("d/b.bin"), ap_tests::noise(6, 3_000_000)).unwrap();
    fs::write(src.join("d/c.txt"), "text\n").unwrap();
    fs::create_dir_all(home.path().join("config/ap")).unwrap();
    fs::write(
        home.path().join("config/ap/config.toml"),
        "article_size = 65536\nvolume_size = \"2M\"\nredundancy = 10\n",
    )
    .unwrap();
    let me = age::x25519::Identity::generate();
    let recipient = me.to_public().to_string();
    let nzb = home.path().join("set.nzb");
    let run = |cmd: &mut Command| {
        cmd.arg("post")
            .arg(&src)
            .args(["--recipient", &recipient, "--nzb-out"])
            .arg(&nzb)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
    };
    let mut delay = 80u64;
    let mut kills = 0;
    let mut finished = None;
    while kills < 10 {
        let mut cmd = ap_server(home.path());
        run(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if child.try_wait().unwrap().is_some() {
            // It finished before the kill: that run is the end state.
            finished = Some(child.wait_with_output().unwrap());
            break;
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        kills += 1;
        delay = 40 + (delay * 7919 + 13) % 400;
    }
    let out = match finished {
        Some(out) => out,
        None => {
            let mut cmd = ap_server(home.path());
            run(&mut cmd);
            cmd.output().unwrap()
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        kills >= 5,
        "only {kills} runs were killed; the post is too quick to test"
    );
    assert!(stderr.contains("resuming the interrupted post"), "{stderr}");
    let secret = String::from_utf8(out.stdout).unwrap();
    let ids: ap_secret_codec::recipients::Identities = vec![Box::new(me)];
    let d = ap_secret_codec::open(secret.trim(), &ids).unwrap();
    let rebuilt = ap_secret_codec::to_nzb(&d);
    assert_eq!(fs::read_to_string(&nzb).unwrap(), rebuilt.to_xml().unwrap());

    // Every stored article is one of the final set's, each stored once.
    let spool =
        ap_news_spool::Spool::open(&home.path().join("data/ap/spool"), Default::default()).unwrap();
    let stored: std::collections::BTreeSet<_> =
        spool.article_files().unwrap().into_iter().collect();
    let wanted: std::collections::BTreeSet<_> = rebuilt
        .files
        .iter()
        .flat_map(|f| f.segments.iter())
        .map(|s| spool.path_for(&format!("<{}>", s.message_id)))
        .collect();
    let strays = stored.difference(&wanted).count();
    let lost = wanted.difference(&stored).count();
    assert_eq!(
        (strays, lost),
        (0, 0),
        "{} stored, {} in the NZB",
        stored.len(),
        wanted.len()
    );
    // The journal is gone once the post succeeded.
    let journal = home.path().join("data/ap/journal");
    assert_eq!(fs::read_dir(journal).map(|r| r.count()).unwrap_or(0), 0);

    let target = ap_pipeline::Target::Spool {
        dir: home.path().join("data/ap/spool"),
        connections: 2,
    };
    let restored = home.path().join("restored");
    let options = ap_pipeline::FetchOptions {
        work_dir: home.path().to_path_buf(),
        repair_memory: 64 << 20,
        overwrite: false,
    };
    ap_pipeline::fetch(&d, &target, &restored, &options, None).unwrap();
    for f in ["a.bin", "d/b.bin", "d/c.txt"] {
        assert_eq!(
            fs::read(src.join(f)).unwrap(),
            fs::read(restored.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn completions_cover_every_command_and_the_posting_flags() {
    ap_tests::check_completions(
        Path::new(env!("CARGO_BIN_EXE_ap-server")),
        &[
            "post",
            "queue",
            "spool",
            "ledger",
            "--check-server",
            "--check-delay",
            "--rate-limit",
            "--article-size",
        ],
    );
}
