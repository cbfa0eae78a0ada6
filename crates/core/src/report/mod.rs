//! Report writers: each output format turns a finished [`ScanReport`] into bytes. Writers
//! never parse evidence; they only see findings, stories, verdicts and coverage.

pub mod console;
pub mod jsonl;

use crate::scan::ScanReport;

/// An output format.
pub trait ReportWriter {
    /// Write the whole report.
    fn write_report(&mut self, report: &ScanReport) -> std::io::Result<()>;
}

/// RFC 3339 UTC with a `Z`, as every output prints times.
pub fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
