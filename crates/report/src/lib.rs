//! Every output format of exhunt, in one place. Each writer only reads the finished
//! [`exhunt_core::ScanReport`] through the [`ReportWriter`] trait; none parses evidence.
//!
//! * [`ConsoleWriter`]: the verdict first, then coverage, findings by stage, stories and input
//!   problems, for a person at a terminal (or one line per finding in table style).
//! * [`JsonlWriter`]: one JSON object per finding, story, input problem and rule problem, then a
//!   summary line: the contract other tools build on.
//! * [`TimelineCsvWriter`]: every finding as one row of a CSV that Timesketch imports as is
//!   (`message`, `datetime`, `timestamp_desc` plus the finding's fields), ordered in time.
//! * [`HtmlWriter`]: one self-contained HTML incident report per scan — verdict, coverage, a
//!   timeline chart, the attack stories, every finding with its evidence and a remediation
//!   checklist — that works offline and treats every attacker-controlled string as data.
//! * [`fleet`]: the fleet view (many servers and organisations, from a multi-root scan or
//!   `exhunt merge`) in every format: console, JSONL fleet lines, an HTML fleet page, the
//!   indicator CSV and a STIX 2.1 bundle.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod console;
pub mod fleet;
pub mod html;
pub mod jsonl;
mod moments;
mod remediation;
pub mod rulelabel;
pub mod timeline;
pub mod writer;

pub use console::{ConsoleStyle, ConsoleWriter};
pub use fleet::{
    FleetConsoleWriter, FleetHtmlWriter, FleetJsonlWriter, FleetWriter, IndicatorCsvWriter,
    StixOptions, StixWriter,
};
pub use html::{HtmlOptions, HtmlWriter};
pub use jsonl::JsonlWriter;
pub use timeline::TimelineCsvWriter;
pub use writer::{incomplete_summary, rfc3339, ReportWriter};
