#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The ledger over Hypercore as users run it: `ap-server ledger publish`
//! puts the snapshot on the owner's log, `ap-server ledger seed` serves it
//! (and a later publish from another process, live), and `ap-client ledger
//! pull` fetches, checks, decrypts and restores it and lists the sets.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use ap_ledger::Ledger;
use ap_secret_codec::SetKey;
use ap_tests::succeeded as ok;
use common::{identity_file, set};

/// `ap-server`, built beside `ap-client` (built here when a run of only
/// this package's tests has not built it).
fn ap_server_exe() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_ap-client")).with_file_name("ap-server");
    if !exe.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "ap-server", "--bin", "ap-server"])
            .status()
            .unwrap();
        assert!(
            status.success() && exe.is_file(),
            "cannot build ap-server at {}",
            exe.display()
        );
    }
    exe
}

fn env(mut c: Command, home: &Path) -> Command {
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("AP_LEDGER")
        .env_remove("AP_LEDGER_LOG")
        .env_remove("AP_LEDGER_LOG_KEY");
    c
}

fn ap_server(home: &Path) -> Command {
    env(Command::new(ap_server_exe()), home)
}

fn ap_client(home: &Path) -> Command {
    env(Command::new(env!("CARGO_BIN_EXE_ap-client")), home)
}

fn one_error_line(out: Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

struct Seed(Child);

impl Drop for Seed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn publish_seed_pull_round_trip_through_the_binaries() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let owner = age::x25519::Identity::generate();
    let owner_file = identity_file(h, "owner.txt", &owner);

    ok(ap_server(h)
        .args([
            "ledger",
            "init",
            "--recipient",
            &owner.to_public().to_string(),
        ])
        .output()
        .unwrap());
    let ledger = Ledger::open(h.join("data/ap/ledger").to_str().unwrap()).unwrap();
    for n in [1, 2] {
        ledger
            .record_set(set(n), &SetKey::generate().unwrap())
            .unwrap();
    }

    let key = ok(ap_server(h).args(["ledger", "publish"]).output().unwrap());
    let key = key.trim().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let k = h.join("data/ap/ledger-log.key");
        assert_eq!(
            std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(h.join("data/ap/ledger-log/oplog").is_file());
    }

    let mut seed = Seed(
        ap_server(h)
            .args(["ledger", "seed", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(seed.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let (addr, served_key) = first.trim().split_once(' ').unwrap();
    assert_eq!(served_key, key);
    let addr = addr.to_owned();

    let pull = |into: &Path| {
        ap_client(h)
            .args(["ledger", "pull", "--from", &addr, "--key", &key, "-i"])
            .arg(&owner_file)
            .arg("--into")
            .arg(into)
            .output()
            .unwrap()
    };
    let listed = ok(pull(&h.join("pulled")));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.contains("set-1") && listed.contains("set-2"),
        "{listed}"
    );
    assert!(h.join("pulled/sets/_delta_log").is_dir());

    // A publish from another process reaches the running seeder.
    ledger
        .record_set(set(3), &SetKey::generate().unwrap())
        .unwrap();
    let again = ok(ap_server(h).args(["ledger", "publish"]).output().unwrap());
    assert_eq!(again.trim(), key);
    let mut three = String::new();
    for attempt in 0..50 {
        let into = h.join(format!("pulled-{attempt}"));
        three = ok(pull(&into));
        if three.lines().count() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        three.contains("set-3"),
        "the seeder never served the second publish: {three}"
    );

    // Wrong key, unreachable peer: one error line each.
    let pull_error = |from: &str, key: &str| {
        one_error_line(
            ap_client(h)
                .args(["ledger", "pull", "--from", from, "--key", key, "-i"])
                .arg(&owner_file)
                .arg("--into")
                .arg(h.join("never"))
                .output()
                .unwrap(),
        )
    };
    let other = ap_hyperlog::Signer::load_or_create(&h.join("other.key"))
        .unwrap()
        .public()
        .to_string();
    let wrong = pull_error(&addr, &other);
    assert!(
        wrong.contains("does not serve the log with public key"),
        "{wrong}"
    );
    let err = pull_error(&addr, "not-a-key");
    assert!(err.contains("invalid log public key"), "{err}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = closed.local_addr().unwrap().to_string();
    drop(closed);
    let err = pull_error(&gone, &key);
    assert!(
        err.contains(&format!("cannot reach the peer at {gone}")),
        "{err}"
    );
    drop(seed);
}
