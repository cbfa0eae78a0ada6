//! Mail the intruders reached: requests (from findings and the second read), export cmdlets,
//! export files and code that ran with the server's rights, turned into one [`DataAccess`]
//! per server, mailbox and method.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::commands::{drive_path, invocations, served_at};
use super::identity::{clean, unify};
use super::lookup::FindingFields;
use super::mapping::AccessMappings;
use super::{intruder_stories, DataAccess, EvidenceRef, MailboxScope, MAX_EVIDENCE_REFS};
use crate::model::{Finding, Outcome, SourceKind};
use crate::rules::condition::{EvalCtx, FieldLookup};

/// Two records of the same export (event 1, the script block, the process) closer than this
/// are one call.
const SAME_CALL_SECS: i64 = 120;

/// A request that reached mail.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub host: String,
    /// Index into the mapping's request signatures.
    pub sig: usize,
    /// The cleaned identity the line names, if any.
    pub mailbox: Option<String>,
    pub bytes: Option<u64>,
    pub time: Option<DateTime<Utc>>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub url_path: Option<String>,
    pub evidence: EvidenceRef,
    /// From a finding (else from the second read).
    pub from_finding: bool,
}

impl Hit {
    fn richness(&self) -> u8 {
        u8::from(self.mailbox.is_some()) * 2 + u8::from(self.bytes.is_some())
    }
}

/// What a request signature made of a line.
pub(crate) struct Classified {
    pub sig: usize,
    pub mailbox: Option<String>,
    pub bytes: Option<u64>,
}

/// The first request signature that matches, the mailbox it names and the bytes sent.
pub(crate) fn classify(
    rec: &dyn FieldLookup,
    kind: SourceKind,
    maps: &AccessMappings,
) -> Option<Classified> {
    if maps.exclude.iter().any(|c| c.eval(&mut EvalCtx::new(rec))) {
        return None;
    }
    for (i, s) in maps.requests.iter().enumerate() {
        if !s.sources.contains(&kind) {
            continue;
        }
        let mut ctx = EvalCtx::new(rec);
        if !s.condition.eval(&mut ctx) {
            continue;
        }
        let mailbox = s
            .mailbox
            .iter()
            .filter_map(|f| ctx.get(f))
            .find_map(|v| clean(v, maps));
        let bytes = maps
            .bytes_fields
            .iter()
            .filter_map(|f| rec.lookup(f))
            .find_map(|v| v.trim().parse::<u64>().ok());
        return Some(Classified {
            sig: i,
            mailbox,
            bytes,
        });
    }
    None
}

/// One call of a mailbox-moving cmdlet, for one mailbox.
#[derive(Debug, Clone)]
struct Call {
    host: String,
    method: String,
    /// Cleaned identity, or `None` (not recorded) with the reason in `note`.
    mailbox: Option<String>,
    note: Option<String>,
    destination: Option<String>,
    time: Option<DateTime<Utc>>,
    evidence: EvidenceRef,
}

/// An export file on disk.
#[derive(Debug, Clone)]
struct ExportFile {
    host: String,
    method: String,
    rel: String,
    size: Option<u64>,
    time: Option<DateTime<Utc>>,
    evidence: EvidenceRef,
}

fn command_text(f: &Finding, maps: &AccessMappings) -> Option<String> {
    let fields: HashMap<String, &str> = f
        .fields
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
        .collect();
    maps.command_fields.iter().find_map(|group| {
        let parts: Vec<&str> = group
            .iter()
            .filter_map(|g| fields.get(g).copied())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// Everything of one server's data access, before it becomes records.
#[derive(Default)]
struct Collected {
    hits: Vec<Hit>,
    calls: Vec<Call>,
    files: Vec<ExportFile>,
    full: BTreeMap<String, Vec<usize>>,
}

pub(crate) fn analyse(
    findings: &[Finding],
    swept: &[Hit],
    maps: &AccessMappings,
) -> Vec<DataAccess> {
    let intruder = intruder_stories(findings);
    let mut c = Collected {
        hits: swept.to_vec(),
        ..Default::default()
    };
    let export_rules: HashMap<&str, &str> = maps
        .export_files
        .iter()
        .flat_map(|(m, rules)| rules.iter().map(move |r| (r.as_str(), m.as_str())))
        .collect();
    let full_rules: BTreeSet<&str> = maps
        .full_access
        .iter()
        .flat_map(|(_, r)| r.iter().map(String::as_str))
        .collect();
    for (i, f) in findings.iter().enumerate() {
        if !f.story.is_some_and(|s| intruder.contains(&s)) {
            continue;
        }
        let is_log = SourceKind::TEXT_LOGS.contains(&f.source);
        if is_log {
            if let Some(k) = classify(&FindingFields::new(f), f.source, maps) {
                c.hits.push(Hit {
                    host: f.host.clone(),
                    sig: k.sig,
                    mailbox: k.mailbox,
                    bytes: k.bytes,
                    time: f.timestamp,
                    client_ip: f.client_ip.clone(),
                    request_id: f.request_id.clone(),
                    url_path: f.url_path.clone(),
                    evidence: EvidenceRef::of(f),
                    from_finding: true,
                });
            }
        }
        if let Some(text) = command_text(f, maps) {
            for inv in invocations(&text, maps) {
                let method = maps.cmdlets[inv.cmdlet].method.clone();
                let dest_for = |k: usize| {
                    inv.destinations
                        .get(k)
                        .or(inv.destinations.first())
                        .cloned()
                };
                let mut any = false;
                for (k, v) in inv.victims.iter().enumerate() {
                    let cleaned = clean(v, maps);
                    any = true;
                    c.calls.push(Call {
                        host: f.host.clone(),
                        method: method.clone(),
                        note: cleaned
                            .is_none()
                            .then(|| format!("the evidence names '{v}', which is no mailbox")),
                        mailbox: cleaned,
                        destination: if inv.destinations.len() == inv.victims.len() {
                            dest_for(k)
                        } else {
                            inv.destinations.first().cloned()
                        },
                        time: f.timestamp,
                        evidence: EvidenceRef::of(f),
                    });
                }
                if !any {
                    c.calls.push(Call {
                        host: f.host.clone(),
                        method,
                        mailbox: None,
                        note: Some(match &inv.unresolved {
                            Some(var) => format!(
                                "the mailbox is the script variable {var}, whose value the evidence does not show"
                            ),
                            None => "the call names no mailbox".into(),
                        }),
                        destination: inv.destinations.first().cloned(),
                        time: f.timestamp,
                        evidence: EvidenceRef::of(f),
                    });
                }
            }
        }
        if f.source == SourceKind::Files {
            if let Some(m) = export_rules.get(f.rule.id.as_str()) {
                c.files.push(ExportFile {
                    host: f.host.clone(),
                    method: m.to_string(),
                    rel: f.path.clone(),
                    size: f.extra.get("size").and_then(|v| v.as_u64()),
                    time: f.timestamp,
                    evidence: EvidenceRef::of(f),
                });
            }
        }
        if full_rules.contains(f.rule.id.as_str()) {
            let ran = if is_log {
                f.outcome == Outcome::Success
            } else {
                f.outcome != Outcome::Failure
            };
            if ran {
                c.full.entry(f.host.clone()).or_default().push(i);
            }
        }
    }
    build(c, findings, maps)
}

/// Keep one hit per log line, then one per request id (the richest: the HttpProxy line names
/// the mailbox and the bytes, the IIS line of the same request does not).
fn dedupe_hits(hits: Vec<Hit>) -> Vec<Hit> {
    let mut by_line: BTreeMap<(String, Option<u64>), Hit> = BTreeMap::new();
    for h in hits {
        let key = (h.evidence.path.clone(), h.evidence.line);
        match by_line.get(&key) {
            Some(old) if old.from_finding || old.richness() >= h.richness() => {}
            _ => {
                by_line.insert(key, h);
            }
        }
    }
    let mut by_request: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Hit> = Vec::new();
    for h in by_line.into_values() {
        match h.request_id.clone() {
            Some(r) => match by_request.get(&(h.host.clone(), r.clone())) {
                Some(&i) => {
                    if h.richness() > out[i].richness() {
                        out[i] = h;
                    }
                }
                None => {
                    by_request.insert((h.host.clone(), r), out.len());
                    out.push(h);
                }
            },
            None => out.push(h),
        }
    }
    out
}

/// Merge records of one export call from several sources (event 1, script block, process).
fn merge_calls(mut calls: Vec<Call>) -> Vec<Vec<Call>> {
    calls.sort_by(|a, b| {
        (
            &a.host,
            &a.method,
            &a.mailbox,
            norm_dest(&a.destination),
            a.time,
        )
            .cmp(&(
                &b.host,
                &b.method,
                &b.mailbox,
                norm_dest(&b.destination),
                b.time,
            ))
    });
    let mut groups: Vec<Vec<Call>> = Vec::new();
    for c in calls {
        let same = groups.last().is_some_and(|g| {
            let l = g.last().expect("groups are never empty");
            l.host == c.host
                && l.method == c.method
                && l.mailbox == c.mailbox
                && norm_dest(&l.destination) == norm_dest(&c.destination)
                && match (l.time, c.time) {
                    (Some(a), Some(b)) => (b - a).num_seconds().abs() <= SAME_CALL_SECS,
                    _ => true,
                }
        });
        if same {
            groups.last_mut().expect("checked").push(c);
        } else {
            groups.push(vec![c]);
        }
    }
    groups
}

fn norm_dest(d: &Option<String>) -> Option<String> {
    d.as_ref()
        .map(|d| drive_path(d).unwrap_or_else(|| d.to_ascii_lowercase()))
}

#[derive(Default)]
struct Acc {
    unit: &'static str,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    requests: u64,
    bytes: Option<u64>,
    size: Option<u64>,
    ips: BTreeSet<String>,
    refs: Vec<(Option<DateTime<Utc>>, EvidenceRef)>,
    details: BTreeSet<String>,
}

impl Acc {
    fn time(&mut self, t: Option<DateTime<Utc>>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |x| x.min(t)));
            self.last = Some(self.last.map_or(t, |x| x.max(t)));
        }
    }
}

fn build(c: Collected, findings: &[Finding], maps: &AccessMappings) -> Vec<DataAccess> {
    let hits = dedupe_hits(c.hits);
    let groups = merge_calls(c.calls);
    // Where each export went, per server: drive path → the mailbox exported there.
    let mut dest_owner: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for g in &groups {
        for call in g {
            if let Some(d) = call.destination.as_deref().and_then(drive_path) {
                dest_owner.insert((call.host.clone(), d), call.mailbox.clone());
            }
        }
    }
    let owner_of_url = |host: &str, url: &str| -> Option<Option<String>> {
        let url = url.to_ascii_lowercase();
        dest_owner
            .iter()
            .filter(|((h, _), _)| h == host)
            .find(|((_, d), _)| served_at(d).as_deref() == Some(url.as_str()))
            .map(|(_, m)| m.clone())
    };
    let owner_of_file = |host: &str, rel: &str| -> Option<Option<String>> {
        let rel = rel.to_ascii_lowercase();
        dest_owner
            .iter()
            .filter(|((h, _), _)| h == host)
            .find(|((_, d), _)| rel.ends_with(d.as_str()))
            .map(|(_, m)| m.clone())
    };

    // Records keyed by server, (mailbox or scope), method.
    type Key = (String, Option<String>, MailboxScope, String);
    let mut acc: BTreeMap<Key, Acc> = BTreeMap::new();
    for h in &hits {
        let sig = &maps.requests[h.sig];
        let (mailbox, detail) = if sig.mailbox_from_export {
            match h.url_path.as_deref().and_then(|u| owner_of_url(&h.host, u)) {
                Some(m) => (m, None),
                None => (
                    None,
                    Some(format!(
                        "{} (no export to this file was logged)",
                        h.url_path.as_deref().unwrap_or("?")
                    )),
                ),
            }
        } else {
            (h.mailbox.clone(), None)
        };
        let scope = if mailbox.is_some() {
            MailboxScope::Named
        } else {
            MailboxScope::NotRecorded
        };
        let a = acc
            .entry((h.host.clone(), mailbox, scope, sig.method.clone()))
            .or_default();
        a.unit = "requests";
        a.time(h.time);
        a.requests += 1;
        if let Some(b) = h.bytes {
            a.bytes = Some(a.bytes.unwrap_or(0).saturating_add(b));
        }
        a.ips.extend(h.client_ip.clone());
        a.refs.push((h.time, h.evidence.clone()));
        a.details.extend(detail);
    }
    for g in &groups {
        let c0 = &g[0];
        let scope = if c0.mailbox.is_some() {
            MailboxScope::Named
        } else {
            MailboxScope::NotRecorded
        };
        let a = acc
            .entry((
                c0.host.clone(),
                c0.mailbox.clone(),
                scope,
                c0.method.clone(),
            ))
            .or_default();
        a.unit = "calls";
        a.requests += 1;
        for call in g {
            a.time(call.time);
            a.refs.push((call.time, call.evidence.clone()));
            if let Some(d) = &call.destination {
                a.details.insert(format!("to {d}"));
            }
            a.details.extend(call.note.clone());
        }
    }
    for f in &c.files {
        let mailbox = owner_of_file(&f.host, &f.rel).flatten();
        let scope = if mailbox.is_some() {
            MailboxScope::Named
        } else {
            MailboxScope::NotRecorded
        };
        let a = acc
            .entry((f.host.clone(), mailbox, scope, f.method.clone()))
            .or_default();
        a.unit = "files";
        if !a.refs.iter().any(|(_, r)| r.path == f.rel) {
            a.requests += 1;
            if let Some(s) = f.size {
                a.size = Some(a.size.unwrap_or(0).saturating_add(s));
            }
            a.details.insert(match f.size {
                Some(s) => format!("{} ({s} bytes on disk)", f.rel),
                None => f.rel.clone(),
            });
        }
        a.time(f.time);
        a.refs.push((f.time, f.evidence.clone()));
    }
    if let Some((method, _)) = &maps.full_access {
        for (host, idx) in &c.full {
            let a = acc
                .entry((
                    host.clone(),
                    None,
                    MailboxScope::AllMailboxes,
                    method.clone(),
                ))
                .or_default();
            a.unit = "requests and commands";
            let mut seen = BTreeSet::new();
            // The same request in IIS and HttpProxy (one request id) is one request, with
            // both lines as its evidence.
            let mut requests = BTreeSet::new();
            for &i in idx {
                let f = &findings[i];
                let r = EvidenceRef::of(f);
                if !seen.insert((r.path.clone(), r.line, r.record_id)) {
                    continue;
                }
                if f.request_id.as_ref().is_none_or(|id| requests.insert(id)) {
                    a.requests += 1;
                }
                a.time(f.timestamp);
                a.ips.extend(f.client_ip.clone());
                a.refs.push((f.timestamp, r));
            }
            a.details.insert(
                "Exchange runs as LocalSystem: code run through a web shell or as SYSTEM can open every mailbox and leaves no mailbox log".into(),
            );
        }
    }

    // One person per mailbox, per server.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (host, m, _, _) in acc.keys() {
        if let Some(m) = m {
            ids.entry(host.clone()).or_default().insert(m.clone());
        }
    }
    let unified: BTreeMap<String, BTreeMap<String, String>> =
        ids.into_iter().map(|(h, set)| (h, unify(&set))).collect();
    let mut merged: BTreeMap<Key, (Acc, BTreeSet<String>)> = BTreeMap::new();
    for ((host, m, scope, method), a) in acc {
        let (key, alias) = match (&m, unified.get(&host)) {
            (Some(m), Some(key_of)) => {
                let k = key_of.get(m).cloned().unwrap_or_else(|| m.clone());
                let alias = (k != *m).then(|| m.clone());
                (Some(k), alias)
            }
            _ => (m.clone(), None),
        };
        let e = merged
            .entry((host, key, scope, method))
            .or_insert_with(|| (Acc::default(), BTreeSet::new()));
        e.1.extend(alias);
        let t = &mut e.0;
        t.first = match (t.first, a.first) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        t.last = match (t.last, a.last) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        t.requests += a.requests;
        t.unit = a.unit;
        t.bytes = match (t.bytes, a.bytes) {
            (Some(x), Some(y)) => Some(x.saturating_add(y)),
            (x, y) => x.or(y),
        };
        t.size = match (t.size, a.size) {
            (Some(x), Some(y)) => Some(x.saturating_add(y)),
            (x, y) => x.or(y),
        };
        t.ips.extend(a.ips);
        t.refs.extend(a.refs);
        t.details.extend(a.details);
    }
    let mut out: Vec<DataAccess> = merged
        .into_iter()
        .map(|((host, mailbox, scope, method), (mut a, aliases))| {
            a.refs.sort();
            a.refs.dedup_by(|x, y| x.1 == y.1);
            let total = a.refs.len() as u64;
            DataAccess {
                host,
                mailbox,
                scope,
                also_logged_as: aliases.into_iter().collect(),
                method,
                first: a.first,
                last: a.last,
                requests: a.requests,
                unit: a.unit.to_string(),
                bytes: a.bytes,
                size_on_disk: a.size,
                client_ips: a.ips.into_iter().collect(),
                story: None,
                evidence: a
                    .refs
                    .into_iter()
                    .take(MAX_EVIDENCE_REFS)
                    .map(|(_, r)| r)
                    .collect(),
                evidence_total: total,
                details: a.details.into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (
            &a.host,
            std::cmp::Reverse(a.volume()),
            std::cmp::Reverse(a.requests),
            a.scope,
            a.label(),
            &a.method,
        )
            .cmp(&(
                &b.host,
                std::cmp::Reverse(b.volume()),
                std::cmp::Reverse(b.requests),
                b.scope,
                b.label(),
                &b.method,
            ))
    });
    out
}
