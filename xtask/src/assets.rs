//! `cargo xtask assets`: man pages and shell completions, rendered from the
//! binaries' own clap definitions so they cannot drift from the parsers.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;
use clap_complete::Shell;

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
