//! The fleet view's outputs, shared by `exhunt scan` with several roots and `exhunt merge`:
//! the options that only a fleet has (`--indicators`, `--stix`, `--campaigns`) and the one place
//! that hands a finished [`Fleet`] to every writer.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use exhunt_fleet::{Campaigns, Fleet};
use exhunt_report::{
    FleetConsoleWriter, FleetHtmlWriter, FleetJsonlWriter, FleetWriter, HtmlOptions,
    IndicatorCsvWriter, StixOptions, StixWriter,
};

use crate::cli::{create, ColorChoice};

/// Options of the fleet view's outputs.
#[derive(Debug, Args, Clone, Default)]
pub struct FleetOutputArgs {
    /// Write the campaign indicators (addresses, user agents, web shells, hashes, export paths) with their spread as CSV.
    #[arg(long, value_name = "FILE")]
    pub indicators: Option<PathBuf>,
    /// Write the campaign indicators as a STIX 2.1 bundle (indicators, sightings per organisation, campaigns; MISP imports it).
    #[arg(long, value_name = "FILE")]
    pub stix: Option<PathBuf>,
    /// Producer (your CERT's name) named in the STIX bundle.
    #[arg(long, value_name = "NAME", default_value = "exhunt fleet export")]
    pub stix_producer: String,
    /// More published-campaign definitions (YAML files or folders, as in rules/campaigns/).
    #[arg(long, value_name = "DIR")]
    pub campaigns: Vec<PathBuf>,
}

impl FleetOutputArgs {
    /// True when an option asks for a fleet view.
    pub fn wants_fleet(&self) -> bool {
        self.indicators.is_some() || self.stix.is_some()
    }

    /// The embedded campaigns plus `--campaigns`.
    pub fn campaigns(&self) -> Campaigns {
        let mut c = Campaigns::embedded();
        for p in &self.campaigns {
            c.add_path(p);
        }
        c
    }
}

/// Output files opened before the work starts, so that a bad path fails fast.
pub struct FleetFiles {
    /// `--html`.
    pub html: Option<BufWriter<File>>,
    /// `--indicators`.
    pub indicators: Option<BufWriter<File>>,
    /// `--stix`.
    pub stix: Option<BufWriter<File>>,
}

impl FleetFiles {
    /// Open the files named by the options.
    pub fn open(html: Option<&std::path::Path>, args: &FleetOutputArgs) -> anyhow::Result<Self> {
        Ok(FleetFiles {
            html: html.map(create).transpose()?,
            indicators: args.indicators.as_deref().map(create).transpose()?,
            stix: args.stix.as_deref().map(create).transpose()?,
        })
    }
}

/// How the console shows the fleet.
pub(crate) struct ConsoleChoice {
    /// Show it.
    pub show: bool,
    /// Colours.
    pub color: ColorChoice,
}

/// Hand the fleet to every requested writer: fleet lines to `jsonl` (after whatever was
/// already written there), the HTML page, the indicator CSV, the STIX bundle, the console.
pub(crate) fn write_fleet(
    fleet: &Fleet,
    jsonl: Option<&mut dyn Write>,
    files: FleetFiles,
    html: HtmlOptions,
    args: &FleetOutputArgs,
    tlp: Option<String>,
    console: ConsoleChoice,
) -> io::Result<()> {
    if let Some(out) = jsonl {
        FleetJsonlWriter::new(out).write_fleet(fleet)?;
    }
    if let Some(out) = files.html {
        FleetHtmlWriter::new(out, html).write_fleet(fleet)?;
    }
    if let Some(out) = files.indicators {
        IndicatorCsvWriter::new(out).write_fleet(fleet)?;
    }
    if let Some(out) = files.stix {
        let options = StixOptions {
            producer: args.stix_producer.clone(),
            tlp,
        };
        StixWriter::new(out, options).write_fleet(fleet)?;
    }
    if console.show {
        let color = match console.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        FleetConsoleWriter::new(io::stdout().lock(), color).write_fleet(fleet)?;
    }
    Ok(())
}
