//! One module per subcommand.

pub mod archive;
pub mod completions;
pub mod ledger;
pub mod par2;
pub mod post;
pub mod queue;
pub mod spool;
