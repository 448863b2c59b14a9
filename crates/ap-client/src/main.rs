//! `ap-client`: parse arguments, run one subcommand, report one error line.

use std::process::ExitCode;

use ap_client::cli::{Cli, Command};
use clap::Parser;

mod cmd;
mod packaged;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Completions(args) => cmd::completions::run(&args),
        Command::Repair(args) => cmd::repair::run(&args),
        Command::Extract(args) => cmd::extract::run(&args),
        Command::Fetch(args) => cmd::fetch::run(&args),
        Command::Ledger(args) => cmd::ledger::run(&args),
        Command::Send(args) => cmd::send::run(&args),
        Command::Nzb(args) => cmd::nzb::run(&args),
        Command::Secret(args) => cmd::secret::run(&args),
        Command::Keygen(args) => cmd::keygen::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` keeps the whole context chain on one line.
            eprintln!("ap-client: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
