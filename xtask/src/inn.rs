//! INN2 on 127.0.0.1:1119 as the test news server, run without systemd.
//!
//! Debian's inn2 package needs three fixes before it serves readers here: its
//! postinst fails when the host name has no domain, 127.0.0.1 is a feed peer by
//! default (so loopback clients get innd's transit mode instead of nnrpd), and
//! articles above 1 MB are refused. [`configure`] applies them idempotently.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::sh::{cmd, output, run, succeeds};

pub const ADDR: &str = "127.0.0.1:1119";
pub const USER: &str = "testuser";
/// A throwaway credential for the local test server only.
const PASS: &str = "testpass";
pub const GROUP: &str = "alt.binaries.test";

const INN_CONF: &str = "/etc/news/inn.conf";
const INCOMING_CONF: &str = "/etc/news/incoming.conf";
const READERS_CONF: &str = "/etc/news/readers.conf";
const PASSWD: &str = "/etc/news/nntp.passwd";
const ACTIVE: &str = "/var/lib/news/active";
const RC_NEWS: &str = "/usr/lib/news/bin/rc.news";
const ARTICLES: &str = "/var/spool/news/articles";
/// Test and benchmark posts pile up with no cron to expire them; past this
/// size a stopped server's article store is emptied before it starts.
const PURGE_ABOVE: u64 = 2 << 30;
const MARKER: &str = "# written by `cargo xtask peers install` for ap's tests";

/// Whether [`configure`] has already run on this machine.
pub fn is_configured() -> bool {
    fs::read_to_string(READERS_CONF).is_ok_and(|s| s.contains(MARKER))
        && Path::new(PASSWD).is_file()
}

/// Rewrites INN2's configuration for the test setup, then lets dpkg finish the
/// package's configuration (which failed before `domain:` was set).
pub fn configure() -> Result<()> {
    let port = ADDR.rsplit(':').next().unwrap_or("1119");
    let settings = [
        ("domain", "example.test"),
        ("server", "127.0.0.1"),
        ("bindaddress", "127.0.0.1"),
        ("port", port),
        ("pathhost", "news.example.test"),
        ("maxartsize", "10000000"),
        ("localmaxartsize", "10000000"),
        ("nnrpdpostport", port),
    ];
    let conf = fs::read_to_string(INN_CONF)
        .with_context(|| format!("{INN_CONF} is missing: is the inn2 package installed?"))?;
    fs::write(INN_CONF, set_keys(&conf, &settings))?;

    let incoming = fs::read_to_string(INCOMING_CONF)?;
    fs::write(
        INCOMING_CONF,
        incoming.replace("\"localhost, 127.0.0.1, ::1\"", "\"::1\""),
    )?;

    let hash = output(cmd("openssl").args(["passwd", "-6", PASS]))?;
    fs::write(PASSWD, format!("{USER}:{}\n", hash.trim()))?;
    run(cmd("chown").args(["root:news", PASSWD]))?;
    run(cmd("chmod").args(["640", PASSWD]))?;

    fs::write(
        READERS_CONF,
        format!(
            "{MARKER}\nauth \"all\" {{\n    hosts: \"*\"\n    auth: \"ckpasswd -f {PASSWD}\"\n}}\n\
             access \"authenticated\" {{\n    users: \"*\"\n    newsgroups: \"*\"\n    access: RPA\n}}\n"
        ),
    )?;
    run(cmd("dpkg").args(["--configure", "-a"]))
}

/// Sets `key: value` for each pair, replacing the key's line (commented or not)
/// or appending it.
fn set_keys(conf: &str, settings: &[(&str, &str)]) -> String {
    let mut lines: Vec<String> = conf.lines().map(str::to_owned).collect();
    for (key, value) in settings {
        let wanted = format!(
            "{key}:{}{value}",
            " ".repeat(28usize.saturating_sub(key.len()))
        );
        let found = lines.iter().position(|line| {
            let bare = line.trim_start_matches('#');
            bare.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        });
        match found {
            Some(i) => lines[i] = wanted,
            None => lines.push(wanted),
        }
    }
    lines.join("\n") + "\n"
}

/// The server's greeting when something answers on [`ADDR`].
pub fn greeting() -> Option<String> {
    let addr: SocketAddr = ADDR.parse().ok()?;
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    Some(line.trim_end().to_owned())
}

pub fn start() -> Result<()> {
    if let Some(greeting) = greeting() {
        eprintln!("INN2 is already up on {ADDR}: {greeting}");
        return ensure_group();
    }
    if !is_configured() {
        bail!("INN2 is not configured for the tests: run `cargo xtask peers install` first");
    }
    purge_if_large()?;
    run(cmd("install").args([
        "-d",
        "-o",
        "news",
        "-g",
        "news",
        "-m",
        "775",
        "/run/news",
        "/var/log/news",
    ]))?;
    run(cmd("su").args(["news", "-s", "/bin/sh", "-c", RC_NEWS]))?;
    wait_until("innd to accept control commands", || {
        succeeds(cmd("ctlinnd").args(["-t", "1", "mode"]))
    })?;
    ensure_group()?;
    wait_until("INN2 to greet readers", || {
        greeting().is_some_and(|g| g.starts_with("20"))
    })?;
    eprintln!("INN2 is up on {ADDR} (user {USER}, group {GROUP})");
    Ok(())
}

/// Empties the article store of the stopped server when it has grown past
/// [`PURGE_ABOVE`]. The group and its history stay; only throwaway test
/// articles go, and the server answers 430 for them afterwards.
fn purge_if_large() -> Result<()> {
    let size = crate::bench::size_of(Path::new(ARTICLES));
    if size <= PURGE_ABOVE {
        return Ok(());
    }
    eprintln!(
        "INN2's article store holds {} MiB of test posts: emptying it",
        size >> 20
    );
    for entry in fs::read_dir(ARTICLES)?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn ensure_group() -> Result<()> {
    let active = fs::read_to_string(ACTIVE).unwrap_or_default();
    if active
        .lines()
        .any(|l| l.split_whitespace().next() == Some(GROUP))
    {
        return Ok(());
    }
    run(cmd("ctlinnd").args(["newgroup", GROUP, "y"]))
}

/// Stops INN2 through its own `rc.news stop`, which ends innd and the helpers
/// that rc.news started (by their pid files), and nothing else.
/// Restarts a running server with an emptied article store once the store
/// has grown past [`PURGE_ABOVE`]: for benchmarks, which post several GiB a
/// run (3 tools x 3 runs x 2 GiB filled 45 GB of this disk, which then ran
/// full), to call between runs.
pub fn keep_small() -> Result<()> {
    if crate::bench::size_of(Path::new(ARTICLES)) <= PURGE_ABOVE {
        return Ok(());
    }
    stop()?;
    start()
}

pub fn stop() -> Result<()> {
    if greeting().is_none() {
        eprintln!("INN2 is already down on {ADDR}");
        return Ok(());
    }
    run(cmd("su").args(["news", "-s", "/bin/sh", "-c", &format!("{RC_NEWS} stop")]))?;
    wait_until("INN2 to stop listening", || greeting().is_none())?;
    eprintln!("INN2 stopped");
    Ok(())
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        sleep(Duration::from_millis(200));
    }
    bail!("timed out after 20 s waiting for {what}; see /var/log/news/news.err")
}

#[cfg(test)]
mod tests {
    use super::set_keys;

    #[test]
    fn set_keys_replaces_commented_and_appends_missing() {
        let conf = "#domain:\nport:    119\nother: x\n";
        let out = set_keys(
            conf,
            &[
                ("domain", "example.test"),
                ("port", "1119"),
                ("maxartsize", "10"),
            ],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("domain:") && lines[0].ends_with(" example.test"));
        assert!(lines[1].starts_with("port:") && lines[1].ends_with(" 1119"));
        assert_eq!(lines[2], "other: x");
        assert!(lines[3].starts_with("maxartsize:") && lines[3].ends_with(" 10"));
    }

    #[test]
    fn set_keys_leaves_longer_keys_alone() {
        // `port` must not match `portable:` and friends.
        let out = set_keys("portable: yes\n", &[("port", "1119")]);
        assert!(out.starts_with("portable: yes\n"));
        assert!(out.contains("port:"));
    }
}
