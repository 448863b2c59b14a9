//! `ap-server par2`: one PAR2 2.0 recovery set over the given files.

use anyhow::Context;
use ap_parity::{CreateOptions, Redundancy, VolumeLayout, create_files};
use ap_server::cli::Par2Args;

pub fn run(args: &Par2Args) -> anyhow::Result<()> {
    let base = match &args.name {
        Some(n) => n.clone(),
        None => {
            ap_parity::stored_name(&args.files[0]).context("naming the set after the first file")?
        }
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let options = CreateOptions {
        slice_size: args.slice_size,
        redundancy: match args.recovery_slices {
            Some(n) => Redundancy::Slices(n),
            None => Redundancy::Percent(args.redundancy),
        },
        layout: args
            .uniform
            .map_or(VolumeLayout::Doubling, VolumeLayout::Uniform),
        memory: usize::try_from(args.memory).unwrap_or(usize::MAX),
        ..CreateOptions::default()
    };
    let report = create_files(&args.files, &args.out, &base, &options)
        .with_context(|| format!("creating the PAR2 set {base}"))?;
    let c = &report.created;
    if let Some(spill) = &report.spilled_to {
        eprintln!(
            "ap-server: recovery data exceeded --memory {}; it was kept in {} while encoding",
            args.memory,
            spill.display()
        );
    }
    println!(
        "{}: {} input slices of {} bytes, {} recovery slices in {} volume files",
        c.index.display(),
        c.input_slices,
        c.slice_size,
        c.recovery_slices,
        c.volumes.len()
    );
    Ok(())
}
