//! One module per subcommand that lives in this crate.

pub mod rules;
pub mod scan;
