//! Drives [`ap_parity::create_files`] from the command line exactly as
//! `ap-server par2` does, without building the server (whose dependency tree
//! is large): for profiling and for quick side-by-side timings.
//!
//! `par2create OUT_DIR SLICE_SIZE (PCT% | COUNT) FILE...`, e.g.
//! `par2create /tmp/o 768000 10% data.bin`. `AP_PAR2_MEMORY` (bytes) sets the
//! memory budget (default 1 GiB, as the server's `--memory`).

use std::path::PathBuf;

use ap_parity::{CreateOptions, Redundancy, create_files};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        return Err("usage: par2create OUT_DIR SLICE_SIZE (PCT% | COUNT) FILE...".into());
    }
    let out = PathBuf::from(&args[0]);
    let slice: u64 = args[1].parse()?;
    let redundancy = match args[2].strip_suffix('%') {
        Some(p) => Redundancy::Percent(p.parse()?),
        None => Redundancy::Slices(args[2].parse()?),
    };
    let files: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
    let mut options = CreateOptions {
        slice_size: Some(slice),
        redundancy,
        ..CreateOptions::default()
    };
    if let Ok(m) = std::env::var("AP_PAR2_MEMORY") {
        options.memory = m.parse()?;
    }
    std::fs::create_dir_all(&out)?;
    let report = create_files(&files, &out, "set", &options)?;
    let c = &report.created;
    println!(
        "{}: {} input slices, {} recovery slices, {} volumes, spilled: {}",
        c.index.display(),
        c.input_slices,
        c.recovery_slices,
        c.volumes.len(),
        report.spilled_to.is_some()
    );
    Ok(())
}
