//! How a rule and a group of its findings are named for people (console, HTML): community Sigma
//! rules by their title rather than their UUID (JSONL keeps the `SIGMA-<uuid>` id), and counts
//! that treat one request seen in several logs (IIS and HttpProxy, joined by request id) as one.

use std::collections::BTreeSet;

use exhunt_core::rules::RuleMeta;
use exhunt_core::Finding;

/// True for a community Sigma rule (`--sigma`).
pub fn is_sigma(meta: &RuleMeta) -> bool {
    meta.id.starts_with("SIGMA-")
}

/// The short label shown before a rule's title: its id, or `Sigma` for a Sigma rule whose id is
/// a UUID that tells a reader nothing.
pub fn short_id(meta: &RuleMeta) -> &str {
    if is_sigma(meta) {
        "Sigma"
    } else {
        &meta.id
    }
}

/// How many findings `list` holds when a rule's findings on one request (same host and request
/// id: the same request recorded by IIS and by HttpProxy) count once.
pub fn distinct(list: &[&Finding]) -> usize {
    let mut requests = BTreeSet::new();
    let mut others = 0;
    for f in list {
        match &f.request_id {
            Some(r) => {
                requests.insert((f.rule.id.as_str(), f.host.as_str(), r.as_str()));
            }
            None => others += 1,
        }
    }
    requests.len() + others
}

/// `by <author>; <first reference>` for rules that name their author (Sigma, YARA), as the Sigma
/// licence asks of tools that use its rules.
pub fn attribution(meta: &RuleMeta) -> Option<String> {
    let author = meta.author.as_deref()?.trim();
    if author.is_empty() {
        return None;
    }
    Some(match meta.references.first() {
        Some(r) => format!("by {author}; see {r}"),
        None => format!("by {author}"),
    })
}
