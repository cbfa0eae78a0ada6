//! What the intruders reached and who used each backdoor: the questions after "were we
//! compromised?".
//!
//! * **Mail the intruders reached** ([`DataAccess`]): per server, the mailboxes that
//!   intruder activity reached — SSRF requests whose target names a mailbox, sessions
//!   authenticated as a user from an intruder address, export cmdlets naming a mailbox, export
//!   files on disk — with how, when, how many requests, how many bytes and the evidence. Where
//!   the evidence shows access without a mailbox it says so ("mailbox not recorded"; code that
//!   ran as SYSTEM: "all mailboxes on this server were reachable").
//! * **Who used each backdoor** ([`ShellActor`]): the requests to each web shell grouped into
//!   actors (address, user agent, client shape, time gaps), with findings when one shell served
//!   more than one actor and when shell names were probed en masse.
//!
//! Intruder activity is the findings of stories with exploitation or backdoor findings, plus —
//! on servers where an intruder had a foothold — the ordinary-looking requests from those
//! stories' addresses, found by a targeted second read ([`sweep`]) of only the logs whose time
//! span overlaps that address's flagged activity. A server without such a story costs nothing.
//! What counts as mail access, which cmdlets move mailboxes and how shell clients look is data
//! (`rules/access/*.yml`, see [`mapping`]).

mod commands;
mod identity;
mod lookup;
mod mail;
pub mod mapping;
mod shells;
pub mod sweep;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::correlate::Story;
use crate::discover::Inventory;
use crate::model::{Finding, Location, Severity, Stage};
use crate::scan::TimeFilter;

pub use mapping::AccessMappings;

/// How many evidence references a record lists (the rest are counted).
pub const MAX_EVIDENCE_REFS: usize = 25;

/// Where one piece of evidence sits: a log line, an event record or a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EvidenceRef {
    /// Path relative to the scanned root.
    pub path: String,
    /// 1-based line, for log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Event record id, for event-log records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// The rule whose finding this is, when it is one (else a line found by the sweep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
}

impl EvidenceRef {
    /// The reference of a finding.
    pub fn of(f: &Finding) -> EvidenceRef {
        let (line, record_id) = match f.location {
            Location::Line { line } => (Some(line), None),
            Location::Record { record_id } => (None, Some(record_id)),
            Location::File => (None, None),
        };
        EvidenceRef {
            path: f.path.clone(),
            line,
            record_id,
            rule_id: Some(f.rule.id.clone()),
        }
    }

    /// `path:line`, `path#record` or `path`.
    pub fn display(&self) -> String {
        match (self.line, self.record_id) {
            (Some(l), _) => format!("{}:{l}", self.path),
            (None, Some(r)) => format!("{}#{r}", self.path),
            _ => self.path.clone(),
        }
    }

    fn location_key(&self) -> (String, Option<u64>, Option<u64>) {
        (self.path.clone(), self.line, self.record_id)
    }
}

/// Whether the evidence names the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailboxScope {
    /// One mailbox, named by the evidence.
    Named,
    /// Mail was reached but the evidence does not say whose.
    NotRecorded,
    /// Code ran with the server's rights: every mailbox could be read.
    AllMailboxes,
}

/// Mail that intruder activity reached on one server, by one method.
#[derive(Debug, Clone, Serialize)]
pub struct DataAccess {
    /// The server.
    pub host: String,
    /// The mailbox (an SMTP address where one was logged, else the identity as logged);
    /// `None` when the evidence names none (see `scope`).
    pub mailbox: Option<String>,
    /// Named, not recorded, or all mailboxes.
    pub scope: MailboxScope,
    /// Other spellings of the same mailbox in the evidence (`ceo`, `CONTOSO\ceo`).
    pub also_logged_as: Vec<String>,
    /// How the mail was reached, in words.
    pub method: String,
    /// Earliest evidence.
    pub first: Option<DateTime<Utc>>,
    /// Latest evidence.
    pub last: Option<DateTime<Utc>>,
    /// How many: requests, cmdlet calls or files (see `unit`).
    pub requests: u64,
    /// What `requests` counts: `requests`, `calls`, `files` or `requests and commands`.
    pub unit: String,
    /// Bytes sent to the client, where the log has them (HttpProxy ResponseBytes, IIS sc-bytes).
    pub bytes: Option<u64>,
    /// Size on disk of export files.
    pub size_on_disk: Option<u64>,
    /// Client addresses of the requests.
    pub client_ips: Vec<String>,
    /// The story the activity belongs to (set after correlation).
    pub story: Option<usize>,
    /// Where the proof is (the first [`MAX_EVIDENCE_REFS`]).
    pub evidence: Vec<EvidenceRef>,
    /// How many pieces of evidence there are in all.
    pub evidence_total: u64,
    /// Destinations, file names and other facts worth reading.
    pub details: Vec<String>,
}

impl DataAccess {
    /// The mailbox in words: the address, or what the evidence allows to say.
    pub fn label(&self) -> &str {
        match self.scope {
            MailboxScope::Named => self.mailbox.as_deref().unwrap_or("mailbox not recorded"),
            MailboxScope::NotRecorded => "mailbox not recorded",
            MailboxScope::AllMailboxes => "all mailboxes on this server were reachable",
        }
    }

    /// Bytes out, else size on disk, else 0: what "ordered by volume" sorts by.
    pub fn volume(&self) -> u64 {
        self.bytes.or(self.size_on_disk).unwrap_or(0)
    }
}

/// Whether an actor used a shell or only looked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorRole {
    /// Requests the shell answered (it exists and ran).
    Use,
    /// Only requests for a page that was not there (or no longer).
    Probe,
}

/// One actor's requests to one web shell.
#[derive(Debug, Clone, Serialize)]
pub struct ShellActor {
    /// The server.
    pub host: String,
    /// The shell's URL path as logged.
    pub shell: String,
    /// 1-based actor number for this shell, in order of first request.
    pub actor: usize,
    /// Use or probe.
    pub role: ActorRole,
    /// Client addresses.
    pub client_ips: Vec<String>,
    /// User agents (as logged, spaces restored).
    pub user_agents: Vec<String>,
    /// Client shapes recognised (tool families from the mapping).
    pub clients: Vec<String>,
    /// Requests per HTTP method.
    pub methods: std::collections::BTreeMap<String, u64>,
    /// Requests per status.
    pub statuses: std::collections::BTreeMap<String, u64>,
    /// First request.
    pub first: Option<DateTime<Utc>>,
    /// Last request.
    pub last: Option<DateTime<Utc>>,
    /// Number of requests.
    pub requests: u64,
    /// The story the actor's requests belong to (set after correlation).
    pub story: Option<usize>,
    /// Where the proof is (the first [`MAX_EVIDENCE_REFS`]).
    pub evidence: Vec<EvidenceRef>,
    /// How many requests there are in all.
    pub evidence_total: u64,
}

impl ShellActor {
    /// One line: who, with what, when, how much.
    pub fn summary(&self) -> String {
        let when = match (self.first, self.last) {
            (Some(a), Some(b)) => format!(
                ", {} → {}",
                a.format("%Y-%m-%d %H:%M:%S"),
                b.format("%Y-%m-%d %H:%M:%S")
            ),
            _ => String::new(),
        };
        format!(
            "{} actor {} ({}): {} via {} — {} request(s){when}",
            self.shell,
            self.actor,
            match self.role {
                ActorRole::Use => "use",
                ActorRole::Probe => "probe",
            },
            if self.client_ips.is_empty() {
                "no address".to_string()
            } else {
                self.client_ips.join(", ")
            },
            if self.clients.is_empty() {
                "an unidentified client".to_string()
            } else {
                self.clients.join(" + ")
            },
            self.requests
        )
    }
}

/// What the targeted second read covered on one server.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepSummary {
    /// The server.
    pub host: String,
    /// Intruder addresses searched for, each with the time window searched (UTC).
    pub windows: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    /// Log files read (whole or in part).
    pub files_read: u64,
    /// Log files skipped because their time span lies outside every window.
    pub files_skipped: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Lines from those addresses inside their windows.
    pub lines_found: u64,
}

/// Everything the access analysis found.
#[derive(Debug, Clone, Default)]
pub struct AccessReport {
    /// Mail reached, per server, ordered by server then volume.
    pub data_access: Vec<DataAccess>,
    /// Web-shell actors, per server and shell.
    pub shell_use: Vec<ShellActor>,
    /// What the targeted second read covered, per server that needed one.
    pub sweeps: Vec<SweepSummary>,
    /// Problems met by the second read (a file it could not finish).
    pub issues: Vec<crate::model::ScanIssue>,
}

/// Stories with exploitation or backdoor findings (or later stages) of medium severity or
/// more: the intruders' activity.
pub(crate) fn intruder_stories(findings: &[Finding]) -> BTreeSet<usize> {
    findings
        .iter()
        .filter(|f| f.rule.stage != Stage::Exposure && f.severity >= Severity::Medium)
        .filter_map(|f| f.story)
        .collect()
}

/// Run the analysis over correlated findings (the second read stops once `cancel` is set). Returns the report (stories not yet set) and
/// the findings it raises (backdoor reuse, mass probing), which the caller adds before the
/// final correlation.
pub fn analyse(
    inventory: &Inventory,
    findings: &[Finding],
    maps: &AccessMappings,
    filter: &TimeFilter,
    cancel: &crate::cancel::Cancel,
) -> (AccessReport, Vec<Finding>) {
    let (shell_use, new_findings) = shells::analyse(findings, maps);
    let plan = sweep::plan(inventory, findings, maps);
    let swept = sweep::run(&plan, maps, filter, cancel);
    let data_access = mail::analyse(findings, &swept.hits, maps);
    (
        AccessReport {
            data_access,
            shell_use,
            sweeps: swept.summaries,
            issues: swept.issues,
        },
        new_findings,
    )
}

impl AccessReport {
    /// Set the story of every record from the final correlation, and give each story the
    /// one-line summaries of the shell actors in it.
    pub fn assign_stories(&mut self, findings: &[Finding], stories: &mut [Story]) {
        let mut by_ref: HashMap<(String, Option<u64>, Option<u64>), usize> = HashMap::new();
        let mut by_ip: HashMap<(String, String), usize> = HashMap::new();
        for f in findings {
            let Some(s) = f.story else { continue };
            by_ref.entry(EvidenceRef::of(f).location_key()).or_insert(s);
            if let Some(ip) = &f.client_ip {
                by_ip.entry((f.host.clone(), ip.clone())).or_insert(s);
            }
        }
        let find = |host: &str, refs: &[EvidenceRef], ips: &[String]| -> Option<usize> {
            refs.iter()
                .find_map(|r| by_ref.get(&r.location_key()).copied())
                .or_else(|| {
                    ips.iter()
                        .find_map(|ip| by_ip.get(&(host.to_string(), ip.clone())).copied())
                })
        };
        for d in &mut self.data_access {
            d.story = find(&d.host, &d.evidence, &d.client_ips);
        }
        for a in &mut self.shell_use {
            a.story = find(&a.host, &a.evidence, &a.client_ips);
        }
        for s in stories.iter_mut() {
            s.actors = self
                .shell_use
                .iter()
                .filter(|a| a.story == Some(s.id))
                .map(ShellActor::summary)
                .collect();
        }
    }
}
