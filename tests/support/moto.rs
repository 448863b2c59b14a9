//! moto's S3-compatible server (PyPI `moto` with flask), for the ledger's
//! `s3` feature: started on a free port, killed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A moto server; killed when dropped.
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let python = crate::python_module("moto.server");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting moto.server: {e}: {}", crate::INSTALL_HINT));
        let moto = Moto { child, port };
        let up = (0..150).any(|_| {
            std::thread::sleep(Duration::from_millis(200));
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "moto did not listen on 127.0.0.1:{port} within 30 s");
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (moto takes unsigned requests).
    pub fn create_bucket(&self, name: &str) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connecting to moto");
        write!(
            s,
            "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("sending to moto");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("reading moto's reply");
        assert!(
            reply.starts_with("HTTP/1.1 200"),
            "creating the bucket: {reply}"
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `AWS_*` variables that point delta-rs (here and in the child
/// processes) and Python deltalake at moto.
pub fn aws_env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// Sets [`aws_env`] in this process, for delta-rs calls made by the test
/// itself (child processes take the variables with `Command::envs`).
///
/// # Safety
/// No other thread may be running: call it at the start of a test binary
/// that holds that one test (nextest runs each test in its own process).
pub unsafe fn set_aws_env(moto: &Moto) {
    for (k, v) in aws_env(moto) {
        // SAFETY: the caller promises no other thread runs.
        unsafe { std::env::set_var(k, v) };
    }
}
