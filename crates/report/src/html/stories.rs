//! The attack stories of one host: each a collapsible card with who, what, when, and a
//! compact timeline where one row is one logged event (all rules it hit), and runs of the same
//! request are folded into one row with a count. Key moments are highlighted.

use std::fmt::Write;

use exhunt_core::correlate::Story;
use exhunt_core::{Finding, ScanReport, Severity, SourceKind};

use super::escape::{cap, esc};
use super::util::{chips, moment_badges, sev, span, stage};
use super::HtmlOptions;
use crate::moments::KeyMoments;

/// One row of a story timeline: consecutive findings of the same request shape.
struct Row<'a> {
    first: &'a Finding,
    last_time: Option<chrono::DateTime<chrono::Utc>>,
    events: usize,
    rules: Vec<&'a str>,
    severity: Severity,
    labels: Vec<&'static str>,
    sources: Vec<SourceKind>,
}

fn event_key(f: &Finding) -> (Option<chrono::DateTime<chrono::Utc>>, &str, Option<u64>) {
    (f.timestamp, f.path.as_str(), f.line())
}

fn shape(f: &Finding) -> (Option<&str>, Option<&str>) {
    (f.client_ip.as_deref(), f.url_path.as_deref())
}

fn rows<'a>(r: &'a ScanReport, members: &[usize], km: &KeyMoments) -> Vec<Row<'a>> {
    // One event per logged request: findings of the same line, or of the same Exchange request
    // id (IIS `cafeReqId` = HttpProxy `RequestId`), whichever log they came from.
    let mut events: Vec<Vec<usize>> = Vec::new();
    let mut by_request: std::collections::HashMap<&str, usize> = Default::default();
    for &i in members {
        let f = &r.findings[i];
        let req = f.request_id.as_deref().filter(|x| !x.is_empty());
        let at = match req.and_then(|x| by_request.get(x)) {
            Some(&e) => e,
            None => match events.last() {
                Some(ev) if event_key(&r.findings[ev[0]]) == event_key(f) => events.len() - 1,
                _ => {
                    events.push(Vec::new());
                    events.len() - 1
                }
            },
        };
        events[at].push(i);
        if let Some(x) = req {
            by_request.entry(x).or_insert(at);
        }
    }
    let mut out: Vec<Row<'a>> = Vec::new();
    for ev in events {
        // Show the finding that says most: the one with a client address, else the first.
        let f = ev
            .iter()
            .map(|&i| &r.findings[i])
            .find(|f| f.client_ip.is_some())
            .unwrap_or(&r.findings[ev[0]]);
        let mut rules: Vec<&str> = ev.iter().map(|&i| r.findings[i].rule.id.as_str()).collect();
        rules.sort();
        rules.dedup();
        let severity = ev
            .iter()
            .map(|&i| r.findings[i].severity)
            .max()
            .unwrap_or(Severity::Info);
        let labels: Vec<&'static str> = ev.iter().flat_map(|&i| km.labels(i)).collect();
        // Fold into the previous row when it is the same request shape and nothing is highlighted.
        if let Some(prev) = out.last_mut() {
            if labels.is_empty()
                && prev.labels.is_empty()
                && prev.rules == rules
                && shape(prev.first) == shape(f)
            {
                prev.events += 1;
                prev.last_time = f.timestamp.or(prev.last_time);
                prev.severity = prev.severity.max(severity);
                for &i in &ev {
                    let k = r.findings[i].source;
                    if !prev.sources.contains(&k) {
                        prev.sources.push(k);
                    }
                }
                continue;
            }
        }
        let mut sources: Vec<SourceKind> = ev.iter().map(|&i| r.findings[i].source).collect();
        sources.sort();
        sources.dedup();
        out.push(Row {
            first: f,
            last_time: f.timestamp,
            events: 1,
            rules,
            severity,
            labels,
            sources,
        });
    }
    out
}

/// The stories section of one host.
pub(crate) fn section(s: &mut String, r: &ScanReport, stories: &[&Story], o: &HtmlOptions) {
    let _ = write!(s, "<h3>Attack stories ({})</h3>", stories.len());
    if stories.is_empty() {
        s.push_str("<p class=\"muted\">No findings, so no stories.</p>");
        return;
    }
    // Members of each story, in report (time) order.
    let mut members: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for (i, f) in r.findings.iter().enumerate() {
        if let Some(id) = f.story {
            members.entry(id).or_default().push(i);
        }
    }
    // Detail the most severe stories; list the others in one table.
    let mut detailed: Vec<&Story> = stories.to_vec();
    detailed.sort_by(|a, b| b.max_severity.cmp(&a.max_severity).then(a.id.cmp(&b.id)));
    detailed.truncate(o.max_stories);
    detailed.sort_by_key(|st| st.id);
    let mut shown = 0usize;
    for st in &detailed {
        let list = members.get(&st.id).cloned().unwrap_or_default();
        let km = KeyMoments::of(list.iter().map(|&i| (i, &r.findings[i])));
        let open = st.max_severity >= Severity::High && shown < 3;
        if open {
            shown += 1;
        }
        let _ = write!(
            s,
            "<details class=\"story sv-{}\"{}><summary>{} Story {} — {} <span class=\"muted small\">{} UTC</span></summary><div class=\"body\">",
            st.max_severity.as_str(),
            if open { " open" } else { "" },
            sev(st.max_severity),
            st.id,
            esc(&st.title),
            span(st.first, st.last)
        );
        let stages: String = st.stages.iter().map(|x| stage(*x)).collect();
        let _ = write!(
            s,
            "<table class=\"small\"><tbody><tr><th>Stages</th><td>{stages}</td><th>Findings</th><td>{}</td></tr><tr><th>Client addresses</th><td class=\"mono\">{}</td><th>CVEs</th><td>{}</td></tr>",
            st.findings,
            if st.client_ips.is_empty() { "—".to_string() } else { super::util::toks(st.client_ips.iter().map(String::as_str), ", ") },
            chips("cve", &st.cves)
        );
        if !st.web_shells.is_empty() {
            let _ = write!(
                s,
                "<tr><th>Web shells</th><td colspan=\"3\" class=\"mono\">{}</td></tr>",
                esc(&st.web_shells.join("  ·  "))
            );
        }
        if !st.actors.is_empty() {
            let list: String = st
                .actors
                .iter()
                .map(|a| format!("<div>{}</div>", esc(&cap(a, 400))))
                .collect();
            let _ = write!(
                s,
                "<tr><th>Who used the shells</th><td colspan=\"3\" class=\"small\">{list}</td></tr>"
            );
        }
        let _ = write!(
            s,
            "<tr><th>Rules</th><td colspan=\"3\" class=\"mono\">{}</td></tr></tbody></table>",
            esc(&st.rule_ids.join(", "))
        );
        let rows = rows(r, &list, &km);
        let _ = write!(
            s,
            "<h4>Timeline of story {} ({} event row(s))</h4><table><thead><tr><th>Time (UTC)</th><th>Severity</th><th>What</th><th>Client</th><th>Seen in</th></tr></thead><tbody>",
            st.id,
            rows.len()
        );
        let cap_rows = o.max_story_rows.max(4);
        let keep: Vec<usize> = if rows.len() <= cap_rows {
            (0..rows.len()).collect()
        } else {
            // Always keep highlighted rows; fill with the earliest, and keep the last one.
            let mut k: Vec<usize> = (0..rows.len())
                .filter(|&i| !rows[i].labels.is_empty())
                .collect();
            k.push(rows.len() - 1);
            let mut i = 0;
            while k.len() < cap_rows && i < rows.len() {
                k.push(i);
                i += 1;
            }
            k.sort();
            k.dedup();
            k
        };
        let mut prev: Option<usize> = None;
        for &i in &keep {
            if let Some(p) = prev {
                if i > p + 1 {
                    let _ = write!(s, "<tr><td colspan=\"5\" class=\"muted small\">… {} row(s) not shown (see Findings) …</td></tr>", i - p - 1);
                }
            }
            prev = Some(i);
            let row = &rows[i];
            let f = row.first;
            let when = if row.events > 1 {
                format!(
                    "{}<br><span class=\"muted\">to {}</span>",
                    esc(&super::util::time_opt(f.timestamp)),
                    esc(&super::util::time_opt(row.last_time))
                )
            } else {
                esc(&super::util::time_opt(f.timestamp)).to_string()
            };
            let what = match &f.url_path {
                Some(u) => format!("<span class=\"mono\">{}</span>", esc(&cap(u, 160))),
                None => esc(&cap(&f.rule.title, 160)).to_string(),
            };
            let srcs: Vec<&str> = row.sources.iter().map(|k| k.as_str()).collect();
            let _ = write!(
                s,
                "<tr{}><td class=\"nowrap\">{when}{}</td><td>{}</td><td>{what}{}<br><span class=\"muted small mono\">{}</span></td><td class=\"mono\">{}</td><td class=\"small\">{}</td></tr>",
                if row.labels.is_empty() { "" } else { " class=\"key\"" },
                if row.events > 1 { format!("<br><span class=\"chip\">{}×</span>", row.events) } else { String::new() },
                sev(row.severity),
                moment_badges(&row.labels),
                esc(&row.rules.join(", ")),
                super::util::tok(f.client_ip.as_deref().unwrap_or("—")),
                esc(&srcs.join(", "))
            );
        }
        s.push_str("</tbody></table></div></details>");
    }
    if stories.len() > detailed.len() {
        let _ = write!(
            s,
            "<details class=\"story\"><summary>{} more, less severe stor(y/ies)</summary><div class=\"body\"><table class=\"small\"><thead><tr><th>Story</th><th>Severity</th><th>Summary</th><th>When (UTC)</th></tr></thead><tbody>",
            stories.len() - detailed.len()
        );
        for st in stories
            .iter()
            .filter(|st| !detailed.iter().any(|d| d.id == st.id))
            .take(500)
        {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td></tr>",
                st.id,
                sev(st.max_severity),
                esc(&cap(&st.title, 200)),
                span(st.first, st.last)
            );
        }
        s.push_str("</tbody></table></div></details>");
    }
}
