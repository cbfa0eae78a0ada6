//! The `exhunt` command line: turns arguments into a scan configuration and wires the
//! engine to the report writers. All detection logic lives in `exhunt-core`.

#![deny(missing_docs)]

pub mod cli;
