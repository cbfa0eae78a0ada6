//! `exhunt merge` input: result files of earlier scans, read as streams.
//!
//! Accepted: exhunt JSONL (`--jsonl` of a single- or multi-root scan; several hosts per file
//! are fine), Velociraptor hunt or collection results — JSON Lines rows of exhunt's artifact,
//! carrying `ClientId`, `Fqdn` and `FlowId` — as a JSONL file, a JSON array, or the export zip
//! itself (`results/*.json` inside; the per-client folders only when the zip has no combined
//! results). A hunt row's server is its `Fqdn` (else its `ClientId`).
//!
//! Files are read in parallel; each is reduced to one digest per server as it is read, so
//! memory grows with servers and distinct indicators, never with findings. A line that is not
//! JSON, a finding without its required fields, a file cut mid-line and a file without its
//! summary line are input problems with file and line; everything else is still merged.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use exhunt_core::model::{Outcome, SourceCoverage};
use exhunt_core::{Severity, SourceKind, Stage, VerdictLevel};
use rayon::prelude::*;
use serde::Deserialize;

use crate::digest::HostDigest;
use crate::fleet::{FleetBuilder, InputProblem};
use crate::view::{FindingView, HostFacts, MailReached};

/// How inputs are labelled.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Organisation for lines that carry none.
    pub default_org: Option<String>,
    /// Take the organisation of lines that carry none from the input file's parent folder.
    pub org_from_parent: bool,
}

#[derive(Debug, Default, Deserialize)]
struct Row<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    rule_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    severity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stage: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    org: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    record_id: Option<u64>,
    #[serde(borrow, default)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url_path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    sha256: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    evidence: Option<Cow<'a, str>>,
    #[serde(default)]
    story: Option<u64>,
    #[serde(borrow, default)]
    fields: Option<HashMap<Cow<'a, str>, Cow<'a, str>>>,
    // Summary and host lines.
    #[serde(borrow, default)]
    verdict: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    hosts: Option<Vec<SummaryHost>>,
    #[serde(borrow, default)]
    finished: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    interrupted: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scanned: Option<Cow<'a, str>>,
    #[serde(default)]
    coverage: Option<BTreeMap<String, CoverageJson>>,
    #[serde(default)]
    missing_sources: Option<Vec<String>>,
    #[serde(default)]
    build: Option<BuildJson>,
    #[serde(default)]
    scan_issues: Option<serde_json::Value>,
    // Velociraptor hunt columns.
    #[serde(borrow, default, rename = "ClientId")]
    client_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "Fqdn")]
    fqdn: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "FlowId")]
    flow_id: Option<Cow<'a, str>>,
}

/// Only the kind of a line.
#[derive(Debug, Deserialize)]
struct KindOnly<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// A `data_access` line: what the fleet keeps of it (its evidence stays in the server's own
/// results).
#[derive(Debug, Deserialize)]
struct MailRow<'a> {
    #[serde(borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    org: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    mailbox: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    requests: Option<u64>,
    #[serde(borrow, default)]
    first: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    last: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "ClientId")]
    client_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "Fqdn")]
    fqdn: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "FlowId")]
    flow_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct SummaryHost {
    name: String,
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    coverage: BTreeMap<String, CoverageJson>,
    #[serde(default)]
    missing_sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CoverageJson {
    #[serde(default)]
    files: u64,
    #[serde(default)]
    bytes: u64,
    #[serde(default)]
    lines: u64,
    #[serde(default)]
    first: Option<String>,
    #[serde(default)]
    last: Option<String>,
    #[serde(default)]
    unreadable: u64,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BuildJson {
    Object { version: Option<String> },
    Text(String),
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc())
}

fn coverage(map: BTreeMap<String, CoverageJson>) -> BTreeMap<SourceKind, SourceCoverage> {
    map.into_iter()
        .filter_map(|(k, c)| {
            let kind = k.parse::<SourceKind>().ok()?;
            Some((
                kind,
                SourceCoverage {
                    files: c.files,
                    bytes: c.bytes,
                    lines: c.lines,
                    first: time(c.first.as_deref()),
                    last: time(c.last.as_deref()),
                    unreadable: c.unreadable,
                },
            ))
        })
        .collect()
}

fn outcome(s: Option<&str>) -> Outcome {
    match s {
        Some("success") => Outcome::Success,
        Some("failure") => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

fn stage(s: &str) -> Option<Stage> {
    Stage::ALL.into_iter().find(|x| x.as_str() == s)
}

/// What one input file contributes.
#[derive(Default)]
struct FileResult {
    digests: Vec<HostDigest>,
    problems: Vec<InputProblem>,
}

type UnitKey = (String, Option<String>, String);

/// Reads one file's rows into per-server digests.
struct Reader<'o> {
    file: String,
    parent_org: Option<String>,
    options: &'o MergeOptions,
    keep_examples: bool,
    units: HashMap<UnitKey, HostDigest>,
    order: Vec<UnitKey>,
    problems: Vec<InputProblem>,
    summaries: u64,
    findings: u64,
    /// Lines of kinds this version does not know (a newer exhunt's), by kind.
    unknown_kinds: BTreeMap<String, u64>,
}

/// Kinds of lines exhunt writes that the fleet view does not read: a scan's stories, rule
/// diagnostics and issues (counted in its summary), web-shell actors, and a fleet file's own
/// indicators, clusters and summary (rebuilt by the merge).
const SKIPPED_KINDS: &[&str] = &[
    "story",
    "rule_diagnostic",
    "issue",
    "shell_use",
    "indicator",
    "cluster",
    "fleet_summary",
];

/// Longest result line read; the rest of a longer one is skipped and the line reported. exhunt
/// writes no line near it (evidence is cut at a few KiB, the summary lists counts).
pub const MAX_LINE: usize = 64 << 20;

impl<'o> Reader<'o> {
    fn new(path: &Path, options: &'o MergeOptions, keep_examples: bool) -> Self {
        let parent_org = options
            .org_from_parent
            .then(|| {
                path.parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .flatten();
        Reader {
            file: path.display().to_string(),
            parent_org,
            options,
            keep_examples,
            units: HashMap::new(),
            order: Vec::new(),
            problems: Vec::new(),
            summaries: 0,
            findings: 0,
            unknown_kinds: BTreeMap::new(),
        }
    }

    fn problem(&mut self, line: Option<u64>, kind: &str, message: String) {
        self.problems.push(InputProblem {
            file: self.file.clone(),
            line,
            kind: kind.into(),
            message,
        });
    }

    fn org_of(&self, row_org: Option<&str>) -> Option<String> {
        row_org
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .or_else(|| self.options.default_org.clone())
            .or_else(|| self.parent_org.clone())
    }

    /// The unit (scan) and server a row belongs to: a hunt row's flow and FQDN, else the file
    /// and the row's own host.
    fn key(&self, row: &Row<'_>, exhunt_host: &str) -> UnitKey {
        let org = self.org_of(row.org.as_deref());
        let hunt_host = row
            .fqdn
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(row.client_id.as_deref().filter(|s| !s.is_empty()));
        match hunt_host {
            Some(h) => {
                let unit = row
                    .flow_id
                    .as_deref()
                    .or(row.client_id.as_deref())
                    .unwrap_or("")
                    .to_string();
                (format!("{}#{unit}", self.file), org, h.to_string())
            }
            None => (self.file.clone(), org, exhunt_host.to_string()),
        }
    }

    fn digest(&mut self, key: UnitKey) -> &mut HostDigest {
        if !self.units.contains_key(&key) {
            self.order.push(key.clone());
            let d = HostDigest::new(key.1.clone(), key.2.clone(), self.keep_examples);
            self.units.insert(key.clone(), d);
        }
        self.units.get_mut(&key).expect("inserted")
    }

    fn facts(&mut self, key: UnitKey, new: HostFacts) {
        let d = self.digest(key);
        match &mut d.facts {
            None => d.facts = Some(new),
            Some(f) => {
                // Several scans of one machine in one flow (several drives): one server.
                if new.verdict > f.verdict {
                    f.verdict = new.verdict;
                    f.reason = new.reason;
                }
                for (k, c) in new.coverage {
                    f.coverage.entry(k).or_default().merge(&c);
                }
                f.missing_sources
                    .retain(|k| new.missing_sources.contains(k));
                f.scanned = f.scanned.max(new.scanned);
                f.scan_issues += new.scan_issues;
            }
        }
    }

    fn row(&mut self, raw: &str, n: u64, last_unterminated: bool) {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        // Lines the fleet view does not need are recognised without parsing them.
        if let Some(rest) = raw.strip_prefix("{\"kind\":\"") {
            if SKIPPED_KINDS
                .iter()
                .any(|k| rest.strip_prefix(k).is_some_and(|r| r.starts_with('"')))
            {
                return;
            }
        }
        if raw.starts_with("{\"kind\":\"data_access\"") {
            return self.data_access(raw, n);
        }
        let row: Row<'_> = match serde_json::from_str(raw) {
            Ok(r) => r,
            Err(e) => {
                // A hunt row puts its own columns first: recognise the kinds whose fields do
                // not fit a finding's by their `kind`.
                let kind = serde_json::from_str::<KindOnly<'_>>(raw)
                    .ok()
                    .and_then(|k| k.kind);
                match kind.as_deref() {
                    Some("data_access") => return self.data_access(raw, n),
                    Some(k) if SKIPPED_KINDS.contains(&k) => return,
                    _ => {}
                }
                if last_unterminated {
                    self.problem(
                        Some(n),
                        "truncated",
                        format!("the file ends in the middle of this line (cut short?): {e}"),
                    );
                } else {
                    self.problem(Some(n), "malformed-line", format!("not a JSON object: {e}"));
                }
                return;
            }
        };
        match row.kind.as_deref() {
            Some("finding") => self.finding(row, n),
            Some("summary") => self.summary(row, n),
            Some("host") => self.host_line(row, n),
            Some(k) if SKIPPED_KINDS.contains(&k) => {}
            Some(other) => {
                let other: String = other.chars().take(40).collect();
                *self.unknown_kinds.entry(other).or_default() += 1;
            }
            None if row.client_id.is_some() || row.flow_id.is_some() => {
                // Another source of the artifact (the run's return code, the uploads).
            }
            None => self.problem(
                Some(n),
                "malformed-line",
                "a JSON object without \"kind\": not an exhunt result line".into(),
            ),
        }
    }

    fn finding(&mut self, row: Row<'_>, n: u64) {
        let (Some(rule_id), Some(sev), Some(st), Some(host)) = (
            row.rule_id.as_deref(),
            row.severity
                .as_deref()
                .and_then(|s| s.parse::<Severity>().ok()),
            row.stage.as_deref().and_then(stage),
            row.host.as_deref().or(row.fqdn.as_deref()),
        ) else {
            self.problem(
                Some(n),
                "malformed-line",
                "a finding without a valid rule_id, severity, stage or host".into(),
            );
            return;
        };
        self.findings += 1;
        let key = self.key(&row, host);
        let mut v = FindingView {
            org: key.1.clone(),
            host: key.2.clone(),
            rule_id: rule_id.to_string(),
            title: row.title.as_deref().unwrap_or("").to_string(),
            severity: sev,
            stage: st,
            outcome: outcome(row.outcome.as_deref()),
            tags: row
                .tags
                .as_ref()
                .map(|t| t.iter().map(|x| x.to_string()).collect())
                .unwrap_or_default(),
            cves: Vec::new(),
            timestamp: time(row.timestamp.as_deref()),
            source: row.source.as_deref().and_then(|s| s.parse().ok()),
            path: row.path.as_deref().unwrap_or("").to_string(),
            line: row.line,
            record_id: row.record_id,
            client_ip: row.client_ip.as_deref().map(str::to_string),
            user: None,
            server_ip: None,
            user_agent: None,
            url_path: row.url_path.as_deref().map(str::to_string),
            file_name: None,
            sha256: row.sha256.as_deref().map(str::to_string),
            export_path: None,
            build: None,
            story: row.story,
            evidence: if self.keep_examples || st == Stage::Espionage {
                row.evidence.as_deref().unwrap_or("").to_string()
            } else {
                String::new()
            },
        };
        let fields = row.fields.as_ref();
        v.derive(|k| {
            fields.and_then(|m| {
                m.iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.as_ref())
            })
        });
        if st == Stage::Espionage && v.export_path.is_none() {
            if let Some(m) = fields {
                v.export_path = m.values().find_map(|x| crate::view::export_path(x));
            }
        }
        self.digest(key).add(&v);
    }

    fn data_access(&mut self, raw: &str, n: u64) {
        let m: MailRow<'_> = match serde_json::from_str(raw) {
            Ok(m) => m,
            Err(e) => {
                self.problem(
                    Some(n),
                    "malformed-line",
                    format!("a data_access line: {e}"),
                );
                return;
            }
        };
        let Some(host) = m.host.as_deref() else {
            self.problem(
                Some(n),
                "malformed-line",
                "a data_access line without its host".into(),
            );
            return;
        };
        let keys = Row {
            org: m.org.clone(),
            client_id: m.client_id.clone(),
            fqdn: m.fqdn.clone(),
            flow_id: m.flow_id.clone(),
            ..Default::default()
        };
        let mut key = self.key(&keys, host);
        if m.org.is_none() && !self.units.contains_key(&key) {
            // A line written without its organisation belongs to the server of the same
            // scan that has one.
            if let Some(k) = self.order.iter().find(|k| k.0 == key.0 && k.2 == key.2) {
                key = k.clone();
            }
        }
        let scope = m.scope.as_deref().unwrap_or("named").to_string();
        let mailbox = match (scope.as_str(), m.mailbox) {
            ("named", Some(b)) => b.into_owned(),
            ("all-mailboxes", _) => "all mailboxes on this server were reachable".into(),
            _ => "mailbox not recorded".into(),
        };
        self.digest(key).add_mail(MailReached {
            mailbox,
            scope,
            methods: m.method.map(|x| vec![x.into_owned()]).unwrap_or_default(),
            requests: m.requests.unwrap_or(0),
            first: time(m.first.as_deref()),
            last: time(m.last.as_deref()),
        });
    }

    fn summary(&mut self, row: Row<'_>, n: u64) {
        self.summaries += 1;
        let scanned = time(row.finished.as_deref());
        // `scan_issues` of a summary: {"listed": n, "not_listed": m, …}.
        let issues = row.scan_issues.as_ref().map_or(0, |v| {
            v.get("listed").and_then(|x| x.as_u64()).unwrap_or(0)
                + v.get("not_listed").and_then(|x| x.as_u64()).unwrap_or(0)
        });
        let Some(hosts) = row.hosts.as_ref() else {
            self.problem(
                Some(n),
                "malformed-line",
                "a summary without its hosts".into(),
            );
            return;
        };
        for h in hosts {
            let Some(verdict) = h
                .verdict
                .as_deref()
                .and_then(|v| v.parse::<VerdictLevel>().ok())
            else {
                self.problem(
                    Some(n),
                    "malformed-line",
                    format!("summary host '{}' has no valid verdict", h.name),
                );
                continue;
            };
            let key = self.key(&row, &h.name);
            let facts = HostFacts {
                org: key.1.clone(),
                host: key.2.clone(),
                verdict,
                reason: h.reason.clone().unwrap_or_default(),
                coverage: coverage(
                    h.coverage
                        .iter()
                        .map(|(k, c)| {
                            (
                                k.clone(),
                                CoverageJson {
                                    files: c.files,
                                    bytes: c.bytes,
                                    lines: c.lines,
                                    first: c.first.clone(),
                                    last: c.last.clone(),
                                    unreadable: c.unreadable,
                                },
                            )
                        })
                        .collect(),
                ),
                missing_sources: h
                    .missing_sources
                    .iter()
                    .filter_map(|k| k.parse().ok())
                    .collect(),
                scanned,
                origin: format!("{}:{n}", self.file),
                scan_issues: issues,
                read_error: None,
                interrupted: row.interrupted.as_deref().map(str::to_string),
            };
            self.facts(key, facts);
        }
    }

    fn host_line(&mut self, row: Row<'_>, n: u64) {
        let (Some(host), Some(verdict)) = (
            row.host.as_deref(),
            row.verdict
                .as_deref()
                .and_then(|v| v.parse::<VerdictLevel>().ok()),
        ) else {
            self.problem(
                Some(n),
                "malformed-line",
                "a host line without a host or a valid verdict".into(),
            );
            return;
        };
        self.summaries += 1;
        let key = self.key(&row, host);
        let build = match &row.build {
            Some(BuildJson::Object { version }) => version.clone(),
            Some(BuildJson::Text(t)) => Some(t.clone()),
            None => None,
        };
        let facts = HostFacts {
            org: key.1.clone(),
            host: key.2.clone(),
            verdict,
            reason: row.reason.as_deref().unwrap_or("").to_string(),
            coverage: coverage(row.coverage.unwrap_or_default()),
            missing_sources: row
                .missing_sources
                .unwrap_or_default()
                .iter()
                .filter_map(|k| k.parse().ok())
                .collect(),
            scanned: time(row.scanned.as_deref()),
            origin: format!("{}:{n}", self.file),
            scan_issues: row
                .scan_issues
                .as_ref()
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            read_error: row
                .reason
                .as_deref()
                .and_then(|r| r.strip_prefix("the evidence could not be read: "))
                .map(str::to_string),
            // A host line keeps only the reason: an interrupted scan is known by it.
            interrupted: row
                .reason
                .as_deref()
                .and_then(|r| r.strip_prefix(crate::assess::INTERRUPTED_PREFIX))
                .and_then(|r| r.split_once(')').map(|(why, _)| why.to_string())),
        };
        let d = self.digest(key.clone());
        if d.build.is_none() {
            d.build = build;
        }
        self.facts(key, facts);
    }

    fn finish(mut self) -> FileResult {
        if !self.unknown_kinds.is_empty() {
            let kinds: Vec<String> = self
                .unknown_kinds
                .iter()
                .map(|(k, n)| format!("{n} \"{k}\""))
                .collect();
            let msg = format!(
                "lines of kinds this version of exhunt does not know were skipped: {} (written by a newer exhunt?)",
                kinds.join(", ")
            );
            self.problem(None, "unknown-kind", msg);
        }
        let without: Vec<UnitKey> = self
            .order
            .iter()
            .filter(|k| self.units[*k].facts.is_none())
            .cloned()
            .collect();
        for k in &without {
            let msg = format!(
                "no summary for server '{}' ({} finding(s) read): the file was cut short or the \
                 scan did not finish; its verdict comes from the findings read",
                k.2, self.units[k].findings
            );
            self.problem(None, "no-summary", msg);
        }
        if self.order.is_empty() && self.problems.is_empty() {
            self.problem(None, "empty", "no exhunt result line in this input".into());
        }
        let mut units = self.units;
        FileResult {
            digests: self.order.iter().filter_map(|k| units.remove(k)).collect(),
            problems: self.problems,
        }
    }

    /// Read JSON Lines from `r`; a line longer than [`MAX_LINE`] is reported and skipped.
    fn read_lines(&mut self, r: impl Read) -> std::io::Result<()> {
        let mut r = BufReader::with_capacity(1 << 20, r);
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut n = 0u64;
        loop {
            buf.clear();
            let (got, oversized) = read_line_capped(&mut r, &mut buf, MAX_LINE)?;
            if got == 0 {
                return Ok(());
            }
            n += 1;
            if oversized {
                self.problem(
                    Some(n),
                    "oversized-line",
                    format!("this line is over {} MiB: it was skipped", MAX_LINE >> 20),
                );
                continue;
            }
            let unterminated = buf.last() != Some(&b'\n');
            match std::str::from_utf8(&buf) {
                Ok(s) => self.row(s, n, unterminated),
                Err(_) => {
                    let s = String::from_utf8_lossy(&buf).into_owned();
                    self.row(&s, n, unterminated)
                }
            }
        }
    }

    /// Read a JSON array of rows from `r`, one element at a time.
    fn read_array(&mut self, r: impl Read) {
        let mut de = serde_json::Deserializer::from_reader(BufReader::new(r));
        struct Seq<'r, 'o>(&'r mut Reader<'o>);
        impl<'de> serde::de::Visitor<'de> for Seq<'_, '_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of rows")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let mut n = 0u64;
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    n += 1;
                    let text = v.to_string();
                    self.0.row(&text, n, false);
                }
                Ok(())
            }
        }
        use serde::Deserializer as _;
        if let Err(e) = (&mut de).deserialize_seq(Seq(self)) {
            self.problem(
                Some(e.line() as u64),
                "truncated",
                format!("the JSON array cannot be read past this point: {e}"),
            );
        }
    }
}

/// Read one line (with its `\n`) into `buf`, keeping at most `max` bytes: returns the bytes
/// consumed and whether the line was longer (then `buf` holds only its start).
fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0usize;
    let mut oversized = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, oversized));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !oversized {
            let room = max.saturating_sub(buf.len());
            if take > room {
                oversized = true;
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(take);
        consumed += take;
        if done {
            return Ok((consumed, oversized));
        }
    }
}

fn starts_with_array(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    let _ = f.take(4096).read_to_end(&mut head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
        == Some(&b'[')
}

fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// Decode a zip member name escaped the Velociraptor way (`%2F` → `/`).
fn unescape(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_zip(path: &Path, options: &MergeOptions, keep: bool) -> FileResult {
    let mut res = FileResult::default();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            res.problems.push(InputProblem {
                file: path.display().to_string(),
                line: None,
                kind: "unreadable".into(),
                message: format!("cannot open: {e}"),
            });
            return res;
        }
    };
    let mut zip = match zip::ZipArchive::new(BufReader::new(file)) {
        Ok(z) => z,
        Err(e) => {
            res.problems.push(InputProblem {
                file: path.display().to_string(),
                line: None,
                kind: "bad-zip".into(),
                message: format!("not a readable zip: {e}"),
            });
            return res;
        }
    };
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.by_index_raw(i)
                .ok()
                .and_then(|e| e.name().ok().map(|n| n.into_owned()))
        })
        .collect();
    let is_results = |n: &str, top: bool| {
        let parts: Vec<&str> = n.split('/').collect();
        let json = n.ends_with(".json");
        if top {
            json && parts.len() == 2 && parts[0] == "results"
        } else {
            json && parts.len() == 3 && parts[1] == "results"
        }
    };
    let mut chosen: Vec<&String> = names.iter().filter(|n| is_results(n, true)).collect();
    if chosen.is_empty() {
        chosen = names.iter().filter(|n| is_results(n, false)).collect();
    }
    // Other artifacts' results in the same export have no exhunt lines: only ours are read.
    chosen.retain(|n| unescape(n).to_ascii_lowercase().contains("exhunt"));
    if chosen.is_empty() {
        res.problems.push(InputProblem {
            file: path.display().to_string(),
            line: None,
            kind: "empty".into(),
            message: "a zip without results/*.json rows of an exhunt artifact (neither a hunt export nor a collection of it)".into(),
        });
        return res;
    }
    for name in chosen {
        let label = format!("{}!{}", path.display(), unescape(name));
        let mut reader = Reader::new(path, options, keep);
        reader.file = label.clone();
        match zip.by_name(name) {
            Ok(entry) => {
                if let Err(e) = reader.read_lines(entry) {
                    reader.problem(None, "unreadable", format!("cannot read: {e}"));
                }
            }
            Err(e) => reader.problem(None, "bad-zip", format!("cannot read the entry: {e}")),
        }
        let r = reader.finish();
        res.digests.extend(r.digests);
        res.problems.extend(r.problems);
    }
    res
}

fn read_file(path: &Path, options: &MergeOptions, keep: bool) -> FileResult {
    if is_zip(path) {
        return read_zip(path, options, keep);
    }
    let mut reader = Reader::new(path, options, keep);
    match std::fs::File::open(path) {
        Err(e) => reader.problem(None, "unreadable", format!("cannot open: {e}")),
        Ok(f) => {
            if starts_with_array(path) {
                reader.read_array(f);
            } else if let Err(e) = reader.read_lines(f) {
                reader.problem(None, "unreadable", format!("cannot read: {e}"));
            }
        }
    }
    reader.finish()
}

/// Expand folders into the result files they hold (`.jsonl`, `.json`, `.zip`, recursively,
/// sorted); files are kept as given.
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            let mut stack = vec![p.clone()];
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let q = e.path();
                    if q.is_dir() {
                        stack.push(q);
                    } else if matches!(
                        q.extension()
                            .and_then(|x| x.to_str())
                            .map(|x| x.to_ascii_lowercase())
                            .as_deref(),
                        Some("jsonl") | Some("json") | Some("zip")
                    ) {
                        found.push(q);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Read every input into `builder`, files in parallel (in the current thread pool).
pub fn merge_into(paths: &[PathBuf], options: &MergeOptions, builder: &mut FleetBuilder) {
    let keep = builder.keeps_examples();
    let shared = Mutex::new(builder);
    paths.par_iter().for_each(|p| {
        let r = read_file(p, options, keep);
        let mut b = shared.lock().unwrap_or_else(|e| e.into_inner());
        b.input_done();
        for pr in r.problems {
            b.problem(pr);
        }
        for d in r.digests {
            b.add(d);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_the_next_line_is_read_whole() {
        let text = b"0123456789abcdef\nshort\nlast-without-newline";
        let mut r = std::io::BufReader::with_capacity(4, &text[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), (17, true));
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), (6, false));
        assert_eq!(buf, b"short\n");
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 64).unwrap(), (20, false));
        assert_eq!(buf, b"last-without-newline");
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 64).unwrap(), (0, false));
    }

    #[test]
    fn lines_of_unknown_kinds_are_counted_once_per_file() {
        let options = MergeOptions::default();
        let mut reader = Reader::new(Path::new("new.jsonl"), &options, false);
        let lines = "{\"kind\":\"verdict_v2\",\"host\":\"EX01\"}\n{\"kind\":\"verdict_v2\"}\n{\"kind\":\"mail_graph\"}\n";
        reader.read_lines(lines.as_bytes()).unwrap();
        let result = reader.finish();
        let unknown: Vec<&InputProblem> = result
            .problems
            .iter()
            .filter(|p| p.kind == "unknown-kind")
            .collect();
        assert_eq!(unknown.len(), 1, "{:?}", result.problems);
        assert!(
            unknown[0].message.contains("2 \"verdict_v2\"")
                && unknown[0].message.contains("1 \"mail_graph\""),
            "{}",
            unknown[0].message
        );
    }

    #[test]
    fn zip_names_are_unescaped() {
        assert_eq!(
            unescape("results/All Custom.Exchange.Exhunt%2FFindings.json"),
            "results/All Custom.Exchange.Exhunt/Findings.json"
        );
        assert_eq!(unescape("a%"), "a%");
        assert_eq!(unescape("%3A%5C"), ":\\");
    }
}
