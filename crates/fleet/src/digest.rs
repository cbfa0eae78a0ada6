//! One server's contribution to the fleet view, built finding by finding: counts, key moments,
//! per-rule statistics, candidate indicators and a few example findings. Its size grows with
//! the server's distinct rules and indicators, never with its number of findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use exhunt_core::correlate::{proves_compromise_by, shows_attempt_by};
use exhunt_core::{Severity, Stage, VerdictLevel};

use crate::indicator::{self, IndicatorType};
use crate::view::{FindingView, HostFacts, MailReached};

/// The most example findings kept per rule and server (for the HTML per-server sections).
pub const EXAMPLES_PER_RULE: usize = 2;
/// Evidence of an example is cut at this many characters.
pub const EXAMPLE_EVIDENCE_CHARS: usize = 400;

/// A finding kept as an example.
#[derive(Debug, Clone)]
pub struct Example {
    /// When.
    pub timestamp: Option<DateTime<Utc>>,
    /// File (root-relative) and line or record: `path:line` / `path#record`.
    pub location: String,
    /// Client address.
    pub client_ip: Option<String>,
    /// URL path.
    pub url_path: Option<String>,
    /// The evidence, cut.
    pub evidence: String,
}

/// Per-rule statistics on one server.
#[derive(Debug, Clone)]
pub struct RuleStat {
    /// Rule title.
    pub title: String,
    /// Stage.
    pub stage: Stage,
    /// Highest severity seen.
    pub severity: Severity,
    /// Number of findings.
    pub count: u64,
    /// Earliest time.
    pub first: Option<DateTime<Utc>>,
    /// Latest time.
    pub last: Option<DateTime<Utc>>,
    /// A few findings.
    pub examples: Vec<Example>,
}

/// Where an indicator was seen on one server.
#[derive(Debug, Clone, Default)]
pub struct Sighting {
    /// Earliest recorded time (logs, events).
    pub first: Option<DateTime<Utc>>,
    /// Latest recorded time.
    pub last: Option<DateTime<Utc>>,
    /// Earliest file-system time (counts only without a recorded time).
    pub file_first: Option<DateTime<Utc>>,
    /// Latest file-system time.
    pub file_last: Option<DateTime<Utc>>,
    /// Rules behind it.
    pub rules: BTreeSet<String>,
}

impl Sighting {
    /// First and last seen: recorded times, else file-system times.
    pub fn span(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        if self.first.is_some() {
            (self.first, self.last)
        } else {
            (self.file_first, self.file_last)
        }
    }
}

/// Earliest moments on a server, each kept twice: from recorded times (logs, events) and from
/// file-system times, which only count when no recorded time exists.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moments {
    /// Earliest exploitation-stage finding that shows an attempt.
    pub first_attempt: Option<DateTime<Utc>>,
    /// Earliest exploitation-stage finding that proves the exploit worked.
    pub first_exploitation: Option<DateTime<Utc>>,
    /// Earliest backdoor-stage finding of weight.
    pub first_backdoor: Option<DateTime<Utc>>,
    /// Earliest finding that proves a compromise.
    pub first_compromise: Option<DateTime<Utc>>,
    /// Latest finding of weight.
    pub last_activity: Option<DateTime<Utc>>,
}

fn earlier(a: &mut Option<DateTime<Utc>>, t: DateTime<Utc>) {
    if a.is_none_or(|x| t < x) {
        *a = Some(t);
    }
}

fn later(a: &mut Option<DateTime<Utc>>, t: DateTime<Utc>) {
    if a.is_none_or(|x| t > x) {
        *a = Some(t);
    }
}

impl Moments {
    fn see(&mut self, f: &FindingView, t: DateTime<Utc>) {
        if !shows_attempt_by(f.stage, f.severity) {
            return;
        }
        let proves = proves_compromise_by(f.stage, f.severity, f.outcome);
        if f.stage == Stage::Exploitation {
            earlier(&mut self.first_attempt, t);
            if proves {
                earlier(&mut self.first_exploitation, t);
            }
        }
        if f.stage == Stage::Backdoor {
            earlier(&mut self.first_backdoor, t);
        }
        if proves {
            earlier(&mut self.first_compromise, t);
        }
        later(&mut self.last_activity, t);
    }

    /// Recorded moments, each falling back to the file-time one.
    fn or(self, other: Moments) -> Moments {
        Moments {
            first_attempt: self.first_attempt.or(other.first_attempt),
            first_exploitation: self.first_exploitation.or(other.first_exploitation),
            first_backdoor: self.first_backdoor.or(other.first_backdoor),
            first_compromise: self.first_compromise.or(other.first_compromise),
            last_activity: self.last_activity.or(other.last_activity),
        }
    }
}

/// What one address did on one server (for the ordinary-user exclusion).
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressUse {
    /// Some request from it was authenticated as a person's account and was of no weight.
    pub ordinary: bool,
    /// Some finding from it was of high severity or worse.
    pub weighty: bool,
}

/// One server's contribution, fed finding by finding.
#[derive(Debug, Clone)]
pub struct HostDigest {
    /// Organisation.
    pub org: Option<String>,
    /// Server name.
    pub host: String,
    /// What the scan said about the server (absent when a result file was cut before it).
    pub facts: Option<HostFacts>,
    /// The installed build (from the exposure finding).
    pub build: Option<String>,
    /// Findings in all.
    pub findings: u64,
    /// Findings per severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// Findings per stage.
    pub by_stage: BTreeMap<Stage, u64>,
    /// Per-rule statistics.
    pub rules: BTreeMap<String, RuleStat>,
    /// Rule tags of findings of weight.
    pub tags: BTreeSet<String>,
    /// Web shells (URL paths of backdoor findings of weight).
    pub web_shells: BTreeSet<String>,
    /// Candidate indicators and where they were seen.
    pub indicators: HashMap<(IndicatorType, String), Sighting>,
    /// Addresses seen on findings, with what they did.
    pub addresses: HashMap<String, AddressUse>,
    /// User agents of ordinary users' requests.
    pub ordinary_agents: BTreeSet<String>,
    /// The server's own addresses.
    pub own_addresses: BTreeSet<String>,
    /// Private (non-routable) client addresses of findings of weight: never indicators.
    pub private_addresses: BTreeSet<String>,
    /// Exploitation and intrusion (backdoor or later) findings of weight per day, from
    /// recorded times: (exploitation, intrusion).
    pub activity: BTreeMap<chrono::NaiveDate, (u32, u32)>,
    recorded: Moments,
    file_times: Moments,
    keep_examples: bool,
    /// The verdict from the findings alone (for result files cut before their summary).
    pub verdict_from_findings: VerdictLevel,
    /// Mail intruder activity reached, by mailbox label (at most [`MAX_MAILBOXES`]).
    pub mail: BTreeMap<String, MailReached>,
    /// Mailboxes over that limit, counted only.
    pub mail_not_listed: u64,
}

/// Mailboxes listed per server; more are counted (memory stays bounded per server).
pub const MAX_MAILBOXES: usize = 500;

impl HostDigest {
    /// An empty digest; `keep_examples` keeps a few example findings per rule.
    pub fn new(org: Option<String>, host: String, keep_examples: bool) -> HostDigest {
        HostDigest {
            org,
            host,
            facts: None,
            build: None,
            findings: 0,
            by_severity: BTreeMap::new(),
            by_stage: BTreeMap::new(),
            rules: BTreeMap::new(),
            tags: BTreeSet::new(),
            web_shells: BTreeSet::new(),
            indicators: HashMap::new(),
            addresses: HashMap::new(),
            ordinary_agents: BTreeSet::new(),
            own_addresses: BTreeSet::new(),
            private_addresses: BTreeSet::new(),
            activity: BTreeMap::new(),
            recorded: Moments::default(),
            file_times: Moments::default(),
            keep_examples,
            verdict_from_findings: VerdictLevel::NoEvidence,
            mail: BTreeMap::new(),
            mail_not_listed: 0,
        }
    }

    /// Fold in one record of mail the intruders reached.
    pub fn add_mail(&mut self, m: MailReached) {
        if let Some(e) = self.mail.get_mut(&m.mailbox) {
            e.merge(m);
        } else if self.mail.len() < MAX_MAILBOXES {
            self.mail.insert(m.mailbox.clone(), m);
        } else {
            self.mail_not_listed += 1;
        }
    }

    /// The key moments (recorded times first).
    pub fn moments(&self) -> Moments {
        self.recorded.or(self.file_times)
    }

    /// Fold one finding in.
    pub fn add(&mut self, f: &FindingView) {
        self.findings += 1;
        *self.by_severity.entry(f.severity).or_default() += 1;
        *self.by_stage.entry(f.stage).or_default() += 1;
        if f.stage == Stage::Exposure {
            if let Some(b) = f.build.clone().or_else(|| exposure_build(f)) {
                self.build = Some(b);
            }
        }
        let weighty = shows_attempt_by(f.stage, f.severity);
        if proves_compromise_by(f.stage, f.severity, f.outcome) {
            self.verdict_from_findings = VerdictLevel::Compromised;
        } else if weighty && self.verdict_from_findings != VerdictLevel::Compromised {
            self.verdict_from_findings = VerdictLevel::ExploitationAttempted;
        }
        if let Some(t) = f.timestamp {
            if f.time_is_file_time() {
                self.file_times.see(f, t);
            } else {
                self.recorded.see(f, t);
                if weighty {
                    let day = self.activity.entry(t.date_naive()).or_default();
                    if f.stage == Stage::Exploitation {
                        day.0 += 1;
                    } else if f.stage.is_after_intrusion() {
                        day.1 += 1;
                    }
                }
            }
        }
        let stat = self
            .rules
            .entry(f.rule_id.clone())
            .or_insert_with(|| RuleStat {
                title: f.title.clone(),
                stage: f.stage,
                severity: f.severity,
                count: 0,
                first: None,
                last: None,
                examples: Vec::new(),
            });
        stat.count += 1;
        stat.severity = stat.severity.max(f.severity);
        if let Some(t) = f.timestamp {
            earlier(&mut stat.first, t);
            later(&mut stat.last, t);
        }
        if self.keep_examples && stat.examples.len() < EXAMPLES_PER_RULE && weighty {
            stat.examples.push(example(f));
        }
        if weighty {
            self.tags.extend(f.tags.iter().cloned());
            if f.stage == Stage::Backdoor {
                if let Some(p) = &f.url_path {
                    self.web_shells.insert(p.to_lowercase());
                }
            }
        }
        if let Some(ip) = &f.client_ip {
            // Only what the ordinary-user exclusion needs: addresses of ordinary use, and
            // whether such an address also did something of high severity.
            let ordinary = indicator::is_ordinary_use(f);
            if ordinary || f.severity >= Severity::High {
                let u = self.addresses.entry(ip.trim().to_string()).or_default();
                if ordinary {
                    u.ordinary = true;
                    if let Some(ua) = &f.user_agent {
                        self.ordinary_agents.insert(ua.clone());
                    }
                }
                if f.severity >= Severity::High {
                    u.weighty = true;
                }
            }
            if weighty && indicator::classify_address(ip) == indicator::AddressClass::Private {
                self.private_addresses.insert(ip.trim().to_string());
            }
        }
        if let Some(s) = &f.server_ip {
            self.own_addresses.insert(s.trim().to_string());
        }
        for key in indicator::candidates(f) {
            let s = self.indicators.entry(key).or_default();
            if let Some(t) = f.timestamp {
                if f.time_is_file_time() {
                    earlier(&mut s.file_first, t);
                    later(&mut s.file_last, t);
                } else {
                    earlier(&mut s.first, t);
                    later(&mut s.last, t);
                }
            }
            if !s.rules.contains(&f.rule_id) {
                s.rules.insert(f.rule_id.clone());
            }
        }
    }

    /// Drop the examples (for servers that will not get a detailed section).
    pub fn drop_examples(&mut self) {
        for r in self.rules.values_mut() {
            r.examples = Vec::new();
        }
    }
}

fn exposure_build(f: &FindingView) -> Option<String> {
    // The exposure finding's title names the build: "Installed … build 15.1.2176.2 lacks …".
    f.title
        .split_whitespace()
        .skip_while(|w| *w != "build")
        .nth(1)
        .filter(|b| b.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
}

fn example(f: &FindingView) -> Example {
    let location = match (f.line, f.record_id) {
        (Some(l), _) => format!("{}:{l}", f.path),
        (None, Some(r)) => format!("{}#{r}", f.path),
        _ => f.path.clone(),
    };
    let evidence = if f.evidence.chars().count() > EXAMPLE_EVIDENCE_CHARS {
        let cut: String = f.evidence.chars().take(EXAMPLE_EVIDENCE_CHARS).collect();
        format!("{cut}…")
    } else {
        f.evidence.clone()
    };
    Example {
        timestamp: f.timestamp,
        location,
        client_ip: f.client_ip.clone(),
        url_path: f.url_path.clone(),
        evidence,
    }
}
