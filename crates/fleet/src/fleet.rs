//! The fleet model: [`FleetBuilder`] takes one [`HostDigest`] per server scan (from a
//! multi-root scan or from merged result files) and [`FleetBuilder::finish`] turns them into a
//! [`Fleet`]: per-organisation counts, per-server verdicts (with "not assessable" applied),
//! campaign indicators with their spread, and clusters of servers tied by shared
//! infrastructure or backdoors. Writers only read the [`Fleet`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use exhunt_core::model::SourceCoverage;
use exhunt_core::{Severity, SourceKind, Stage, VerdictLevel};

use crate::assess::{refine, BuildFacts};
use crate::campaigns::{CampaignMatch, Campaigns};
use crate::digest::{HostDigest, Moments, RuleStat};
use crate::indicator::IndicatorType;
use crate::view::{log_span, MailReached};

/// How many input problems are listed (the rest are counted).
pub const MAX_LISTED_PROBLEMS: usize = 1000;

/// Options of the fleet view.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Keep example findings per rule and server (for an HTML page).
    pub keep_examples: bool,
    /// Servers that keep their examples (worst first); the others are summarised.
    pub max_detailed_hosts: usize,
    /// Published campaigns to match.
    pub campaigns: Campaigns,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            keep_examples: false,
            max_detailed_hosts: 500,
            campaigns: Campaigns::embedded(),
        }
    }
}

/// An input that could not be used (a root, a file, a line, a row), with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The root or file.
    pub file: String,
    /// 1-based line (or row), when the problem is one line.
    pub line: Option<u64>,
    /// Short kind: `unreadable`, `bad-zip`, `malformed-line`, `truncated`, `no-summary`, …
    pub kind: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {} ({})", self.file, self.message, self.kind),
            None => write!(f, "{}: {} ({})", self.file, self.message, self.kind),
        }
    }
}

/// A server seen twice: the newer scan wins.
#[derive(Debug, Clone)]
pub struct Duplicate {
    /// Organisation.
    pub org: Option<String>,
    /// Server.
    pub host: String,
    /// Where the kept scan came from.
    pub kept: String,
    /// Where the older scans came from.
    pub dropped: Vec<String>,
}

/// One server in the fleet view.
#[derive(Debug, Clone)]
pub struct FleetHost {
    /// Organisation.
    pub org: Option<String>,
    /// Server.
    pub host: String,
    /// Verdict, "not assessable" applied.
    pub verdict: VerdictLevel,
    /// Why.
    pub reason: String,
    /// Key moments.
    pub moments: Moments,
    /// Findings in all.
    pub findings: u64,
    /// Findings per severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// Findings per stage.
    pub by_stage: BTreeMap<Stage, u64>,
    /// What was read.
    pub coverage: BTreeMap<SourceKind, SourceCoverage>,
    /// Expected sources not found.
    pub missing_sources: Vec<SourceKind>,
    /// Oldest and newest log record (all log kinds).
    pub log_span: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    /// The installed build and what it lacks (shared by the servers running that build).
    pub build: Option<std::sync::Arc<BuildFacts>>,
    /// Web shells (URL paths).
    pub web_shells: Vec<String>,
    /// Attacker addresses (indicators only: exclusions applied).
    pub attacker_ips: Vec<String>,
    /// Rules that fired, worst first: (rule id, statistics).
    pub rules: Vec<(String, RuleStat)>,
    /// Published campaigns matched.
    pub campaigns: Vec<CampaignMatch>,
    /// The cluster (index into [`Fleet::clusters`]) the server belongs to.
    pub cluster: Option<usize>,
    /// Where the scan came from.
    pub origin: String,
    /// When it was scanned.
    pub scanned: Option<DateTime<Utc>>,
    /// Input problems the scan met on this server's evidence.
    pub scan_issues: u64,
    /// True when example findings were kept for this server.
    pub detailed: bool,
    /// Exploitation and intrusion findings of weight per day: (exploitation, intrusion).
    pub activity: BTreeMap<chrono::NaiveDate, (u32, u32)>,
    /// Mail intruder activity reached: named mailboxes first (most requests first), then
    /// "not recorded" and "all mailboxes" entries.
    pub mail_reached: Vec<MailReached>,
    /// Mailboxes reached beyond those listed.
    pub mail_not_listed: u64,
}

impl FleetHost {
    /// Named mailboxes reached (listed and counted only).
    pub fn mailboxes_reached(&self) -> u64 {
        self.mail_reached.iter().filter(|m| m.is_named()).count() as u64 + self.mail_not_listed
    }

    /// True when code ran with the server's rights, so every mailbox could be read.
    pub fn all_mail_reachable(&self) -> bool {
        self.mail_reached.iter().any(|m| m.scope == "all-mailboxes")
    }

    /// `org/host`, or `host` without an organisation.
    pub fn label(&self) -> String {
        match &self.org {
            Some(o) => format!("{o}/{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The earliest moment the server was compromised (proof, else first exploitation or
    /// backdoor), for compromised servers.
    pub fn compromised_since(&self) -> Option<DateTime<Utc>> {
        (self.verdict == VerdictLevel::Compromised).then(|| {
            self.moments
                .first_compromise
                .or(self.moments.first_exploitation)
                .or(self.moments.first_backdoor)
        })?
    }
}

/// A campaign indicator and its spread.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// Type.
    pub kind: IndicatorType,
    /// Value.
    pub value: String,
    /// Servers it was seen on (indices into [`Fleet::hosts`]).
    pub hosts: Vec<usize>,
    /// Organisations it was seen in (`None`: servers without one).
    pub orgs: Vec<Option<String>>,
    /// Earliest time.
    pub first: Option<DateTime<Utc>>,
    /// Latest time.
    pub last: Option<DateTime<Utc>>,
    /// Rules behind it.
    pub rules: Vec<String>,
    /// Ids of campaigns that published it.
    pub campaigns: Vec<String>,
}

/// Servers tied together by shared addresses, web shells or files.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// 1-based number, by size.
    pub id: usize,
    /// Servers (indices into [`Fleet::hosts`]).
    pub hosts: Vec<usize>,
    /// Organisations.
    pub orgs: Vec<Option<String>>,
    /// Shared indicators that tie them (indices into [`Fleet::indicators`]).
    pub linked_by: Vec<usize>,
    /// Earliest activity of the shared indicators.
    pub first: Option<DateTime<Utc>>,
    /// Latest activity.
    pub last: Option<DateTime<Utc>>,
    /// Published campaigns matched.
    pub campaigns: Vec<CampaignMatch>,
}

/// One organisation's line.
#[derive(Debug, Clone, Default)]
pub struct OrgSummary {
    /// The organisation (`None`: servers without one).
    pub org: Option<String>,
    /// Servers assessed.
    pub servers: usize,
    /// Compromised.
    pub compromised: usize,
    /// Exploitation attempted.
    pub attempted: usize,
    /// No evidence found.
    pub no_evidence: usize,
    /// Not assessable.
    pub not_assessable: usize,
    /// Earliest compromise and the server.
    pub earliest_compromise: Option<(DateTime<Utc>, String)>,
    /// Findings in all.
    pub findings: u64,
    /// Named mailboxes intruder activity reached, summed over the servers.
    pub mailboxes_reached: u64,
    /// Servers where code ran with the server's rights (every mailbox reachable).
    pub all_mail_reachable: usize,
}

impl OrgSummary {
    /// The worst verdict.
    pub fn worst(&self) -> VerdictLevel {
        if self.compromised > 0 {
            VerdictLevel::Compromised
        } else if self.attempted > 0 {
            VerdictLevel::ExploitationAttempted
        } else if self.not_assessable > 0 {
            VerdictLevel::NotAssessable
        } else {
            VerdictLevel::NoEvidence
        }
    }
}

/// What was left out of the indicators, and why.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    /// Private, loopback and other non-routable addresses of attack findings.
    pub private_addresses: BTreeSet<String>,
    /// Addresses that are also ordinary users' clients.
    pub ordinary_user_addresses: BTreeSet<String>,
    /// The servers' own addresses.
    pub own_addresses: BTreeSet<String>,
    /// User agents that ordinary users' clients send too.
    pub ordinary_user_agents: BTreeSet<String>,
}

/// The whole fleet view.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// exhunt version.
    pub version: &'static str,
    /// Start of the run.
    pub started: DateTime<Utc>,
    /// End of the run.
    pub finished: DateTime<Utc>,
    /// Roots scanned or files merged.
    pub inputs: u64,
    /// Servers, worst first.
    pub hosts: Vec<FleetHost>,
    /// Organisations, worst first.
    pub orgs: Vec<OrgSummary>,
    /// Indicators, widest spread first.
    pub indicators: Vec<Indicator>,
    /// Clusters, largest first.
    pub clusters: Vec<Cluster>,
    /// Exclusions.
    pub exclusions: Exclusions,
    /// Servers seen twice.
    pub duplicates: Vec<Duplicate>,
    /// Input problems (listed).
    pub problems: Vec<InputProblem>,
    /// Input problems counted beyond the listed ones.
    pub problems_not_listed: u64,
    /// Input problems per kind (all, listed or not).
    pub problem_counts: BTreeMap<String, u64>,
    /// Problems loading campaign files.
    pub campaign_problems: Vec<String>,
    /// Campaigns loaded.
    pub campaigns_loaded: usize,
    /// The campaign definitions matched against.
    pub campaigns: Vec<crate::campaigns::Campaign>,
}

impl Fleet {
    /// The worst verdict of any server.
    pub fn worst(&self) -> VerdictLevel {
        self.hosts
            .iter()
            .map(|h| h.verdict)
            .max()
            .unwrap_or(VerdictLevel::NoEvidence)
    }

    /// Servers with a finding of severity low or above (the exit status).
    pub fn has_findings(&self) -> bool {
        self.hosts.iter().any(|h| {
            h.by_severity
                .iter()
                .any(|(s, n)| *s >= Severity::Low && *n > 0)
        })
    }
}

struct Slot {
    digest: Stored,
    order: usize,
}

/// A server's digest as kept until the fleet is finished: maps turned into boxed slices (a map
/// allocates room for a dozen entries even for one), only what `finish` reads.
struct Stored {
    org: Option<String>,
    host: String,
    facts: Option<crate::view::HostFacts>,
    build: Option<String>,
    findings: u64,
    by_severity: Box<[(Severity, u64)]>,
    by_stage: Box<[(Stage, u64)]>,
    rules: Box<[(String, RuleStat)]>,
    tags: Box<[String]>,
    web_shells: Box<[String]>,
    ordinary_addresses: Box<[String]>,
    own_addresses: Box<[String]>,
    private_addresses: Box<[String]>,
    ordinary_agents: Box<[String]>,
    moments: Moments,
    activity: Box<[(chrono::NaiveDate, (u32, u32))]>,
    verdict_from_findings: VerdictLevel,
    mail: Box<[MailReached]>,
    mail_not_listed: u64,
}

impl From<HostDigest> for Stored {
    fn from(d: HostDigest) -> Stored {
        let moments = d.moments();
        Stored {
            org: d.org,
            host: d.host,
            facts: d.facts,
            build: d.build,
            findings: d.findings,
            by_severity: d.by_severity.into_iter().collect(),
            by_stage: d.by_stage.into_iter().collect(),
            rules: d.rules.into_iter().collect(),
            tags: d.tags.into_iter().collect(),
            web_shells: d.web_shells.into_iter().collect(),
            ordinary_addresses: d
                .addresses
                .into_iter()
                .filter(|(_, u)| u.ordinary && !u.weighty)
                .map(|(a, _)| a)
                .collect(),
            own_addresses: d.own_addresses.into_iter().collect(),
            private_addresses: d.private_addresses.into_iter().collect(),
            ordinary_agents: d.ordinary_agents.into_iter().collect(),
            moments,
            activity: d.activity.into_iter().collect(),
            verdict_from_findings: d.verdict_from_findings,
            mail: d.mail.into_values().collect(),
            mail_not_listed: d.mail_not_listed,
        }
    }
}

/// Seconds since 2000-01-01 in 32 bits, 0 for none: where an indicator was seen is stored per
/// server, and at national scale there are millions of these (first and last seen keep
/// second precision).
fn pack(t: Option<DateTime<Utc>>) -> u32 {
    const EPOCH_2000: i64 = 946_684_800;
    t.map_or(0, |t| {
        (t.timestamp() - EPOCH_2000).clamp(1, u32::MAX as i64) as u32
    })
}

fn unpack(x: u32) -> Option<DateTime<Utc>> {
    const EPOCH_2000: i64 = 946_684_800;
    (x != 0).then(|| DateTime::from_timestamp(EPOCH_2000 + x as i64, 0))?
}

/// Named mailboxes first, most requests first; then the entries that name none.
fn mail_order(mut mail: Vec<MailReached>) -> Vec<MailReached> {
    mail.sort_by(|a, b| {
        b.is_named()
            .cmp(&a.is_named())
            .then(b.requests.cmp(&a.requests))
            .then(a.mailbox.cmp(&b.mailbox))
    });
    mail
}

/// No rule in an inline rule slot.
const NO_RULE: u16 = u16::MAX;

/// One indicator on one server, in 32 bytes: the server's slot, first and last seen (recorded
/// and file-system times), and up to six rules (more go to a side table).
#[derive(Debug, Clone, Copy)]
struct Seen {
    slot: u32,
    first: u32,
    last: u32,
    file_first: u32,
    file_last: u32,
    rules: [u16; 6],
}

/// Builds a [`Fleet`] from server digests; memory grows with servers and distinct indicators.
pub struct FleetBuilder {
    options: FleetOptions,
    slots: Vec<Slot>,
    indicator_ids: HashMap<(IndicatorType, Box<str>), u32>,
    indicator_keys: Vec<(IndicatorType, Box<str>)>,
    seen: Vec<Vec<Seen>>,
    rule_ids: HashMap<Box<str>, u16>,
    rule_names: Vec<Box<str>>,
    more_rules: HashMap<(u32, u32), Vec<u16>>,
    problems: Vec<InputProblem>,
    problems_not_listed: u64,
    problem_counts: BTreeMap<String, u64>,
    inputs: u64,
    started: DateTime<Utc>,
}

impl FleetBuilder {
    /// An empty builder.
    pub fn new(options: FleetOptions) -> FleetBuilder {
        FleetBuilder {
            options,
            slots: Vec::new(),
            indicator_ids: HashMap::new(),
            indicator_keys: Vec::new(),
            seen: Vec::new(),
            rule_ids: HashMap::new(),
            rule_names: Vec::new(),
            more_rules: HashMap::new(),
            problems: Vec::new(),
            problems_not_listed: 0,
            problem_counts: BTreeMap::new(),
            inputs: 0,
            started: Utc::now(),
        }
    }

    /// True when digests should keep example findings.
    pub fn keeps_examples(&self) -> bool {
        self.options.keep_examples
    }

    /// Count one input (a root or a file).
    pub fn input_done(&mut self) {
        self.inputs += 1;
    }

    /// Record an input problem.
    pub fn problem(&mut self, p: InputProblem) {
        *self.problem_counts.entry(p.kind.clone()).or_default() += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(p);
        } else {
            self.problems_not_listed += 1;
        }
    }

    /// Add one server's digest.
    pub fn add(&mut self, mut digest: HostDigest) {
        let slot = self.slots.len() as u32;
        for ((kind, value), s) in std::mem::take(&mut digest.indicators) {
            let key = (kind, value.into_boxed_str());
            let id = match self.indicator_ids.get(&key) {
                Some(&id) => id,
                None => {
                    let id = self.indicator_keys.len() as u32;
                    self.indicator_keys.push(key.clone());
                    self.indicator_ids.insert(key, id);
                    self.seen.push(Vec::new());
                    id
                }
            };
            let mut rules = [NO_RULE; 6];
            for (k, r) in s.rules.iter().enumerate() {
                let rid = self.rule_id(r);
                if k < rules.len() {
                    rules[k] = rid;
                } else {
                    self.more_rules.entry((id, slot)).or_default().push(rid);
                }
            }
            self.seen[id as usize].push(Seen {
                slot,
                first: pack(s.first),
                last: pack(s.last),
                file_first: pack(s.file_first),
                file_last: pack(s.file_last),
                rules,
            });
        }
        let order = self.slots.len();
        self.slots.push(Slot {
            digest: Stored::from(digest),
            order,
        });
    }

    fn rule_id(&mut self, name: &str) -> u16 {
        if let Some(&id) = self.rule_ids.get(name) {
            return id;
        }
        let id = self.rule_names.len().min(NO_RULE as usize - 1) as u16;
        if (id as usize) == self.rule_names.len() {
            self.rule_names.push(name.into());
            self.rule_ids.insert(name.into(), id);
        }
        id
    }

    /// Number of server digests so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True before any digest was added.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Finish: resolve duplicates, apply exclusions and "not assessable", group clusters.
    pub fn finish(self) -> Fleet {
        let FleetBuilder {
            options,
            slots,
            indicator_ids: _,
            indicator_keys,
            seen,
            rule_ids: _,
            rule_names,
            more_rules,
            problems,
            problems_not_listed,
            problem_counts,
            inputs,
            started,
        } = self;

        // 1. The same server twice: the newer scan wins.
        let keys = server_keys(
            &slots
                .iter()
                .map(|s| (s.digest.org.as_deref(), s.digest.host.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut groups: BTreeMap<(Option<String>, String), Vec<usize>> = BTreeMap::new();
        for (i, key) in keys.into_iter().enumerate() {
            groups.entry(key).or_default().push(i);
        }
        let mut kept = vec![false; slots.len()];
        let mut duplicates = Vec::new();
        let origin = |s: &Slot| {
            s.digest
                .facts
                .as_ref()
                .map(|f| f.origin.clone())
                .unwrap_or_else(|| "(no summary)".into())
        };
        for ((org, _), members) in &groups {
            let winner = *members
                .iter()
                .max_by_key(|&&i| {
                    let s = &slots[i];
                    (
                        s.digest.facts.is_some(),
                        s.digest.facts.as_ref().and_then(|f| f.scanned),
                        s.order,
                    )
                })
                .expect("non-empty group");
            kept[winner] = true;
            if members.len() > 1 {
                duplicates.push(Duplicate {
                    org: org.clone(),
                    host: slots[winner].digest.host.clone(),
                    kept: origin(&slots[winner]),
                    dropped: members
                        .iter()
                        .filter(|&&i| i != winner)
                        .map(|&i| origin(&slots[i]))
                        .collect(),
                });
            }
        }

        // 2. Exclusions.
        let mut ex = Exclusions::default();
        for (i, s) in slots.iter().enumerate().filter(|(i, _)| kept[*i]) {
            let _ = i;
            ex.ordinary_user_addresses
                .extend(s.digest.ordinary_addresses.iter().cloned());
            ex.own_addresses
                .extend(s.digest.own_addresses.iter().cloned());
            ex.private_addresses
                .extend(s.digest.private_addresses.iter().cloned());
            ex.ordinary_user_agents
                .extend(s.digest.ordinary_agents.iter().cloned());
        }

        // 3. Indicators, before host indices are final: keyed by slot.
        struct Pending {
            kind: IndicatorType,
            value: String,
            slots: Vec<u32>,
            first: Option<DateTime<Utc>>,
            last: Option<DateTime<Utc>>,
            file_first: Option<DateTime<Utc>>,
            file_last: Option<DateTime<Utc>>,
            rules: BTreeSet<String>,
        }
        fn widen(
            a: &mut Option<DateTime<Utc>>,
            b: &mut Option<DateTime<Utc>>,
            x: Option<DateTime<Utc>>,
            y: Option<DateTime<Utc>>,
        ) {
            if let Some(t) = x {
                *a = Some(a.map_or(t, |v| v.min(t)));
            }
            if let Some(t) = y {
                *b = Some(b.map_or(t, |v| v.max(t)));
            }
        }
        let mut excluded_ips = BTreeSet::new();
        let mut excluded_agents = BTreeSet::new();
        let mut pending: Vec<Pending> = Vec::new();
        for (id, ((kind, value), sightings)) in indicator_keys.into_iter().zip(seen).enumerate() {
            let value = String::from(value);
            if kind == IndicatorType::Ip
                && (ex.ordinary_user_addresses.contains(&value)
                    || ex.own_addresses.contains(&value))
            {
                excluded_ips.insert(value);
                continue;
            }
            if kind == IndicatorType::UserAgent && ex.ordinary_user_agents.contains(&value) {
                excluded_agents.insert(value);
                continue;
            }
            let mut p = Pending {
                kind,
                value,
                slots: Vec::new(),
                first: None,
                last: None,
                file_first: None,
                file_last: None,
                rules: BTreeSet::new(),
            };
            // A server adds each of its indicators once: no slot repeats here.
            for s in sightings {
                if !kept[s.slot as usize] {
                    continue;
                }
                p.slots.push(s.slot);
                widen(&mut p.first, &mut p.last, unpack(s.first), unpack(s.last));
                widen(
                    &mut p.file_first,
                    &mut p.file_last,
                    unpack(s.file_first),
                    unpack(s.file_last),
                );
                let more = more_rules.get(&(id as u32, s.slot));
                for r in s.rules.iter().chain(more.into_iter().flatten()) {
                    if *r != NO_RULE {
                        p.rules.insert(rule_names[*r as usize].to_string());
                    }
                }
            }
            if p.first.is_none() {
                p.first = p.file_first;
                p.last = p.file_last;
            }
            if !p.slots.is_empty() {
                pending.push(p);
            }
        }
        // Only the addresses that were actually dropped are reported as such.
        ex.ordinary_user_addresses
            .retain(|a| excluded_ips.contains(a) && !ex.own_addresses.contains(a));
        ex.own_addresses.retain(|a| excluded_ips.contains(a));
        ex.ordinary_user_agents
            .retain(|a| excluded_agents.contains(a));

        // 4. Hosts.
        let campaigns = &options.campaigns;
        let mut per_slot: HashMap<u32, Vec<usize>> = HashMap::new();
        for (pi, p) in pending.iter().enumerate() {
            for s in &p.slots {
                per_slot.entry(*s).or_default().push(pi);
            }
        }
        let mut hosts: Vec<(u32, FleetHost)> = Vec::new();
        let mut build_cache: HashMap<String, std::sync::Arc<BuildFacts>> = HashMap::new();
        for (i, s) in slots.into_iter().enumerate() {
            if !kept[i] {
                continue;
            }
            let d = s.digest;
            let mine = per_slot.get(&(i as u32)).cloned().unwrap_or_default();
            let host_indicators = mine
                .iter()
                .map(|&pi| (pending[pi].kind, pending[pi].value.as_str()));
            let moments_now = d.moments;
            let tags: BTreeSet<String> = d.tags.iter().cloned().collect();
            let activity = moments_now
                .first_attempt
                .into_iter()
                .chain(moments_now.first_backdoor)
                .chain(moments_now.first_compromise)
                .min()
                .zip(moments_now.last_activity);
            let matches = campaigns.matches(host_indicators, &tags, activity);
            let mut attacker_ips: Vec<String> = mine
                .iter()
                .filter(|&&pi| pending[pi].kind == IndicatorType::Ip)
                .map(|&pi| pending[pi].value.clone())
                .collect();
            attacker_ips.sort();
            let build = d.build.as_deref().map(|b| {
                build_cache
                    .entry(b.to_string())
                    .or_insert_with(|| std::sync::Arc::new(BuildFacts::of(b)))
                    .clone()
            });
            let moments = d.moments;
            let (verdict, reason, coverage, missing, origin, scanned, issues) = match &d.facts {
                Some(f) => {
                    let (v, r) = refine(f.verdict, &f.reason, f, build.as_deref());
                    (
                        v,
                        r,
                        f.coverage.clone(),
                        f.missing_sources.clone(),
                        f.origin.clone(),
                        f.scanned,
                        f.scan_issues,
                    )
                }
                None => {
                    let v = d.verdict_from_findings;
                    let why = "the result ends before its summary line (cut short?), so what was \
                               read is unknown";
                    let (v, r) = if v == VerdictLevel::NoEvidence {
                        (VerdictLevel::NotAssessable, why.to_string())
                    } else {
                        (v, format!("{} from the findings read; {why}", v.as_str()))
                    };
                    (
                        v,
                        r,
                        BTreeMap::new(),
                        Vec::new(),
                        "(no summary)".into(),
                        None,
                        0,
                    )
                }
            };
            let mut rules: Vec<(String, RuleStat)> = d.rules.into_vec();
            rules.sort_by(|a, b| {
                b.1.severity
                    .cmp(&a.1.severity)
                    .then(a.1.first.cmp(&b.1.first))
                    .then(a.0.cmp(&b.0))
            });
            let log_span = log_span(&coverage);
            hosts.push((
                i as u32,
                FleetHost {
                    org: d.org,
                    host: d.host,
                    verdict,
                    reason,
                    moments,
                    findings: d.findings,
                    by_severity: d.by_severity.iter().copied().collect(),
                    by_stage: d.by_stage.iter().copied().collect(),
                    coverage,
                    missing_sources: missing,
                    log_span,
                    build,
                    web_shells: d.web_shells.into_vec(),
                    attacker_ips,
                    rules,
                    campaigns: matches,
                    cluster: None,
                    origin,
                    scanned,
                    scan_issues: issues,
                    detailed: options.keep_examples,
                    activity: d.activity.iter().copied().collect(),
                    mail_reached: mail_order(d.mail.into_vec()),
                    mail_not_listed: d.mail_not_listed,
                },
            ));
        }
        hosts.sort_by(|a, b| {
            b.1.verdict
                .cmp(&a.1.verdict)
                .then(a.1.compromised_since().cmp(&b.1.compromised_since()))
                .then(a.1.org.cmp(&b.1.org))
                .then(a.1.host.cmp(&b.1.host))
        });
        let slot_to_host: HashMap<u32, usize> = hosts
            .iter()
            .enumerate()
            .map(|(hi, (slot, _))| (*slot, hi))
            .collect();
        let mut hosts: Vec<FleetHost> = hosts.into_iter().map(|(_, h)| h).collect();
        for (i, h) in hosts.iter_mut().enumerate() {
            if i >= options.max_detailed_hosts || !h.detailed {
                h.detailed = false;
                for (_, r) in &mut h.rules {
                    r.examples = Vec::new();
                }
            }
        }

        // 5. Indicators with host indices, widest spread first.
        let mut indicators: Vec<Indicator> = pending
            .into_iter()
            .map(|p| {
                let mut hs: Vec<usize> = p.slots.iter().map(|s| slot_to_host[s]).collect();
                hs.sort_unstable();
                let orgs: BTreeSet<Option<String>> =
                    hs.iter().map(|&h| hosts[h].org.clone()).collect();
                let published = campaigns
                    .matches([(p.kind, p.value.as_str())], &BTreeSet::new(), None)
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                Indicator {
                    kind: p.kind,
                    value: p.value,
                    hosts: hs,
                    orgs: orgs.into_iter().collect(),
                    first: p.first,
                    last: p.last,
                    rules: p.rules.into_iter().collect(),
                    campaigns: published,
                }
            })
            .collect();
        indicators.sort_by(|a, b| {
            b.hosts
                .len()
                .cmp(&a.hosts.len())
                .then(b.orgs.len().cmp(&a.orgs.len()))
                .then(a.kind.cmp(&b.kind))
                .then(a.value.cmp(&b.value))
        });

        // 6. Clusters: servers tied by a shared address, web shell, file name or hash.
        let mut uf: Vec<usize> = (0..hosts.len()).collect();
        fn find(uf: &mut [usize], mut x: usize) -> usize {
            while uf[x] != x {
                uf[x] = uf[uf[x]];
                x = uf[x];
            }
            x
        }
        for ind in indicators
            .iter()
            .filter(|i| i.kind.links_servers() && i.hosts.len() >= 2)
        {
            let a = find(&mut uf, ind.hosts[0]);
            for &h in &ind.hosts[1..] {
                let b = find(&mut uf, h);
                if a != b {
                    uf[b] = a;
                }
            }
        }
        let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for h in 0..hosts.len() {
            let r = find(&mut uf, h);
            comps.entry(r).or_default().push(h);
        }
        let mut clusters: Vec<Cluster> = Vec::new();
        for members in comps.into_values().filter(|m| m.len() >= 2) {
            let set: HashSet<usize> = members.iter().copied().collect();
            let linked_by: Vec<usize> = indicators
                .iter()
                .enumerate()
                .filter(|(_, i)| {
                    i.kind.links_servers()
                        && i.hosts.iter().filter(|h| set.contains(h)).count() >= 2
                })
                .map(|(k, _)| k)
                .collect();
            let first = linked_by.iter().filter_map(|&k| indicators[k].first).min();
            let last = linked_by.iter().filter_map(|&k| indicators[k].last).max();
            let orgs: BTreeSet<Option<String>> =
                members.iter().map(|&h| hosts[h].org.clone()).collect();
            // Campaigns: what the members' matches agree on, strongest first.
            let mut by_id: BTreeMap<String, CampaignMatch> = BTreeMap::new();
            for &h in &members {
                for m in &hosts[h].campaigns {
                    let e = by_id.entry(m.id.clone()).or_insert_with(|| CampaignMatch {
                        matched: Vec::new(),
                        by_indicator: false,
                        ..m.clone()
                    });
                    e.by_indicator |= m.by_indicator;
                    for x in &m.matched {
                        if !e.matched.contains(x) {
                            e.matched.push(x.clone());
                        }
                    }
                }
            }
            let mut cm: Vec<CampaignMatch> = by_id.into_values().collect();
            cm.sort_by(|a, b| {
                b.by_indicator
                    .cmp(&a.by_indicator)
                    .then(b.matched.len().cmp(&a.matched.len()))
                    .then(a.name.cmp(&b.name))
            });
            clusters.push(Cluster {
                id: 0,
                hosts: members,
                orgs: orgs.into_iter().collect(),
                linked_by,
                first,
                last,
                campaigns: cm,
            });
        }
        clusters.sort_by(|a, b| {
            b.hosts
                .len()
                .cmp(&a.hosts.len())
                .then(b.orgs.len().cmp(&a.orgs.len()))
                .then(a.first.cmp(&b.first))
        });
        for (k, c) in clusters.iter_mut().enumerate() {
            c.id = k + 1;
            for &h in &c.hosts {
                hosts[h].cluster = Some(k);
            }
        }

        // 7. Organisations, worst first.
        let mut orgs: BTreeMap<Option<String>, OrgSummary> = BTreeMap::new();
        for h in &hosts {
            let o = orgs.entry(h.org.clone()).or_insert_with(|| OrgSummary {
                org: h.org.clone(),
                ..Default::default()
            });
            o.servers += 1;
            o.findings += h.findings;
            o.mailboxes_reached += h.mailboxes_reached();
            o.all_mail_reachable += usize::from(h.all_mail_reachable());
            match h.verdict {
                VerdictLevel::Compromised => o.compromised += 1,
                VerdictLevel::ExploitationAttempted => o.attempted += 1,
                VerdictLevel::NoEvidence => o.no_evidence += 1,
                VerdictLevel::NotAssessable => o.not_assessable += 1,
            }
            if let Some(t) = h.compromised_since() {
                if o.earliest_compromise.as_ref().is_none_or(|(x, _)| t < *x) {
                    o.earliest_compromise = Some((t, h.host.clone()));
                }
            }
        }
        let mut orgs: Vec<OrgSummary> = orgs.into_values().collect();
        orgs.sort_by(|a, b| {
            b.worst()
                .cmp(&a.worst())
                .then(b.compromised.cmp(&a.compromised))
                .then(a.org.cmp(&b.org))
        });

        Fleet {
            version: env!("CARGO_PKG_VERSION"),
            started,
            finished: Utc::now(),
            inputs,
            hosts,
            orgs,
            indicators,
            clusters,
            exclusions: ex,
            duplicates,
            problems,
            problems_not_listed,
            problem_counts,
            campaign_problems: options.campaigns.problems.clone(),
            campaigns_loaded: options.campaigns.list.len(),
            campaigns: options.campaigns.list.clone(),
        }
    }
}
/// Who each (organisation, server name) is, for telling the same server scanned twice: names
/// compare without case (Windows names are case-insensitive), and a short name is the fully
/// qualified name of the same organisation that begins with it, when exactly one does (`EX01`
/// and `ex01.corp.local` are one server; with `ex01.branch.local` there too, `EX01` stays
/// apart, since it could be either). Inputs without an organisation may be different
/// customers: their short names are never folded.
pub fn server_keys(names: &[(Option<&str>, &str)]) -> Vec<(Option<String>, String)> {
    let lower: Vec<String> = names.iter().map(|(_, h)| h.to_lowercase()).collect();
    let is_fqdn = |h: &str| {
        h.split_once('.').is_some_and(|(first, _)| {
            !first.is_empty() && !first.bytes().all(|b| b.is_ascii_digit())
        })
    };
    // (org, first label) -> the distinct fully qualified names that start with it.
    let mut long: HashMap<(Option<&str>, &str), Vec<&str>> = HashMap::new();
    for ((org, _), h) in names.iter().zip(&lower) {
        if is_fqdn(h) {
            let first = h.split('.').next().unwrap_or(h);
            let list = long.entry((*org, first)).or_default();
            if !list.contains(&h.as_str()) {
                list.push(h);
            }
        }
    }
    names
        .iter()
        .zip(&lower)
        .map(|((org, _), h)| {
            // Without an organisation, inputs of different customers share one bucket: a short
            // name is folded only inside a named organisation.
            let key = match long.get(&(*org, h.as_str())) {
                Some(fqdns) if org.is_some() && !h.contains('.') && fqdns.len() == 1 => {
                    fqdns[0].to_string()
                }
                _ => h.clone(),
            };
            (org.map(str::to_string), key)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::HostFacts;

    #[test]
    fn a_short_name_is_its_organisation_s_one_fully_qualified_name() {
        let key = |org: Option<&str>, h: &str| (org.map(str::to_string), h.to_string());
        let names = [
            (Some("alpha"), "EX01"),
            (Some("alpha"), "ex01.corp.local"),
            (Some("alpha"), "Ex02"),
            (Some("alpha"), "EX02"),
            // Another organisation's EX01 is another server.
            (Some("beta"), "EX01"),
            // Two domains share the short name: it could be either.
            (Some("gamma"), "MAIL"),
            (Some("gamma"), "mail.corp.local"),
            (Some("gamma"), "mail.branch.local"),
            // An address is not a fully qualified name.
            (None, "10"),
            (None, "10.0.0.5"),
            // Without an organisation, two inputs may be two customers.
            (None, "EX01"),
            (None, "ex01.contoso.local"),
        ];
        assert_eq!(
            server_keys(&names),
            [
                key(Some("alpha"), "ex01.corp.local"),
                key(Some("alpha"), "ex01.corp.local"),
                key(Some("alpha"), "ex02"),
                key(Some("alpha"), "ex02"),
                key(Some("beta"), "ex01"),
                key(Some("gamma"), "mail"),
                key(Some("gamma"), "mail.corp.local"),
                key(Some("gamma"), "mail.branch.local"),
                key(None, "10"),
                key(None, "10.0.0.5"),
                key(None, "ex01"),
                key(None, "ex01.contoso.local"),
            ]
        );
    }

    #[test]
    fn the_same_server_by_short_and_full_name_is_one_server_and_the_newer_scan_wins() {
        let digest = |host: &str, day: u32| {
            let mut d = HostDigest::new(Some("alpha".into()), host.into(), false);
            d.facts = Some(HostFacts {
                org: Some("alpha".into()),
                host: host.into(),
                verdict: VerdictLevel::NoEvidence,
                reason: format!("scan of day {day}"),
                coverage: Default::default(),
                missing_sources: Vec::new(),
                scanned: chrono::TimeZone::with_ymd_and_hms(&Utc, 2021, 3, day, 0, 0, 0).single(),
                origin: format!("{host}.jsonl"),
                scan_issues: 0,
                read_error: None,
                interrupted: None,
            });
            d
        };
        // Both orders: the newer scan wins by its time, not by coming first.
        for newer_first in [true, false] {
            let mut b = FleetBuilder::new(FleetOptions::default());
            let (newer, older) = (digest("ex01.corp.local", 12), digest("EX01", 5));
            if newer_first {
                b.add(newer);
                b.add(older);
            } else {
                b.add(older);
                b.add(newer);
            }
            b.add(digest("EX02", 5));
            let fleet = b.finish();
            let hosts: Vec<&str> = fleet.hosts.iter().map(|h| h.host.as_str()).collect();
            assert_eq!(hosts.len(), 2, "{hosts:?}");
            assert!(
                hosts.contains(&"ex01.corp.local") && hosts.contains(&"EX02"),
                "{hosts:?}"
            );
            assert_eq!(fleet.duplicates.len(), 1);
            assert_eq!(fleet.duplicates[0].host, "ex01.corp.local");
            assert_eq!(fleet.duplicates[0].dropped, ["EX01.jsonl"]);
        }
    }
}
