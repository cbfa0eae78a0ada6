//! The scan pipeline: discover → hunt (logs, events, files) → correlate, producing a
//! [`ScanReport`].
//!
//! Each kind of evidence is searched by a [`Hunter`]; this crate has the text-log hunter, and
//! other crates add theirs (event logs, files) without this one knowing them. Hunters run in
//! one thread pool and read files in parallel; the evidence is only ever opened for reading.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::access::{AccessMappings, AccessReport};
use crate::cancel::{Cancel, Work};
use crate::correlate::{build_stories, shows_attempt, verdict, Story};
use crate::detect::{LogEngine, LogScanOptions};
use crate::discover::{discover_until, Inventory};
use crate::model::{
    Finding, ScanIssue, Severity, SourceCoverage, SourceKind, Suppressed, VerdictLevel,
};
use crate::rules::{LogRule, RuleDiagnostic, RuleSet};

/// Progress reports from hunters (a progress bar, or nothing).
pub trait Progress: Send + Sync {
    /// More work became known.
    fn add_work(&self, files: u64, bytes: u64);
    /// Work was done.
    fn advance(&self, files: u64, bytes: u64);
}

/// Time window a user asked for: findings outside it are dropped from the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeFilter {
    /// Keep findings at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Keep findings at or before this time.
    pub until: Option<DateTime<Utc>>,
}

impl TimeFilter {
    /// Does a finding's time fall in the window? Findings without time are kept.
    pub fn keeps(&self, t: Option<DateTime<Utc>>) -> bool {
        match t {
            None => true,
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u),
        }
    }
}

/// What to scan and how.
#[derive(Clone)]
pub struct ScanConfig {
    /// The evidence root: a mounted drive, a collection folder, a folder of logs, or one log.
    pub root: PathBuf,
    /// Log reading options.
    pub log_options: LogScanOptions,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Where hunters report progress.
    pub progress: Option<Arc<dyn Progress>>,
    /// Keep only findings in this window.
    pub time_filter: TimeFilter,
    /// Set to stop the scan early (Ctrl-C): hunters stop reading and the report is marked
    /// incomplete.
    pub cancel: Cancel,
}

impl ScanConfig {
    /// A configuration with defaults for everything but the root.
    pub fn new(root: impl Into<PathBuf>) -> ScanConfig {
        ScanConfig {
            root: root.into(),
            log_options: LogScanOptions::default(),
            threads: None,
            progress: None,
            time_filter: TimeFilter::default(),
            cancel: Cancel::default(),
        }
    }
}

impl std::fmt::Debug for ScanConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanConfig")
            .field("root", &self.root)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// What one hunter contributes to a scan.
#[derive(Debug, Default)]
pub struct Contribution {
    /// Rule hits.
    pub findings: Vec<Finding>,
    /// What was read: (host, kind, coverage), one entry per file or per kind.
    pub coverage: Vec<(String, SourceKind, SourceCoverage)>,
    /// Input problems (bounded per file by the hunter).
    pub issues: Vec<ScanIssue>,
    /// Input problems counted but not listed.
    pub issues_not_listed: u64,
    /// Matches counted but not kept.
    pub suppressed: Vec<Suppressed>,
    /// Problems compiling the hunter's own rules.
    pub rule_diagnostics: Vec<RuleDiagnostic>,
    /// Rules the hunter compiled and ran.
    pub rules_run: usize,
    /// What the hunter set out to read and what it read (how far it got when stopped early).
    pub work: Work,
}

impl Contribution {
    /// Fold another contribution into this one.
    pub fn absorb(&mut self, other: Contribution) {
        self.findings.extend(other.findings);
        self.coverage.extend(other.coverage);
        self.issues.extend(other.issues);
        self.issues_not_listed += other.issues_not_listed;
        self.suppressed.extend(other.suppressed);
        self.rule_diagnostics.extend(other.rule_diagnostics);
        self.rules_run += other.rules_run;
        self.work.add(&other.work);
    }
}

/// A searcher for one kind of evidence.
pub trait Hunter: Send + Sync {
    /// Short name for messages.
    fn name(&self) -> &'static str;
    /// Search the evidence the inventory lists. Runs inside the scan's thread pool; never
    /// fails as a whole: problems are issues in the contribution.
    fn hunt(&self, inventory: &Inventory, config: &ScanConfig) -> Contribution;
}

/// The text-log hunter (IIS and Exchange logs).
pub struct LogHunter {
    engine: LogEngine,
    rules: usize,
}

impl LogHunter {
    /// Compile the log rules of `rules`.
    pub fn new(rules: &RuleSet, options: LogScanOptions) -> LogHunter {
        LogHunter::with_extra(rules, Vec::new(), options)
    }

    /// Compile the log rules of `rules` plus rules from another language (Sigma `webserver`).
    pub fn with_extra(
        rules: &RuleSet,
        extra: Vec<LogRule>,
        mut options: LogScanOptions,
    ) -> LogHunter {
        // Keep the columns the access analysis reads (bytes, anchors) on every finding.
        for f in crate::access::AccessMappings::kept_fields(&rules.mappings) {
            if !options.keep_fields.contains(&f) {
                options.keep_fields.push(f);
            }
        }
        let mut all = rules.log_rules.clone();
        all.extend(extra);
        LogHunter {
            rules: all.len(),
            engine: LogEngine::from_rules(all, options),
        }
    }
}

impl Hunter for LogHunter {
    fn name(&self) -> &'static str {
        "logs"
    }

    fn hunt(&self, inventory: &Inventory, config: &ScanConfig) -> Contribution {
        let mut files: Vec<_> = inventory.log_files().collect();
        files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.rel.cmp(&b.rel)));
        if let Some(p) = &config.progress {
            p.add_work(files.len() as u64, files.iter().map(|f| f.size).sum());
        }
        let stop = || config.cancel.is_cancelled();
        let results: Vec<_> = files
            .par_iter()
            .filter_map(|f| {
                // Stopped: the files not yet started are left, counted as not read.
                if stop() {
                    return None;
                }
                let r = crate::guard::guard_file(&f.rel, || self.engine.scan_file_until(f, &stop));
                if let Some(p) = &config.progress {
                    p.advance(1, f.size);
                }
                Some((f.host.clone(), f.kind, r))
            })
            .collect();
        let mut out = Contribution {
            rules_run: self.rules,
            work: Work {
                files_found: files.len() as u64,
                bytes_found: files.iter().map(|f| f.size).sum(),
                ..Default::default()
            },
            ..Default::default()
        };
        for (host, kind, r) in results {
            let r = match r {
                Ok(r) => r,
                Err(issue) => {
                    out.issues.push(issue);
                    continue;
                }
            };
            if r.interrupted {
                out.work.files_partly_read += 1;
            } else if r.coverage.unreadable == 0 {
                out.work.files_read += 1;
            }
            out.work.bytes_read += r.coverage.bytes;
            out.coverage.push((host, kind, r.coverage));
            out.findings.extend(r.findings);
            out.issues.extend(r.issues);
            out.issues_not_listed += r.issues_not_listed;
            out.suppressed.extend(r.suppressed);
        }
        out
    }
}

/// The verdict and coverage for one host.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    /// Host name.
    pub name: String,
    /// The conclusion.
    pub verdict: VerdictLevel,
    /// Why, in words, naming the decisive rules.
    pub reason: String,
    /// What was read, per source kind.
    pub coverage: BTreeMap<SourceKind, SourceCoverage>,
    /// Source kinds expected on an Exchange server but not found.
    pub missing_sources: Vec<SourceKind>,
    /// Exchange install folders found.
    pub exchange_installs: Vec<String>,
    /// System drive roots found in the evidence.
    pub system_roots: Vec<String>,
    /// Finding counts by severity.
    pub findings_by_severity: BTreeMap<Severity, u64>,
}

/// Everything a scan produced: the only input of report writers.
#[derive(Debug)]
pub struct ScanReport {
    /// The root as given.
    pub root: String,
    /// The organisation the root belongs to (`--org`, a roots file, or its parent folder).
    pub org: Option<String>,
    /// exhunt version.
    pub version: &'static str,
    /// Start time.
    pub started: DateTime<Utc>,
    /// End time.
    pub finished: DateTime<Utc>,
    /// One entry per host.
    pub hosts: Vec<HostReport>,
    /// All findings, sorted by host, time, path, line.
    pub findings: Vec<Finding>,
    /// Stories (groups of related findings).
    pub stories: Vec<Story>,
    /// Input problems met (bounded per file).
    pub issues: Vec<ScanIssue>,
    /// Input problems counted but not listed.
    pub issues_not_listed: u64,
    /// Matches counted but not kept as findings.
    pub suppressed: Vec<Suppressed>,
    /// Rule-loading problems.
    pub rule_diagnostics: Vec<RuleDiagnostic>,
    /// Number of rules that loaded and ran.
    pub rules_loaded: usize,
    /// Findings left out by the time filter.
    pub filtered_out: u64,
    /// Mail the intruders reached and who used each web shell.
    pub access: AccessReport,
    /// Why the scan stopped before reading everything (Ctrl-C, SIGTERM); `None` for a
    /// complete scan. An interrupted report holds what was found until then.
    pub interrupted: Option<String>,
    /// How far each hunter got, in the order they ran.
    pub progress: Vec<HunterProgress>,
    /// Seconds spent building the hunters (loading and compiling their rules: built-in, YARA,
    /// Sigma), beside the discovery of the evidence; what a hunter compiles on first use counts
    /// in its own seconds. `None` when the hunters were built once for several roots.
    pub build_seconds: Option<f64>,
}

/// What one hunter set out to read and what it read.
#[derive(Debug, Clone, Serialize)]
pub struct HunterProgress {
    /// The hunter (`logs`, `events`, `files`, `exposure`).
    pub hunter: String,
    /// Its counts.
    #[serde(flatten)]
    pub work: Work,
    /// Wall-clock seconds it took (its work is parallel: processor time can be more).
    pub seconds: f64,
}

impl ScanReport {
    /// True when the scan stopped before reading everything: its verdicts cover only what
    /// was read.
    pub fn incomplete(&self) -> bool {
        self.interrupted.is_some()
    }

    /// The worst verdict over all hosts.
    pub fn overall_verdict(&self) -> VerdictLevel {
        self.hosts
            .iter()
            .map(|h| h.verdict)
            .max()
            .unwrap_or(VerdictLevel::NoEvidence)
    }

    /// Findings of at least `min` severity.
    pub fn findings_at_least(&self, min: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= min)
    }
}

/// Errors that stop a scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The root does not exist or cannot be read.
    #[error("cannot read the evidence root '{path}': {reason}")]
    Root {
        /// The root.
        path: String,
        /// Why.
        reason: String,
    },
    /// The thread pool could not be built.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Sources an Exchange server is expected to have; their absence is reported.
fn expected_sources() -> impl Iterator<Item = SourceKind> {
    SourceKind::TEXT_LOGS
        .into_iter()
        .chain(std::iter::once(SourceKind::Evtx))
}

/// Run a text-log scan over `config.root` with `rules` (the log hunter only).
pub fn scan(config: &ScanConfig, rules: &RuleSet) -> Result<ScanReport, ScanError> {
    let logs = LogHunter::new(rules, config.log_options.clone());
    scan_with(config, rules, &[&logs])
}

/// Run a scan with the given hunters.
pub fn scan_with(
    config: &ScanConfig,
    rules: &RuleSet,
    hunters: &[&dyn Hunter],
) -> Result<ScanReport, ScanError> {
    scan_building(config, rules, || -> Vec<&dyn Hunter> { hunters.to_vec() })
}

/// Hunters a scan builds itself (see [`scan_building`]).
pub type BuiltHunters<'a> = Vec<Box<dyn Hunter + 'a>>;

/// Run a scan whose hunters are built by `build` while the evidence is being discovered:
/// compiling rule packs (YARA, Sigma) then costs no wall time of its own.
pub fn scan_building<'h, H, F>(
    config: &ScanConfig,
    rules: &RuleSet,
    build: F,
) -> Result<ScanReport, ScanError>
where
    F: FnOnce() -> Vec<H> + Send,
    H: std::ops::Deref<Target = dyn Hunter + 'h> + Send,
{
    let started = Utc::now();
    std::fs::metadata(&config.root).map_err(|e| ScanError::Root {
        path: config.root.display().to_string(),
        reason: e.to_string(),
    })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.unwrap_or(0))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let report = pool.install(|| {
        let timed_build = || {
            let started = std::time::Instant::now();
            (build(), started.elapsed().as_secs_f64())
        };
        let (inventory, (hunters, build_seconds)) =
            rayon::join(|| discover_until(&config.root, &config.cancel), timed_build);
        let (all, progress) = run_hunters(&inventory, hunters.iter().map(|h| &**h), config);
        // Freeing thousands of compiled rules takes a while: do it beside the report.
        let mut report = rayon::join(
            move || drop(hunters),
            || finish(config, rules, inventory, all, progress, started),
        )
        .1;
        report.build_seconds = Some(build_seconds);
        report
    });
    Ok(report)
}

/// Run a scan with hunters built once by the caller, in the calling thread's thread pool
/// (`config.threads` is not used): a scan of many roots shares one pool and one set of
/// compiled hunters instead of building both per root.
pub fn scan_in_current_pool(
    config: &ScanConfig,
    rules: &RuleSet,
    hunters: &[&dyn Hunter],
) -> Result<ScanReport, ScanError> {
    let started = Utc::now();
    std::fs::metadata(&config.root).map_err(|e| ScanError::Root {
        path: config.root.display().to_string(),
        reason: e.to_string(),
    })?;
    let inventory = discover_until(&config.root, &config.cancel);
    let (all, progress) = run_hunters(&inventory, hunters.iter().copied(), config);
    Ok(finish(config, rules, inventory, all, progress, started))
}

/// Every hunter over the inventory, one after the other (each parallel inside), with how far
/// each got.
fn run_hunters<'h>(
    inventory: &Inventory,
    hunters: impl Iterator<Item = &'h (dyn Hunter + 'h)>,
    config: &ScanConfig,
) -> (Contribution, Vec<HunterProgress>) {
    let mut all = Contribution::default();
    let mut progress = Vec::new();
    for h in hunters {
        let started = std::time::Instant::now();
        let c = h.hunt(inventory, config);
        progress.push(HunterProgress {
            hunter: h.name().to_string(),
            work: c.work,
            seconds: started.elapsed().as_secs_f64(),
        });
        all.absorb(c);
    }
    (all, progress)
}

/// The report of the hunters' work: assembled, with the access-time warning, the hunters'
/// progress and the interruption, if any.
fn finish(
    config: &ScanConfig,
    rules: &RuleSet,
    inventory: Inventory,
    all: Contribution,
    progress: Vec<HunterProgress>,
    started: DateTime<Utc>,
) -> ScanReport {
    let mut report = assemble(config, rules, inventory, all, started);
    if crate::read::open::noatime_refused() {
        report.issues.push(ScanIssue {
            kind: "access-times".into(),
            path: config.root.display().to_string(),
            line: None,
            message: "some evidence files belong to another user, so the system refused to open them without updating their access times (O_NOATIME): reading them may have set their last-access time (run as root, or mount the evidence read-only with noatime, to avoid it)".into(),
        });
    }
    report.progress = progress;
    if config.cancel.is_cancelled() {
        report.interrupted = Some(
            config
                .cancel
                .reason()
                .unwrap_or("the scan was stopped on request")
                .to_string(),
        );
    }
    report
}

/// Raise findings whose rule asks for it when their host shows an intrusion from other rules.
fn escalate(findings: &mut [Finding]) {
    let mut intruded: BTreeMap<String, bool> = BTreeMap::new();
    for f in findings.iter() {
        if f.rule.escalate_on_intrusion.is_none()
            && shows_attempt(f)
            && f.severity >= Severity::High
        {
            intruded.insert(f.host.clone(), true);
        }
    }
    for f in findings.iter_mut() {
        if let Some(to) = f.rule.escalate_on_intrusion {
            if intruded.contains_key(&f.host) && to > f.severity {
                f.notes.push(format!(
                    "raised from {} to {to}: the same server shows exploitation or a backdoor",
                    f.severity
                ));
                f.severity = to;
            }
        }
    }
}

fn assemble(
    config: &ScanConfig,
    rules: &RuleSet,
    inventory: Inventory,
    all: Contribution,
    started: DateTime<Utc>,
) -> ScanReport {
    let mut issues = inventory.issues.clone();
    issues.extend(all.issues);
    let mut suppressed = all.suppressed;
    let mut coverage: BTreeMap<String, BTreeMap<SourceKind, SourceCoverage>> = BTreeMap::new();
    // Logs and event logs found as special entries or links: found, but not readable.
    let unreadable = inventory.hosts.iter().flat_map(|h| {
        h.unreadable.iter().map(|f| {
            let c = SourceCoverage {
                unreadable: 1,
                ..Default::default()
            };
            (h.name.clone(), f.kind, c)
        })
    });
    let unreadable: Vec<_> = unreadable.collect();
    for (host, kind, c) in all.coverage.iter().chain(&unreadable) {
        coverage
            .entry(host.clone())
            .or_default()
            .entry(*kind)
            .or_default()
            .merge(c);
    }
    let before = all.findings.len();
    let mut findings: Vec<Finding> = all
        .findings
        .into_iter()
        .filter(|f| config.time_filter.keeps(f.timestamp))
        .collect();
    let filtered_out = (before - findings.len()) as u64;
    escalate(&mut findings);
    findings.sort_by(|a, b| {
        (&a.host, a.timestamp, &a.path, a.line()).cmp(&(&b.host, b.timestamp, &b.path, b.line()))
    });
    issues.sort_by(|a, b| {
        (&a.path, a.line, &a.kind, &a.message).cmp(&(&b.path, b.line, &b.kind, &b.message))
    });
    // A special entry seen by two walks (discovery and the file hunter) is one problem.
    issues.dedup_by(|a, b| {
        a.path == b.path && a.line == b.line && a.kind == b.kind && a.message == b.message
    });
    suppressed.sort_by(|a, b| (&a.path, &a.rule_id).cmp(&(&b.path, &b.rule_id)));
    let mut stories = build_stories(&mut findings);
    // What the intruders reached and who used each backdoor; its findings (backdoor reuse,
    // mass probing) join the correlation.
    let (maps, map_diagnostics) = AccessMappings::compile(&rules.mappings);
    let (mut access, raised) = crate::access::analyse(
        &inventory,
        &findings,
        &maps,
        &config.time_filter,
        &config.cancel,
    );
    if !raised.is_empty() {
        findings.extend(raised);
        findings.sort_by(|a, b| {
            (&a.host, a.timestamp, &a.path, a.line()).cmp(&(
                &b.host,
                b.timestamp,
                &b.path,
                b.line(),
            ))
        });
        for f in &mut findings {
            f.story = None;
        }
        stories = build_stories(&mut findings);
    }
    access.assign_stories(&findings, &mut stories);
    issues.append(&mut access.issues);
    let mut names: Vec<String> = inventory.hosts.iter().map(|h| h.name.clone()).collect();
    for h in coverage.keys().chain(findings.iter().map(|f| &f.host)) {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    names.sort();
    let mut hosts = Vec::new();
    for name in names {
        let inv = inventory.hosts.iter().find(|h| h.name == name);
        let host_findings: Vec<&Finding> = findings.iter().filter(|f| f.host == name).collect();
        let (level, reason) = verdict(host_findings.iter().copied());
        let cov = coverage.remove(&name).unwrap_or_default();
        let missing = expected_sources()
            .filter(|k| !cov.contains_key(k))
            .collect();
        let mut by_sev = BTreeMap::new();
        for f in &host_findings {
            *by_sev.entry(f.severity).or_insert(0) += 1;
        }
        hosts.push(HostReport {
            name: name.clone(),
            verdict: level,
            reason,
            coverage: cov,
            missing_sources: missing,
            exchange_installs: inv.map(|h| h.exchange_installs.clone()).unwrap_or_default(),
            system_roots: inv.map(|h| h.system_roots.clone()).unwrap_or_default(),
            findings_by_severity: by_sev,
        });
    }
    if hosts.is_empty() {
        hosts.push(HostReport {
            name: crate::discover::rel_path(&config.root, &config.root),
            verdict: VerdictLevel::NoEvidence,
            reason:
                "no evidence exhunt can read was found under the root: nothing could be checked"
                    .into(),
            coverage: BTreeMap::new(),
            missing_sources: expected_sources().collect(),
            exchange_installs: vec![],
            system_roots: vec![],
            findings_by_severity: BTreeMap::new(),
        });
    }
    let mut rule_diagnostics = rules.diagnostics.clone();
    rule_diagnostics.extend(all.rule_diagnostics);
    rule_diagnostics.extend(map_diagnostics);
    ScanReport {
        root: config.root.display().to_string(),
        org: None,
        version: env!("CARGO_PKG_VERSION"),
        started,
        finished: Utc::now(),
        hosts,
        findings,
        stories,
        issues,
        issues_not_listed: all.issues_not_listed,
        suppressed,
        rule_diagnostics,
        rules_loaded: all.rules_run,
        filtered_out,
        interrupted: None,
        progress: Vec::new(),
        build_seconds: None,
        access,
    }
}
