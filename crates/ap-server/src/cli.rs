//! The `ap-server` argument parser. One variant of [`Command`] per subcommand;
//! each subcommand's arguments are a struct beside it.

use clap::{Args, Parser, Subcommand};

/// Pack a folder into an encrypted, self-healing Usenet post and print the secret string that fetches it back.
#[derive(Debug, Parser)]
#[command(name = "ap-server", version, about, long_about = "ap-server packs a folder into AES-256 encrypted 7z volumes, protects them with PAR2, posts them over NNTP with obfuscated headers, records the set in the ledger and prints a short secret string. Secrets are read from files, standard input or the environment, never from arguments.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script to standard output.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The full parser, for rendering man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
