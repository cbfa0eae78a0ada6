//! exhunt's engine: finds the logs of an Exchange server in an evidence tree, reads them as
//! streams, runs the detection rules (data, not code), groups the findings into stories and a
//! verdict per host, and writes reports.
//!
//! The flow is one-way: [`discover`] → [`read`] → [`detect`] → [`correlate`] → [`report`];
//! [`scan::scan`] wires it.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod correlate;
pub mod detect;
pub mod discover;
pub mod guard;
pub mod model;
pub mod read;
pub mod report;
pub mod rules;
pub mod scan;

pub use model::{Finding, ScanIssue, Severity, SourceKind, Stage, VerdictLevel};
pub use rules::{RuleSet, RuleSources};
pub use scan::{scan, ScanConfig, ScanReport};
