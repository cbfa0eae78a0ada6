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

/// Run every hunter over `config.root`, for a process that ends after this scan. The hunters
/// (and their rule packs: YARA, Sigma) are built while the evidence is being discovered, and
/// never freed: freeing the 2,407 compiled SigmaHQ rules, and the allocator collecting their
/// pages, took about a tenth of the processor time of a scan of 478 EVTX files with them, and
/// the operating system takes the memory back at exit anyway. Host verdicts get the "not
/// assessable" rule (`exhunt_fleet::assess`), so one server's scan and the fleet view agree.
pub fn scan_then_exit(
    config: &ScanConfig,
    rules: &RuleSet,
    options: &PipelineOptions,
) -> Result<ScanReport, ScanError> {
    let built = || -> Vec<&dyn exhunt_core::scan::Hunter> {
        hunters(config, rules, options)
            .into_iter()
            .map(|h| &*Box::leak(h))
            .collect()
    };
    let mut report = scan_building(config, rules, built)?;
    exhunt_fleet::from_report::refine_report(&mut report);
    Ok(report)
}

/// Build every hunter once (a scan of many roots shares them).
pub fn hunters<'a>(
    config: &ScanConfig,
    rules: &'a RuleSet,
    options: &PipelineOptions,
) -> BuiltHunters<'a> {
    let events = EventHunter::new(rules, options.events.clone());
    // Sigma `webserver` rules load with the event rules but run on IIS logs.
    let logs = LogHunter::with_extra(
        rules,
        events.web_rules().to_vec(),
        config.log_options.clone(),
    );
    let files = FileHunter::new(rules, options.files.clone());
    let mut hunters: BuiltHunters<'a> = vec![Box::new(logs), Box::new(events), Box::new(files)];
    if options.exposure {
        hunters.push(Box::new(ExposureHunter));
    }
    hunters
}

/// Scan one root with hunters built once, in the calling thread's pool (see
/// [`exhunt_core::scan::scan_in_current_pool`]); the "not assessable" rule is applied.
pub fn scan_root(
    config: &ScanConfig,
    rules: &RuleSet,
    hunters: &[&dyn exhunt_core::scan::Hunter],
) -> Result<ScanReport, ScanError> {
    let mut report = exhunt_core::scan::scan_in_current_pool(config, rules, hunters)?;
    exhunt_fleet::from_report::refine_report(&mut report);
    Ok(report)
}
