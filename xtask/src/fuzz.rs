//! `cargo xtask fuzz`: fuzz targets live beside their crate, in
//! `crates/NAME/fuzz/fuzz_targets/TARGET.rs`, and run on the nightly toolchain
//! that rustup has on these machines.

use std::fs;
use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::sh::{cmd, repo_root, run};

/// Every fuzz target as (target name, fuzz folder).
fn targets() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(crates) = fs::read_dir(repo_root().join("crates")) else {
        return found;
    };
    for krate in crates.flatten() {
        let dir = krate.path().join("fuzz");
        let Ok(files) = fs::read_dir(dir.join("fuzz_targets")) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "rs")
                && let Some(stem) = path.file_stem()
            {
                found.push((stem.to_string_lossy().into_owned(), dir.clone()));
            }
        }
    }
    found.sort();
    found
}

pub fn list() -> Result<()> {
    for (name, dir) in targets() {
        let rel = dir.strip_prefix(repo_root()).unwrap_or(&dir);
        println!("{name:24} {}", rel.display());
    }
    Ok(())
}

pub fn fuzz(target: &str, seconds: u64) -> Result<()> {
    let all = targets();
    let Some((_, dir)) = all.iter().find(|(name, _)| name == target) else {
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        bail!(
            "no fuzz target `{target}`; known targets: {}",
            names.join(", ")
        );
    };
    run(cmd("rustup")
        .current_dir(repo_root())
        .args([
            "run",
            "nightly",
            "cargo",
            "fuzz",
            "run",
            target,
            "--fuzz-dir",
        ])
        .arg(dir)
        .arg("--")
        .arg(format!("-max_total_time={seconds}")))
}
