//! The `exhunt` command line: turns arguments into a scan configuration and wires the
//! hunters (logs, exposure, events, files) to the report writers. Detection logic lives in
//! the `exhunt-*` crates.

#![deny(missing_docs)]

pub mod cli;
pub mod collection;
pub mod commands;
pub mod exposure;
pub mod fleet_output;
pub mod interrupt;
pub mod multi;
pub mod pipeline;
pub mod progress;
pub mod roots;
