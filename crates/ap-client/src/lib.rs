//! Command-line definition of `ap-client`, the fetching side of ap.
//!
//! The binary (`src/main.rs`) parses [`cli::Cli`] and hands each subcommand to
//! a module under `src/cmd/`. The definition lives in this library half so that
//! `cargo xtask assets` renders man pages and shell completions from exactly
//! the parser users run; nothing else belongs here.

pub mod cli;
