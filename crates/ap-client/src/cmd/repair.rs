//! `ap-client repair`: verify a PAR2 set, repair it if needed, and say what
//! happened in one line. Exit status 0: the files are complete (or now
//! repaired); otherwise an error line says what is wrong and what would fix it.

use anyhow::{Context, bail};
use ap_client::cli::RepairArgs;
use ap_parity::{FileStatus, RecoverySet, repair, verify};

pub fn run(args: &RepairArgs) -> anyhow::Result<()> {
    let index = args.index.display();
    let set = RecoverySet::open(&args.index).with_context(|| format!("reading {index}"))?;
    let v = verify(&set).with_context(|| format!("verifying {index}"))?;
    let files = v.files.len();
    if v.is_complete() {
        println!("{index}: all {files} files are complete");
        return Ok(());
    }
    let count = |s: FileStatus| v.files.iter().filter(|f| f.status == s).count();
    let problems = format!(
        "{} damaged, {} missing, {} renamed; {} slices to rebuild, {} recovery slices",
        count(FileStatus::Damaged),
        count(FileStatus::Missing),
        count(FileStatus::Renamed),
        v.missing_slices(),
        v.recovery_available
    );
    if args.verify_only {
        bail!("{index}: {problems}: run without --verify-only to repair");
    }
    if !v.is_repairable() {
        bail!("{index}: {problems}: not enough recovery data; fetch more .par2 volumes");
    }
    let memory = usize::try_from(args.memory).unwrap_or(usize::MAX);
    let done = repair(&set, &v, memory).with_context(|| format!("repairing {index}"))?;
    println!(
        "{index}: repaired {} of {files} files ({problems})",
        done.files.len()
    );
    Ok(())
}
