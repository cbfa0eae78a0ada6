//! Which hunters a scan runs: the one place that knows every kind of evidence exhunt reads.

use exhunt_core::rules::RuleSet;
use exhunt_core::scan::{scan_with, Hunter, LogHunter, ScanError};
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

/// Run every hunter over `config.root`.
pub fn scan(
    config: &ScanConfig,
    rules: &RuleSet,
    options: &PipelineOptions,
) -> Result<ScanReport, ScanError> {
    let events = EventHunter::new(rules, options.events.clone());
    // Sigma `webserver` rules load with the event rules but run on IIS logs.
    let logs = LogHunter::with_extra(
        rules,
        events.web_rules().to_vec(),
        config.log_options.clone(),
    );
    let exposure = ExposureHunter;
    let files = FileHunter::new(rules, options.files.clone());
    let mut hunters: Vec<&dyn Hunter> = vec![&logs, &events, &files];
    if options.exposure {
        hunters.push(&exposure);
    }
    scan_with(config, rules, &hunters)
}
