//! JSON Lines: one object per finding, story, input issue and rule problem, then one summary.
//!
//! The contract (stable; fields may be added): finding lines carry `kind:"finding"`, `rule_id`,
//! `title`, `severity`, `stage`, `cves`, `path` (root-relative, `/`), `line` (1-based or null),
//! `timestamp` (RFC 3339 UTC or null), `evidence` (and `author` for community rules that name
//! one); the last line is `kind:"summary"` with the
//! `verdict` and the coverage. `kind:"data_access"` lines list the mail intruder activity
//! reached (`host`, `mailbox`, `method`, `first`, `last`, `requests`, `bytes`, `client_ips`,
//! `story`, `evidence`); `kind:"shell_use"` lines, one per actor of each web shell.

use std::io::Write;

use serde_json::{json, Value};

use exhunt_core::access::{DataAccess, MailboxScope, ShellActor};
use exhunt_core::model::{Finding, Location, SourceCoverage};
use exhunt_core::scan::ScanReport;

use crate::writer::{rfc3339, ReportWriter};

/// Writes JSON Lines to any writer.
pub struct JsonlWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        JsonlWriter { out }
    }

    /// Hand back the inner writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The finding, story, input-problem and rule-problem lines of one scan, without its
    /// summary: a scan of several roots writes these for each root as it finishes (input
    /// problems then name their root), and the fleet lines at the end.
    pub fn write_root(&mut self, r: &ScanReport) -> std::io::Result<()> {
        self.body(r, true)?;
        self.out.flush()
    }

    fn line(&mut self, v: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")
    }
}

/// The JSON object of one finding.
pub fn finding_json(f: &Finding) -> Value {
    let record_id = match f.location {
        Location::Record { record_id } => Some(record_id),
        _ => None,
    };
    let mut v = json!({
        "kind": "finding",
        "rule_id": f.rule.id,
        "title": f.rule.title,
        "severity": f.severity,
        "stage": f.rule.stage,
        "cves": f.rule.cves,
        "host": f.host,
        "source": f.source,
        "path": f.path,
        "line": f.line(),
        "record_id": record_id,
        "timestamp": f.timestamp.as_ref().map(rfc3339),
        "client_ip": f.client_ip,
        "request_id": f.request_id,
        "url_path": f.url_path,
        "outcome": f.outcome,
        "evidence": f.evidence,
        "fields": f.fields,
        "notes": f.notes,
        "story": f.story,
        "tags": f.rule.tags,
        "attack": f.rule.attack,
        "description": f.rule.description,
        "remediation": f.rule.remediation,
        "references": f.rule.references,
        "rule_origin": f.rule.origin,
    });
    if let Value::Object(m) = &mut v {
        // Community rules (Sigma, YARA) name their author: kept, as their licences ask.
        if let Some(a) = &f.rule.author {
            m.insert("author".into(), Value::String(a.clone()));
        }
        for (k, x) in &f.extra {
            m.entry(k.clone()).or_insert_with(|| x.clone());
        }
    }
    v
}

/// The JSON object of one `data_access` record: mail that intruder activity reached.
pub fn data_access_json(d: &DataAccess) -> Value {
    json!({
        "kind": "data_access",
        "host": d.host,
        "mailbox": d.label(),
        "mailbox_known": d.scope == MailboxScope::Named,
        "scope": d.scope,
        "also_logged_as": d.also_logged_as,
        "method": d.method,
        "first": d.first.as_ref().map(rfc3339),
        "last": d.last.as_ref().map(rfc3339),
        "requests": d.requests,
        "unit": d.unit,
        "bytes": d.bytes,
        "size_on_disk": d.size_on_disk,
        "client_ips": d.client_ips,
        "story": d.story,
        "evidence": d.evidence,
        "evidence_total": d.evidence_total,
        "details": d.details,
    })
}

/// The JSON object of one `shell_use` record: one actor's requests to one web shell.
pub fn shell_use_json(a: &ShellActor) -> Value {
    json!({
        "kind": "shell_use",
        "host": a.host,
        "shell": a.shell,
        "actor": a.actor,
        "role": a.role,
        "client_ips": a.client_ips,
        "user_agents": a.user_agents,
        "clients": a.clients,
        "methods": a.methods,
        "statuses": a.statuses,
        "first": a.first.as_ref().map(rfc3339),
        "last": a.last.as_ref().map(rfc3339),
        "requests": a.requests,
        "story": a.story,
        "evidence": a.evidence,
        "evidence_total": a.evidence_total,
    })
}

/// The JSON of one source's coverage (summary hosts, fleet host lines).
pub(crate) fn coverage_json(c: &SourceCoverage) -> Value {
    json!({
        "files": c.files,
        "bytes": c.bytes,
        "lines": c.lines,
        "first": c.first.as_ref().map(rfc3339),
        "last": c.last.as_ref().map(rfc3339),
        "unreadable": c.unreadable,
    })
}

impl<W: Write> JsonlWriter<W> {
    fn body(&mut self, r: &ScanReport, name_root: bool) -> std::io::Result<()> {
        for f in &r.findings {
            let mut v = finding_json(f);
            if let Value::Object(m) = &mut v {
                m.insert("org".into(), r.org.clone().into());
            }
            self.line(&v)?;
        }
        for s in &r.stories {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("kind".into(), "story".into());
                m.insert("org".into(), r.org.clone().into());
                m.insert("first".into(), s.first.as_ref().map(rfc3339).into());
                m.insert("last".into(), s.last.as_ref().map(rfc3339).into());
            }
            self.line(&v)?;
        }
        for d in &r.access.data_access {
            let mut v = data_access_json(d);
            if let Value::Object(m) = &mut v {
                m.insert("org".into(), r.org.clone().into());
            }
            self.line(&v)?;
        }
        for a in &r.access.shell_use {
            let mut v = shell_use_json(a);
            if let Value::Object(m) = &mut v {
                m.insert("org".into(), r.org.clone().into());
            }
            self.line(&v)?;
        }
        for i in &r.issues {
            let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("issue".into(), m["kind"].clone());
                m.insert("kind".into(), "issue".into());
                if name_root {
                    m.insert("root".into(), r.root.clone().into());
                    m.insert("org".into(), r.org.clone().into());
                }
            }
            self.line(&v)?;
        }
        for d in &r.rule_diagnostics {
            let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("kind".into(), "rule_diagnostic".into());
            }
            self.line(&v)?;
        }
        Ok(())
    }
}

impl<W: Write> ReportWriter for JsonlWriter<W> {
    fn write_report(&mut self, r: &ScanReport) -> std::io::Result<()> {
        self.body(r, false)?;
        let hosts: Vec<Value> = r
            .hosts
            .iter()
            .map(|h| {
                json!({
                    "name": h.name,
                    "org": r.org,
                    "verdict": h.verdict,
                    "reason": h.reason,
                    "coverage": h.coverage.iter().map(|(k, c)| (k.as_str().to_string(), coverage_json(c))).collect::<serde_json::Map<_, _>>(),
                    "missing_sources": h.missing_sources,
                    "exchange_installs": h.exchange_installs,
                    "system_roots": h.system_roots,
                    "findings_by_severity": h.findings_by_severity.iter().map(|(k, v)| (k.as_str().to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect();
        let mut total = std::collections::BTreeMap::<String, SourceCoverage>::new();
        for h in &r.hosts {
            for (k, c) in &h.coverage {
                total.entry(k.as_str().to_string()).or_default().merge(c);
            }
        }
        let worst = r.hosts.iter().max_by_key(|h| h.verdict);
        let mut issue_counts = std::collections::BTreeMap::<&str, u64>::new();
        for i in &r.issues {
            *issue_counts.entry(i.kind.as_str()).or_insert(0) += 1;
        }
        self.line(&json!({
            "kind": "summary",
            "verdict": r.overall_verdict(),
            "reason": worst.map(|h| h.reason.clone()),
            "hosts": hosts,
            "coverage": total.iter().map(|(k, c)| (k.clone(), coverage_json(c))).collect::<serde_json::Map<_, _>>(),
            "findings": r.findings.len(),
            "stories": r.stories.len(),
            "data_access": r.access.data_access.len(),
            "shell_use": r.access.shell_use.len(),
            "access_sweeps": r.access.sweeps,
            "scan_issues": {
                "listed": r.issues.len(),
                "not_listed": r.issues_not_listed,
                "by_kind": issue_counts,
            },
            "suppressed": r.suppressed,
            "filtered_out": r.filtered_out,
            "incomplete": r.incomplete(),
            "interrupted": r.interrupted,
            "progress": r.progress,
            "build_seconds": r.build_seconds,
            "rules_loaded": r.rules_loaded,
            "rule_errors": r.rule_diagnostics.iter().filter(|d| d.level == exhunt_core::rules::DiagnosticLevel::Error).count(),
            "root": r.root,
            "org": r.org,
            "version": r.version,
            "started": rfc3339(&r.started),
            "finished": rfc3339(&r.finished),
        }))?;
        self.out.flush()
    }
}
