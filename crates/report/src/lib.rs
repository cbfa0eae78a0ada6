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

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod console;
pub mod html;
pub mod jsonl;
mod moments;
mod remediation;
pub mod rulelabel;
pub mod timeline;
pub mod writer;

pub use console::{ConsoleStyle, ConsoleWriter};
pub use html::{HtmlOptions, HtmlWriter};
pub use jsonl::JsonlWriter;
pub use timeline::TimelineCsvWriter;
pub use writer::{rfc3339, ReportWriter};
