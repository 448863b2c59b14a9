#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-client fetch` as users run it: the secret on standard input, an age
//! identity file, a server from the flag or from config.toml. A set posted
//! to INN2 comes back byte for byte; a stranger's identity, an existing
//! file without `--overwrite`, and a server it cannot trust are refused
//! with one line and nothing written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ap_nntp_post::{Password, ServerConfig};
use ap_pipeline::{PostOptions, Target};

mod common;

use ap_tests::run_with_stdin;
use common::files;

fn ap_client(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ap-client"));
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("AP_NNTP_PASSWORD")
        .env_remove("AP_LEDGER");
    c
}

fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::write(root.join("big.bin"), ap_tests::noise(21, 900_000)).unwrap();
    fs::write(root.join("sub/notes.txt"), "fetch me\n".repeat(500)).unwrap();
    fs::write(root.join("sub/deeper/ünï.bin"), ap_tests::noise(22, 5_000)).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
}

fn options(work: &Path, group: &str) -> PostOptions {
    PostOptions {
        groups: vec![group.into()],
        article_size: 64 * 1024,
        kdf_power: 6,
        work_dir: work.to_path_buf(),
        check_delay: Duration::from_millis(50),
        ..PostOptions::default()
    }
}

/// Posts `src` to `target` and seals the set to `recipients` (the packaged
/// key when empty).
fn post_and_seal(src: &Path, work: &Path, target: &Target, group: &str, to: &[String]) -> String {
    let posted = ap_pipeline::post(src, &options(work, group), target, None).unwrap();
    let r = ap_secret_codec::recipients_for_post(to, &[] as &[PathBuf], to.is_empty()).unwrap();
    ap_secret_codec::seal(&posted.descriptor, &r)
        .unwrap()
        .expose()
        .to_string()
}

#[test]
fn fetch_restores_a_set_from_inn2_for_its_recipient_only() {
    let inn = ap_tests::inn2();
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    make_tree(&src);
    let (me, my_file, stranger_file) = common::owner_and_stranger(home.path());
    let (host, port) = inn.addr.rsplit_once(':').unwrap();
    let server = ServerConfig::new(host, port.parse().unwrap())
        .login(inn.user.clone(), Password::new(inn.pass.clone()))
        .connections(3);
    let secret = post_and_seal(
        &src,
        home.path(),
        &Target::Servers(vec![server]),
        &inn.group,
        &[me.to_public().to_string()],
    );
    let url = format!("nntp://{}@{}", inn.user, inn.addr);
    let fetch = |out: &Path, identity: &Path, extra: &[&str]| {
        let mut c = ap_client(home.path());
        c.args(["fetch", "-", "--server", &url, "--out"])
            .arg(out)
            .arg("--identity")
            .arg(identity)
            .args(extra)
            .env("AP_NNTP_PASSWORD", &inn.pass);
        run_with_stdin(c, &secret)
    };

    let out = home.path().join("restored");
    let got = fetch(&out, &my_file, &[]);
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert!(got.status.success(), "{stderr}");
    assert!(stderr.contains("4 files"), "{stderr}");
    assert_eq!(files(&src), files(&out));
    assert!(
        !stderr.contains(&inn.pass) && !stderr.contains(&secret),
        "{stderr}"
    );

    // Again into the same folder: refused until --overwrite says so.
    let error = ap_tests::one_error_line(&fetch(&out, &my_file, &[]));
    assert!(error.contains("--overwrite"), "{error}");
    fs::write(out.join("big.bin"), b"changed").unwrap();
    let forced = fetch(&out, &my_file, &["--overwrite", "--json"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(files(&src), files(&out));

    // Someone the set was not sealed to gets one line and nothing on disk.
    let theirs = home.path().join("theirs");
    let error = ap_tests::one_error_line(&fetch(&theirs, &stranger_file, &[]));
    assert!(!error.contains(&secret) && error.contains("-i"), "{error}");
    assert!(!theirs.exists() || files(&theirs).is_empty());
}

#[test]
fn fetch_reads_a_public_set_over_tls_from_the_config_files_server() {
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = ap_news_spool::Spool::open(&home.path().join("store"), Default::default()).unwrap();
    let spool = rt
        .block_on(ap_news_spool::SpoolServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            store,
        ))
        .unwrap();
    let front = rt.block_on(ap_tests::tls::start(spool.local_addr(), home.path(), false));
    let url = format!("nntps://localhost:{}", front.addr.port());
    let mut server = ServerConfig::parse(&url).unwrap().connections(2);
    server.ca_file = Some(front.ca_file.clone());
    let src = home.path().join("src");
    make_tree(&src);
    let secret = post_and_seal(
        &src,
        home.path(),
        &Target::Servers(vec![server]),
        "alt.binaries.test",
        &[],
    );

    let conf = home.path().join("config/ap/config.toml");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let entry = format!("[[servers]]\nurl = \"{url}\"\n");
    fs::write(&conf, format!("{entry}ca_file = {:?}\n", front.ca_file)).unwrap();
    let out = home.path().join("restored");
    let mut c = ap_client(home.path());
    c.args(["fetch", "-", "--out"]).arg(&out);
    let got = run_with_stdin(c, &secret);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(files(&src), files(&out));

    // Without the CA file the server is not trusted: one line, no files.
    fs::write(&conf, entry).unwrap();
    let out2 = home.path().join("untrusted");
    let mut c = ap_client(home.path());
    c.args(["fetch", "-", "--out"]).arg(&out2);
    let error = ap_tests::one_error_line(&run_with_stdin(c, &secret));
    assert!(
        error.contains(&format!("localhost:{}", front.addr.port())),
        "{error}"
    );
    assert!(
        error.contains("TLS") && error.contains("nothing was extracted"),
        "{error}"
    );
    assert!(!out2.exists() || files(&out2).is_empty());
    drop(rt);
}

#[test]
fn completions_cover_every_command_and_the_fetch_flags() {
    ap_tests::check_completions(
        Path::new(env!("CARGO_BIN_EXE_ap-client")),
        &["fetch", "send", "keygen", "--overwrite", "--identity"],
    );
}
