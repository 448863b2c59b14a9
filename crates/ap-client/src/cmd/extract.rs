//! `ap-client extract`: unpack an archive from its volumes, safely.

use std::fs;

use anyhow::{Context, Result};
use ap_archive::{Archive, ExtractOptions, Password};
use ap_client::cli::ExtractArgs;

pub fn run(args: &ExtractArgs) -> Result<()> {
    let text = fs::read_to_string(&args.password_file)
        .with_context(|| format!("reading the password file {}", args.password_file.display()))?;
    let password = Password::from_file_contents(&text)
        .with_context(|| format!("password file {}", args.password_file.display()))?;
    let mut archive = Archive::open(&args.first, Some(&password))
        .with_context(|| format!("opening {}", args.first.display()))?;
    let report = archive
        .extract(
            &args.out,
            &ExtractOptions {
                overwrite: args.overwrite,
            },
        )
        .with_context(|| format!("extracting into {}", args.out.display()))?;
    eprintln!(
        "ap-client: extracted {} file(s), {} dir(s), {} link(s), {} bytes",
        report.files, report.dirs, report.links, report.bytes
    );
    Ok(())
}
