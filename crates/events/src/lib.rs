//! exhunt's Windows event log hunter.
//!
//! Reads EVTX files (with the `evtx` crate, chunks parsed in parallel, corrupt chunks and
//! records counted and skipped) and JSON/JSONL exports of them, and runs two kinds of rules
//! over the events: exhunt's own `event:` rules (YAML, in `rules/events/`, see [`rules`]) and
//! Sigma rules from `--sigma DIR` (see [`sigma`]). Both compile into one [`engine::Engine`]
//! that dismisses most records by channel and event id before parsing them.
//!
//! Wire it in with [`EventArgs`] (flattened into `exhunt scan`) and pass an [`EventHunter`] to
//! `exhunt_core::scan::scan_with`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod engine;
pub mod event;
pub mod evtx_writer;
mod finding;
pub mod index;
mod peek;
pub mod read;
pub mod rules;
pub mod sigma;
pub mod tree;

use std::path::PathBuf;

use exhunt_core::discover::{Inventory, LogFile};
use exhunt_core::model::{ScanIssue, SourceCoverage, Suppressed};
use exhunt_core::rules::{DiagnosticLevel, RuleDiagnostic, RuleSet};
use exhunt_core::scan::{Contribution, Hunter, ScanConfig};
use exhunt_core::SourceKind;
use rayon::prelude::*;

use engine::{Engine, FileHunt};
pub use sigma::Unsupported;

/// Findings kept per rule and file by default; more are counted as suppressed.
pub const DEFAULT_MAX_FINDINGS_PER_RULE: u64 = 200;

/// How the event hunter runs.
#[derive(Debug, Clone)]
pub struct EventOptions {
    /// Folders, rule files or rule packs of Sigma rules to load.
    pub sigma_dirs: Vec<PathBuf>,
    /// A Sigma mapping file replacing the embedded one (`--sigma-mapping`).
    pub sigma_mapping: Option<PathBuf>,
    /// Skip event logs entirely.
    pub disabled: bool,
    /// Findings kept per rule and file.
    pub max_findings_per_rule: u64,
    /// Narrow the rules per event with the literal index ([`index`]); off only to check it.
    pub literal_index: bool,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            sigma_dirs: vec![],
            sigma_mapping: None,
            disabled: false,
            max_findings_per_rule: DEFAULT_MAX_FINDINGS_PER_RULE,
            literal_index: true,
        }
    }
}

/// Command-line options of the event hunter, to flatten into `exhunt scan`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EventArgs {
    /// Load Sigma rules from DIR, a rule file, or a pack written by `exhunt rules compile`
    /// (repeatable). Windows rules run on the event logs; rules that cannot be supported are
    /// listed with the reason.
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
    /// Replace the embedded Sigma mapping (logsources to channels and event ids, field names)
    /// with FILE, e.g. for a collection with renamed channels or a SIEM export with other field
    /// names; the embedded one is `crates/events/data/sigma-mapping.yml`.
    #[arg(long = "sigma-mapping", value_name = "FILE")]
    pub sigma_mapping: Option<PathBuf>,
    /// Do not read Windows event logs (.evtx and JSON exports).
    #[arg(long = "no-events")]
    pub no_events: bool,
}

impl EventArgs {
    /// The hunter options these arguments ask for.
    pub fn options(&self) -> EventOptions {
        EventOptions {
            sigma_dirs: self.sigma.clone(),
            sigma_mapping: self.sigma_mapping.clone(),
            disabled: self.no_events,
            ..EventOptions::default()
        }
    }
}

/// The event-log hunter: compiled rules plus what could not be compiled.
pub struct EventHunter {
    engine: Engine,
    web_rules: Vec<exhunt_core::rules::LogRule>,
    options: EventOptions,
    diagnostics: Vec<RuleDiagnostic>,
    unsupported: Vec<Unsupported>,
}

impl EventHunter {
    /// Compile the `event:` rules of `rules` and the Sigma rules of `options.sigma_dirs`.
    pub fn new(rules: &RuleSet, options: EventOptions) -> EventHunter {
        let mut engine = Engine::new(options.max_findings_per_rule);
        engine.without_literal_index = !options.literal_index;
        let mut diagnostics = Vec::new();
        for pending in &rules.event_rules {
            match rules::compile(pending) {
                Ok(r) => {
                    engine.add_rule(pending.meta.clone(), &r.fields, vec![(r.scope, r.logic)]);
                }
                Err(e) => diagnostics.push(RuleDiagnostic {
                    level: DiagnosticLevel::Error,
                    origin: pending.meta.origin.clone(),
                    rule_id: Some(pending.meta.id.clone()),
                    message: e,
                }),
            }
        }
        let mut unsupported = Vec::new();
        let mut web_rules = Vec::new();
        if !options.sigma_dirs.is_empty() {
            let mapping = match &options.sigma_mapping {
                None => Ok(std::borrow::Cow::Borrowed(sigma::Mapping::embedded())),
                Some(path) => sigma::Mapping::load(path).map(std::borrow::Cow::Owned),
            };
            match mapping {
                Ok(mapping) => {
                    let load = sigma::load_dirs(&options.sigma_dirs, &mapping);
                    for r in load.rules {
                        engine.add_rule(r.meta, &[], r.variants);
                    }
                    diagnostics.extend(load.diagnostics);
                    unsupported = load.unsupported;
                    web_rules = load.web_rules;
                }
                Err(e) => diagnostics.push(RuleDiagnostic {
                    level: DiagnosticLevel::Error,
                    origin: options
                        .sigma_mapping
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    rule_id: None,
                    message: format!("{e}; no Sigma rule was loaded"),
                }),
            }
        }
        if !engine.without_literal_index {
            // Built now, not by the first event of a hunt (see `FileHunt::evaluate`).
            engine.literal_index();
        }
        EventHunter {
            engine,
            web_rules,
            options,
            diagnostics,
            unsupported,
        }
    }

    /// Number of rules compiled (native and Sigma).
    pub fn rule_count(&self) -> usize {
        self.engine.len()
    }

    /// Rules evaluated on an event so far by this hunter's hunts, after the channel, event id
    /// and literal-index checks: how much the index spares.
    pub fn rule_checks(&self) -> u64 {
        self.engine.checks()
    }

    /// Rule compile problems and unsupported Sigma rules.
    pub fn diagnostics(&self) -> &[RuleDiagnostic] {
        &self.diagnostics
    }

    /// Sigma `webserver` rules, compiled for the log hunter (they run on IIS logs).
    pub fn web_rules(&self) -> &[exhunt_core::rules::LogRule] {
        &self.web_rules
    }

    /// Metadata of every rule compiled: `event:` rules, Sigma event-log rules, then the Sigma
    /// `webserver` rules handed to the log hunter.
    pub fn rule_metas(&self) -> Vec<std::sync::Arc<exhunt_core::rules::RuleMeta>> {
        self.engine
            .rules
            .iter()
            .map(|r| r.meta.clone())
            .chain(self.web_rules.iter().map(|r| r.meta.clone()))
            .collect()
    }

    /// Compile every Sigma regex now (they are compiled on first use during a hunt) and
    /// return a diagnostic for each one that cannot be compiled: for `exhunt rules`, which
    /// checks rule sets without evidence.
    pub fn check_regexes(&self) -> Vec<RuleDiagnostic> {
        self.regex_diagnostics(true)
    }

    fn regex_diagnostics(&self, compile_now: bool) -> Vec<RuleDiagnostic> {
        self.engine
            .regex_errors(compile_now)
            .into_iter()
            .map(|(rule, pattern, error)| {
                let meta = &self.engine.rules[rule].meta;
                RuleDiagnostic {
                    level: DiagnosticLevel::Error,
                    origin: meta.origin.clone(),
                    rule_id: Some(meta.id.clone()),
                    message: format!(
                        "regex `{pattern}` cannot be compiled ({}); the test never matches, so the rule may miss events",
                        error.lines().last().unwrap_or("").trim()
                    ),
                }
            })
            .collect()
    }

    /// Sigma rules that were not loaded, with the reason.
    pub fn unsupported(&self) -> &[Unsupported] {
        &self.unsupported
    }

    /// Hunt one file (EVTX or JSON export) and return its contribution.
    pub fn hunt_file(&self, file: &LogFile) -> Contribution {
        self.hunt_file_until(file, &exhunt_core::cancel::Cancel::default())
    }

    /// [`EventHunter::hunt_file`] that stops reading once `cancel` is set.
    pub fn hunt_file_until(
        &self,
        file: &LogFile,
        cancel: &exhunt_core::cancel::Cancel,
    ) -> Contribution {
        let mut out = Contribution::default();
        let opened = match exhunt_core::read::open::open_evidence(&file.path) {
            Ok(f) => f,
            Err(e) => {
                out.issues
                    .push(exhunt_core::read::open::open_issue(&file.rel, &e));
                let coverage = SourceCoverage {
                    unreadable: 1,
                    ..Default::default()
                };
                out.coverage
                    .push((file.host.clone(), SourceKind::Evtx, coverage));
                out.work.files_found = 1;
                out.work.bytes_found = file.size;
                return out;
            }
        };
        let size_now = opened.metadata().map(|m| m.len()).ok();
        let mut hunt = FileHunt::new(&self.engine, file).with_cancel(cancel.clone());
        let is_json = file
            .path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl"));
        let read = if is_json {
            read::json::read_json_from(opened, &hunt)
        } else {
            read::evtx::read_evtx_from(opened, &hunt)
        };
        out.work = exhunt_core::cancel::Work {
            files_found: 1,
            files_read: u64::from(!read.interrupted),
            files_partly_read: u64::from(read.interrupted),
            bytes_found: file.size,
            bytes_read: if read.interrupted { 0 } else { file.size },
        };
        if read.interrupted {
            out.issues.push(ScanIssue {
                kind: "interrupted".into(),
                path: file.rel.clone(),
                line: None,
                message: format!(
                    "the scan was stopped while this event log was read: {} record(s) were read, the rest was not",
                    read.records
                ),
            });
        }
        if let Some(now) = size_now.filter(|&n| n != file.size) {
            out.issues.push(ScanIssue {
                kind: "changed-during-scan".into(),
                path: file.rel.clone(),
                line: None,
                message: format!(
                    "the file was {} bytes when found and {now} bytes when read: it changed while the scan ran",
                    file.size
                ),
            });
        }
        let coverage = SourceCoverage {
            files: 1,
            bytes: file.size,
            lines: read.records,
            first: read.first,
            last: read.last,
            unreadable: 0,
        };
        out.coverage
            .push((file.host.clone(), SourceKind::Evtx, coverage));
        for p in &read.problems {
            out.issues.push(ScanIssue {
                kind: p.kind.to_string(),
                path: file.rel.clone(),
                line: p.at,
                message: p.message.clone(),
            });
        }
        out.issues_not_listed = read.problems_total - read.problems.len() as u64;
        if read.bad_chunks + read.bad_records > 0 {
            out.issues.push(ScanIssue {
                kind: "evtx-corrupt".into(),
                path: file.rel.clone(),
                line: None,
                message: format!(
                    "{} record(s) read; {} chunk(s) and {} record(s) could not be read and were skipped",
                    read.records, read.bad_chunks, read.bad_records
                ),
            });
        }
        let (tree_findings, over_limit, shortened) = hunt.finish_tree();
        let mib = tree::MAX_CMD_BYTES >> 20;
        let tree_issues = [
            (
                shortened,
                "process-tree-shortened",
                format!("{shortened} process creation(s) past {mib} MiB of command lines were kept in the process tree shortened (the first and last 512 bytes of the command line, joined by '…'; the end of each path): ancestry rules saw only that, and their findings show it; the records themselves are in the log"),
            ),
            (
                over_limit,
                "process-tree-limit",
                format!("{over_limit} process creation(s) beyond the tree's limits (the first {} creations, {mib} MiB of command lines) were not part of the process tree: ancestry rules did not see them", tree::MAX_NODES),
            ),
        ];
        for (count, kind, message) in tree_issues {
            if count > 0 {
                out.issues.push(ScanIssue {
                    kind: kind.into(),
                    path: file.rel.clone(),
                    line: None,
                    message,
                });
            }
        }
        for (ri, count) in hunt.suppressed() {
            out.suppressed.push(Suppressed {
                rule_id: self.engine.rules[ri].meta.id.clone(),
                path: file.rel.clone(),
                count,
            });
        }
        out.findings = read.findings;
        out.findings.extend(tree_findings);
        out
    }
}

impl Hunter for EventHunter {
    fn name(&self) -> &'static str {
        "events"
    }

    fn hunt(&self, inventory: &Inventory, config: &ScanConfig) -> Contribution {
        let mut out = Contribution {
            rule_diagnostics: self.diagnostics.clone(),
            ..Default::default()
        };
        if self.options.disabled {
            return out;
        }
        out.rules_run = self.engine.len();
        let mut files: Vec<&LogFile> = inventory
            .hosts
            .iter()
            .flat_map(|h| h.event_logs.iter())
            .collect();
        files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.rel.cmp(&b.rel)));
        if let Some(p) = &config.progress {
            p.add_work(files.len() as u64, files.iter().map(|f| f.size).sum());
        }
        let work = exhunt_core::cancel::Work {
            files_found: files.len() as u64,
            bytes_found: files.iter().map(|f| f.size).sum(),
            ..Default::default()
        };
        let parts: Vec<Contribution> = files
            .par_iter()
            .filter(|_| !config.cancel.is_cancelled())
            .map(|f| {
                let c = exhunt_core::guard::guard_file(&f.rel, || {
                    self.hunt_file_until(f, &config.cancel)
                })
                .unwrap_or_else(|issue| Contribution {
                    issues: vec![issue],
                    ..Default::default()
                });
                if let Some(p) = &config.progress {
                    p.advance(1, f.size);
                }
                c
            })
            .collect();
        for mut c in parts {
            // Keep the per-file order of findings stable whatever the thread timing.
            c.findings.sort_by_key(|f| match f.location {
                exhunt_core::model::Location::Record { record_id } => record_id,
                _ => 0,
            });
            // Only what was read counts here: what was found is counted once, above.
            c.work.files_found = 0;
            c.work.bytes_found = 0;
            out.absorb(c);
        }
        out.work.add(&work);
        // Regexes are compiled on first use: those that could not be are reported now.
        out.rule_diagnostics.extend(self.regex_diagnostics(false));
        out
    }
}
