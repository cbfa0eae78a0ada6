//! One module per subcommand that lives in this crate.

pub mod merge;
pub mod rules;
pub mod scan;
