//! The finding model: what a detection produces and what every report consumes.
//!
//! Readers and rules produce [`Finding`]s; correlation turns them into [`Story`]s and a
//! [`Verdict`] per host; report sinks only ever see these types.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rules::RuleMeta;

/// How bad a finding is, from `info` (context) to `critical` (act now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context only: never changes a verdict.
    Info,
    /// Worth a look; weak alone.
    Low,
    /// Suspicious: an attempt or an anomaly.
    Medium,
    /// Strong evidence of attack activity.
    High,
    /// Proof of compromise.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in rules and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity '{s}' (critical|high|medium|low|info)"))
    }
}

/// Where in the attack a finding sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The server could be attacked (missing fixes, exposed build).
    Exposure,
    /// An exploit was sent or worked.
    Exploitation,
    /// A persistent way back in: web shells, tampered configuration.
    Backdoor,
    /// What the intruder did next: credentials, staging, accounts.
    PostExploitation,
    /// Mail theft: mailbox exports, PST staging.
    Espionage,
    /// Encryption or extortion.
    Ransomware,
}

impl Stage {
    /// All stages in attack order.
    pub const ALL: [Stage; 6] = [
        Stage::Exposure,
        Stage::Exploitation,
        Stage::Backdoor,
        Stage::PostExploitation,
        Stage::Espionage,
        Stage::Ransomware,
    ];

    /// The name used in rules and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Exposure => "exposure",
            Stage::Exploitation => "exploitation",
            Stage::Backdoor => "backdoor",
            Stage::PostExploitation => "post-exploitation",
            Stage::Espionage => "espionage",
            Stage::Ransomware => "ransomware",
        }
    }

    /// True for the stages that only happen after a successful break-in.
    pub fn is_after_intrusion(self) -> bool {
        matches!(
            self,
            Stage::Backdoor | Stage::PostExploitation | Stage::Espionage | Stage::Ransomware
        )
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the logged request shows the attack worked, judged from the rule's `outcome` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The response status says the request went through.
    Success,
    /// The response status says it was refused or failed.
    Failure,
    /// The rule does not judge outcome, or the status was not listed.
    Unknown,
}

/// The kind of evidence a source holds; rules name these in `sources:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// IIS W3C logs (`inetpub/logs/LogFiles/W3SVC*`).
    Iis,
    /// Exchange HttpProxy logs (`Logging/HttpProxy/<Protocol>`).
    HttpProxy,
    /// Exchange ECP server logs (`Logging/ECP/Server`).
    Ecp,
    /// Exchange OAB generator logs (`Logging/OABGeneratorLog`).
    Oab,
    /// Exchange remote PowerShell HTTP logs (`Logging/CmdletInfra/Powershell-Proxy/Http`).
    Rps,
    /// Windows event logs (`.evtx`, or JSON exports of them).
    Evtx,
    /// Files on disk (web roots, staging folders).
    Files,
}

impl SourceKind {
    /// Every source kind.
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Iis,
        SourceKind::HttpProxy,
        SourceKind::Ecp,
        SourceKind::Oab,
        SourceKind::Rps,
        SourceKind::Evtx,
        SourceKind::Files,
    ];

    /// The text log kinds read by the log engine.
    pub const TEXT_LOGS: [SourceKind; 5] = [
        SourceKind::Iis,
        SourceKind::HttpProxy,
        SourceKind::Ecp,
        SourceKind::Oab,
        SourceKind::Rps,
    ];

    /// The short name used in rules and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Iis => "iis",
            SourceKind::HttpProxy => "httpproxy",
            SourceKind::Ecp => "ecp",
            SourceKind::Oab => "oab",
            SourceKind::Rps => "rps",
            SourceKind::Evtx => "evtx",
            SourceKind::Files => "files",
        }
    }

    /// A human description for coverage tables.
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::Iis => "IIS W3C logs",
            SourceKind::HttpProxy => "Exchange HttpProxy logs",
            SourceKind::Ecp => "Exchange ECP server logs",
            SourceKind::Oab => "Exchange OAB generator logs",
            SourceKind::Rps => "Exchange remote PowerShell HTTP logs",
            SourceKind::Evtx => "Windows event logs",
            SourceKind::Files => "Files (web folders, staging places)",
        }
    }

    /// True when the log is W3C space-separated rather than CSV.
    pub fn is_w3c(self) -> bool {
        matches!(self, SourceKind::Iis)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown log source '{s}' (iis|httpproxy|ecp|oab|rps)"))
    }
}

/// Where in its source a finding's evidence sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Location {
    /// A 1-based line of a text log.
    Line {
        /// 1-based line number.
        line: u64,
    },
    /// A record of a structured log (event record id).
    Record {
        /// The record identifier.
        record_id: u64,
    },
    /// The file as a whole.
    File,
}

/// One rule hit with its proof.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that matched (metadata shared across findings).
    pub rule: Arc<RuleMeta>,
    /// Severity after the outcome adjustment.
    pub severity: Severity,
    /// The host (server) the evidence belongs to.
    pub host: String,
    /// Source kind the evidence came from.
    pub source: SourceKind,
    /// Path relative to the scanned root, `/` separators.
    pub path: String,
    /// Where in the file.
    pub location: Location,
    /// When it happened (UTC), if the record says.
    pub timestamp: Option<DateTime<Utc>>,
    /// The client address, where the log has one.
    pub client_ip: Option<String>,
    /// The request identifier linking front-end and back-end logs.
    pub request_id: Option<String>,
    /// The URL path the request went to, where the log has one.
    pub url_path: Option<String>,
    /// Success or failure as judged by the rule's outcome block.
    pub outcome: Outcome,
    /// Notes the rule attached (annotations whose condition held).
    pub notes: Vec<String>,
    /// Selected fields of the record (those the rule looked at, plus key fields).
    pub fields: BTreeMap<String, String>,
    /// The raw text of the evidence, truncated safely.
    pub evidence: String,
    /// The story (group of related findings) this one belongs to, set by correlation.
    pub story: Option<usize>,
    /// Kind-specific top-level facts written as-is to the JSONL line (`sha256`, `size`,
    /// `modified`, `created`, `channel`, `event_id`, `computer`, `matches`…).
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Finding {
    /// The 1-based line number, if the evidence is a line.
    pub fn line(&self) -> Option<u64> {
        match self.location {
            Location::Line { line } => Some(line),
            _ => None,
        }
    }
}

/// The longest evidence text kept per finding, in bytes.
pub const MAX_EVIDENCE_BYTES: usize = 4096;

/// Truncate `text` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate_evidence(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} bytes truncated]", &text[..end], text.len() - end)
}

/// A problem with the input that did not stop the scan: counted and reported.
#[derive(Debug, Clone, Serialize)]
pub struct ScanIssue {
    /// Short machine-readable kind, e.g. `malformed-line`, `unreadable-file`.
    pub kind: String,
    /// Path relative to the root (or the rule file) concerned.
    pub path: String,
    /// 1-based line, when the problem is one line.
    pub line: Option<u64>,
    /// What went wrong, in words.
    pub message: String,
}

/// What a scan looked at for one source kind: the basis for a "nothing found" verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceCoverage {
    /// Number of files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (including directives).
    pub lines: u64,
    /// Oldest record timestamp seen (for files: the oldest modification time).
    pub first: Option<DateTime<Utc>>,
    /// Newest record timestamp seen (for files: the newest modification time).
    pub last: Option<DateTime<Utc>>,
    /// Files of this kind found but not readable (permissions, special files and symlinks
    /// named like one, files that vanished): "found but not readable", never "not found".
    pub unreadable: u64,
}

impl SourceCoverage {
    /// Fold another file's coverage into this one.
    pub fn merge(&mut self, other: &SourceCoverage) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.unreadable += other.unreadable;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
    }

    /// Widen the time span to include `t`.
    pub fn include_time(&mut self, t: DateTime<Utc>) {
        self.first = min_opt(self.first, Some(t));
        self.last = max_opt(self.last, Some(t));
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The per-host conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum VerdictLevel {
    /// Nothing of weight in the evidence that was looked at.
    #[serde(rename = "no evidence found")]
    NoEvidence,
    /// Nothing of weight found, but the evidence cannot support "no evidence found": no logs
    /// at all, or logs that do not reach back over the time the installed build was exposed
    /// to CVEs exploited in the wild (the rule is documented in the README, "Not assessable").
    #[serde(rename = "not assessable")]
    NotAssessable,
    /// Exploitation was tried (or partly worked) but no proof of a foothold.
    #[serde(rename = "exploitation attempted")]
    ExploitationAttempted,
    /// Proof of a successful intrusion.
    #[serde(rename = "compromised")]
    Compromised,
}

impl VerdictLevel {
    /// The wording used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictLevel::NoEvidence => "no evidence found",
            VerdictLevel::NotAssessable => "not assessable",
            VerdictLevel::ExploitationAttempted => "exploitation attempted",
            VerdictLevel::Compromised => "compromised",
        }
    }
}

impl std::str::FromStr for VerdictLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            VerdictLevel::NoEvidence,
            VerdictLevel::NotAssessable,
            VerdictLevel::ExploitationAttempted,
            VerdictLevel::Compromised,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("unknown verdict '{s}'"))
    }
}

impl fmt::Display for VerdictLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Findings that were counted but not kept, because one rule matched too often in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    /// The rule concerned.
    pub rule_id: String,
    /// Path relative to the root.
    pub path: String,
    /// How many matches were counted but not kept as findings.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "ab€cd"; // € is 3 bytes at offset 2..5
        let t = truncate_evidence(s, 3);
        assert!(t.starts_with("ab…"), "{t}");
        assert!(t.contains("5 bytes truncated"), "{t}");
        assert_eq!(truncate_evidence("short", 10), "short");
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("bad".parse::<Severity>().is_err());
    }

    #[test]
    fn coverage_merges_time_span() {
        let t1 = DateTime::parse_from_rfc3339("2021-03-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let t2 = DateTime::parse_from_rfc3339("2021-03-05T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut a = SourceCoverage::default();
        a.include_time(t2);
        let mut b = SourceCoverage {
            files: 1,
            ..Default::default()
        };
        b.include_time(t1);
        a.merge(&b);
        assert_eq!(a.first, Some(t1));
        assert_eq!(a.last, Some(t2));
        assert_eq!(a.files, 1);
    }
}
