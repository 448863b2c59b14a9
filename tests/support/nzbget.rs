//! NZBGet as the downloader end of end-to-end tests: a configuration against
//! the test news server, and its JSON-RPC history.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::NewsServer;

/// Writes an NZBGet configuration to `conf`, from Debian's /etc/nzbget.conf:
/// downloads under `main_dir` from `server`, control on 127.0.0.1:`control_port`
/// with NZBGet's default login, log output, then `extra` settings on top.
pub fn write_config(
    conf: &Path,
    main_dir: &Path,
    server: &NewsServer,
    control_port: u16,
    extra: &[(&str, &str)],
) {
    let (host, port) = server
        .addr
        .rsplit_once(':')
        .expect("server address is HOST:PORT");
    let mut settings = fs::read_to_string("/etc/nzbget.conf").unwrap_or_else(|e| {
        panic!(
            "Debian's /etc/nzbget.conf (package nzbget): {e}: {}",
            crate::INSTALL_HINT
        )
    });
    let main = main_dir.display().to_string();
    let control = control_port.to_string();
    let base = [
        ("MainDir", main.as_str()),
        ("Server1.Host", host),
        ("Server1.Port", port),
        ("Server1.Username", server.user.as_str()),
        ("Server1.Password", server.pass.as_str()),
        ("ControlIP", "127.0.0.1"),
        ("ControlPort", control.as_str()),
        ("OutputMode", "log"),
    ];
    for (key, value) in base.iter().chain(extra) {
        settings = set(&settings, key, value);
    }
    fs::write(conf, settings).unwrap_or_else(|e| panic!("writing {}: {e}", conf.display()));
}

/// Replaces `key=...` (or appends it) in an NZBGet configuration.
fn set(conf: &str, key: &str, value: &str) -> String {
    let mut done = false;
    let mut out: Vec<String> = conf
        .lines()
        .map(|line| {
            if line.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
                done = true;
                format!("{key}={value}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !done {
        out.push(format!("{key}={value}"));
    }
    out.join("\n") + "\n"
}

/// NZBGet's download history as its JSON-RPC reply, or None while it does
/// not answer.
pub fn history(control_port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", control_port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    // nzbget:tegbzn6789 is NZBGet's documented default control login.
    let request =
        "GET /jsonrpc/history HTTP/1.0\r\nAuthorization: Basic bnpiZ2V0OnRlZ2J6bjY3ODk=\r\n\r\n";
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    Some(reply)
}
