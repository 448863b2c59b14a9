//! `ap-server ledger init|list|export|publish|seed`: the Delta Lake record
//! of posted sets, and its snapshots on the owner's Hypercore log.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use ap_ledger::Ledger;
use ap_server::cli::{
    LedgerArgs, LedgerCommand, LedgerExportArgs, LedgerInitArgs, LedgerListArgs, LedgerLogLocation,
    LedgerPublishArgs, LedgerSeedArgs,
};

/// The ledger's location: `--ledger`/`AP_LEDGER`, else DATA_DIR/ledger.
pub fn location(arg: Option<&str>) -> anyhow::Result<String> {
    if let Some(l) = arg {
        return Ok(l.to_owned());
    }
    let config = ap_pipeline::Config::load_default()?;
    Ok(config.data_dir().join("ledger").display().to_string())
}

pub fn run(args: &LedgerArgs) -> anyhow::Result<()> {
    match &args.command {
        LedgerCommand::Init(a) => init(a),
        LedgerCommand::List(a) => list(a),
        LedgerCommand::Export(a) => export(a),
        LedgerCommand::Publish(a) => publish(a),
        LedgerCommand::Seed(a) => seed(a),
    }
}

fn init(args: &LedgerInitArgs) -> anyhow::Result<()> {
    let at = location(args.at.ledger.as_deref())?;
    let mut recipients = args.recipients.clone();
    for file in &args.recipients_files {
        recipients.extend(recipient_lines(file)?);
    }
    if recipients.is_empty() {
        anyhow::bail!(
            "give the owner's recipient with --recipient or --recipients-file (`ap-client keygen` prints one)"
        );
    }
    Ledger::create(&at, &recipients)?;
    eprintln!(
        "ap-server: ledger created at {at}, sealed to {} recipient(s)",
        recipients.len()
    );
    Ok(())
}

fn recipient_lines(file: &PathBuf) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

fn list(args: &LedgerListArgs) -> anyhow::Result<()> {
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let rows = ledger.sets(None)?;
    let mut out = std::io::stdout().lock();
    print_sets(&mut out, rows.iter().map(|r| &r.info), args.json)?;
    Ok(())
}

/// One line per set: a table, or JSON objects (`--json`). Secret strings
/// are left out: they are for sharing, not for listings.
pub fn print_sets<'a>(
    out: &mut impl Write,
    sets: impl Iterator<Item = &'a ap_ledger::SetInfo>,
    json: bool,
) -> anyhow::Result<()> {
    for s in sets {
        let line = if json {
            serde_json::json!({
                "set_id": s.set_id,
                "title": s.title,
                "created_at": ap_ledger::utc_time(s.created_at),
                "posted_at": s.posted_at.map(ap_ledger::utc_time),
                "source_bytes": s.source_bytes,
                "posted_bytes": s.posted_bytes,
                "file_count": s.file_count,
                "article_count": s.article_count,
                "groups": s.groups,
                "server_host": s.server_host,
                "status": s.status,
            })
            .to_string()
        } else {
            format!(
                "{}  {}  {:>14}  {:>5} files  {:>7} articles  {:<8}  {}  {}",
                s.set_id,
                ap_ledger::utc_time(s.created_at),
                s.source_bytes,
                s.file_count,
                s.article_count,
                s.status,
                s.server_host,
                s.title
            )
        };
        writeln!(out, "{line}").context("cannot write to standard output")?;
    }
    Ok(())
}

fn export(args: &LedgerExportArgs) -> anyhow::Result<()> {
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let summary = ledger.export(&args.out, args.version)?;
    eprintln!(
        "ap-server: exported the ledger at {} ({} files) to {} ({} bytes)",
        summary.versions(),
        summary.files,
        args.out.display(),
        summary.bytes
    );
    Ok(())
}

/// The Hypercore log folder: `--log`/`AP_LEDGER_LOG`, else DATA_DIR/ledger-log.
fn log_dir(arg: &LedgerLogLocation) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &arg.log {
        return Ok(dir.clone());
    }
    Ok(ap_pipeline::Config::load_default()?
        .data_dir()
        .join("ledger-log"))
}

fn publish(args: &LedgerPublishArgs) -> anyhow::Result<()> {
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let dir = log_dir(&args.log)?;
    let key_file = match &args.signing_key {
        Some(f) => f.clone(),
        None => ap_pipeline::Config::load_default()?
            .data_dir()
            .join("ledger-log.key"),
    };
    let signer = ap_hyperlog::Signer::load_or_create(&key_file)?;
    let log = ap_hyperlog::DiskLog::new(&dir, signer)?;

    // The export writes a file; it lives only until it is in the log.
    let tmp = std::env::temp_dir().join(format!(
        "ap-ledger-publish-{}-{}.age",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let exported = read_export(&ledger, &tmp, args.version);
    let _ = std::fs::remove_file(&tmp);
    let (summary, snapshot) = exported?;
    let record = ap_hyperlog::blocking::publish(&log, &snapshot, summary.version)?;
    eprintln!(
        "ap-server: published snapshot {} (sets table version {}, {} bytes, blocks {}..{} and index block {}) on the log in {}",
        record.sequence,
        record.delta_version,
        record.size,
        record.first_block,
        record.first_block + record.block_count,
        record.first_block + record.block_count,
        dir.display()
    );
    eprintln!(
        "ap-server: followers pull it with `ap-client ledger pull --key KEY`, KEY being the line below"
    );
    println!("{}", log.public_key());
    Ok(())
}

/// Exports the snapshot to `tmp` and reads it back.
fn read_export(
    ledger: &Ledger,
    tmp: &std::path::Path,
    version: Option<u64>,
) -> anyhow::Result<(ap_ledger::SnapshotSummary, Vec<u8>)> {
    let summary = ledger.export(tmp, version)?;
    let bytes = std::fs::read(tmp).with_context(|| format!("cannot read {}", tmp.display()))?;
    Ok((summary, bytes))
}

fn seed(args: &LedgerSeedArgs) -> anyhow::Result<()> {
    let dir = log_dir(&args.log)?;
    ap_hyperlog::blocking::seed(
        &dir,
        &args.listen,
        |addr, key, latest| {
            eprintln!(
                "ap-server: seeding the ledger log {} on {addr}, latest snapshot {} (sets table version {})",
                dir.display(),
                latest.sequence,
                latest.delta_version
            );
            // One line for scripts: the address and the key to follow.
            println!("{addr} {key}");
        },
        |event| match event {
            ap_hyperlog::SeedEvent::Serving(r) => eprintln!(
                "ap-server: serving snapshot {} (sets table version {}, {} bytes)",
                r.sequence, r.delta_version, r.size
            ),
            ap_hyperlog::SeedEvent::PeerConnected(p) => eprintln!("ap-server: peer {p} connected"),
            ap_hyperlog::SeedEvent::PeerLeft(p, Ok(())) => eprintln!("ap-server: peer {p} left"),
            ap_hyperlog::SeedEvent::PeerLeft(p, Err(e)) => {
                eprintln!("ap-server: peer {p} left: {e}")
            }
            ap_hyperlog::SeedEvent::WatchFailed(e) => {
                eprintln!(
                    "ap-server: cannot re-read the log, still serving the previous snapshot: {e}"
                )
            }
        },
    )?;
    Ok(())
}

/// Records a set `ap-server post` posted in the ledger (`AP_LEDGER`, else
/// DATA_DIR/ledger) when one has been created there; returns its location.
/// Without a ledger the post keeps only its JSON record.
pub fn record_post(
    data_dir: &std::path::Path,
    source: &std::path::Path,
    record: &std::path::Path,
    posted: &ap_pipeline::Posted,
    secret: &str,
) -> anyhow::Result<Option<String>> {
    let at = match std::env::var("AP_LEDGER") {
        Ok(l) if !l.is_empty() => l,
        _ => data_dir.join("ledger").display().to_string(),
    };
    if !at.contains("://") && !std::path::Path::new(&at).join("sets").is_dir() {
        return Ok(None);
    }
    let ledger = Ledger::open(&at)?;
    // The JSON record's name (date and a K-derived tag) ties the two records.
    let set_id = record
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut info = super::queue::set_info(&set_id, posted, secret);
    if info.title.is_empty() {
        info.title = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    ledger.record_set(info, &posted.descriptor.key)?;
    Ok(Some(at))
}
