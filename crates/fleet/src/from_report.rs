//! A finished scan as fleet input: one [`HostDigest`] per host of a [`ScanReport`], and the
//! "not assessable" rule applied to the report's own verdicts, so that a single-root scan and
//! the fleet view say the same thing about a server.

use exhunt_core::model::{Finding, Location};
use exhunt_core::{ScanReport, Stage};

use crate::assess::{refine, BuildFacts};
use crate::digest::HostDigest;
use crate::view::{FindingView, HostFacts, MailReached};

/// The light view of one finding of `report`.
pub fn finding_view(org: Option<&str>, f: &Finding) -> FindingView {
    let mut v = FindingView {
        org: org.map(str::to_string),
        host: f.host.clone(),
        rule_id: f.rule.id.clone(),
        title: f.rule.title.clone(),
        severity: f.severity,
        stage: f.rule.stage,
        outcome: f.outcome,
        tags: f.rule.tags.clone(),
        cves: f.rule.cves.clone(),
        timestamp: f.timestamp,
        source: Some(f.source),
        path: f.path.clone(),
        line: f.line(),
        record_id: match f.location {
            Location::Record { record_id } => Some(record_id),
            _ => None,
        },
        client_ip: f.client_ip.clone(),
        user: None,
        server_ip: None,
        user_agent: None,
        url_path: f.url_path.clone(),
        file_name: None,
        sha256: f
            .extra
            .get("sha256")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        export_path: None,
        build: None,
        story: f.story.map(|s| s as u64),
        evidence: f.evidence.clone(),
    };
    v.derive(|k| {
        f.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    });
    if v.stage == Stage::Espionage && v.export_path.is_none() {
        for value in f.fields.values() {
            if let Some(p) = crate::view::export_path(value) {
                v.export_path = Some(p);
                break;
            }
        }
    }
    v
}

/// The facts of every host of `report`.
pub fn host_facts(report: &ScanReport) -> Vec<HostFacts> {
    report
        .hosts
        .iter()
        .map(|h| HostFacts {
            org: report.org.clone(),
            host: h.name.clone(),
            verdict: h.verdict,
            reason: h.reason.clone(),
            coverage: h.coverage.clone(),
            missing_sources: h.missing_sources.clone(),
            scanned: Some(report.finished),
            origin: report.root.clone(),
            scan_issues: 0,
            read_error: None,
            interrupted: report.interrupted.clone(),
        })
        .collect()
}

/// The fleet's view of one `data_access` record.
pub fn mail_reached(a: &exhunt_core::access::DataAccess) -> MailReached {
    MailReached {
        mailbox: a.label().to_string(),
        scope: scope_name(a.scope).to_string(),
        methods: vec![a.method.clone()],
        requests: a.requests,
        first: a.first,
        last: a.last,
    }
}

/// The JSONL spelling of a mailbox scope.
fn scope_name(s: exhunt_core::access::MailboxScope) -> &'static str {
    use exhunt_core::access::MailboxScope::*;
    match s {
        Named => "named",
        NotRecorded => "not-recorded",
        AllMailboxes => "all-mailboxes",
    }
}

/// One digest per host of `report`.
pub fn digests(report: &ScanReport, keep_examples: bool) -> Vec<HostDigest> {
    let org = report.org.as_deref();
    let mut out: Vec<HostDigest> = host_facts(report)
        .into_iter()
        .map(|facts| {
            let mut d = HostDigest::new(facts.org.clone(), facts.host.clone(), keep_examples);
            d.facts = Some(facts);
            d
        })
        .collect();
    for f in &report.findings {
        let i = match out.iter().position(|d| d.host == f.host) {
            Some(i) => i,
            None => {
                out.push(HostDigest::new(
                    report.org.clone(),
                    f.host.clone(),
                    keep_examples,
                ));
                out.len() - 1
            }
        };
        out[i].add(&finding_view(org, f));
    }
    for a in &report.access.data_access {
        if let Some(d) = out.iter_mut().find(|d| d.host == a.host) {
            d.add_mail(mail_reached(a));
        }
    }
    // Input problems are per root: counted on every host of the root.
    let issues = report.issues.len() as u64 + report.issues_not_listed;
    for d in &mut out {
        if let Some(f) = &mut d.facts {
            f.scan_issues = issues;
        }
    }
    out
}

/// Apply the "not assessable" rule to every host verdict of `report` (see [`crate::assess`]).
pub fn refine_report(report: &mut ScanReport) {
    for h in &mut report.hosts {
        let build = report
            .findings
            .iter()
            .filter(|f| f.host == h.name && f.rule.stage == Stage::Exposure)
            .find_map(|f| f.fields.get("build").cloned())
            .map(|b| BuildFacts::of(&b));
        let facts = HostFacts {
            org: report.org.clone(),
            host: h.name.clone(),
            verdict: h.verdict,
            reason: h.reason.clone(),
            coverage: h.coverage.clone(),
            missing_sources: h.missing_sources.clone(),
            scanned: None,
            origin: String::new(),
            scan_issues: 0,
            read_error: None,
            interrupted: report.interrupted.clone(),
        };
        let (v, r) = refine(h.verdict, &h.reason, &facts, build.as_ref());
        h.verdict = v;
        h.reason = r;
    }
}
