//! The fleet lines of the JSONL contract: one `host` line per server, one `indicator` line per
//! campaign indicator, one `cluster` line per cluster, one `issue` line per input problem, and
//! a last `fleet_summary` line.

use std::io::Write;

use exhunt_fleet::fleet::{Cluster, Fleet, FleetHost, Indicator};
use exhunt_fleet::CampaignMatch;
use serde_json::{json, Map, Value};

use super::FleetWriter;
use crate::writer::rfc3339;

/// Writes the fleet lines.
pub struct FleetJsonlWriter<W: Write> {
    out: W,
}

impl<W: Write> FleetJsonlWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        FleetJsonlWriter { out }
    }

    fn line(&mut self, v: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")
    }
}

fn t(x: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    x.as_ref().map(rfc3339).into()
}

fn campaign_json(m: &CampaignMatch) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "by_indicator": m.by_indicator,
        "matched": m.matched,
        "wording": m.wording(),
    })
}

fn host_ref(f: &Fleet, i: usize) -> Value {
    let h = &f.hosts[i];
    json!({"org": h.org, "host": h.host})
}

/// The `host` line of one server.
pub fn host_json(f: &Fleet, h: &FleetHost) -> Value {
    let m = &h.moments;
    json!({
        "kind": "host",
        "org": h.org,
        "host": h.host,
        "verdict": h.verdict,
        "reason": h.reason,
        "first_exploitation": t(m.first_exploitation),
        "first_attempt": t(m.first_attempt),
        "first_backdoor": t(m.first_backdoor),
        "compromised_since": t(h.compromised_since()),
        "last_activity": t(m.last_activity),
        "counts": {
            "findings": h.findings,
            "by_severity": h.by_severity.iter().map(|(k, v)| (k.as_str().to_string(), json!(v))).collect::<Map<_, _>>(),
            "by_stage": h.by_stage.iter().map(|(k, v)| (k.as_str().to_string(), json!(v))).collect::<Map<_, _>>(),
        },
        "coverage": h.coverage.iter().map(|(k, c)| (k.as_str().to_string(), crate::jsonl::coverage_json(c))).collect::<Map<_, _>>(),
        "log_span": {"first": t(h.log_span.0), "last": t(h.log_span.1)},
        "missing_sources": h.missing_sources,
        "build": h.build.as_ref().map(|b| json!({
            "version": b.version,
            "name": b.name,
            "released": b.released.map(|d| d.to_string()),
            "exposure": b.exposure,
            "missing_fixes": b.missing_fixes,
            "exploited_cves": b.exploited_cves,
        })),
        "web_shells": h.web_shells,
        "attacker_ips": h.attacker_ips,
        "mail_reached": h.mail_reached.iter().map(|m| json!({
            "mailbox": m.mailbox,
            "scope": m.scope,
            "methods": m.methods,
            "requests": m.requests,
            "first": t(m.first),
            "last": t(m.last),
        })).collect::<Vec<_>>(),
        "mailboxes_reached": h.mailboxes_reached(),
        "rules": h.rules.iter().map(|(id, r)| json!({
            "rule_id": id,
            "title": r.title,
            "severity": r.severity,
            "stage": r.stage,
            "count": r.count,
            "first": t(r.first),
            "last": t(r.last),
        })).collect::<Vec<_>>(),
        "campaigns": h.campaigns.iter().map(campaign_json).collect::<Vec<_>>(),
        "cluster": h.cluster.map(|c| f.clusters[c].id),
        "origin": h.origin,
        "scanned": t(h.scanned),
        "scan_issues": h.scan_issues,
    })
}

/// The `indicator` line of one indicator.
pub fn indicator_json(f: &Fleet, i: &Indicator) -> Value {
    json!({
        "kind": "indicator",
        "type": i.kind.as_str(),
        "value": i.value,
        "hosts": i.hosts.iter().map(|&h| host_ref(f, h)).collect::<Vec<_>>(),
        "host_count": i.hosts.len(),
        "orgs": i.orgs,
        "org_count": i.orgs.len(),
        "first_seen": t(i.first),
        "last_seen": t(i.last),
        "rules": i.rules,
        "campaigns": i.campaigns,
    })
}

/// The `cluster` line of one cluster.
pub fn cluster_json(f: &Fleet, c: &Cluster) -> Value {
    json!({
        "kind": "cluster",
        "id": c.id,
        "hosts": c.hosts.iter().map(|&h| host_ref(f, h)).collect::<Vec<_>>(),
        "host_count": c.hosts.len(),
        "orgs": c.orgs,
        "linked_by": c.linked_by.iter().map(|&k| json!({
            "type": f.indicators[k].kind.as_str(),
            "value": f.indicators[k].value,
            "host_count": f.indicators[k].hosts.len(),
        })).collect::<Vec<_>>(),
        "first_seen": t(c.first),
        "last_seen": t(c.last),
        "campaigns": c.campaigns.iter().map(campaign_json).collect::<Vec<_>>(),
    })
}

/// The last line.
pub fn summary_json(f: &Fleet) -> Value {
    let orgs: Vec<Value> = f
        .orgs
        .iter()
        .map(|o| {
            json!({
                "org": o.org,
                "servers": o.servers,
                "compromised": o.compromised,
                "exploitation_attempted": o.attempted,
                "no_evidence": o.no_evidence,
                "not_assessable": o.not_assessable,
                "earliest_compromise": o.earliest_compromise.as_ref().map(|(t, _)| rfc3339(t)),
                "earliest_compromise_host": o.earliest_compromise.as_ref().map(|(_, h)| h.clone()),
                "findings": o.findings,
                "mailboxes_reached": o.mailboxes_reached,
                "servers_all_mail_reachable": o.all_mail_reachable,
            })
        })
        .collect();
    let count = |v: exhunt_core::VerdictLevel| f.hosts.iter().filter(|h| h.verdict == v).count();
    let mut by_type = Map::new();
    for i in &f.indicators {
        let e = by_type
            .entry(i.kind.as_str().to_string())
            .or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "kind": "fleet_summary",
        "verdict": f.worst(),
        "servers": f.hosts.len(),
        "compromised": count(exhunt_core::VerdictLevel::Compromised),
        "exploitation_attempted": count(exhunt_core::VerdictLevel::ExploitationAttempted),
        "no_evidence": count(exhunt_core::VerdictLevel::NoEvidence),
        "not_assessable": count(exhunt_core::VerdictLevel::NotAssessable),
        "organisations": orgs,
        "indicators": f.indicators.len(),
        "indicators_by_type": by_type,
        "clusters": f.clusters.len(),
        "excluded": {
            "private_addresses": f.exclusions.private_addresses,
            "ordinary_user_addresses": f.exclusions.ordinary_user_addresses,
            "own_addresses": f.exclusions.own_addresses,
            "ordinary_user_agents": f.exclusions.ordinary_user_agents,
        },
        "duplicates": f.duplicates.iter().map(|d| json!({
            "org": d.org, "host": d.host, "kept": d.kept, "dropped": d.dropped,
        })).collect::<Vec<_>>(),
        "input_problems": {
            "listed": f.problems.len(),
            "not_listed": f.problems_not_listed,
            "by_kind": f.problem_counts,
        },
        "inputs": f.inputs,
        "campaigns_loaded": f.campaigns_loaded,
        "campaign_problems": f.campaign_problems,
        "version": f.version,
        "started": rfc3339(&f.started),
        "finished": rfc3339(&f.finished),
    })
}

impl<W: Write> FleetWriter for FleetJsonlWriter<W> {
    fn write_fleet(&mut self, f: &Fleet) -> std::io::Result<()> {
        for h in &f.hosts {
            self.line(&host_json(f, h))?;
        }
        for i in &f.indicators {
            self.line(&indicator_json(f, i))?;
        }
        for c in &f.clusters {
            self.line(&cluster_json(f, c))?;
        }
        for p in &f.problems {
            self.line(&json!({
                "kind": "issue",
                "issue": p.kind,
                "path": p.file,
                "line": p.line,
                "message": p.message,
                "scope": "fleet input",
            }))?;
        }
        self.line(&summary_json(f))?;
        self.out.flush()
    }
}
