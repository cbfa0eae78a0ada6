//! exhunt's hand-over outputs, for the people and tools that act on a scan:
//!
//! * [`TimelineCsvWriter`]: every finding as one row of a CSV that Timesketch imports as is
//!   (`message`, `datetime`, `timestamp_desc` plus the finding's fields), ordered in time.
//! * [`HtmlWriter`]: one self-contained HTML incident report per scan — verdict, coverage, a
//!   timeline chart, the attack stories, every finding with its evidence and a remediation
//!   checklist — that works offline and treats every attacker-controlled string as data.
//!
//! Both implement [`exhunt_core::report::ReportWriter`]; they only read the finished
//! [`exhunt_core::ScanReport`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod html;
mod moments;
mod remediation;
pub mod timeline;

pub use html::{HtmlOptions, HtmlWriter};
pub use timeline::TimelineCsvWriter;
