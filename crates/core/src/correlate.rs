//! Correlation: related findings become one story, and each host gets one verdict.
//!
//! Findings are linked when they share a client address, a request id (Exchange's
//! `cafeReqId`/`RequestId` ties IIS and HttpProxy lines of one request), or a web-shell path.
//! Findings with none of these (ECP and OAB log lines) join the story closest in time within
//! [`ATTACH_WINDOW_SECS`], else group by rule. The verdict comes from the findings' stage,
//! severity and outcome, never from a single keyword.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Finding, Outcome, Severity, Stage, VerdictLevel};

/// How far (seconds) a finding without address or request id may sit from a story to join it.
pub const ATTACH_WINDOW_SECS: i64 = 600;

/// A group of related findings: one attacker, one request chain, one web shell.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    /// 1-based story number, in order of first activity.
    pub id: usize,
    /// Host the story happened on.
    pub host: String,
    /// One-line summary.
    pub title: String,
    /// Earliest timestamp.
    pub first: Option<DateTime<Utc>>,
    /// Latest timestamp.
    pub last: Option<DateTime<Utc>>,
    /// Client addresses involved.
    pub client_ips: Vec<String>,
    /// Stages seen, in attack order.
    pub stages: Vec<Stage>,
    /// Rules that matched.
    pub rule_ids: Vec<String>,
    /// CVEs named by those rules.
    pub cves: Vec<String>,
    /// URL paths of web shells (backdoor-stage findings).
    pub web_shells: Vec<String>,
    /// Number of findings.
    pub findings: usize,
    /// Highest severity.
    pub max_severity: Severity,
    /// The web-shell actors of this story, one line each (set by the access analysis).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Group findings into stories (sets `Finding::story`) and return the stories.
/// `findings` must be sorted by host then time.
pub fn build_stories(findings: &mut [Finding]) -> Vec<Story> {
    let n = findings.len();
    let mut uf = UnionFind((0..n).collect());
    let mut first_with_key: HashMap<String, usize> = HashMap::new();
    let mut keyless = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if f.rule.stage == Stage::Exposure {
            continue;
        }
        let mut keys = Vec::new();
        if let Some(ip) = &f.client_ip {
            keys.push(format!("{}|ip|{ip}", f.host));
        }
        if let Some(r) = &f.request_id {
            keys.push(format!("{}|req|{r}", f.host));
        }
        if f.rule.stage.is_after_intrusion() {
            if let Some(p) = &f.url_path {
                keys.push(format!("{}|path|{}", f.host, p.to_ascii_lowercase()));
            }
        }
        if keys.is_empty() {
            keyless.push(i);
        }
        for k in keys {
            match first_with_key.get(&k) {
                Some(&j) => uf.union(i, j),
                None => {
                    first_with_key.insert(k, i);
                }
            }
        }
    }
    // Keyless findings: attach to the nearest keyed finding in time, or group by rule. The
    // candidates (keyed, medium or worse) are sorted by host and time, so each lookup is a
    // binary search, not a scan of every finding.
    let mut is_keyless = vec![false; n];
    for &i in &keyless {
        is_keyless[i] = true;
    }
    let mut anchors: Vec<(&str, DateTime<Utc>, usize)> = (0..n)
        .filter(|&i| {
            !is_keyless[i]
                && findings[i].rule.stage != Stage::Exposure
                && findings[i].severity >= Severity::Medium
        })
        .filter_map(|i| {
            findings[i]
                .timestamp
                .map(|t| (findings[i].host.as_str(), t, i))
        })
        .collect();
    anchors.sort();
    let mut by_rule: HashMap<(String, String), usize> = HashMap::new();
    for &i in &keyless {
        let f = &findings[i];
        let near = f.timestamp.and_then(|t| {
            let at = anchors.partition_point(|(h, ta, _)| (*h, *ta) < (f.host.as_str(), t));
            [at.checked_sub(1), Some(at)]
                .into_iter()
                .flatten()
                .filter_map(|k| anchors.get(k))
                .filter(|(h, _, _)| *h == f.host)
                .map(|(_, ta, j)| ((*ta - t).num_seconds().abs(), *j))
                .filter(|(d, _)| *d <= ATTACH_WINDOW_SECS)
                .min()
                .map(|(_, j)| j)
        });
        match near {
            Some(j) => uf.union(i, j),
            None => {
                let key = (f.host.clone(), f.rule.id.clone());
                match by_rule.get(&key) {
                    Some(&j) => uf.union(i, j),
                    None => {
                        by_rule.insert(key, i);
                    }
                }
            }
        }
    }
    // Number the stories by first activity.
    // Exposure findings describe the server, not activity: they belong to no story.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in (0..n).filter(|&i| findings[i].rule.stage != Stage::Exposure) {
        groups.entry(uf.find(i)).or_default().push(i);
    }
    let mut list: Vec<Vec<usize>> = groups.into_values().collect();
    list.sort_by_key(|members| {
        let f = &findings[members[0]];
        (
            f.host.clone(),
            members.iter().filter_map(|&i| findings[i].timestamp).min(),
            members[0],
        )
    });
    let mut stories = Vec::with_capacity(list.len());
    for (k, members) in list.into_iter().enumerate() {
        let id = k + 1;
        for &i in &members {
            findings[i].story = Some(id);
        }
        stories.push(summarise(id, &members, findings));
    }
    stories
}

fn summarise(id: usize, members: &[usize], findings: &[Finding]) -> Story {
    let mut ips = BTreeSet::new();
    let mut stages = BTreeSet::new();
    let mut rules = BTreeSet::new();
    let mut cves = BTreeSet::new();
    let mut shells: BTreeMap<String, String> = BTreeMap::new();
    let mut first: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    let mut max_severity = Severity::Info;
    for &i in members {
        let f = &findings[i];
        if let Some(ip) = &f.client_ip {
            ips.insert(ip.clone());
        }
        stages.insert(f.rule.stage);
        rules.insert(f.rule.id.clone());
        cves.extend(f.rule.cves.iter().cloned());
        if f.rule.stage == Stage::Backdoor {
            if let Some(p) = &f.url_path {
                // One entry per path, case-insensitively (IIS paths are); keep the spelling
                // with capitals, as logged, over a lower-cased one.
                let e = shells
                    .entry(p.to_ascii_lowercase())
                    .or_insert_with(|| p.clone());
                if e.bytes().all(|b| !b.is_ascii_uppercase()) {
                    *e = p.clone();
                }
            }
        }
        if let Some(t) = f.timestamp {
            first = Some(first.map_or(t, |x| x.min(t)));
            last = Some(last.map_or(t, |x| x.max(t)));
        }
        max_severity = max_severity.max(f.severity);
    }
    let stages: Vec<Stage> = stages.into_iter().collect();
    let who = if ips.is_empty() {
        "no client address".to_string()
    } else if ips.len() <= 3 {
        ips.iter().cloned().collect::<Vec<_>>().join(", ")
    } else {
        format!("{} client addresses", ips.len())
    };
    let path = stages
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" → ");
    let what = findings[members[0]].rule.title.clone();
    let title = if members.len() == 1 {
        format!("{who}: {what}")
    } else {
        format!("{who}: {path} ({} findings)", members.len())
    };
    Story {
        id,
        host: findings[members[0]].host.clone(),
        title,
        first,
        last,
        client_ips: ips.into_iter().collect(),
        stages,
        rule_ids: rules.into_iter().collect(),
        cves: cves.into_iter().collect(),
        web_shells: shells.into_values().collect(),
        findings: members.len(),
        max_severity,
        actors: Vec::new(),
    }
}

/// Does this finding prove a break-in?
pub fn proves_compromise(f: &Finding) -> bool {
    proves_compromise_by(f.rule.stage, f.severity, f.outcome)
}

/// [`proves_compromise`] on a finding's stage, severity and outcome alone (for consumers that
/// hold a light view of findings, such as the fleet view).
pub fn proves_compromise_by(stage: Stage, severity: Severity, outcome: Outcome) -> bool {
    if outcome == Outcome::Failure {
        return false;
    }
    (stage.is_after_intrusion() && severity >= Severity::High)
        || severity == Severity::Critical
        || (stage == Stage::Exploitation
            && outcome == Outcome::Success
            && severity >= Severity::High)
}

/// Does this finding show an exploitation attempt (or other weighty activity)?
pub fn shows_attempt(f: &Finding) -> bool {
    shows_attempt_by(f.rule.stage, f.severity)
}

/// [`shows_attempt`] on a finding's stage and severity alone.
pub fn shows_attempt_by(stage: Stage, severity: Severity) -> bool {
    stage != Stage::Exposure && severity >= Severity::Medium
}

/// The verdict for one host's findings, with the reason in words.
pub fn verdict<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> (VerdictLevel, String) {
    let findings: Vec<&Finding> = findings.into_iter().collect();
    let decisive: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| proves_compromise(f))
        .collect();
    if !decisive.is_empty() {
        return (
            VerdictLevel::Compromised,
            explain(&decisive, "proof of compromise"),
        );
    }
    let attempts: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| shows_attempt(f))
        .collect();
    if !attempts.is_empty() {
        return (
            VerdictLevel::ExploitationAttempted,
            explain(&attempts, "attack activity without proof that it succeeded"),
        );
    }
    let exposed = findings
        .iter()
        .filter(|f| f.rule.stage == Stage::Exposure && f.severity >= Severity::Medium)
        .count();
    let minor = findings.len() - exposed;
    let mut reason = if minor == 0 {
        "no attack trace in the evidence that was read (see coverage for what was read)".to_string()
    } else {
        format!("no exploitation, backdoor or post-exploitation trace; only {minor} low-severity or informational observation(s)")
    };
    if exposed > 0 {
        reason.push_str("; but the server is exposed: the installed build lacks security fixes (see the exposure finding)");
    }
    (VerdictLevel::NoEvidence, reason)
}

fn explain(list: &[&Finding], lead: &str) -> String {
    // Group by rule, in order of first occurrence.
    let mut order: Vec<&str> = Vec::new();
    let mut per: HashMap<&str, (usize, Option<DateTime<Utc>>, &Finding)> = HashMap::new();
    for f in list {
        let e = per.entry(f.rule.id.as_str()).or_insert_with(|| {
            order.push(f.rule.id.as_str());
            (0, f.timestamp, f)
        });
        e.0 += 1;
        if let (Some(t), Some(cur)) = (f.timestamp, e.1) {
            if t < cur {
                e.1 = Some(t);
            }
        } else if e.1.is_none() {
            e.1 = f.timestamp;
        }
    }
    order.sort_by_key(|id| {
        let (_, t, f) = per[id];
        (std::cmp::Reverse(f.severity), t)
    });
    let parts: Vec<String> = order
        .iter()
        .take(3)
        .map(|id| {
            let (count, first, f) = per[id];
            let when = first
                .map(|t| format!(", first {}", t.format("%Y-%m-%dT%H:%M:%SZ")))
                .unwrap_or_default();
            format!("{} [{}] ({count}×{when})", f.rule.title, f.rule.id)
        })
        .collect();
    let more = if order.len() > 3 {
        format!("; and {} more rule(s)", order.len() - 3)
    } else {
        String::new()
    };
    format!("{lead}: {}{more}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, SourceKind};
    use crate::rules::RuleMeta;
    use std::sync::Arc;

    fn finding(
        id: &str,
        stage: Stage,
        sev: Severity,
        outcome: Outcome,
        ip: Option<&str>,
        t: i64,
    ) -> Finding {
        Finding {
            rule: Arc::new(RuleMeta {
                id: id.into(),
                title: format!("rule {id}"),
                description: String::new(),
                severity: sev,
                stage,
                cves: vec![],
                tags: vec![],
                attack: vec![],
                author: None,
                references: vec![],
                remediation: String::new(),
                origin: "test".into(),
                escalate_on_intrusion: None,
            }),
            severity: sev,
            host: "EX01".into(),
            source: SourceKind::Iis,
            path: "x.log".into(),
            location: Location::Line { line: 1 },
            timestamp: DateTime::from_timestamp(1_614_740_000 + t, 0),
            client_ip: ip.map(str::to_string),
            request_id: None,
            url_path: Some("/aspnet_client/a.aspx".into()),
            outcome,
            notes: vec![],
            fields: Default::default(),
            evidence: "raw".into(),
            story: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn verdict_levels() {
        let failed = finding(
            "A",
            Stage::Exploitation,
            Severity::Medium,
            Outcome::Failure,
            Some("1.1.1.1"),
            0,
        );
        let worked = finding(
            "B",
            Stage::Exploitation,
            Severity::High,
            Outcome::Success,
            Some("1.1.1.1"),
            5,
        );
        let shell = finding(
            "C",
            Stage::Backdoor,
            Severity::High,
            Outcome::Unknown,
            Some("2.2.2.2"),
            9,
        );
        let exposure = finding(
            "E",
            Stage::Exposure,
            Severity::High,
            Outcome::Unknown,
            None,
            0,
        );
        let info = finding(
            "I",
            Stage::Exploitation,
            Severity::Info,
            Outcome::Unknown,
            None,
            0,
        );
        assert_eq!(verdict([&info, &exposure]).0, VerdictLevel::NoEvidence);
        assert_eq!(
            verdict([&failed, &info]).0,
            VerdictLevel::ExploitationAttempted
        );
        let (level, reason) = verdict([&failed, &worked]);
        assert_eq!(level, VerdictLevel::Compromised);
        assert!(
            reason.contains("[B]") && !reason.contains("[A]"),
            "{reason}"
        );
        assert_eq!(verdict([&shell]).0, VerdictLevel::Compromised);
        let failed_shell = finding(
            "C",
            Stage::Backdoor,
            Severity::Medium,
            Outcome::Failure,
            None,
            0,
        );
        assert_eq!(
            verdict([&failed_shell]).0,
            VerdictLevel::ExploitationAttempted
        );
    }

    #[test]
    fn stories_link_by_address_and_web_shell_and_skip_exposure() {
        let mut list = vec![
            finding(
                "E",
                Stage::Exposure,
                Severity::High,
                Outcome::Unknown,
                None,
                0,
            ),
            finding(
                "A",
                Stage::Exploitation,
                Severity::High,
                Outcome::Success,
                Some("1.1.1.1"),
                1,
            ),
            finding(
                "C",
                Stage::Backdoor,
                Severity::High,
                Outcome::Success,
                Some("1.1.1.1"),
                2,
            ),
            // A second address reusing the same web shell joins the story.
            finding(
                "C",
                Stage::Backdoor,
                Severity::High,
                Outcome::Success,
                Some("2.2.2.2"),
                3,
            ),
            // An unrelated scanner stays apart.
            {
                let mut f = finding(
                    "A",
                    Stage::Exploitation,
                    Severity::Medium,
                    Outcome::Failure,
                    Some("3.3.3.3"),
                    4,
                );
                f.url_path = Some("/ecp/x.js".into());
                f
            },
            // No address: joins the story closest in time (within the window).
            finding(
                "K",
                Stage::Exploitation,
                Severity::Critical,
                Outcome::Unknown,
                None,
                2,
            ),
        ];
        let stories = build_stories(&mut list);
        assert_eq!(list[0].story, None, "exposure is no story");
        assert_eq!(stories.len(), 2);
        let main = list[1].story.unwrap();
        assert_eq!(list[2].story, Some(main));
        assert_eq!(list[3].story, Some(main));
        assert_eq!(list[5].story, Some(main));
        assert_ne!(list[4].story, Some(main));
        let s = &stories[main - 1];
        assert_eq!(s.client_ips, ["1.1.1.1", "2.2.2.2"]);
        assert_eq!(s.web_shells, ["/aspnet_client/a.aspx"]);
        assert_eq!(s.max_severity, Severity::Critical);
    }
}
