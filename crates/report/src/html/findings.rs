//! Every finding, grouped per rule: a collapsed `<details>` per rule with its explanation
//! (what it detects, what to do, CVEs, ATT&CK, campaign tags), where it matched, and the
//! findings with their evidence. Large scans stay small: rows are capped per rule and in
//! total (the most severe first), evidence is cut, and what is not listed is counted.

use std::collections::BTreeMap;
use std::fmt::Write;

use exhunt_core::model::{Location, Outcome};
use exhunt_core::{Finding, ScanReport, Severity};

use super::escape::{cap, esc};
use super::util::{chips, count, moment_badges, sev, span, stage, time_opt};
use super::HtmlOptions;
use crate::moments;

struct Group<'a> {
    rule_id: &'a str,
    members: Vec<usize>,
    severity: Severity,
    first: Option<chrono::DateTime<chrono::Utc>>,
    last: Option<chrono::DateTime<chrono::Utc>>,
}

/// A reference becomes a link only if it is a plain http(s) URL from a rule file; evidence
/// never becomes a link.
fn reference(s: &mut String, url: &str) {
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| {
            c.is_whitespace() || c.is_control() || c == '"' || c == '\'' || c == '<' || c == '>'
        });
    if safe {
        let _ = write!(
            s,
            "<a href=\"{0}\" rel=\"noreferrer noopener\" target=\"_blank\">{0}</a><br>",
            esc(url)
        );
    } else {
        let _ = write!(s, "<span class=\"mono\">{}</span><br>", esc(url));
    }
}

fn top<'a>(values: impl Iterator<Item = &'a str>, n: usize) -> (Vec<(&'a str, usize)>, usize) {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    let distinct = m.len();
    let mut v: Vec<(&str, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(n);
    (v, distinct)
}

/// The findings section.
pub(crate) fn section(s: &mut String, r: &ScanReport, o: &HtmlOptions) {
    let _ = write!(s, "<section id=\"findings\"><h2>Findings by rule</h2>");
    if r.findings.is_empty() {
        s.push_str("<p>No rule matched.</p></section>");
        return;
    }
    let mut by_rule: BTreeMap<&str, Group> = BTreeMap::new();
    for (i, f) in r.findings.iter().enumerate() {
        let g = by_rule.entry(f.rule.id.as_str()).or_insert_with(|| Group {
            rule_id: f.rule.id.as_str(),
            members: Vec::new(),
            severity: Severity::Info,
            first: None,
            last: None,
        });
        g.members.push(i);
        g.severity = g.severity.max(f.severity);
        if let Some(t) = f.timestamp {
            g.first = Some(g.first.map_or(t, |x| x.min(t)));
            g.last = Some(g.last.map_or(t, |x| x.max(t)));
        }
    }
    let mut groups: Vec<Group> = by_rule.into_values().collect();
    groups.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first.cmp(&b.first))
            .then(a.rule_id.cmp(b.rule_id))
    });
    let _ = write!(
        s,
        "<p>{} finding(s) from {} rule(s), most severe first. Open a rule to read what it detects, what to do, and its evidence.</p>",
        count(r.findings.len() as u64),
        groups.len()
    );
    s.push_str("<div class=\"toolbar\" id=\"finding-tools\" hidden><input type=\"search\" id=\"finding-filter\" placeholder=\"Filter rules and evidence (address, path, CVE, text)…\" aria-label=\"Filter findings\">\
<label>at least <select id=\"finding-min\"><option value=\"info\">info</option><option value=\"low\">low</option><option value=\"medium\">medium</option><option value=\"high\">high</option><option value=\"critical\">critical</option></select></label>\
<button type=\"button\" id=\"expand-all\">Expand all</button><button type=\"button\" id=\"collapse-all\">Collapse all</button><span class=\"small muted\" id=\"finding-count\"></span></div>");
    let moments = moments::per_host(&r.findings);
    let mut budget = o.max_rows_total;
    let mut not_listed_total = 0usize;
    for g in &groups {
        let meta = &r.findings[g.members[0]].rule;
        let members: Vec<&Finding> = g.members.iter().map(|&i| &r.findings[i]).collect();
        let requests = crate::rulelabel::distinct(&members);
        let times = if requests < members.len() {
            format!(
                "{}× ({} log lines: one request in IIS and HttpProxy counts once)",
                count(requests as u64),
                count(members.len() as u64)
            )
        } else {
            format!("{}×", count(members.len() as u64))
        };
        let _ = write!(
            s,
            "<details class=\"rule\" data-sev=\"{}\"><summary>{}<span class=\"t\"><span class=\"mono\">{}</span> {}</span><span class=\"c\">{} · {} UTC</span></summary><div class=\"body\">",
            g.severity.as_str(),
            sev(g.severity),
            esc(crate::rulelabel::short_id(meta)),
            esc(&meta.title),
            times,
            span(g.first, g.last)
        );
        let _ = write!(
            s,
            "<dl class=\"explain\"><dt>What it detects</dt><dd>{}</dd><dt>What to do</dt><dd>{}</dd><dt>Stage</dt><dd>{}</dd><dt>CVEs</dt><dd>{}</dd><dt>MITRE ATT&amp;CK</dt><dd>{}</dd><dt>Campaign tags</dt><dd>{}</dd>",
            esc(&meta.description),
            esc(&meta.remediation),
            stage(meta.stage),
            chips("cve", &meta.cves),
            chips("attack", &meta.attack),
            chips("tag", &meta.tags),
        );
        if crate::rulelabel::is_sigma(meta) {
            let _ = write!(
                s,
                "<dt>Rule id</dt><dd class=\"mono small\">{}</dd>",
                esc(g.rule_id)
            );
        }
        if let Some(a) = meta.author.as_deref().filter(|a| !a.trim().is_empty()) {
            let _ = write!(s, "<dt>Author</dt><dd>{}</dd>", esc(a));
        }
        if !meta.references.is_empty() {
            s.push_str("<dt>References</dt><dd class=\"small\">");
            for u in &meta.references {
                reference(s, u);
            }
            s.push_str("</dd>");
        }
        let _ = write!(
            s,
            "<dt>Rule source</dt><dd class=\"mono small\">{}</dd>",
            esc(&meta.origin)
        );
        // Where it matched, in aggregate (useful when rows are capped).
        let (ips, n_ips) = top(
            g.members
                .iter()
                .filter_map(|&i| r.findings[i].client_ip.as_deref()),
            10,
        );
        if n_ips > 0 {
            let list: Vec<String> = ips.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            let _ = write!(
                s,
                "<dt>Client addresses</dt><dd class=\"mono small\">{}{}</dd>",
                super::util::toks(list.iter().map(String::as_str), ", "),
                if n_ips > ips.len() {
                    format!(" … {n_ips} distinct")
                } else {
                    String::new()
                }
            );
        }
        let (files, n_files) = top(g.members.iter().map(|&i| r.findings[i].path.as_str()), 5);
        let list: Vec<String> = files.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        let _ = write!(
            s,
            "<dt>Files</dt><dd class=\"mono small\">{}{}</dd></dl>",
            esc(&list.join("\n")).to_string().replace('\n', "<br>"),
            if n_files > files.len() {
                format!("<br>… {n_files} distinct files")
            } else {
                String::new()
            }
        );

        // The rows: the most severe first, then the earliest; shown in time order.
        let limit = o.max_rows_per_rule.min(budget);
        let mut pick: Vec<usize> = g.members.clone();
        if pick.len() > limit {
            pick.sort_by(|&a, &b| {
                r.findings[b]
                    .severity
                    .cmp(&r.findings[a].severity)
                    .then(a.cmp(&b))
            });
            pick.truncate(limit);
            pick.sort();
        }
        budget -= pick.len();
        let hidden = g.members.len() - pick.len();
        not_listed_total += hidden;
        if !pick.is_empty() {
            s.push_str("<table class=\"small\"><thead><tr><th>Time (UTC)</th><th>Host</th><th>Client</th><th>Where</th><th>Severity</th></tr></thead><tbody>");
            for &i in &pick {
                row(
                    s,
                    &r.findings[i],
                    moments
                        .get(r.findings[i].host.as_str())
                        .map(|k| k.labels(i))
                        .unwrap_or_default(),
                    o,
                );
            }
            s.push_str("</tbody></table>");
        }
        if hidden > 0 {
            let _ = write!(
                s,
                "<p class=\"note\">{} more finding(s) of this rule are counted above but not listed here, to keep the report small. The JSONL and CSV timeline outputs list them all.</p>",
                count(hidden as u64)
            );
        }
        s.push_str("</div></details>");
    }
    if not_listed_total > 0 {
        let _ = write!(
            s,
            "<p class=\"note\">In all, {} of {} findings are listed with their evidence (at most {} per rule, {} in total).</p>",
            count((r.findings.len() - not_listed_total) as u64),
            count(r.findings.len() as u64),
            o.max_rows_per_rule,
            o.max_rows_total
        );
    }
    s.push_str("</section>");
}

fn row(s: &mut String, f: &Finding, labels: Vec<&'static str>, o: &HtmlOptions) {
    let at = match f.location {
        Location::Line { line } => format!("{}:{line}", f.path),
        Location::Record { record_id } => format!("{} record {record_id}", f.path),
        Location::File => f.path.clone(),
    };
    let outcome = match f.outcome {
        Outcome::Success => " · <b>succeeded</b>",
        Outcome::Failure => " · failed",
        Outcome::Unknown => "",
    };
    let _ = write!(
        s,
        "<tr{}><td class=\"nowrap\">{}{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}<span class=\"muted\"> ({}{outcome})</span></td><td>{}</td></tr>",
        if labels.is_empty() { "" } else { " class=\"key\"" },
        esc(&time_opt(f.timestamp)),
        moment_badges(&labels),
        esc(&f.host),
        super::util::tok(f.client_ip.as_deref().unwrap_or("—")),
        esc(&cap(&at, 300)),
        f.source.as_str(),
        sev(f.severity)
    );
    s.push_str("<tr><td colspan=\"5\">");
    if let Some(u) = &f.url_path {
        let _ = write!(
            s,
            "<span class=\"muted\">URL path:</span> <span class=\"mono\">{}</span> ",
            esc(&cap(u, 300))
        );
    }
    if !f.extra.is_empty() {
        // Short facts (hashes, sizes, times) are tokens that never wrap inside.
        let mut budget = 600usize;
        let mut facts: Vec<String> = Vec::new();
        for (k, v) in &f.extra {
            let text = match v {
                serde_json::Value::String(x) => format!("{k}={x}"),
                other => format!("{k}={other}"),
            };
            if budget == 0 {
                break;
            }
            let text = cap(&text, budget).into_owned();
            budget = budget.saturating_sub(text.len());
            facts.push(if text.len() <= 90 {
                super::util::tok(&text)
            } else {
                esc(&text).to_string()
            });
        }
        let _ = write!(
            s,
            "<br><span class=\"muted\">facts:</span> <span class=\"mono\">{}</span>",
            facts.join("  ")
        );
    }
    for n in &f.notes {
        let _ = write!(
            s,
            "<br><span class=\"muted\">note:</span> {}",
            esc(&cap(n, 300))
        );
    }
    let _ = write!(
        s,
        "<pre class=\"ev\">{}</pre></td></tr>",
        esc(&cap(&f.evidence, o.max_evidence_chars))
    );
}
