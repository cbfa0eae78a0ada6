//! The scan pipeline: discover → read → detect → correlate, producing a [`ScanReport`].
//!
//! Files are read in parallel (largest first, so a huge log does not finish last alone); the
//! evidence is only ever opened for reading.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::correlate::{build_stories, verdict, Story};
use crate::detect::{LogEngine, LogScanOptions};
use crate::discover::{discover, Inventory};
use crate::model::{
    Finding, ScanIssue, Severity, SourceCoverage, SourceKind, Suppressed, VerdictLevel,
};
use crate::rules::{RuleDiagnostic, RuleSet};

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// The evidence root: a mounted drive, a collection folder, a folder of logs, or one log.
    pub root: PathBuf,
    /// Log reading options.
    pub log_options: LogScanOptions,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
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
    /// Number of rules that loaded.
    pub rules_loaded: usize,
}

impl ScanReport {
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
const EXPECTED: [SourceKind; 5] = SourceKind::ALL;

/// Run a scan over `config.root` with `rules`.
pub fn scan(config: &ScanConfig, rules: &RuleSet) -> Result<ScanReport, ScanError> {
    let started = Utc::now();
    std::fs::metadata(&config.root).map_err(|e| ScanError::Root {
        path: config.root.display().to_string(),
        reason: e.to_string(),
    })?;
    let inventory = discover(&config.root);
    let engine = LogEngine::new(rules, config.log_options.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.unwrap_or(0))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let mut files: Vec<_> = inventory.log_files().collect();
    files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.rel.cmp(&b.rel)));
    let results: Vec<_> = pool.install(|| {
        files
            .par_iter()
            .map(|f| (f.host.clone(), f.kind, engine.scan_file(f)))
            .collect()
    });
    assemble(config, rules, inventory, results, started)
}

fn assemble(
    config: &ScanConfig,
    rules: &RuleSet,
    inventory: Inventory,
    results: Vec<(String, SourceKind, crate::detect::FileScan)>,
    started: DateTime<Utc>,
) -> Result<ScanReport, ScanError> {
    let mut findings = Vec::new();
    let mut issues = inventory.issues.clone();
    let mut issues_not_listed = 0;
    let mut suppressed = Vec::new();
    let mut coverage: BTreeMap<String, BTreeMap<SourceKind, SourceCoverage>> = BTreeMap::new();
    for (host, kind, r) in results {
        coverage
            .entry(host)
            .or_default()
            .entry(kind)
            .or_default()
            .merge(&r.coverage);
        findings.extend(r.findings);
        issues.extend(r.issues);
        issues_not_listed += r.issues_not_listed;
        suppressed.extend(r.suppressed);
    }
    findings.sort_by(|a, b| {
        (&a.host, a.timestamp, &a.path, a.line()).cmp(&(&b.host, b.timestamp, &b.path, b.line()))
    });
    issues.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    suppressed.sort_by(|a, b| (&a.path, &a.rule_id).cmp(&(&b.path, &b.rule_id)));
    let stories = build_stories(&mut findings);
    let mut hosts = Vec::new();
    for h in &inventory.hosts {
        let host_findings: Vec<&Finding> = findings.iter().filter(|f| f.host == h.name).collect();
        let (level, reason) = verdict(host_findings.iter().copied());
        let cov = coverage.remove(&h.name).unwrap_or_default();
        let missing = EXPECTED
            .iter()
            .copied()
            .filter(|k| !cov.contains_key(k))
            .collect();
        let mut by_sev = BTreeMap::new();
        for f in &host_findings {
            *by_sev.entry(f.severity).or_insert(0) += 1;
        }
        hosts.push(HostReport {
            name: h.name.clone(),
            verdict: level,
            reason,
            coverage: cov,
            missing_sources: missing,
            exchange_installs: h.exchange_installs.clone(),
            system_roots: h.system_roots.clone(),
            findings_by_severity: by_sev,
        });
    }
    if hosts.is_empty() {
        hosts.push(HostReport {
            name: crate::discover::rel_path(&config.root, &config.root),
            verdict: VerdictLevel::NoEvidence,
            reason: "no Exchange or IIS log was found under the root: nothing could be checked"
                .into(),
            coverage: BTreeMap::new(),
            missing_sources: EXPECTED.to_vec(),
            exchange_installs: vec![],
            system_roots: vec![],
            findings_by_severity: BTreeMap::new(),
        });
    }
    Ok(ScanReport {
        root: config.root.display().to_string(),
        version: env!("CARGO_PKG_VERSION"),
        started,
        finished: Utc::now(),
        hosts,
        findings,
        stories,
        issues,
        issues_not_listed,
        suppressed,
        rule_diagnostics: rules.diagnostics.clone(),
        rules_loaded: rules.log_rules.len(),
    })
}
