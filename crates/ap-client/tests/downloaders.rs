#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Third-party downloaders get a set back from the NZB `ap-client nzb`
//! writes, handed over by `ap-client send --nzbget` or `--sabnzbd`: NZBGet
//! and SABnzbd (Debian's) download it from INN2 with some articles
//! cancelled, repair each volume from its own PAR2 set, restore the
//! obfuscated names from the PAR2 data, unpack with the password, and the
//! result equals the source.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ap_nntp_post::{Password, ServerConfig};
use ap_pipeline::{PostOptions, Target};

mod common;

use ap_tests::run_with_stdin;
use common::files;

/// Their own control ports, so they never meet another test's daemon.
const CONTROL_PORT: u16 = 16793;
const SABNZBD_PORT: u16 = 16794;

/// A set posted to INN2 with one data article of each of its first
/// `damaged` volumes cancelled, its source folder, and its secret string.
struct Damaged {
    dir: tempfile::TempDir,
    src: PathBuf,
    secret: String,
}

fn post_damaged_set(inn: &ap_tests::NewsServer, damaged: usize) -> Damaged {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("nested/deeper")).unwrap();
    fs::write(src.join("large.bin"), ap_tests::noise(3, 3_000_000)).unwrap();
    fs::write(src.join("small.txt"), b"small\n").unwrap();
    fs::write(
        src.join("nested/deeper/leaf.bin"),
        ap_tests::noise(4, 200_000),
    )
    .unwrap();
    fs::write(src.join("nested/notes.txt"), "notes\n".repeat(300)).unwrap();

    let (host, port) = inn.addr.rsplit_once(':').unwrap();
    let server = ServerConfig::new(host, port.parse().unwrap())
        .login(inn.user.clone(), Password::new(inn.pass.clone()))
        .connections(4);
    let options = PostOptions {
        groups: vec![inn.group.clone()],
        article_size: 64 * 1024,
        volume_size: 1 << 20,
        kdf_power: 6,
        work_dir: dir.path().to_path_buf(),
        check_delay: Duration::from_millis(50),
        ..PostOptions::default()
    };
    let posted = ap_pipeline::post(&src, &options, &Target::Servers(vec![server]), None).unwrap();
    let recipients: ap_secret_codec::recipients::Recipients =
        vec![ap_secret_codec::parse_recipient(ap_secret_codec::PACKAGED_RECIPIENT).unwrap()];
    let secret = ap_secret_codec::seal(&posted.descriptor, &recipients).unwrap();

    // Cancel one data article of the first volumes: the downloader must repair.
    let d = &posted.descriptor;
    let groups = ap_pipeline::layout::groups(&d.files).unwrap();
    for g in groups.iter().take(damaged) {
        let id = format!("<{}>", d.key.message_id(g.data, 2, 0, &d.domain));
        let ok = Command::new("ctlinnd")
            .args(["-s", "cancel", &id])
            .status()
            .unwrap();
        assert!(ok.success(), "ctlinnd cancel {id}");
    }

    // The NZB as a user gets it: `ap-client nzb -` with the secret on stdin.
    let nzb = dir.path().join("set.nzb");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ap-client"));
    cmd.args(["nzb", "-", "-o"])
        .arg(&nzb)
        .env("XDG_CONFIG_HOME", dir.path().join("config"));
    ap_tests::succeeded(run_with_stdin(cmd, secret.expose()));
    assert_eq!(fs::read_to_string(&nzb).unwrap(), posted.nzb);
    Damaged {
        secret: secret.expose().to_owned(),
        dir,
        src,
    }
}

/// `ap-client send -` with the secret on stdin and `args`: whether it
/// succeeded, and what it said on standard error.
fn send(damaged: &Damaged, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut send = Command::new(env!("CARGO_BIN_EXE_ap-client"))
        .args(["send", "-"])
        .args(args)
        .env("XDG_CONFIG_HOME", damaged.dir.path().join("config"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    send.stdin
        .take()
        .unwrap()
        .write_all(damaged.secret.as_bytes())
        .unwrap();
    let out = send.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn nzbget_repairs_and_unpacks_a_set_from_the_nzb_of_ap_client() {
    let inn = ap_tests::inn2();
    let damaged = post_damaged_set(&inn, 2);
    let (dir, src) = (&damaged.dir, &damaged.src);

    let main_dir = dir.path().join("main");
    let conf = dir.path().join("nzbget.conf");
    let extra = [
        ("Server1.Connections", "4"),
        ("ParCheck", "auto"),
        ("Unpack", "yes"),
        ("UnpackCleanupDisk", "yes"),
        ("SevenZipCmd", "7z"),
    ];
    ap_tests::nzbget::write_config(&conf, &main_dir, &inn, CONTROL_PORT, &extra);
    let mut daemon = ap_tests::peer_command("nzbget")
        .arg("-c")
        .arg(&conf)
        .arg("-s")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Hand it over the way a user would: `ap-client send --nzbget`, which
    // queues the same NZB (and the password) through NZBGet's API.
    let added = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        send(
            &damaged,
            &["--nzbget", &format!("http://127.0.0.1:{CONTROL_PORT}")],
            &[
                ("AP_NZBGET_USER", "nzbget"),
                ("AP_NZBGET_PASSWORD", "tegbzn6789"),
            ],
        )
        .0
    });
    let mut last = String::new();
    let finished = added
        && (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            last = ap_tests::nzbget::history(CONTROL_PORT).unwrap_or_default();
            last.contains("\"Status\"") && !last.contains("\"result\" : [ ]")
        });
    let _ = ap_tests::peer_command("nzbget")
        .arg("-c")
        .arg(&conf)
        .arg("-Q")
        .output();
    let _ = daemon.wait();
    assert!(added, "ap-client send --nzbget did not queue the NZB");
    assert!(finished, "NZBGet did not finish within 60 s");
    assert!(
        last.contains("SUCCESS/UNPACK") || last.contains("\"Status\" : \"SUCCESS"),
        "history: {last}"
    );
    assert!(
        last.contains("REPAIR") || last.contains("\"ParStatus\" : \"SUCCESS\""),
        "history: {last}"
    );

    // NZBGet puts the unpacked tree under dst/<NZB name>.
    let dst = main_dir.join("dst");
    let job = fs::read_dir(&dst)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a download folder under dst");
    assert_eq!(
        files(src),
        files(&job),
        "NZBGet's result differs from the source"
    );
}

#[test]
fn sabnzbd_repairs_and_unpacks_a_set_sent_by_ap_client() {
    let inn = ap_tests::inn2();
    // Two damaged volumes, each with its own PAR2 set: SABnzbd pairs sets
    // and volumes by the names in the NZB (with only the articles'
    // obfuscated names it failed about half the runs).
    let damaged = post_damaged_set(&inn, 2);
    let root = damaged.dir.path().join("sabnzbd");
    fs::create_dir_all(&root).unwrap();
    let sab = ap_tests::sabnzbd::Sabnzbd::start(&root, &inn, SABNZBD_PORT, 4);

    // A wrong API key is refused with one line that names the fix.
    let (ok, err) = send(
        &damaged,
        &["--sabnzbd", &sab.url()],
        &[("AP_SABNZBD_API_KEY", "not-the-key")],
    );
    assert!(!ok && err.contains("AP_SABNZBD_API_KEY"), "{err}");
    assert!(!err.contains("not-the-key"), "the key was printed: {err}");
    let (ok, err) = send(
        &damaged,
        &["--sabnzbd", &sab.url(), "--name", "ap-sab-test"],
        &[("AP_SABNZBD_API_KEY", ap_tests::sabnzbd::API_KEY)],
    );
    assert!(ok, "ap-client send --sabnzbd failed: {err}");
    let mut last = String::new();
    let finished = (0..600).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        last = sab.api("mode=history").unwrap_or_default();
        ["\"status\":\"Completed\"", "\"status\":\"Failed\""]
            .iter()
            .any(|s| last.contains(s))
    });
    assert!(finished, "SABnzbd did not finish within 120 s: {last}");
    assert!(
        last.contains("\"status\":\"Completed\""),
        "history: {last}\nlog:\n{}",
        sab.log_tail(60)
    );
    assert!(last.contains("Repaired"), "SABnzbd did not repair: {last}");

    // SABnzbd puts the unpacked tree under complete/<job name>. Its PAR2
    // clean-up deletes the recovery files it queued, not those whose one
    // article came in with the first articles of every file, before the
    // index that names them: those stay beside the result.
    let job = root.join("complete/ap-sab-test");
    let mut result = files(&job);
    result.retain(|p, _| p.extension().is_none_or(|e| e != "par2"));
    assert_eq!(
        files(&damaged.src),
        result,
        "SABnzbd's result differs from the source"
    );
}
