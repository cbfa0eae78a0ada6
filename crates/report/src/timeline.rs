//! The Timesketch timeline: one CSV row per finding, ordered in time.
//!
//! Timesketch's CSV importer needs three columns — `message`, `datetime` (ISO 8601) and
//! `timestamp_desc` — and keeps every other column as an attribute of the event. Rows are
//! ordered by time; findings whose evidence carries no time come last, stamped with the scan's
//! start time and `timestamp_desc` [`UNTIMED_DESC`], with `time_known` = `false`, so that the
//! importer accepts them and they sort after the evidence in Timesketch too.
//!
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) get a leading `'`, as OWASP recommends for CSV exports: an attacker picks
//! the user agent and URL that end up in the evidence.

use std::io::Write;

use crate::writer::{rfc3339, ReportWriter};
use exhunt_core::model::Location;
use exhunt_core::{Finding, ScanReport, SourceKind};

use crate::moments;

/// The columns, in order. The first three are the ones Timesketch requires.
pub const COLUMNS: [&str; 28] = [
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "time_known",
    "key_moment",
    "data_type",
    "host",
    "severity",
    "stage",
    "rule_id",
    "title",
    "cves",
    "attack",
    "campaign_tags",
    "story",
    "client_ip",
    "url_path",
    "outcome",
    "request_id",
    "source",
    "path",
    "line",
    "record_id",
    "evidence",
    "notes",
    "fields",
    "extra",
];

/// The `timestamp_desc` of findings whose evidence has no time.
pub const UNTIMED_DESC: &str = "Scan Time (no time in evidence)";

/// Writes the findings of a report as a Timesketch CSV timeline.
pub struct TimelineCsvWriter<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> TimelineCsvWriter<W> {
    /// A writer over `out` (a file, or any `Write`).
    pub fn new(out: W) -> Self {
        TimelineCsvWriter {
            out: csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Necessary)
                .from_writer(out),
            header_written: false,
        }
    }

    /// Finish and hand back the inner writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// What kind of time a finding's timestamp is.
fn timestamp_desc(f: &Finding) -> &'static str {
    match f.source {
        SourceKind::Evtx => "Event Recorded",
        SourceKind::Files => "File Time",
        _ => "Log Entry Time",
    }
}

/// Prefix cells a spreadsheet would evaluate.
pub(crate) fn neutral(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        Some(b'-') if s.len() > 1 && s.parse::<f64>().is_err() => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn message(f: &Finding) -> String {
    let mut m = format!(
        "[{}] {}: {}",
        f.severity.as_str().to_uppercase(),
        f.rule.id,
        f.rule.title
    );
    if let Some(ip) = &f.client_ip {
        m.push_str(&format!(" — from {ip}"));
    }
    if let Some(u) = &f.url_path {
        m.push_str(&format!(" to {u}"));
    }
    m
}

/// Report order: timed findings by time, then untimed; ties by host, path, line, rule.
pub(crate) fn order(findings: &[Finding]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..findings.len()).collect();
    idx.sort_by(|&a, &b| {
        let (fa, fb) = (&findings[a], &findings[b]);
        (
            fa.timestamp.is_none(),
            fa.timestamp,
            &fa.host,
            &fa.path,
            fa.line(),
            &fa.rule.id,
        )
            .cmp(&(
                fb.timestamp.is_none(),
                fb.timestamp,
                &fb.host,
                &fb.path,
                fb.line(),
                &fb.rule.id,
            ))
    });
    idx
}

impl<W: Write> ReportWriter for TimelineCsvWriter<W> {
    /// Writes the header once, then the report's rows: a scan of several roots calls this
    /// once per root and gets one timeline.
    fn write_report(&mut self, r: &ScanReport) -> std::io::Result<()> {
        if !self.header_written {
            self.out.write_record(COLUMNS)?;
            self.header_written = true;
        }
        let moments = moments::per_host(&r.findings);
        for i in order(&r.findings) {
            let f = &r.findings[i];
            let (datetime, micros, known) = match f.timestamp {
                Some(t) => (rfc3339(&t), t.timestamp_micros(), true),
                None => (rfc3339(&r.started), r.started.timestamp_micros(), false),
            };
            let key = moments
                .get(f.host.as_str())
                .map(|k| k.labels(i).join("; "))
                .unwrap_or_default();
            let (line, record) = match f.location {
                Location::Line { line } => (line.to_string(), String::new()),
                Location::Record { record_id } => (String::new(), record_id.to_string()),
                Location::File => (String::new(), String::new()),
            };
            let opt = |o: &Option<String>| o.clone().unwrap_or_default();
            let fields = if f.fields.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&f.fields).unwrap_or_default()
            };
            let extra = if f.extra.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&f.extra).unwrap_or_default()
            };
            let row: [String; 28] = [
                message(f),
                datetime,
                if known {
                    timestamp_desc(f)
                } else {
                    UNTIMED_DESC
                }
                .to_string(),
                micros.to_string(),
                known.to_string(),
                key,
                "exhunt:finding".to_string(),
                f.host.clone(),
                f.severity.as_str().to_string(),
                f.rule.stage.as_str().to_string(),
                f.rule.id.clone(),
                f.rule.title.clone(),
                f.rule.cves.join(", "),
                f.rule.attack.join(", "),
                f.rule.tags.join(", "),
                f.story.map(|s| s.to_string()).unwrap_or_default(),
                opt(&f.client_ip),
                opt(&f.url_path),
                format!("{:?}", f.outcome).to_lowercase(),
                opt(&f.request_id),
                f.source.as_str().to_string(),
                f.path.clone(),
                line,
                record,
                f.evidence.clone(),
                f.notes.join(" | "),
                fields,
                extra,
            ];
            self.out.write_record(row.iter().map(|c| neutral(c)))?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_but_numbers_and_dashes_kept() {
        assert_eq!(neutral("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutral("+1"), "'+1");
        assert_eq!(neutral("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutral("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(neutral("-"), "-");
        assert_eq!(neutral("-12"), "-12");
        assert_eq!(
            neutral("2021-03-03 02:41:27 POST"),
            "2021-03-03 02:41:27 POST"
        );
    }
}
