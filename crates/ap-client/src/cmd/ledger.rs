//! `ap-client ledger import|list`: restore a ledger snapshot and list the
//! sets whose keys the given identities open.

use std::io::Write;

use anyhow::Context;
use ap_client::cli::{LedgerArgs, LedgerCommand, LedgerImportArgs, LedgerListArgs};
use ap_ledger::Ledger;
use ap_secret_codec::recipients::Identities;

pub fn run(args: &LedgerArgs) -> anyhow::Result<()> {
    match &args.command {
        LedgerCommand::Import(a) => import(a),
        LedgerCommand::List(a) => list(a),
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
        "ap-client: imported the sets table at version {} ({sets} sets) into {}",
        summary.version,
        args.into.display()
    );
    Ok(())
}

fn list(args: &LedgerListArgs) -> anyhow::Result<()> {
    let ids = identities(&args.identities)?;
    let ledger = Ledger::open(&args.ledger.display().to_string())?;
    let rows = ledger.sets(None)?;
    let total = rows.len();
    let mut out = std::io::stdout().lock();
    let mut shown = 0;
    for row in rows.iter().filter(|r| r.open_key(&ids).is_ok()) {
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
