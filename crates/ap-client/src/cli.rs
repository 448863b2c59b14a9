//! The `ap-client` argument parser. One variant of [`Command`] per subcommand;
//! each subcommand's arguments are a struct beside it.

use clap::{Args, Parser, Subcommand};

/// Fetch an ap set back from its secret string.
#[derive(Debug, Parser)]
#[command(name = "ap-client", version, about, long_about = "ap-client opens a secret string with an age identity, rebuilds the set's exact NZB, and downloads, repairs, decrypts and extracts it, or hands the NZB to NZBGet or SABnzbd. Secrets are read from files, standard input or the environment, never from arguments.")]
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
