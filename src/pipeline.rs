//! Which hunters a scan runs: the one place that knows every kind of evidence exhunt reads.

use exhunt_core::rules::RuleSet;
use exhunt_core::scan::{scan_building, BuiltHunters, LogHunter, ScanError};
use exhunt_core::{ScanConfig, ScanReport};

use exhunt_events::{EventHunter, EventOptions};
use exhunt_files::{FileHunter, FileOptions};

use crate::exposure::ExposureHunter;

/// Switches for the optional hunters.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Look for the installed Exchange build.
    pub exposure: bool,
    /// Event-log hunting (Sigma folders, on/off).
    pub events: EventOptions,
    /// File hunting (web shells, artifacts, config; YARA folders, limits, on/off).
    pub files: FileOptions,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            exposure: true,
            events: EventOptions::default(),
            files: FileOptions::default(),
        }
    }
}

/// Run every hunter over `config.root`. The hunters (and their rule packs: YARA, Sigma) are
/// built while the evidence is being discovered.
pub fn scan(
    config: &ScanConfig,
    rules: &RuleSet,
    options: &PipelineOptions,
) -> Result<ScanReport, ScanError> {
    scan_building(config, rules, || -> BuiltHunters<'_> {
        let events = EventHunter::new(rules, options.events.clone());
        // Sigma `webserver` rules load with the event rules but run on IIS logs.
        let logs = LogHunter::with_extra(
            rules,
            events.web_rules().to_vec(),
            config.log_options.clone(),
        );
        let files = FileHunter::new(rules, options.files.clone());
        let mut hunters: BuiltHunters<'_> = vec![Box::new(logs), Box::new(events), Box::new(files)];
        if options.exposure {
            hunters.push(Box::new(ExposureHunter));
        }
        hunters
    })
}
