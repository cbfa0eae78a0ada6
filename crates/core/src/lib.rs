//! exhunt's engine: finds the logs of an Exchange server in an evidence tree, reads them as
//! streams, runs the detection rules (data, not code), and groups the findings into stories and
//! a verdict per host. The result is a [`ScanReport`]; the writers that turn it into console,
//! JSONL, CSV and HTML output live in `exhunt-report` and only read it.
//!
//! The flow is one-way: [`discover`] → [`read`] → [`detect`] → [`correlate`] → [`access`]
//! (what the intruders reached, who used each backdoor);
//! [`scan::scan`] wires it.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod access;
pub mod cancel;
pub mod correlate;
pub mod detect;
pub mod discover;
pub mod guard;
pub mod model;
pub mod read;
pub mod rules;
pub mod scan;
pub mod special;

pub use model::{Finding, ScanIssue, Severity, SourceKind, Stage, VerdictLevel};
pub use rules::{RuleSet, RuleSources};
pub use scan::{scan, ScanConfig, ScanReport};
