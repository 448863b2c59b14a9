//! `ap-server queue add|list|run`: the posting queue in the ledger's `jobs`
//! table. `run` takes queued jobs in order (two runners never take the same
//! job), posts each folder like `ap-server post` and records the set.

use std::io::Write;

use anyhow::Context;
use ap_ledger::{JobState, Ledger, SetInfo};
use ap_pipeline::Posted;
use ap_server::cli::{QueueAddArgs, QueueArgs, QueueCommand, QueueListArgs, QueueRunArgs};

use super::ledger::location;

pub fn run(args: &QueueArgs) -> anyhow::Result<()> {
    match &args.command {
        QueueCommand::Add(a) => add(a),
        QueueCommand::List(a) => list(a),
        QueueCommand::Run(a) => run_queue(a),
    }
}

fn add(args: &QueueAddArgs) -> anyhow::Result<()> {
    let dir = std::path::absolute(&args.dir)
        .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let job = ledger.queue_add(&dir)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", job.job_id).context("cannot write to standard output")?;
    Ok(())
}

fn list(args: &QueueListArgs) -> anyhow::Result<()> {
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let mut out = std::io::stdout().lock();
    for job in ledger.jobs()? {
        let line = format!(
            "{}  {:<9}  {}  {}{}",
            job.job_id,
            job.state,
            ap_ledger::utc_time(job.updated_at.div_euclid(1_000_000)),
            job.source_dir,
            job.reason.map(|r| format!("  ({r})")).unwrap_or_default()
        );
        writeln!(out, "{line}").context("cannot write to standard output")?;
    }
    Ok(())
}

fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

fn run_queue(args: &QueueRunArgs) -> anyhow::Result<()> {
    let super::post::Prepared {
        sealed_to,
        target,
        options,
        ..
    } = super::post::prepare(&args.settings, None)?;
    let ledger = Ledger::open(&location(args.at.ledger.as_deref())?)?;
    let worker = worker_name();
    let mut posted_jobs = 0usize;
    let mut failed = 0usize;
    while let Some(job) = ledger.take_next(&worker)? {
        eprintln!("ap-server: job {}: posting {}", job.job_id, job.source_dir);
        ledger.advance(&job.job_id, &worker, JobState::Posting, None, None)?;
        let source = std::path::Path::new(&job.source_dir);
        let result = ap_pipeline::post(source, &options, &target, None)
            .map_err(anyhow::Error::from)
            .and_then(|posted| {
                let secret = ap_secret_codec::seal(&posted.descriptor, &sealed_to)?;
                Ok((posted, secret))
            });
        match result {
            Ok((posted, secret)) => {
                let mut info = set_info(&job.job_id, &posted, secret.expose());
                if info.title.is_empty() {
                    // The ledger is private: the folder's name helps find the set.
                    info.title = source
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                }
                ledger.record_posted(&job.job_id, &worker, info, &posted.descriptor.key)?;
                eprintln!(
                    "ap-server: job {}: done ({} articles to {})",
                    job.job_id, posted.articles, posted.server
                );
                let mut out = std::io::stdout().lock();
                writeln!(out, "{} {}", job.job_id, secret.expose())
                    .context("cannot write to standard output")?;
                posted_jobs += 1;
            }
            Err(err) => {
                let reason = format!("{err:#}");
                ledger.advance(&job.job_id, &worker, JobState::Failed, Some(&reason), None)?;
                eprintln!("ap-server: job {}: failed: {reason}", job.job_id);
                failed += 1;
            }
        }
        if args.once {
            break;
        }
    }
    eprintln!("ap-server: queue: {posted_jobs} posted, {failed} failed");
    if failed > 0 {
        anyhow::bail!("{failed} job(s) failed (see `ap-server queue list`)");
    }
    Ok(())
}

/// What the ledger keeps of a posted set.
pub fn set_info(set_id: &str, posted: &Posted, secret: &str) -> SetInfo {
    let d = &posted.descriptor;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs())
        .unwrap_or(0);
    SetInfo {
        set_id: set_id.to_owned(),
        title: d.title.clone(),
        created_at: i64::try_from(d.date).unwrap_or(i64::MAX),
        posted_at: Some(i64::try_from(now).unwrap_or(i64::MAX)),
        source_bytes: posted.data_bytes,
        posted_bytes: d.files.iter().map(|f| f.size).sum(),
        file_count: u32::try_from(d.files.len()).unwrap_or(u32::MAX),
        article_count: posted.articles,
        groups: d.groups.clone(),
        server_host: posted.server.clone(),
        status: "posted".into(),
        secret: secret.to_owned(),
    }
}
