//! "Not assessable": when "no evidence found" would be a false comfort.
//!
//! A server whose findings prove nothing is **not assessable** when
//! 1. its evidence holds **no log records at all** (no IIS, HttpProxy, ECP, OAB, remote
//!    PowerShell or event-log record with a time): files alone cannot show an exploitation; or
//! 2. its installed build **lacks (or, known only to its cumulative update, may lack) a fix for
//!    a CVE exploited in the wild**, and its **web logs (IIS, HttpProxy) do not reach back to
//!    the start of that exposure window**. The window starts on the later of the day public
//!    reporting puts exploitation in the wild at (`exhunt-builds`, `Fix::exploited_since`) and
//!    the release day of the installed build (the server cannot have run it earlier). Windows
//!    that start after the newest log record are ignored: the evidence predates them.
//!
//! A server with findings that prove a compromise or show attempts keeps that verdict: what was
//! found stands whatever was not read. A build that carries every fix says nothing about when
//! it was installed, and a build that cannot be found leaves only rule 1 to apply: the reason
//! says so.

use chrono::{DateTime, NaiveDate, Utc};
use exhunt_builds::{assess_str, fix_by_id, Assessment, Exposure};
use exhunt_core::{SourceKind, VerdictLevel};

use crate::view::{log_span, HostFacts};

/// A missing fix whose exposure window the web logs do not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncoveredWindow {
    /// The fix's name ("ProxyLogon").
    pub fix: &'static str,
    /// Its CVEs.
    pub cves: &'static [&'static str],
    /// The first day of the exposure window.
    pub since: NaiveDate,
}

/// What the build table says about a server's build, as the fleet view shows it.
#[derive(Debug, Clone)]
pub struct BuildFacts {
    /// The build number as found.
    pub version: String,
    /// Product and update name ("Exchange Server 2016 CU19").
    pub name: Option<String>,
    /// Release date of the build (or of its CU, at CU level).
    pub released: Option<NaiveDate>,
    /// `vulnerable`, `potentially_vulnerable`, `unknown`, `patched`.
    pub exposure: &'static str,
    /// Names of fixes the build lacks (or may lack, at CU level), with the update carrying each.
    pub missing_fixes: Vec<String>,
    /// CVEs of missing fixes that were exploited in the wild.
    pub exploited_cves: Vec<&'static str>,
    /// Exploited fixes the build lacks: (name, CVEs, exploited since).
    exploited: Vec<(&'static str, &'static [&'static str], NaiveDate)>,
}

impl BuildFacts {
    /// Look `version` up in the build table.
    pub fn of(version: &str) -> BuildFacts {
        let a: Assessment = assess_str(version);
        let released = a
            .release_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let mut missing_fixes = Vec::new();
        let mut exploited = Vec::new();
        let ids = a
            .missing_fixes
            .iter()
            .chain(&a.possibly_missing_fixes)
            .map(|m| m.id)
            .chain(a.not_issued_for_product.iter().copied());
        for id in ids {
            let Some(fix) = fix_by_id(id) else { continue };
            if missing_fixes
                .iter()
                .any(|m: &String| m.starts_with(fix.name))
            {
                continue;
            }
            missing_fixes.push(format!("{} ({})", fix.name, fix.update));
            if let Ok(since) = NaiveDate::parse_from_str(fix.exploited_since, "%Y-%m-%d") {
                if fix.exploited {
                    exploited.push((fix.name, fix.cves, since));
                }
            }
        }
        let mut exploited_cves: Vec<&'static str> = exploited
            .iter()
            .flat_map(|(_, c, _)| c.iter().copied())
            .collect();
        exploited_cves.sort_unstable();
        exploited_cves.dedup();
        BuildFacts {
            version: version.to_string(),
            name: a.update_name.clone(),
            released,
            exposure: match a.exposure {
                Exposure::Vulnerable => "vulnerable",
                Exposure::PotentiallyVulnerable => "potentially_vulnerable",
                Exposure::Unknown => "unknown",
                Exposure::Patched => "patched",
            },
            missing_fixes,
            exploited_cves,
            exploited,
        }
    }

    /// Exposure windows (of fixes exploited in the wild that the build lacks) that the web logs,
    /// starting at `web_first`, do not cover; windows starting after `evidence_end` are ignored.
    pub fn uncovered_windows(
        &self,
        web_first: Option<DateTime<Utc>>,
        evidence_end: Option<DateTime<Utc>>,
    ) -> Vec<UncoveredWindow> {
        let Some(end) = evidence_end.map(|t| t.date_naive()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (fix, cves, exploited_since) in &self.exploited {
            let since = match self.released {
                Some(r) if r > *exploited_since => r,
                _ => *exploited_since,
            };
            if since > end {
                continue;
            }
            let covered = web_first.is_some_and(|f| f.date_naive() <= since);
            if !covered {
                out.push(UncoveredWindow { fix, cves, since });
            }
        }
        out
    }
}

/// How the reason of a server whose scan was interrupted begins (read back by `merge`).
pub const INTERRUPTED_PREFIX: &str = "the scan stopped before every file was read (";

/// Why a server with no finding of weight cannot be judged, or `None` when it can.
/// `build` is the installed build as the evidence shows it, if found.
pub fn not_assessable_reason(facts: &HostFacts, build: Option<&BuildFacts>) -> Option<String> {
    if let Some(e) = &facts.read_error {
        return Some(format!("the evidence could not be read: {e}"));
    }
    if let Some(why) = &facts.interrupted {
        return Some(format!(
            "{INTERRUPTED_PREFIX}{why}): \"no evidence found\" would only speak for the part \
             that was read"
        ));
    }
    let (first, last) = log_span(&facts.coverage);
    if first.is_none() && last.is_none() {
        let read: Vec<&str> = facts
            .coverage
            .iter()
            .filter(|(_, c)| c.files > 0)
            .map(|(k, _)| k.describe())
            .collect();
        return Some(format!(
            "no logs at all: the evidence holds no IIS, Exchange or event-log record{}, so an \
             exploitation could not show; a clean verdict here would be false comfort",
            if read.is_empty() {
                String::new()
            } else {
                format!(" (read: {})", read.join(", "))
            }
        ));
    }
    let build = build?;
    let web_first = [SourceKind::Iis, SourceKind::HttpProxy]
        .iter()
        .filter_map(|k| facts.coverage.get(k).and_then(|c| c.first))
        .min();
    let gaps = build.uncovered_windows(web_first, last);
    let gap = gaps.iter().min_by_key(|g| g.since)?;
    let names: Vec<String> = gaps
        .iter()
        .map(|g| format!("{} ({}…)", g.fix, g.cves.first().copied().unwrap_or("")))
        .collect();
    Some(format!(
        "the installed build {} lacks fixes for CVEs exploited in the wild — {} — so the server \
         was exposed from {} on, but its web logs (IIS, HttpProxy) {}: a compromise in that gap \
         would not show, and \"no evidence found\" would be false comfort",
        build.version,
        names.join(", "),
        gap.since,
        match web_first {
            Some(t) => format!("only start on {}", t.date_naive()),
            None => "are missing".to_string(),
        }
    ))
}

/// Apply the rule to a verdict: a "no evidence found" (or an earlier "not assessable") becomes
/// "not assessable" with its reason when the rule holds, and "no evidence found" when it does
/// not; other verdicts are kept.
pub fn refine(
    verdict: VerdictLevel,
    reason: &str,
    facts: &HostFacts,
    build: Option<&BuildFacts>,
) -> (VerdictLevel, String) {
    if !matches!(
        verdict,
        VerdictLevel::NoEvidence | VerdictLevel::NotAssessable
    ) {
        return (verdict, reason.to_string());
    }
    match not_assessable_reason(facts, build) {
        Some(why) => (VerdictLevel::NotAssessable, why),
        None if verdict == VerdictLevel::NotAssessable => (
            VerdictLevel::NoEvidence,
            "no attack trace in the evidence that was read, which covers the exposure window of \
             the installed build"
                .into(),
        ),
        None => {
            let mut r = reason.to_string();
            if build.is_none() && !r.contains("build is not known") {
                r.push_str("; the installed build is not known, so whether the logs cover its exposure window could not be checked");
            }
            (verdict, r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::model::SourceCoverage;
    use std::collections::BTreeMap;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn facts(cov: &[(SourceKind, &str, &str)]) -> HostFacts {
        let mut coverage = BTreeMap::new();
        for (k, a, b) in cov {
            coverage.insert(
                *k,
                SourceCoverage {
                    files: 1,
                    bytes: 10,
                    lines: 10,
                    first: Some(t(a)),
                    last: Some(t(b)),
                    ..Default::default()
                },
            );
        }
        HostFacts {
            org: None,
            host: "EX".into(),
            verdict: VerdictLevel::NoEvidence,
            reason: "no attack trace".into(),
            coverage,
            missing_sources: vec![],
            scanned: None,
            origin: "test".into(),
            scan_issues: 0,
            read_error: None,
            interrupted: None,
        }
    }

    #[test]
    fn no_logs_at_all_is_not_assessable() {
        let mut f = facts(&[]);
        f.coverage.insert(
            SourceKind::Files,
            SourceCoverage {
                files: 20,
                ..Default::default()
            },
        );
        let (v, why) = refine(VerdictLevel::NoEvidence, "x", &f, None);
        assert_eq!(v, VerdictLevel::NotAssessable);
        assert!(why.starts_with("no logs at all"), "{why}");
        assert!(why.contains("Files"), "{why}");
    }

    #[test]
    fn unpatched_build_with_short_logs_is_not_assessable() {
        // Exchange 2016 CU19 without the March 2021 SU, logs only from 5 March 2021.
        let b = BuildFacts::of("15.1.2176.2");
        let f = facts(&[(
            SourceKind::Iis,
            "2021-03-05T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        let (v, why) = refine(VerdictLevel::NoEvidence, "x", &f, Some(&b));
        assert_eq!(v, VerdictLevel::NotAssessable);
        assert!(why.contains("ProxyLogon"), "{why}");
        assert!(why.contains("exposed from 2021-01-06"), "{why}");
        assert!(why.contains("only start on 2021-03-05"), "{why}");
        // ProxyShell (exploited from August 2021) lies after the evidence: not named.
        assert!(!why.contains("ProxyShell"), "{why}");
    }

    #[test]
    fn an_interrupted_scan_stays_not_assessable_however_far_its_logs_reach() {
        let b = BuildFacts::of("15.1.2176.2");
        let mut f = facts(&[(
            SourceKind::HttpProxy,
            "2021-01-01T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        f.interrupted = Some("interrupted (Ctrl-C)".into());
        // Both a first judgement and a second one (the fleet refines the scan's verdict again).
        let (v, why) = refine(VerdictLevel::NoEvidence, "x", &f, Some(&b));
        assert_eq!(v, VerdictLevel::NotAssessable);
        assert!(why.starts_with(INTERRUPTED_PREFIX), "{why}");
        let (v, _) = refine(v, &why, &f, Some(&b));
        assert_eq!(v, VerdictLevel::NotAssessable);
    }

    #[test]
    fn logs_reaching_back_over_the_window_keep_no_evidence() {
        let b = BuildFacts::of("15.1.2176.2");
        let f = facts(&[(
            SourceKind::HttpProxy,
            "2021-01-01T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        let (v, _) = refine(VerdictLevel::NoEvidence, "x", &f, Some(&b));
        assert_eq!(v, VerdictLevel::NoEvidence);
    }

    #[test]
    fn a_window_after_the_evidence_does_not_count_and_the_build_date_moves_the_start() {
        // March 2021 SU build (released 2021-03-02): lacks ProxyShell (exploited from
        // 2021-08-06). Logs of March 2021 predate that window.
        let b = BuildFacts::of("15.1.2176.9");
        let f = facts(&[(
            SourceKind::Iis,
            "2021-03-01T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        assert_eq!(
            refine(VerdictLevel::NoEvidence, "x", &f, Some(&b)).0,
            VerdictLevel::NoEvidence
        );
        // The same build with logs of late 2021 starting after the ProxyShell window opened.
        let f = facts(&[(
            SourceKind::Iis,
            "2021-10-01T00:00:00Z",
            "2021-10-10T00:00:00Z",
        )]);
        let (v, why) = refine(VerdictLevel::NoEvidence, "x", &f, Some(&b));
        assert_eq!(v, VerdictLevel::NotAssessable);
        assert!(
            why.contains("ProxyShell") && why.contains("2021-08-06"),
            "{why}"
        );
        assert!(
            !why.contains("ProxyLogon"),
            "the build carries ProxyLogon: {why}"
        );
    }

    #[test]
    fn event_logs_alone_do_not_cover_a_web_exploitation_window() {
        let b = BuildFacts::of("15.1.2176.2");
        let f = facts(&[(
            SourceKind::Evtx,
            "2020-12-01T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        let (v, why) = refine(VerdictLevel::NoEvidence, "x", &f, Some(&b));
        assert_eq!(v, VerdictLevel::NotAssessable);
        assert!(why.contains("are missing"), "{why}");
    }

    #[test]
    fn findings_of_weight_are_never_overridden() {
        let b = BuildFacts::of("15.1.2176.2");
        let f = facts(&[]);
        for v in [
            VerdictLevel::Compromised,
            VerdictLevel::ExploitationAttempted,
        ] {
            assert_eq!(refine(v, "proof", &f, Some(&b)).0, v);
        }
    }

    #[test]
    fn unknown_build_says_the_window_was_not_checked() {
        let f = facts(&[(
            SourceKind::Iis,
            "2021-03-05T00:00:00Z",
            "2021-03-10T00:00:00Z",
        )]);
        let (v, why) = refine(VerdictLevel::NoEvidence, "no attack trace", &f, None);
        assert_eq!(v, VerdictLevel::NoEvidence);
        assert!(why.contains("build is not known"), "{why}");
    }
}
