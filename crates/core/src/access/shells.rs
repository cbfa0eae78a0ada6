//! Who used each web shell: the logged requests to every shell, grouped into actors, and the
//! findings "backdoor reused by another actor" and "mass probing of web-shell names".
//!
//! A shell is a URL path that answered a request (a backdoor-stage log finding whose status
//! shows success) or a web-shell file found on disk. Its requests are the log findings for
//! that path (every request to a non-stock page in the shell folders is one). Actors:
//! * one per client address, split in two when the client shape (tool family, from the
//!   mapping) changes from one tool to another after a gap longer than the mapping's
//!   `split_gap_hours` (generic shapes such as a browser GET never split);
//! * addresses are joined into one actor when they sent the same uncommon user agent (one
//!   that matches no published client and is no browser's).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::lookup::FindingFields;
use super::mapping::{status_matches, AccessMappings};
use super::{ActorRole, EvidenceRef, ShellActor, MAX_EVIDENCE_REFS};
use crate::model::{Finding, Outcome, SourceKind, Stage};
use crate::rules::condition::{EvalCtx, FieldLookup};
use crate::rules::RuleMeta;

#[derive(Debug, Clone)]
struct Req {
    idx: usize,
    ip: String,
    ua: String,
    method: String,
    status: String,
    shape: Option<usize>,
    time: Option<DateTime<Utc>>,
}

fn request(i: usize, f: &Finding, maps: &AccessMappings) -> Req {
    let look = FindingFields::new(f);
    let shape = maps.clients.iter().position(|c| {
        let mut ctx = EvalCtx::new(&look);
        c.condition.eval(&mut ctx)
    });
    Req {
        idx: i,
        ip: f.client_ip.clone().unwrap_or_default(),
        ua: look.lookup("_ua").unwrap_or("").to_string(),
        method: look.lookup("_method").unwrap_or("").to_ascii_uppercase(),
        status: look.lookup("_status").unwrap_or("").to_string(),
        shape,
        time: f.timestamp,
    }
}

fn is_log_request(f: &Finding) -> bool {
    matches!(f.source, SourceKind::Iis | SourceKind::HttpProxy) && f.url_path.is_some()
}

/// The shells of each host: lower-cased URL path → the spelling to show.
fn shells(findings: &[Finding]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.rule.stage == Stage::Backdoor) {
        let path = if is_log_request(f) && f.outcome == Outcome::Success {
            f.url_path.clone()
        } else if f.source == SourceKind::Files {
            f.fields.get("url_path").cloned()
        } else {
            None
        };
        if let Some(p) = path {
            let e = out
                .entry(f.host.clone())
                .or_default()
                .entry(p.to_ascii_lowercase())
                .or_insert_with(|| p.clone());
            // Keep the spelling as logged (with capitals) over a lower-cased one.
            if e.bytes().all(|b| !b.is_ascii_uppercase()) {
                *e = p;
            }
        }
    }
    out
}

pub(crate) fn analyse(
    findings: &[Finding],
    maps: &AccessMappings,
) -> (Vec<ShellActor>, Vec<Finding>) {
    let shells = shells(findings);
    let mut actors = Vec::new();
    let mut raised = Vec::new();
    // Requests per (host, shell), one per logged request.
    let mut per_shell: BTreeMap<(String, String), Vec<Req>> = BTreeMap::new();
    let mut probes: BTreeMap<String, Vec<Req>> = BTreeMap::new();
    let mut seen_line: BTreeSet<(String, Option<u64>)> = BTreeSet::new();
    let mut seen_request: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, f) in findings.iter().enumerate() {
        if !is_log_request(f) {
            continue;
        }
        let r = EvidenceRef::of(f);
        if !seen_line.insert((r.path, r.line)) {
            continue;
        }
        if let Some(id) = &f.request_id {
            if !seen_request.insert((f.host.clone(), id.clone())) {
                continue;
            }
        }
        let path = f.url_path.as_deref().unwrap_or("").to_ascii_lowercase();
        if shells.get(&f.host).is_some_and(|s| s.contains_key(&path)) {
            per_shell
                .entry((f.host.clone(), path))
                .or_default()
                .push(request(i, f, maps));
        } else if f.rule.stage == Stage::Backdoor {
            let q = request(i, f, maps);
            if status_matches(&q.status, &maps.probe_status) {
                probes.entry(f.host.clone()).or_default().push(q);
            }
        }
    }
    for ((host, path), mut reqs) in per_shell {
        reqs.sort_by_key(|r| (r.time, r.idx));
        let groups = cluster(&reqs, maps);
        let shell = shells[&host][&path].clone();
        // Each actor with its own requests, so that a finding about an actor is anchored on
        // that actor's line (two actors can share an address).
        let mut list: Vec<(ShellActor, Vec<Req>)> = groups
            .into_iter()
            .map(|g| (actor(&host, &shell, &g, findings, maps), g))
            .collect();
        list.sort_by_key(|(a, _)| (a.first, a.client_ips.clone()));
        for (k, (a, _)) in list.iter_mut().enumerate() {
            a.actor = k + 1;
        }
        let users: Vec<&(ShellActor, Vec<Req>)> = list
            .iter()
            .filter(|(a, _)| a.role == ActorRole::Use)
            .collect();
        if users.len() >= 2 {
            if let Some(meta) = &maps.reuse_meta {
                let (_, second) = users[1];
                let earliest = |r: &&Req| (r.time, r.idx);
                let anchor = second
                    .iter()
                    .filter(|r| status_matches(&r.status, &maps.use_status))
                    .min_by_key(earliest)
                    .or_else(|| second.iter().min_by_key(earliest));
                if let Some(anchor) = anchor {
                    let notes = users.iter().map(|(a, _)| a.summary()).collect();
                    raised.push(derived(&findings[anchor.idx], meta, notes));
                }
            }
        }
        actors.extend(list.into_iter().map(|(a, _)| a));
    }
    for (_, reqs) in probes {
        if let Some(f) = probing(&reqs, findings, maps) {
            raised.push(f);
        }
    }
    (actors, raised)
}

/// Group one shell's requests (sorted by time) into actors.
fn cluster(reqs: &[Req], maps: &AccessMappings) -> Vec<Vec<Req>> {
    // Per address, split when the client shape changes after a long gap.
    let mut groups: Vec<Vec<Req>> = Vec::new();
    let mut current: HashMap<&str, usize> = HashMap::new();
    for r in reqs {
        let start_new = match current.get(r.ip.as_str()) {
            None => true,
            Some(&g) => {
                let last = groups[g].last().expect("groups are never empty");
                let gap = match (last.time, r.time) {
                    (Some(a), Some(b)) => b - a,
                    _ => chrono::Duration::zero(),
                };
                let tool = |s: Option<usize>| s.is_some_and(|s| !maps.clients[s].generic);
                last.shape != r.shape && tool(last.shape) && tool(r.shape) && gap >= maps.split_gap
            }
        };
        if start_new {
            current.insert(r.ip.as_str(), groups.len());
            groups.push(vec![r.clone()]);
        } else {
            groups[current[r.ip.as_str()]].push(r.clone());
        }
    }
    // Join addresses that sent the same uncommon user agent.
    let uncommon = |r: &Req| r.shape.is_none() && !r.ua.is_empty() && !r.ua.starts_with("Mozilla/");
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut by_ua: HashMap<String, usize> = HashMap::new();
    for (g, list) in groups.iter().enumerate() {
        for r in list.iter().filter(|r| uncommon(r)) {
            match by_ua.get(&r.ua) {
                Some(&h) => {
                    let (a, b) = (root(&mut parent, g), root(&mut parent, h));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    by_ua.insert(r.ua.clone(), g);
                }
            }
        }
    }
    let mut joined: BTreeMap<usize, Vec<Req>> = BTreeMap::new();
    for (g, list) in groups.into_iter().enumerate() {
        let r = root(&mut parent, g);
        joined.entry(r).or_default().extend(list);
    }
    joined
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|r| (r.time, r.idx));
            v
        })
        .collect()
}

fn actor(
    host: &str,
    shell: &str,
    reqs: &[Req],
    findings: &[Finding],
    maps: &AccessMappings,
) -> ShellActor {
    let mut ips = BTreeSet::new();
    let mut uas = BTreeSet::new();
    let mut clients = Vec::new();
    let mut methods = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    let mut used = false;
    for r in reqs {
        if !r.ip.is_empty() {
            ips.insert(r.ip.clone());
        }
        if !r.ua.is_empty() {
            uas.insert(r.ua.clone());
        }
        let name = r
            .shape
            .map(|s| maps.clients[s].name.clone())
            .unwrap_or_else(|| "unidentified client".into());
        if !clients.contains(&name) {
            clients.push(name);
        }
        *methods.entry(r.method.clone()).or_insert(0) += 1;
        *statuses.entry(r.status.clone()).or_insert(0) += 1;
        used |= status_matches(&r.status, &maps.use_status);
    }
    ShellActor {
        host: host.to_string(),
        shell: shell.to_string(),
        actor: 0,
        role: if used {
            ActorRole::Use
        } else {
            ActorRole::Probe
        },
        client_ips: ips.into_iter().collect(),
        user_agents: uas.into_iter().collect(),
        clients,
        methods,
        statuses,
        first: reqs.iter().filter_map(|r| r.time).min(),
        last: reqs.iter().filter_map(|r| r.time).max(),
        requests: reqs.len() as u64,
        story: None,
        evidence: reqs
            .iter()
            .take(MAX_EVIDENCE_REFS)
            .map(|r| EvidenceRef::of(&findings[r.idx]))
            .collect(),
        evidence_total: reqs.len() as u64,
    }
}

/// The mass-probing finding of one host, when the probes reach the mapping's thresholds.
fn probing(reqs: &[Req], findings: &[Finding], maps: &AccessMappings) -> Option<Finding> {
    let meta = maps.probing_meta.as_ref()?;
    let mut names: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in reqs {
        let path = findings[r.idx].url_path.as_deref().unwrap_or("");
        names
            .entry(r.ip.as_str())
            .or_default()
            .insert(path.to_ascii_lowercase());
    }
    let most = names.values().map(BTreeSet::len).max().unwrap_or(0);
    if names.len() < maps.probe_min_addresses && most < maps.probe_min_names {
        return None;
    }
    let all: BTreeSet<&String> = names.values().flatten().collect();
    let published = all
        .iter()
        .filter(|p| {
            let file = p.rsplit('/').next().unwrap_or(p);
            maps.published_names.iter().any(|n| n == file)
        })
        .count();
    let (top_ip, top) = names
        .iter()
        .max_by_key(|(ip, n)| (n.len(), std::cmp::Reverse(*ip)))
        .expect("at least one address");
    let anchor = reqs
        .iter()
        .filter(|r| r.ip == *top_ip)
        .min_by_key(|r| (r.time, r.idx))?;
    let first = reqs.iter().filter_map(|r| r.time).min();
    let last = reqs.iter().filter_map(|r| r.time).max();
    let mut notes = vec![format!(
        "{} address(es) requested {} web-shell path(s) that were not there ({} of them published shell names), {} request(s){}",
        names.len(),
        all.len(),
        published,
        reqs.len(),
        match (first, last) {
            (Some(a), Some(b)) => format!(", {} → {}", a.format("%Y-%m-%d %H:%M:%S"), b.format("%Y-%m-%d %H:%M:%S")),
            _ => String::new(),
        }
    )];
    notes.push(format!(
        "most active: {top_ip} with {} name(s): {}",
        top.len(),
        top.iter().take(12).cloned().collect::<Vec<_>>().join(", ")
    ));
    let mut others: Vec<&&str> = names.keys().filter(|ip| **ip != *top_ip).collect();
    others.truncate(20);
    if !others.is_empty() {
        notes.push(format!(
            "other probing addresses: {}",
            others
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(derived(&findings[anchor.idx], meta, notes))
}

/// A finding of the analysis, anchored on the log line that shows it best.
fn derived(anchor: &Finding, meta: &Arc<RuleMeta>, notes: Vec<String>) -> Finding {
    let mut f = anchor.clone();
    f.rule = Arc::clone(meta);
    f.severity = meta.severity;
    f.outcome = Outcome::Unknown;
    f.notes = notes;
    f.story = None;
    f
}
