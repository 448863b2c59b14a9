//! `cargo xtask assets`: man pages and shell completions, rendered from the
//! binaries' own clap definitions so they cannot drift from the parsers.
//!
//! Those definitions come with the binaries' whole dependency tree, so this
//! module is built only with xtask's `assets` feature; without it, the task
//! runs xtask again with the feature on.

#[cfg(feature = "assets")]
use std::fs;
use std::path::Path;

use anyhow::Result;
#[cfg(feature = "assets")]
use {anyhow::Context, clap::ValueEnum, clap_complete::Shell};

#[cfg(not(feature = "assets"))]
pub fn assets(out: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::sh::run(
        crate::sh::cmd(cargo)
            .current_dir(crate::sh::repo_root())
            .args([
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--features",
                "assets",
                "--",
                "assets",
                "--out",
            ])
            .arg(out),
    )
}

#[cfg(feature = "assets")]
pub fn assets(out: &Path) -> Result<()> {
    let man = out.join("man");
    let completions = out.join("completions");
    fs::create_dir_all(&man)?;
    fs::create_dir_all(&completions)?;
    for (name, command) in [
        ("ap-server", ap_server::cli::command()),
        ("ap-client", ap_client::cli::command()),
    ] {
        clap_mangen::generate_to(command.clone(), &man)
            .with_context(|| format!("writing man pages of {name}"))?;
        for shell in Shell::value_variants() {
            clap_complete::generate_to(*shell, &mut command.clone(), name, &completions)
                .with_context(|| format!("writing {shell} completions of {name}"))?;
        }
    }
    eprintln!(
        "man pages in {}, completions in {}",
        man.display(),
        completions.display()
    );
    Ok(())
}
