//! Project automation for ap: `cargo xtask <task>`.
//!
//! Everything a developer or CI runs beyond plain cargo lives here, so the
//! README's commands and `.ci/run` stay one line each.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod assets;
mod bench;
mod ci;
mod fuzz;
mod inn;
mod peers;
mod sh;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "ap's project automation")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install, start, stop or inspect the peer tools the tests talk to.
    Peers {
        #[command(subcommand)]
        action: PeersAction,
    },
    /// fmt, clippy, cargo-deny and every test, with the peers up.
    Ci,
    /// Run one fuzz target on the nightly toolchain (`list` shows them).
    Fuzz {
        /// Target name, or `list`.
        target: String,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 60)]
        time: u64,
    },
    /// Ours and the peers on the same inputs, side by side, into docs/BENCHMARKS.md.
    Bench(bench::BenchArgs),
    /// Render man pages and shell completions of ap-server and ap-client.
    Assets {
        #[arg(long, default_value = "target/assets")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum PeersAction {
    /// Install every missing peer (apt, pip, npm, cargo); idempotent. Needs root.
    Install,
    /// Start INN2 on 127.0.0.1:1119 without systemd.
    Start,
    /// Stop the INN2 that `start` started.
    Stop,
    /// Show each peer and whether INN2 is up; fails if any peer is missing.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Peers {
            action: PeersAction::Install,
        } => peers::install(),
        Task::Peers {
            action: PeersAction::Start,
        } => inn::start(),
        Task::Peers {
            action: PeersAction::Stop,
        } => inn::stop(),
        Task::Peers {
            action: PeersAction::Status,
        } => peers::status(),
        Task::Ci => ci::ci(),
        Task::Fuzz { target, .. } if target == "list" => fuzz::list(),
        Task::Fuzz { target, time } => fuzz::fuzz(&target, time),
        Task::Bench(args) => bench::bench(&args),
        Task::Assets { out } => assets::assets(&sh::repo_root().join(out)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
