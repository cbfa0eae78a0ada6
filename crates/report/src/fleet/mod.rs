//! The fleet view's writers: the same [`Fleet`] from a multi-root scan or from `exhunt merge`,
//! in every format. Like the single-server writers they only read what they are given.
//!
//! * [`FleetJsonlWriter`]: `host`, `indicator`, `cluster` and `issue` lines, then a last
//!   `fleet_summary` line.
//! * [`FleetConsoleWriter`]: organisations, then servers worst first, then the top shared
//!   indicators and the clusters.
//! * [`FleetHtmlWriter`]: one self-contained fleet page.
//! * [`IndicatorCsvWriter`]: the campaign indicators as CSV (`--indicators FILE.csv`).
//! * [`StixWriter`]: a STIX 2.1 bundle (`--stix FILE.json`) with indicators, one sighting per
//!   organisation, the campaigns matched and a TLP marking.

mod console;
mod csv;
mod html;
mod jsonl;
mod stix;

pub use console::FleetConsoleWriter;
pub use csv::IndicatorCsvWriter;
pub use html::FleetHtmlWriter;
pub use jsonl::FleetJsonlWriter;
pub use stix::{StixOptions, StixWriter};

use exhunt_fleet::Fleet;

/// An output format of the fleet view.
pub trait FleetWriter {
    /// Write the whole fleet view.
    fn write_fleet(&mut self, fleet: &Fleet) -> std::io::Result<()>;
}

/// `org`, or a dash for servers without one.
pub(crate) fn org_label(org: &Option<String>) -> &str {
    org.as_deref().unwrap_or("—")
}
