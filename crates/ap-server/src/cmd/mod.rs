//! One module per subcommand.

pub mod archive;
pub mod completions;
pub mod spool;
