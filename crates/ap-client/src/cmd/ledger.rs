//! `ap-client ledger import|list|pull`: restore a ledger snapshot (from a
//! file, or from the owner's Hypercore log) and list the sets whose keys the
//! given identities open.

use std::io::Write;

use anyhow::Context;
use ap_client::cli::{LedgerArgs, LedgerCommand, LedgerImportArgs, LedgerListArgs, LedgerPullArgs};
use ap_ledger::Ledger;
use ap_secret_codec::recipients::Identities;

pub fn run(args: &LedgerArgs) -> anyhow::Result<()> {
    match &args.command {
        LedgerCommand::Import(a) => import(a),
        LedgerCommand::List(a) => list(a),
        LedgerCommand::Pull(a) => pull(a),
    }
}

/// The identities given with -i, else the default identity file.
fn identities(paths: &[std::path::PathBuf]) -> anyhow::Result<Identities> {
    let mut ids: Identities = Vec::new();
    for path in paths {
        ids.extend(ap_secret_codec::read_identity_file(path)?);
    }
    if paths.is_empty()
        && let Some(path) = super::nzb::default_identity().filter(|p| p.is_file())
    {
        ids.extend(ap_secret_codec::read_identity_file(&path)?);
    }
    if ids.is_empty() {
        anyhow::bail!("give the ledger owner's identity with -i IDENTITY");
    }
    Ok(ids)
}

fn import(args: &LedgerImportArgs) -> anyhow::Result<()> {
    let ids = identities(&args.identities)?;
    let summary = ap_ledger::import(&args.file, &ids, &args.into)?;
    let ledger = Ledger::open(&args.into.display().to_string())
        .with_context(|| format!("the imported ledger in {}", args.into.display()))?;
    let sets = ledger.sets(None)?.len();
    eprintln!(
        "ap-client: imported the ledger at {} ({sets} sets) into {}",
        summary.versions(),
        args.into.display()
    );
    Ok(())
}

fn pull(args: &LedgerPullArgs) -> anyhow::Result<()> {
    let key: ap_hyperlog::PublicKey = args.key.parse()?;
    let ids = identities(&args.identities)?;
    let pulled = ap_hyperlog::blocking::pull(&args.from, &key)?;
    let record = &pulled.record;
    eprintln!(
        "ap-client: fetched snapshot {} (sets table version {}, {} bytes in {} blocks, SHA-256 checked) from {}",
        record.sequence, record.delta_version, record.size, record.block_count, args.from
    );
    // The import reads a file; this one lives only until the table is restored.
    let tmp = std::env::temp_dir().join(format!(
        "ap-ledger-pull-{}-{}.age",
        std::process::id(),
        record.sequence
    ));
    std::fs::write(&tmp, &pulled.snapshot)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    let imported = ap_ledger::import(&tmp, &ids, &args.into);
    let _ = std::fs::remove_file(&tmp);
    let summary = imported?;
    eprintln!(
        "ap-client: restored the ledger at {} into {}",
        summary.versions(),
        args.into.display()
    );
    print_open_sets(&args.into, &ids)
}

fn list(args: &LedgerListArgs) -> anyhow::Result<()> {
    let ids = identities(&args.identities)?;
    print_open_sets(&args.ledger, &ids)
}

/// One line per set whose key `ids` open.
fn print_open_sets(dir: &std::path::Path, ids: &Identities) -> anyhow::Result<()> {
    let ledger = Ledger::open(&dir.display().to_string())?;
    let rows = ledger.sets(None)?;
    let total = rows.len();
    let mut out = std::io::stdout().lock();
    let mut shown = 0;
    for row in rows.iter().filter(|r| r.open_key(ids).is_ok()) {
        let s = &row.info;
        writeln!(
            out,
            "{}  {}  {:>14}  {:>5} files  {:>7} articles  {:<8}  {}",
            s.set_id,
            ap_ledger::utc_time(s.created_at),
            s.source_bytes,
            s.file_count,
            s.article_count,
            s.status,
            s.title
        )
        .context("cannot write to standard output")?;
        shown += 1;
    }
    if shown < total {
        eprintln!(
            "ap-client: {} of {total} sets are sealed to other identities and not shown",
            total - shown
        );
    }
    Ok(())
}
