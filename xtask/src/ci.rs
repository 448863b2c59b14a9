//! `cargo xtask ci`: the whole gate, in the order that fails fastest.

use anyhow::Result;

use crate::sh::{cmd, repo_root, run};
use crate::{inn, peers};

/// A step of the gate, run in the repository. CI builds once from clean, so
/// incremental caches (gigabytes across the workspace's test binaries) only
/// cost disk, and CI's disk is small: off for the step and the cargo runs
/// under it.
fn step(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut c = cmd(program);
    c.current_dir(repo_root()).env("CARGO_INCREMENTAL", "0");
    c
}

fn cargo() -> std::process::Command {
    step(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn ci() -> Result<()> {
    // A missing peer fails here, by name, rather than as a skipped test.
    peers::require_all()?;
    inn::start()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    // xtask's man-page code builds only with its `assets` feature.
    run(cargo().args([
        "clippy",
        "-p",
        "xtask",
        "--features",
        "assets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    // `advisories` needs the advisory database, which cannot be fetched here
    // (see deny.toml).
    run(cargo().args([
        "deny",
        "--workspace",
        "check",
        "licenses",
        "bans",
        "sources",
    ]))?;
    run(cargo().args([
        "nextest",
        "run",
        "--workspace",
        "--locked",
        "--profile",
        "ci",
    ]))?;
    // The ledger on S3 (the `s3` feature, off by default: it brings the AWS
    // SDK) against moto's S3 server: the ledger's own tests, the whole
    // package so that the example binaries its child processes run get the
    // feature too, and both CLIs on a bucket (their `s3` test binaries;
    // their other tests ran above). One cargo run, so deltalake is built with
    // the feature once. (No separate clippy pass: the feature's own code is
    // a few lines, and building the AWS SDK twice would cost CI minutes.)
    run(cargo().args([
        "nextest",
        "run",
        "-p",
        "ap-ledger",
        "-p",
        "ap-server",
        "-p",
        "ap-client",
        "--features",
        "ap-ledger/s3,ap-server/s3,ap-client/s3",
        "--locked",
        "--profile",
        "ci",
        "-E",
        "package(ap-ledger) | (package(ap-server) & binary(s3)) | (package(ap-client) & binary(s3))",
    ]))?;
    // Every benchmark once on small inputs, each tool's output checked, so the
    // harness cannot rot; no speed is asserted here.
    // This very binary, not `cargo xtask`: under CARGO_INCREMENTAL=0 cargo
    // would rebuild xtask while it runs. The benches' own builds inherit it.
    run(step(std::env::current_exe()?).args(["bench", "all", "--quick"]))?;
    Ok(())
}
