//! The one interface between the engine and every output format: a writer receives the finished
//! [`ScanReport`] and turns it into bytes. Writers never parse evidence; they only read findings,
//! stories, verdicts and coverage (as ripgrep's printers only see what its searcher found).

use exhunt_core::ScanReport;

/// An output format.
pub trait ReportWriter {
    /// Write the whole report.
    fn write_report(&mut self, report: &ScanReport) -> std::io::Result<()>;
}

/// For an interrupted scan, one sentence saying so and how far each hunter got; `None` for a
/// complete scan.
pub fn incomplete_summary(r: &ScanReport) -> Option<String> {
    let why = r.interrupted.as_ref()?;
    let parts: Vec<String> = r
        .progress
        .iter()
        .filter(|p| p.work.files_found > 0)
        .map(|p| {
            let w = &p.work;
            let mut s = format!(
                "{}: {} of {} file(s) read",
                p.hunter, w.files_read, w.files_found
            );
            if w.files_partly_read > 0 {
                s.push_str(&format!(", {} partly", w.files_partly_read));
            }
            if w.bytes_found > 0 && w.bytes_read < w.bytes_found {
                s.push_str(&format!(
                    " ({:.0} % of the bytes)",
                    100.0 * w.bytes_read as f64 / w.bytes_found as f64
                ));
            }
            s
        })
        .collect();
    Some(format!(
        "INCOMPLETE SCAN — {why}. The verdicts cover only what was read{}{}.",
        if parts.is_empty() { "" } else { ": " },
        parts.join("; ")
    ))
}

/// RFC 3339 UTC with a `Z`, as every output prints times.
pub fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
