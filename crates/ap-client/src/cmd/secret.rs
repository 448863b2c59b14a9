use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use ap_client::cli::{SecretArgs, SecretCommand, SecretSource};

pub fn run(args: &SecretArgs) -> anyhow::Result<()> {
    match &args.command {
        SecretCommand::ToAge(source) => {
            let age = ap_secret_codec::to_age(&read_secret(source)?)?;
            std::io::stdout()
                .write_all(&age)
                .context("cannot write to standard output")
        }
    }
}

/// Reads the secret from standard input (`-`), a file, or the argument.
pub fn read_secret(source: &SecretSource) -> anyhow::Result<String> {
    let arg = source.secret.as_str();
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the secret from standard input")?;
        return Ok(text);
    }
    if !arg.starts_with("ap") || Path::new(arg).is_file() {
        return std::fs::read_to_string(arg)
            .with_context(|| format!("cannot read the secret from file {arg}"));
    }
    Ok(arg.to_owned())
}
