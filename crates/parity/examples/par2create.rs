//! `par2create OUT_DIR BASE PCT SLICE FILES...`: create a set from the
//! command line, for quick checks against other PAR2 tools.
#![allow(clippy::unwrap_used)]
use std::path::PathBuf;

use ap_parity::{CreateOptions, Redundancy, create_files};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opts = CreateOptions {
        redundancy: Redundancy::Percent(args[3].parse().unwrap()),
        slice_size: args[4].parse().ok().filter(|&s| s > 0),
        ..CreateOptions::default()
    };
    let files: Vec<PathBuf> = args[5..].iter().map(PathBuf::from).collect();
    let r = create_files(&files, &PathBuf::from(&args[1]), &args[2], &opts).unwrap();
    println!("{:?}", r.created);
}
