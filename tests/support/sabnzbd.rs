//! SABnzbd (Debian's sabnzbdplus) as the other downloader end of end-to-end
//! tests: a configuration against the test news server, a daemon that is
//! stopped when dropped, and its API's history.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::NewsServer;

/// The API key the test configuration sets (not a secret: a local test daemon).
pub const API_KEY: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// A running SABnzbd; killed when dropped.
pub struct Sabnzbd {
    pub port: u16,
    dir: std::path::PathBuf,
    child: Child,
}

impl Sabnzbd {
    /// Starts SABnzbd with a fresh configuration under `dir`: downloads from
    /// `server` over `connections` connections, API on 127.0.0.1:`port`.
    /// Fails the test if it does not answer within 60 s.
    pub fn start(dir: &Path, server: &NewsServer, port: u16, connections: u16) -> Sabnzbd {
        let (host, nntp_port) = server
            .addr
            .rsplit_once(':')
            .expect("server address is HOST:PORT");
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "something already listens on 127.0.0.1:{port} (a SABnzbd left over from another run?): stop it first"
        );
        let ini = dir.join("sabnzbd.ini");
        let text = format!(
            "__version__ = 19\n__encoding__ = utf-8\n[misc]\napi_key = {API_KEY}\n\
             nzb_key = {API_KEY}\nhost = 127.0.0.1\nport = {port}\n\
             download_dir = {incomplete}\ncomplete_dir = {complete}\n\
             auto_browser = 0\ncheck_new_rel = 0\nenable_https = 0\n\
             [servers]\n[[{host}]]\nname = {host}\ndisplayname = test\nhost = {host}\n\
             port = {nntp_port}\nusername = {user}\npassword = {pass}\n\
             connections = {connections}\nssl = 0\nenable = 1\n",
            incomplete = dir.join("incomplete").display(),
            complete = dir.join("complete").display(),
            user = server.user,
            pass = server.pass,
        );
        fs::write(&ini, text).unwrap_or_else(|e| panic!("writing {}: {e}", ini.display()));
        let child = crate::peer_command("sabnzbdplus")
            .arg("-f")
            .arg(&ini)
            .args(["-b", "0", "--console"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting sabnzbdplus: {e}: {}", crate::INSTALL_HINT));
        let sab = Sabnzbd {
            port,
            dir: dir.to_path_buf(),
            child,
        };
        let up = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            sab.api("mode=version")
                .is_some_and(|r| r.contains("version"))
        });
        assert!(up, "SABnzbd did not answer on 127.0.0.1:{port} within 60 s");
        sab
    }

    /// The last `lines` lines of SABnzbd's log, for a failing test's message.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(self.dir.join("logs/sabnzbd.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// `http://127.0.0.1:PORT`, for `ap-client send --sabnzbd`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The body of an API call (`query` without the key), or None while
    /// SABnzbd does not answer.
    pub fn api(&self, query: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let request = format!(
            "GET /api?{query}&output=json&apikey={API_KEY} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        reply.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
    }
}

impl Drop for Sabnzbd {
    fn drop(&mut self) {
        let _ = self.api("mode=shutdown");
        let stopped = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            self.child.try_wait().ok().flatten().is_some()
        });
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
