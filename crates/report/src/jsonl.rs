//! JSON Lines: one object per finding, story, input issue and rule problem, then one summary.
//!
//! The contract (stable; fields may be added): finding lines carry `kind:"finding"`, `rule_id`,
//! `title`, `severity`, `stage`, `cves`, `path` (root-relative, `/`), `line` (1-based or null),
//! `timestamp` (RFC 3339 UTC or null), `evidence` (and `author` for community rules that name
//! one); the last line is `kind:"summary"` with the
//! `verdict` and the coverage.

use std::io::Write;

use serde_json::{json, Value};

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

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
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

fn coverage_json(c: &SourceCoverage) -> Value {
    json!({
        "files": c.files,
        "bytes": c.bytes,
        "lines": c.lines,
        "first": c.first.as_ref().map(rfc3339),
        "last": c.last.as_ref().map(rfc3339),
    })
}

impl<W: Write> ReportWriter for JsonlWriter<W> {
    fn write_report(&mut self, r: &ScanReport) -> std::io::Result<()> {
        for f in &r.findings {
            self.line(&finding_json(f))?;
        }
        for s in &r.stories {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("kind".into(), "story".into());
                m.insert("first".into(), s.first.as_ref().map(rfc3339).into());
                m.insert("last".into(), s.last.as_ref().map(rfc3339).into());
            }
            self.line(&v)?;
        }
        for i in &r.issues {
            let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("issue".into(), m["kind"].clone());
                m.insert("kind".into(), "issue".into());
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
        let hosts: Vec<Value> = r
            .hosts
            .iter()
            .map(|h| {
                json!({
                    "name": h.name,
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
            "scan_issues": {
                "listed": r.issues.len(),
                "not_listed": r.issues_not_listed,
                "by_kind": issue_counts,
            },
            "suppressed": r.suppressed,
            "filtered_out": r.filtered_out,
            "rules_loaded": r.rules_loaded,
            "rule_errors": r.rule_diagnostics.iter().filter(|d| d.level == exhunt_core::rules::DiagnosticLevel::Error).count(),
            "root": r.root,
            "version": r.version,
            "started": rfc3339(&r.started),
            "finished": rfc3339(&r.finished),
        }))?;
        self.out.flush()
    }
}
