//! `--indicators FILE.csv`: the campaign indicators, widest spread first, one row each.

use std::io::Write;

use exhunt_fleet::Fleet;

use super::{org_label, FleetWriter};
use crate::timeline::neutral;
use crate::writer::rfc3339;

/// Writes the indicator CSV.
pub struct IndicatorCsvWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> IndicatorCsvWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        IndicatorCsvWriter {
            out: csv::Writer::from_writer(out),
        }
    }
}

fn io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e)
}

impl<W: Write> FleetWriter for IndicatorCsvWriter<W> {
    fn write_fleet(&mut self, f: &Fleet) -> std::io::Result<()> {
        self.out
            .write_record([
                "type",
                "value",
                "servers",
                "organisations",
                "first_seen",
                "last_seen",
                "rules",
                "campaigns",
                "server_list",
                "organisation_list",
            ])
            .map_err(io)?;
        for i in &f.indicators {
            let hosts: Vec<String> = i.hosts.iter().map(|&h| f.hosts[h].label()).collect();
            let orgs: Vec<&str> = i.orgs.iter().map(org_label).collect();
            let row = [
                i.kind.as_str().to_string(),
                neutral(&i.value),
                i.hosts.len().to_string(),
                i.orgs.len().to_string(),
                i.first.as_ref().map(rfc3339).unwrap_or_default(),
                i.last.as_ref().map(rfc3339).unwrap_or_default(),
                i.rules.join(" "),
                i.campaigns.join(" "),
                neutral(&hosts.join("; ")),
                neutral(&orgs.join("; ")),
            ];
            self.out.write_record(&row).map_err(io)?;
        }
        self.out.flush()
    }
}
