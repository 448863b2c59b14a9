//! `ap-server`: parse arguments, run one subcommand, report one error line.

use std::process::ExitCode;

use ap_server::cli::{Cli, Command};
use clap::Parser;

mod cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Completions(args) => cmd::completions::run(&args),
        Command::Par2(args) => cmd::par2::run(&args),
        Command::Archive(args) => cmd::archive::run(&args),
        Command::Post(args) => cmd::post::run(&args),
        Command::Ledger(args) => cmd::ledger::run(&args),
        Command::Queue(args) => cmd::queue::run(&args),
        Command::Spool(args) => cmd::spool::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` keeps the whole context chain on one line.
            eprintln!("ap-server: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
