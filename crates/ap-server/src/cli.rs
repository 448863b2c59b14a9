//! The `ap-server` argument parser. One variant of [`Command`] per subcommand;
//! each subcommand's arguments are a struct beside it.

use clap::{Args, Parser, Subcommand};

/// Pack a folder into an encrypted, self-healing Usenet post and print the secret string that fetches it back.
#[derive(Debug, Parser)]
#[command(
    name = "ap-server",
    version,
    about,
    long_about = "ap-server packs a folder into AES-256 encrypted 7z volumes, protects them with PAR2, posts them over NNTP with obfuscated headers, records the set in the ledger and prints a short secret string. Secrets are read from files, standard input or the environment, never from arguments."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script to standard output.
    Completions(CompletionsArgs),
    /// Create a PAR2 2.0 recovery set (NAME.par2 and NAME.volA+B.par2) for FILES.
    Par2(Par2Args),
    /// Pack a directory into encrypted 7z volumes (LZMA2 or copy, AES-256 data and names).
    Archive(ArchiveArgs),
    /// Post a folder: archive, PAR2, yEnc, NNTP; print the secret string (alone) on standard output.
    Post(Box<PostArgs>),
    /// The ledger of posted sets: create it, list its sets, export an encrypted snapshot.
    Ledger(LedgerArgs),
    /// The posting queue: add folders, list the jobs, post them in order.
    Queue(QueueArgs),
    /// Run the embedded news server (NNTP), storing articles crash-safely under a directory.
    Spool(SpoolArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The directory to pack (its contents are stored with relative paths).
    pub dir: std::path::PathBuf,
    /// Where the volumes NAME.7z.001, NAME.7z.002, ... are written (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Archive name; defaults to the directory's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Bytes per volume, e.g. 50M or 20G (binary units).
    #[arg(long, default_value = "20G")]
    pub volume_size: String,
    /// auto stores data that will not compress and LZMA2-compresses the rest.
    #[arg(long, default_value = "auto", value_parser = ["auto", "lzma2", "copy"])]
    pub method: String,
    /// LZMA2 level, 0 (fastest) to 9 (smallest).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub level: u32,
    /// Compression threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: u32,
    /// File holding the password (first line). Without it a random password
    /// is generated and written to OUTDIR/password with mode 0600.
    #[arg(long)]
    pub password_file: Option<std::path::PathBuf>,
}

/// Arguments of `ap-server spool`.
#[derive(Debug, Args)]
pub struct SpoolArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8119")]
    pub listen: std::net::SocketAddr,
    /// Directory holding the articles (created if missing).
    #[arg(long)]
    pub dir: std::path::PathBuf,
    /// Require AUTHINFO with this user name; the password comes from
    /// --password-file or the AP_SPOOL_PASSWORD environment variable.
    #[arg(long)]
    pub user: Option<String>,
    /// File whose first line is the password required with --user.
    #[arg(long, requires = "user")]
    pub password_file: Option<std::path::PathBuf>,
    /// Largest article accepted, in bytes; bigger ones get 441.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_article_size: usize,
}

#[derive(Debug, Args)]
pub struct Par2Args {
    /// Files to protect, all in one recovery set.
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
    /// Folder to write NAME.par2 and NAME.volA+B.par2 into.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Recovery data, as a percentage of the input slices (rounded up).
    #[arg(long, default_value_t = 10.0)]
    pub redundancy: f64,
    /// An exact number of recovery slices, instead of --redundancy.
    #[arg(long, conflicts_with = "redundancy")]
    pub recovery_slices: Option<u32>,
    /// Slice size in bytes (suffixes K, M, G; a multiple of 4). Default: a
    /// multiple of the 716800-byte article size within 32768 slices.
    #[arg(long, value_parser = parse_par2_size)]
    pub slice_size: Option<u64>,
    /// Memory budget for recovery data (suffixes K, M, G); beyond it the
    /// recovery data spills to a file in --out.
    #[arg(long, value_parser = parse_par2_size, default_value = "1G")]
    pub memory: u64,
    /// Base name of the PAR2 files. Default: the first file's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Spread recovery slices evenly over this many files instead of
    /// doubling file sizes (1, 2, 4, ...).
    #[arg(long)]
    pub uniform: Option<u32>,
}

/// A byte count with an optional K, M, G or T suffix (powers of 1024).
pub fn parse_par2_size(s: &str) -> Result<u64, String> {
    ap_archive::parse_size(s).map_err(|e| e.to_string())
}

/// Arguments of `ap-server post`.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// The folder to post.
    pub dir: std::path::PathBuf,
    /// Title written into the NZB (default: none).
    #[arg(long)]
    pub title: Option<String>,
    #[command(flatten)]
    pub settings: PostFlags,
    /// Write the set's NZB here.
    #[arg(long, value_name = "FILE")]
    pub nzb_out: Option<std::path::PathBuf>,
    /// Print a JSON summary on standard error instead of progress bars.
    #[arg(long)]
    pub json: bool,
}

/// How a folder is posted: shared by `post` and `queue run`. What is not
/// given comes from the config file, then the defaults.
#[derive(Debug, Args)]
pub struct PostFlags {
    /// News server, nntp://[USER@]HOST[:PORT], nntps://... or nntp+starttls://...
    /// The password comes from AP_NNTP_PASSWORD or the config file. Without
    /// a server here or in the config file, the embedded news spool under the
    /// data directory is used.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Newsgroup to post to; repeatable (default: the config file's, else alt.binaries.test).
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Connections per server (default: the config file's, else 4).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Seal the secret to this age or SSH public key; repeatable.
    #[arg(long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// Seal the secret to every recipient in this file (age format); repeatable.
    #[arg(long = "recipients-file", value_name = "FILE")]
    pub recipients_files: Vec<std::path::PathBuf>,
    /// Also seal to the key packaged with ap (anyone with ap-client can open
    /// it). Implied when no recipient is given anywhere.
    #[arg(long)]
    pub public: bool,
    /// PAR2 recovery in percent of each volume (default: the config file's, else 10).
    #[arg(long, value_name = "PCT")]
    pub redundancy: Option<f64>,
    /// Bytes per 7z volume, each with its own PAR2 set, e.g. 700M or 2G
    /// (default: the config file's, else 1G; PAR2 work per byte grows with it).
    #[arg(long, value_name = "SIZE")]
    pub volume_size: Option<String>,
    /// Split sets with more data than this into parts, each its own archive
    /// with its own volumes and PAR2 sets, all in one secret and NZB
    /// (default: the config file's, else 200G).
    #[arg(long, value_name = "SIZE")]
    pub split_above: Option<String>,
    /// Data per part of a split set (default: the config file's, else 20G).
    #[arg(long, value_name = "SIZE")]
    pub part_size: Option<String>,
    /// How file data is coded: auto stores what will not compress.
    #[arg(long, default_value = "auto", value_parser = ["auto", "lzma2", "copy"])]
    pub method: String,
    /// Bytes of data per article, a multiple of 4, e.g. 700K (default: the
    /// config file's, else 700K). Each PAR2 slice is one article.
    #[arg(long, value_name = "SIZE")]
    pub article_size: Option<String>,
    /// Upload limit in bytes per second over all connections, e.g. 40M for
    /// 40 MiB/s (default: the config file's, else none).
    #[arg(long, value_name = "SIZE")]
    pub rate_limit: Option<String>,
    /// Time from an article's post to its STAT check, e.g. 500ms, 30s or 2m
    /// (default: the config file's, else 200ms). Articles not found then are
    /// posted again, so give a server that shows new articles late, or a
    /// --check-server, the time it needs.
    #[arg(long, value_name = "DURATION")]
    pub check_delay: Option<String>,
    /// Check that every article arrived on this server instead of the
    /// posting ones, to see the set as another provider's readers will:
    /// nntp://[USER@]HOST[:PORT] or nntps://... Its password comes from
    /// AP_NNTP_CHECK_PASSWORD or the config file's [check_server], never
    /// from the posting server's.
    #[arg(long, value_name = "URL")]
    pub check_server: Option<String>,
}

/// Where the ledger is.
#[derive(Debug, Args)]
pub struct LedgerLocation {
    /// The ledger: a directory (default: DATA_DIR/ledger, i.e.
    /// $XDG_DATA_HOME/ap/ledger) or, in builds with the s3 feature,
    /// s3://BUCKET/PREFIX.
    #[arg(long, value_name = "DIR|URL", env = "AP_LEDGER")]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Create the ledger; set keys and snapshots are sealed to its recipients (the owner).
    Init(LedgerInitArgs),
    /// List the recorded sets (secret strings are not shown).
    List(LedgerListArgs),
    /// Write the sets table at a version, with the queue as it stood then, as a 7z (LZMA2) encrypted with age to the ledger's recipients.
    Export(LedgerExportArgs),
    /// Export the current snapshot and append it to the owner's Hypercore log; prints the log's public key.
    Publish(LedgerPublishArgs),
    /// Serve the Hypercore log to followers (Noise-encrypted Hypercore protocol), live as new snapshots are published.
    Seed(LedgerSeedArgs),
}

#[derive(Debug, Args)]
pub struct LedgerInitArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    /// The owner's age or SSH public key; repeatable.
    #[arg(long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// Every recipient in this file (age format); repeatable.
    #[arg(long = "recipients-file", value_name = "FILE")]
    pub recipients_files: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct LedgerListArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    /// One JSON object per set instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    /// The snapshot file to write (never overwritten).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// The sets table version to export (default: the latest); the queue goes in as it stood when that version was committed.
    #[arg(long)]
    pub version: Option<u64>,
}

/// Where the owner's Hypercore log and its signing key are.
#[derive(Debug, Args)]
pub struct LedgerLogLocation {
    /// The Hypercore log folder (default: DATA_DIR/ledger-log).
    #[arg(long = "log", value_name = "DIR", env = "AP_LEDGER_LOG")]
    pub log: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct LedgerPublishArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    #[command(flatten)]
    pub log: LedgerLogLocation,
    /// The log's ed25519 signing key, created with mode 0600 on first use;
    /// must be outside the log folder (default: DATA_DIR/ledger-log.key).
    #[arg(long, value_name = "FILE", env = "AP_LEDGER_LOG_KEY")]
    pub signing_key: Option<std::path::PathBuf>,
    /// The table version to publish (default: the latest).
    #[arg(long)]
    pub version: Option<u64>,
}

#[derive(Debug, Args)]
pub struct LedgerSeedArgs {
    #[command(flatten)]
    pub log: LedgerLogLocation,
    /// The address to serve on, HOST:PORT (port 0 picks one; printed on standard output).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: String,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    #[command(subcommand)]
    pub command: QueueCommand,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Queue a folder for posting; prints the job id.
    Add(QueueAddArgs),
    /// List the jobs in queue order with their latest state.
    List(QueueListArgs),
    /// Post the queued folders in order (several runners may share a ledger);
    /// prints `JOB_ID SECRET` per posted set.
    Run(Box<QueueRunArgs>),
}

#[derive(Debug, Args)]
pub struct QueueAddArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    /// The folder to post.
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct QueueListArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
}

#[derive(Debug, Args)]
pub struct QueueRunArgs {
    #[command(flatten)]
    pub at: LedgerLocation,
    /// Take one job only.
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub settings: PostFlags,
}

/// The full parser, for rendering man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
