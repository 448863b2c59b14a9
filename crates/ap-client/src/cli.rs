//! The `ap-client` argument parser. One variant of [`Command`] per subcommand;
//! each subcommand's arguments are a struct beside it.

use clap::{Args, Parser, Subcommand};

/// Fetch an ap set back from its secret string.
#[derive(Debug, Parser)]
#[command(
    name = "ap-client",
    version,
    about,
    long_about = "ap-client opens a secret string with an age identity, rebuilds the set's exact NZB, and downloads, repairs, decrypts and extracts it, or hands the NZB to NZBGet or SABnzbd. Secrets are read from files, standard input or the environment, never from arguments."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script to standard output.
    Completions(CompletionsArgs),
    /// Verify a PAR2 set and repair its files if needed.
    Repair(RepairArgs),
    /// Extract an archive from its volumes (FIRST is NAME.7z.001).
    Extract(ExtractArgs),
    /// Open a secret string and write the set's NZB, exactly as posted.
    Nzb(NzbArgs),
    /// Inspect a secret string.
    Secret(SecretArgs),
    /// Create an age identity for receiving sets and print its recipient.
    Keygen(KeygenArgs),
    /// Download a set from its secret string, repair it from PAR2, decrypt and extract it into --out.
    Fetch(FetchArgs),
    /// Restore a ledger snapshot, or list the ledger's sets that your identities open.
    Ledger(LedgerArgs),
    /// Hand a set's NZB, with its password, to NZBGet or SABnzbd over its API.
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The first volume, NAME.7z.001; the others are found beside it.
    pub first: std::path::PathBuf,
    /// Directory to extract into (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// File holding the password (first line).
    #[arg(long)]
    pub password_file: std::path::PathBuf,
    /// Replace files that already exist.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The set's index file (NAME.par2); the other .par2 files and the data
    /// files are looked for beside it.
    pub index: std::path::PathBuf,
    /// Memory budget for rebuilt slices (suffixes K, M, G).
    #[arg(long, value_parser = parse_repair_size, default_value = "1G")]
    pub memory: u64,
    /// Only verify: report what is wrong, change nothing.
    #[arg(long)]
    pub verify_only: bool,
}

/// A byte count with an optional K, M, G or T suffix (powers of 1024).
pub fn parse_repair_size(s: &str) -> Result<u64, String> {
    ap_archive::parse_size(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Decrypt a snapshot from `ap-server ledger export` and restore its table into --into.
    Import(LedgerImportArgs),
    /// List the sets of a ledger whose keys your identities open.
    List(LedgerListArgs),
    /// Follow an owner's Hypercore log: fetch its latest snapshot from a peer, check it, restore it into --into, list your sets.
    Pull(LedgerPullArgs),
}

#[derive(Debug, Args)]
pub struct LedgerImportArgs {
    /// The snapshot file.
    pub file: std::path::PathBuf,
    /// An age identity file or unencrypted SSH private key; repeatable
    /// (default: `$XDG_CONFIG_HOME/ap/identity.txt`).
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
    /// A new or empty directory to restore the ledger into.
    #[arg(long)]
    pub into: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct LedgerPullArgs {
    /// The peer serving the log (`ap-server ledger seed`), HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub from: String,
    /// The log's public key, 64 hex digits (printed by `ap-server ledger publish` and `seed`).
    #[arg(long, value_name = "PUBKEY")]
    pub key: String,
    /// An age identity file or unencrypted SSH private key; repeatable
    /// (default: `$XDG_CONFIG_HOME/ap/identity.txt`).
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
    /// A new or empty directory to restore the ledger into.
    #[arg(long)]
    pub into: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct LedgerListArgs {
    /// The ledger: a directory (an imported snapshot, or a copy of one), or
    /// an `s3://bucket/prefix` URL when built with the `s3` feature.
    #[arg(long, value_name = "DIR|URL")]
    pub ledger: std::path::PathBuf,
    /// An age identity file or unencrypted SSH private key; repeatable
    /// (default: `$XDG_CONFIG_HOME/ap/identity.txt`).
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
}

/// The full parser, for rendering man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Where a secret string comes from: `-` for standard input, a file, or the
/// string itself. An argument is visible to every user of the machine in
/// `ps` and lands in shell history, so prefer `-` or a file.
#[derive(Debug, Clone, Args)]
pub struct SecretSource {
    /// The secret string: `-` reads standard input, a path reads that file;
    /// the string itself works too but shows up in `ps` and shell history.
    #[arg(value_name = "SECRET|-")]
    pub secret: String,
}

#[derive(Debug, Args)]
pub struct NzbArgs {
    #[command(flatten)]
    pub source: SecretSource,
    /// An age identity file or unencrypted SSH private key; repeatable.
    /// `$XDG_CONFIG_HOME/ap/identity.txt` is tried when present, and the
    /// key packaged with ap always.
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
    /// Write the NZB here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// Arguments of `ap-client send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub source: SecretSource,
    /// An age identity file or unencrypted SSH private key; repeatable.
    /// `$XDG_CONFIG_HOME/ap/identity.txt` is tried when present, and the
    /// key packaged with ap always.
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
    /// NZBGet's control address, http://HOST:PORT; the login comes from
    /// AP_NZBGET_USER (default nzbget) and AP_NZBGET_PASSWORD.
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "sabnzbd",
        conflicts_with = "sabnzbd"
    )]
    pub nzbget: Option<String>,
    /// SABnzbd's address, http://HOST:PORT; the API key comes from
    /// AP_SABNZBD_API_KEY (Config > General > API Key).
    #[arg(long, value_name = "URL")]
    pub sabnzbd: Option<String>,
    /// Name of the job in the downloader (default: the set's title, else "ap-set").
    #[arg(long)]
    pub name: Option<String>,
}

/// Arguments of `ap-client fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub source: SecretSource,
    /// An age identity file or unencrypted SSH private key; repeatable.
    /// `$XDG_CONFIG_HOME/ap/identity.txt` is tried when present, and the
    /// key packaged with ap always.
    #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
    pub identities: Vec<std::path::PathBuf>,
    /// Folder to extract into (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// News server, nntp://[USER@]HOST[:PORT] or nntps://...; the password
    /// comes from AP_NNTP_PASSWORD or the config file. Without a server here
    /// or in the config file, the embedded news spool under the data
    /// directory is read (where `ap-server post` put the set).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Connections per server (default: the config file's, else 4).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Replace files that already exist in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// Print a JSON summary on standard error instead of progress bars.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SecretArgs {
    #[command(subcommand)]
    pub command: SecretCommand,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Write the plain age file inside a secret string to standard output
    /// (for `age -d` and audits); needs no key.
    ToAge(SecretSource),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity (mode 0600); never overwrites.
    /// Default: `$XDG_CONFIG_HOME/ap/identity.txt`.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}
