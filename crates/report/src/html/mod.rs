//! The HTML incident report: one self-contained file (inline CSS, script and SVG; no network
//! fetches) that a responder can hand over on a USB stick.
//!
//! Safety: every string from the report goes through [`escape::esc`]; no `href` or `src` is
//! ever built from evidence; and a Content-Security-Policy meta tag allows exactly this
//! crate's own style and script (by their SHA-256, computed at build time), so even a missed
//! escape could not run a script or fetch anything.

mod access;
mod axis;
mod chart;
pub mod escape;
mod findings;
mod page;
mod stories;
pub(crate) mod util;

use std::io::Write;

use crate::writer::ReportWriter;
use exhunt_core::ScanReport;

mod hashes {
    include!(concat!(env!("OUT_DIR"), "/csp_hashes.rs"));
}

/// The page's style sheet, embedded byte for byte (its hash is in the CSP).
pub(crate) const STYLE: &str = include_str!("../../assets/report.css");
/// The page's script, embedded byte for byte (its hash is in the CSP).
pub(crate) const SCRIPT: &str = include_str!("../../assets/report.js");

/// The Content-Security-Policy of the report: nothing may load or run but the page's own
/// style and script; images only as `data:` URLs; no forms, no `<base>`.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        hashes::STYLE_HASH,
        hashes::SCRIPT_HASH
    )
}

/// How the HTML report is laid out and how much of a large scan it shows.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// The report heading.
    pub title: String,
    /// A handling label shown in the header, e.g. `TLP:AMBER` (`None`: no label).
    pub classification: Option<String>,
    /// At most this many findings are listed per rule (the rest are counted and summarised).
    pub max_rows_per_rule: usize,
    /// At most this many findings are listed in the whole report.
    pub max_rows_total: usize,
    /// Evidence longer than this many characters is cut (the cut is marked).
    pub max_evidence_chars: usize,
    /// At most this many rows per story timeline.
    pub max_story_rows: usize,
    /// At most this many stories per host are shown in detail (the most severe); the others
    /// are listed in one table.
    pub max_stories: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            title: "Exchange compromise assessment".into(),
            classification: Some("TLP:AMBER".into()),
            max_rows_per_rule: 100,
            max_rows_total: 1000,
            max_evidence_chars: 600,
            max_story_rows: 40,
            max_stories: 25,
        }
    }
}

/// Writes a [`ScanReport`] as one self-contained HTML file.
pub struct HtmlWriter<W: Write> {
    out: W,
    options: HtmlOptions,
}

impl<W: Write> HtmlWriter<W> {
    /// A writer over `out` with the default [`HtmlOptions`].
    pub fn new(out: W) -> Self {
        Self::with_options(out, HtmlOptions::default())
    }

    /// A writer over `out` with the given options.
    pub fn with_options(out: W, options: HtmlOptions) -> Self {
        HtmlWriter { out, options }
    }

    /// Hand back the inner writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ReportWriter for HtmlWriter<W> {
    fn write_report(&mut self, report: &ScanReport) -> std::io::Result<()> {
        let html = page::render(report, &self.options);
        self.out.write_all(html.as_bytes())?;
        self.out.flush()
    }
}
