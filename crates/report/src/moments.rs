//! The moments a responder asks for first: when the intrusion started, when the backdoor was
//! first used and when the intruder was last seen. Shared by the CSV and the HTML report.

use chrono::{DateTime, Utc};
use exhunt_core::correlate::{proves_compromise, shows_attempt};
use exhunt_core::{Finding, SourceKind, Stage};

/// One highlighted moment: its time and the finding (index into the slice given) that marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moment {
    pub at: DateTime<Utc>,
    pub index: usize,
}

/// The key moments of a set of findings (one host, or one story).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KeyMoments {
    /// Earliest exploitation-stage finding that shows an attempt.
    pub first_attempt: Option<Moment>,
    /// Earliest exploitation-stage finding that proves the exploit worked.
    pub first_exploitation: Option<Moment>,
    /// Earliest backdoor-stage finding (web-shell access, tampered configuration).
    pub first_backdoor: Option<Moment>,
    /// Latest finding that shows attack activity.
    pub last_activity: Option<Moment>,
}

/// The label a finding carries when it marks a key moment.
pub(crate) const FIRST_EXPLOITATION: &str = "first exploitation";
/// The label of the first exploitation attempt (when it differs from the first success).
pub(crate) const FIRST_ATTEMPT: &str = "first exploitation attempt";
/// The label of the first backdoor access.
pub(crate) const FIRST_BACKDOOR: &str = "first backdoor access";
/// The label of the last activity.
pub(crate) const LAST_ACTIVITY: &str = "last activity";

fn earlier(cur: Option<Moment>, m: Moment) -> Option<Moment> {
    match cur {
        Some(c) if c.at <= m.at => Some(c),
        _ => Some(m),
    }
}

fn later(cur: Option<Moment>, m: Moment) -> Option<Moment> {
    match cur {
        Some(c) if c.at >= m.at => Some(c),
        _ => Some(m),
    }
}

impl KeyMoments {
    /// Compute the moments over `findings` (pairs of index and finding).
    ///
    /// File-system times (file findings) are weaker than recorded times (a file's modification
    /// time changes when it is copied or checked out, and intruders forge it): they only count
    /// when no log or event finding has a time.
    pub fn of<'a>(findings: impl IntoIterator<Item = (usize, &'a Finding)>) -> KeyMoments {
        let all: Vec<(usize, &Finding)> = findings.into_iter().collect();
        let recorded = KeyMoments::over(
            all.iter()
                .copied()
                .filter(|(_, f)| f.source != SourceKind::Files),
        );
        if recorded != KeyMoments::default() {
            return recorded;
        }
        KeyMoments::over(all)
    }

    fn over<'a>(findings: impl IntoIterator<Item = (usize, &'a Finding)>) -> KeyMoments {
        let mut k = KeyMoments::default();
        for (index, f) in findings {
            let Some(at) = f.timestamp else { continue };
            let m = Moment { at, index };
            if !shows_attempt(f) {
                continue;
            }
            if f.rule.stage == Stage::Exploitation {
                k.first_attempt = earlier(k.first_attempt, m);
                if proves_compromise(f) {
                    k.first_exploitation = earlier(k.first_exploitation, m);
                }
            }
            if f.rule.stage == Stage::Backdoor {
                k.first_backdoor = earlier(k.first_backdoor, m);
            }
            k.last_activity = later(k.last_activity, m);
        }
        k
    }

    /// The labels of the moments finding `index` marks (empty for most findings).
    pub fn labels(&self, index: usize) -> Vec<&'static str> {
        let mut out = Vec::new();
        let is = |m: Option<Moment>| m.is_some_and(|m| m.index == index);
        if is(self.first_attempt) && self.first_attempt != self.first_exploitation {
            out.push(FIRST_ATTEMPT);
        }
        if is(self.first_exploitation) {
            out.push(FIRST_EXPLOITATION);
        }
        if is(self.first_backdoor) {
            out.push(FIRST_BACKDOOR);
        }
        if is(self.last_activity) {
            out.push(LAST_ACTIVITY);
        }
        out
    }

    /// The moments as (label, moment) pairs in time order, for summaries and the chart.
    pub fn list(&self) -> Vec<(&'static str, Moment)> {
        let mut v: Vec<(&'static str, Moment)> = Vec::new();
        if let Some(a) = self.first_attempt {
            if self.first_exploitation != Some(a) {
                v.push((FIRST_ATTEMPT, a));
            }
        }
        for (l, m) in [
            (FIRST_EXPLOITATION, self.first_exploitation),
            (FIRST_BACKDOOR, self.first_backdoor),
            (LAST_ACTIVITY, self.last_activity),
        ] {
            if let Some(m) = m {
                v.push((l, m));
            }
        }
        v.sort_by_key(|(_, m)| m.at);
        v
    }
}

/// Key moments per host, over a report's findings (indexes into `findings`).
pub(crate) fn per_host(findings: &[Finding]) -> std::collections::BTreeMap<&str, KeyMoments> {
    let mut hosts: std::collections::BTreeMap<&str, Vec<(usize, &Finding)>> = Default::default();
    for (i, f) in findings.iter().enumerate() {
        hosts.entry(f.host.as_str()).or_default().push((i, f));
    }
    hosts
        .into_iter()
        .map(|(h, list)| (h, KeyMoments::of(list)))
        .collect()
}
