//! The one interface between the engine and every output format: a writer receives the finished
//! [`ScanReport`] and turns it into bytes. Writers never parse evidence; they only read findings,
//! stories, verdicts and coverage (as ripgrep's printers only see what its searcher found).

use exhunt_core::ScanReport;

/// An output format.
pub trait ReportWriter {
    /// Write the whole report.
    fn write_report(&mut self, report: &ScanReport) -> std::io::Result<()>;
}

/// RFC 3339 UTC with a `Z`, as every output prints times.
pub fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
