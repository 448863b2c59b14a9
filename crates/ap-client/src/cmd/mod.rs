//! One module per subcommand.

pub mod completions;
pub mod extract;
pub mod fetch;
pub mod keygen;
pub mod ledger;
pub mod nzb;
pub mod repair;
pub mod secret;
pub mod send;
