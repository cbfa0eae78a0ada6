//! The fleet page: one self-contained HTML file (the same style, script, Content-Security-Policy
//! and escaping as the single-server report) with the organisation table, a server × day heat
//! strip of exploitation and intrusion activity, the indicators with their spread, the
//! clusters, one section per server (worst first) and the inputs that could not be used.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;

use chrono::{Duration, NaiveDate};
use exhunt_core::VerdictLevel;
use exhunt_fleet::fleet::FleetHost;
use exhunt_fleet::Fleet;

use super::{org_label, FleetWriter};
use crate::html::escape::{cap, esc};
use crate::html::util::{count, sev, stage, time, time_opt, verdict_badge_class, verdict_class};
use crate::html::{content_security_policy, HtmlOptions, SCRIPT, STYLE};

/// Most rows of the heat strip.
const MAX_STRIP_ROWS: usize = 80;
/// Most indicators in the table.
const MAX_INDICATORS: usize = 300;

/// Writes the fleet page.
pub struct FleetHtmlWriter<W: Write> {
    out: W,
    options: HtmlOptions,
}

impl<W: Write> FleetHtmlWriter<W> {
    /// A writer over `out` (title and TLP label from `options`).
    pub fn new(out: W, options: HtmlOptions) -> Self {
        FleetHtmlWriter { out, options }
    }
}

fn host_link(f: &Fleet, i: usize) -> String {
    format!(
        "<a href=\"#srv-{i}\">{}</a>",
        esc(&cap(&f.hosts[i].label(), 80))
    )
}

fn badge(v: VerdictLevel) -> String {
    format!(
        "<span class=\"sev {}\">{}</span>",
        verdict_badge_class(v),
        esc(v.as_str())
    )
}

impl<W: Write> FleetWriter for FleetHtmlWriter<W> {
    fn write_fleet(&mut self, f: &Fleet) -> std::io::Result<()> {
        let html = render(f, &self.options);
        self.out.write_all(html.as_bytes())?;
        self.out.flush()
    }
}

fn render(f: &Fleet, o: &HtmlOptions) -> String {
    let mut s = String::with_capacity(64 * 1024 + f.hosts.len() * 600);
    let n = |v: VerdictLevel| f.hosts.iter().filter(|h| h.verdict == v).count();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"generator\" content=\"exhunt {}\">\
<title>{} — fleet of {} server(s)</title><style>{STYLE}</style></head><body>",
        esc(&content_security_policy()),
        esc(f.version),
        esc(&o.title),
        f.hosts.len()
    );
    let _ = write!(
        s,
        "<header class=\"top\"><div class=\"wrap\"><div><h1>{}</h1><div class=\"sub\">Fleet view · {} server(s) in {} organisation(s) · {} input(s) · {} indicator(s) · {} cluster(s)</div></div><div class=\"meta\">",
        esc(&o.title),
        f.hosts.len(),
        f.orgs.len(),
        f.inputs,
        count(f.indicators.len() as u64),
        f.clusters.len()
    );
    if let Some(c) = &o.classification {
        let _ = write!(s, "<span class=\"tlp\">{}</span><br>", esc(c));
    }
    let _ = write!(
        s,
        "Generated {} UTC<br>exhunt {}</div></div></header>",
        time(f.finished),
        esc(f.version)
    );
    s.push_str("<nav class=\"toc\"><div class=\"wrap\"><a href=\"#summary\">Summary</a><a href=\"#activity\">Activity</a><a href=\"#indicators\">Indicators</a><a href=\"#clusters\">Clusters</a><a href=\"#servers\">Servers</a><a href=\"#inputs\">Inputs</a><a href=\"#method\">Method</a></div></nav>");
    s.push_str("<main><div class=\"wrap\">");

    // Summary: banner and organisation table.
    let worst = f.worst();
    let _ = write!(
        s,
        "<section id=\"summary\"><h2>Summary</h2><div class=\"verdict {}\"><div class=\"lvl\">{}</div><div class=\"host\">{} of {} server(s)</div><div class=\"why\">{} compromised, {} with exploitation attempts, {} without evidence of compromise in what was read, {} not assessable (their evidence cannot rule out a compromise).</div></div>",
        verdict_class(worst),
        esc(worst.as_str()),
        n(worst),
        f.hosts.len(),
        n(VerdictLevel::Compromised),
        n(VerdictLevel::ExploitationAttempted),
        n(VerdictLevel::NoEvidence),
        n(VerdictLevel::NotAssessable),
    );
    s.push_str("<h3 id=\"organisations\">Organisations</h3><table><thead><tr><th>Organisation</th><th class=\"num\">Servers</th><th class=\"num\">Compromised</th><th class=\"num\">Attempted</th><th class=\"num\">No evidence</th><th class=\"num\">Not assessable</th><th class=\"num\" title=\"Named mailboxes intruder activity reached; 'all' where code ran with a server's rights\">Mailboxes reached</th><th>Earliest compromise (UTC)</th></tr></thead><tbody>");
    for org in &f.orgs {
        let _ = write!(
            s,
            "<tr><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}</td></tr>",
            badge(org.worst()),
            esc(org_label(&org.org)),
            org.servers,
            org.compromised,
            org.attempted,
            org.no_evidence,
            org.not_assessable,
            match (org.mailboxes_reached, org.all_mail_reachable) {
                (0, 0) => "—".to_string(),
                (n, 0) => n.to_string(),
                (0, a) => format!("all, on {a} server(s)"),
                (n, a) => format!("{n} · all, on {a} server(s)"),
            },
            match &org.earliest_compromise {
                Some((t, h)) => format!("{} ({})", time(*t), esc(&cap(h, 60))),
                None => "—".into(),
            }
        );
    }
    s.push_str("</tbody></table></section>");

    activity(&mut s, f);
    indicators(&mut s, f);
    clusters(&mut s, f);
    servers(&mut s, f);
    inputs(&mut s, f);
    s.push_str("<section id=\"method\"><h2>How to read this page</h2><div class=\"card small\">\
<p><b>Verdicts</b> are per server, as in the single-server report. <i>Not assessable</i>: nothing of weight was found, but the evidence cannot support “no evidence found” — the server had no logs at all, or its installed build lacks fixes for CVEs exploited in the wild and its web logs (IIS, HttpProxy) do not reach back to when that exposure began (the later of the first public report of exploitation and the build's release). Treat these servers as unknown, not clean.</p>\
<p><b>Indicators</b> come from findings of medium severity or more: client addresses, user agents, web-shell URL paths and file names, file SHA-256, mailbox-export paths. Private, loopback and other non-routable addresses, the servers' own addresses and addresses (and user agents) that also appear as ordinary users' clients are not indicators; the Inputs section lists what was left out. Indicators are sorted by the number of servers they were seen on.</p>\
<p><b>Clusters</b> group servers that share an attacker address, a web-shell path or name, or a file hash. “Matches published indicators of” names a campaign whose published indicators match; “uses techniques published for” means only a rule tag matched. Neither is an attribution.</p>\
<p>Everything from the evidence is shown as text; nothing in this page is loaded from the network.</p></div></section>");
    s.push_str("</div></main>");
    let _ = write!(
        s,
        "<footer><div class=\"wrap\">Generated by exhunt {} from {} input(s), {} – {} UTC. This page is self-contained: it loads nothing from the network. Times are UTC.</div></footer>",
        esc(f.version),
        f.inputs,
        time(f.started),
        time(f.finished)
    );
    let _ = writeln!(s, "<script>{SCRIPT}</script></body></html>");
    s
}

/// The server × day heat strip (SVG; readable without scripts).
fn activity(s: &mut String, f: &Fleet) {
    s.push_str("<section id=\"activity\"><h2>Exploitation and intrusion over time</h2>");
    let rows: Vec<(usize, &FleetHost)> = f
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.activity.is_empty())
        .take(MAX_STRIP_ROWS)
        .collect();
    if rows.is_empty() {
        s.push_str("<p class=\"muted\">No exploitation or intrusion activity with a recorded time.</p></section>");
        return;
    }
    let first: NaiveDate = rows
        .iter()
        .filter_map(|(_, h)| h.activity.keys().next().copied())
        .min()
        .expect("rows have activity");
    let last: NaiveDate = rows
        .iter()
        .filter_map(|(_, h)| h.activity.keys().next_back().copied())
        .max()
        .expect("rows have activity");
    let days = (last - first).num_days() + 1;
    let bucket = ((days + 119) / 120).max(1); // at most 120 columns
    let cols = ((days + bucket - 1) / bucket) as usize;
    let (label_w, cell, row_h) = (230usize, (760 / cols).clamp(4, 24), 16usize);
    let width = label_w + cols * cell + 10;
    let height = rows.len() * row_h + 30;
    let _ = write!(
        s,
        "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Exploitation and intrusion per server and {}\">",
        if bucket == 1 { "day".to_string() } else { format!("{bucket} days") }
    );
    for (r, (i, h)) in rows.iter().enumerate() {
        let y = r * row_h + 4;
        let _ = write!(
            s,
            "<a href=\"#srv-{i}\"><text x=\"0\" y=\"{}\" font-size=\"11\" fill=\"#1c2430\">{}</text></a>",
            y + 11,
            esc(&cap(&h.label(), 34))
        );
        let mut cellsum: std::collections::BTreeMap<usize, (u32, u32)> = Default::default();
        for (d, (e, b)) in &h.activity {
            let c = ((*d - first).num_days() / bucket) as usize;
            let x = cellsum.entry(c).or_default();
            x.0 += e;
            x.1 += b;
        }
        for (c, (e, b)) in cellsum {
            let color = if b > 0 { "#c0262d" } else { "#e07b00" };
            let day = first + Duration::days(c as i64 * bucket);
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{color}\"><title>{} {}: {e} exploitation, {b} intrusion finding(s)</title></rect>",
                label_w + c * cell,
                cell.saturating_sub(1).max(2),
                row_h - 3,
                esc(&h.label()),
                day
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{label_w}\" y=\"{}\" font-size=\"11\" fill=\"#5b6776\">{first}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#5b6776\" text-anchor=\"end\">{last}</text></svg>",
        height - 6,
        width - 10,
        height - 6
    );
    let more = f.hosts.iter().filter(|h| !h.activity.is_empty()).count();
    let _ = write!(
        s,
        "<div class=\"legend\">One row per server with activity (worst first{}); one column per {}. Orange: exploitation findings; red: backdoor or later-stage findings. Hover a cell for counts; click a server for its section.</div></div></section>",
        if more > rows.len() { format!(", first {} of {more}", rows.len()) } else { String::new() },
        if bucket == 1 { "day".to_string() } else { format!("{bucket} days") }
    );
}

fn indicators(s: &mut String, f: &Fleet) {
    let _ = write!(
        s,
        "<section id=\"indicators\"><h2>Campaign indicators</h2><p>{} indicator(s), widest spread first{}. The complete list is in the JSONL, CSV (<span class=\"mono\">--indicators</span>) and STIX (<span class=\"mono\">--stix</span>) outputs.</p>",
        count(f.indicators.len() as u64),
        if f.indicators.len() > MAX_INDICATORS { format!("; the first {MAX_INDICATORS} are shown") } else { String::new() }
    );
    if f.indicators.is_empty() {
        s.push_str("</section>");
        return;
    }
    s.push_str("<table><thead><tr><th>Type</th><th>Value</th><th class=\"num\">Servers</th><th class=\"num\">Orgs</th><th>First seen</th><th>Last seen</th><th>Rules</th><th>Seen on</th></tr></thead><tbody>");
    for i in f.indicators.iter().take(MAX_INDICATORS) {
        let hosts: Vec<String> = i.hosts.iter().take(8).map(|&h| host_link(f, h)).collect();
        let _ = write!(
            s,
            "<tr><td class=\"nowrap\">{}</td><td class=\"mono\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"mono small\">{}</td><td class=\"small\">{}{}</td></tr>",
            esc(i.kind.label()),
            esc(&cap(&i.value, 200)),
            if i.campaigns.is_empty() { String::new() } else { format!(" <span class=\"chip tag\">published: {}</span>", esc(&i.campaigns.join(", "))) },
            i.hosts.len(),
            i.orgs.len(),
            time_opt(i.first),
            time_opt(i.last),
            esc(&i.rules.join(", ")),
            hosts.join(", "),
            if i.hosts.len() > 8 { format!(" and {} more", i.hosts.len() - 8) } else { String::new() }
        );
    }
    s.push_str("</tbody></table></section>");
}

fn clusters(s: &mut String, f: &Fleet) {
    s.push_str("<section id=\"clusters\"><h2>Clusters</h2>");
    if f.clusters.is_empty() {
        s.push_str("<p class=\"muted\">No two servers share an attacker address, a web shell or a file.</p></section>");
        return;
    }
    for c in &f.clusters {
        let hosts: Vec<String> = c.hosts.iter().take(50).map(|&h| host_link(f, h)).collect();
        let links: Vec<String> = c
            .linked_by
            .iter()
            .take(12)
            .map(|&k| {
                format!(
                    "{} <span class=\"mono\">{}</span> ({} servers)",
                    esc(f.indicators[k].kind.label()),
                    esc(&cap(&f.indicators[k].value, 120)),
                    f.indicators[k].hosts.len()
                )
            })
            .collect();
        let _ = write!(
            s,
            "<div class=\"card\"><h3>Cluster {}: {} server(s) in {} organisation(s)</h3><p>{}{}</p><p class=\"small\">Tied by: {}</p><p class=\"small\">Activity of the shared indicators: {} → {}</p><ul>",
            c.id,
            c.hosts.len(),
            c.orgs.len(),
            hosts.join(", "),
            if c.hosts.len() > 50 { format!(" and {} more", c.hosts.len() - 50) } else { String::new() },
            links.join("; "),
            time_opt(c.first),
            time_opt(c.last)
        );
        for m in &c.campaigns {
            let _ = write!(s, "<li>{}</li>", esc(&m.wording()));
        }
        if c.campaigns.is_empty() {
            s.push_str("<li class=\"muted\">no published campaign matches</li>");
        }
        s.push_str("</ul></div>");
    }
    s.push_str("</section>");
}

fn servers(s: &mut String, f: &Fleet) {
    s.push_str("<section id=\"servers\"><h2>Servers, worst first</h2>");
    let mut rest = Vec::new();
    for (i, h) in f.hosts.iter().enumerate() {
        if h.verdict == VerdictLevel::NoEvidence || !h.detailed {
            rest.push(i);
            continue;
        }
        server(s, f, i, h);
    }
    if !rest.is_empty() {
        s.push_str("<h3>Other servers</h3><table><thead><tr><th>Server</th><th>Verdict</th><th>Reason</th><th>Logs from (UTC)</th><th>Logs to (UTC)</th><th>Build</th></tr></thead><tbody>");
        for i in rest {
            let h = &f.hosts[i];
            let _ = write!(
                s,
                "<tr id=\"srv-{i}\"><td>{}</td><td>{}</td><td class=\"small\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"mono small\">{}</td></tr>",
                esc(&cap(&h.label(), 80)),
                badge(h.verdict),
                esc(&cap(&h.reason, 400)),
                time_opt(h.log_span.0),
                time_opt(h.log_span.1),
                esc(&h.build.as_ref().map(|b| format!("{} ({})", b.version, b.exposure)).unwrap_or_else(|| "—".into()))
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>");
}

fn kpi(s: &mut String, k: &str, v: &str, d: &str) {
    let _ = write!(
        s,
        "<div class=\"kpi\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"d mono\">{}</div></div>",
        esc(k),
        esc(v),
        esc(d)
    );
}

fn server(s: &mut String, f: &Fleet, i: usize, h: &FleetHost) {
    let _ = write!(
        s,
        "<section id=\"srv-{i}\" class=\"card\"><h3>{}</h3><div class=\"verdict {}\"><div class=\"lvl\">{}</div><div class=\"host\">Organisation <b>{}</b> · server <b>{}</b></div><div class=\"why\">{}</div></div><div class=\"grid\">",
        esc(&cap(&h.label(), 120)),
        verdict_class(h.verdict),
        esc(h.verdict.as_str()),
        esc(org_label(&h.org)),
        esc(&cap(&h.host, 120)),
        esc(&h.reason)
    );
    let m = &h.moments;
    if let Some(t) = m.first_exploitation.or(m.first_attempt) {
        kpi(
            s,
            if m.first_exploitation.is_some() {
                "First exploitation"
            } else {
                "First exploitation attempt"
            },
            &format!("{} UTC", time(t)),
            "",
        );
    }
    if let Some(t) = m.first_backdoor {
        kpi(s, "First backdoor access", &format!("{} UTC", time(t)), "");
    }
    if !h.web_shells.is_empty() {
        kpi(
            s,
            "Web shells",
            &h.web_shells.len().to_string(),
            &h.web_shells
                .iter()
                .take(6)
                .map(|w| cap(w, 80).into_owned())
                .collect::<Vec<_>>()
                .join(" · "),
        );
    }
    if !h.mail_reached.is_empty() {
        let named: Vec<String> = h
            .mail_reached
            .iter()
            .filter(|m| m.is_named())
            .take(8)
            .map(|m| format!("{} ({})", cap(&m.mailbox, 80), m.methods.join(", ")))
            .collect();
        let mut detail = named.join(" · ");
        if h.all_mail_reachable() {
            if !detail.is_empty() {
                detail.push_str(" · ");
            }
            detail.push_str("every mailbox was reachable: code ran with the server's rights");
        }
        kpi(
            s,
            "Mailboxes reached",
            &if h.all_mail_reachable() {
                format!("{} named, all reachable", h.mailboxes_reached())
            } else {
                h.mailboxes_reached().to_string()
            },
            &detail,
        );
    }
    if !h.attacker_ips.is_empty() {
        kpi(
            s,
            "Attacker addresses",
            &h.attacker_ips.len().to_string(),
            &h.attacker_ips
                .iter()
                .take(8)
                .map(|w| cap(w, 60).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(b) = &h.build {
        kpi(
            s,
            "Installed build",
            &format!("{} — {}", b.version, b.exposure),
            &format!(
                "{}{}",
                b.name.as_deref().unwrap_or(""),
                if b.missing_fixes.is_empty() {
                    String::new()
                } else {
                    format!("; missing {}", b.missing_fixes.join(", "))
                }
            ),
        );
    } else {
        kpi(s, "Installed build", "not known", "");
    }
    kpi(
        s,
        "Logs cover (UTC)",
        &format!("{} → {}", time_opt(h.log_span.0), time_opt(h.log_span.1)),
        &if h.missing_sources.is_empty() {
            String::new()
        } else {
            format!(
                "missing: {}",
                h.missing_sources
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
    s.push_str("</div>");
    if let Some(c) = h.cluster {
        let _ = write!(
            s,
            "<p>Part of <a href=\"#clusters\">cluster {}</a> ({} servers).</p>",
            f.clusters[c].id,
            f.clusters[c].hosts.len()
        );
    }
    if !h.campaigns.is_empty() {
        s.push_str("<ul>");
        for c in h.campaigns.iter().take(5) {
            let _ = write!(s, "<li>{}</li>", esc(&c.wording()));
        }
        s.push_str("</ul>");
    }
    if !h.rules.is_empty() {
        s.push_str("<table><thead><tr><th>Rule</th><th>Severity</th><th>Stage</th><th class=\"num\">Findings</th><th>First (UTC)</th><th>Last (UTC)</th></tr></thead><tbody>");
        for (id, r) in h.rules.iter().take(60) {
            let _ = write!(
                s,
                "<tr><td><span class=\"mono\">{}</span> {}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td></tr>",
                esc(id),
                esc(&cap(&r.title, 160)),
                sev(r.severity),
                stage(r.stage),
                count(r.count),
                time_opt(r.first),
                time_opt(r.last)
            );
            for e in &r.examples {
                let _ = write!(
                    s,
                    "<tr class=\"example\"><td colspan=\"6\"><div class=\"small mono\">{} {}{}</div><pre>{}</pre></td></tr>",
                    time_opt(e.timestamp),
                    esc(&cap(&e.location, 200)),
                    e.client_ip.as_deref().map(|c| format!(" from {}", esc(&cap(c, 60)))).unwrap_or_default(),
                    esc(&e.evidence)
                );
            }
        }
        s.push_str("</tbody></table>");
    }
    let _ = write!(
        s,
        "<p class=\"small muted\">Scanned {} · from <span class=\"mono\">{}</span>{}</p></section>",
        time_opt(h.scanned),
        esc(&cap(&h.origin, 200)),
        if h.scan_issues > 0 {
            format!(" · {} input problem(s) in its evidence", h.scan_issues)
        } else {
            String::new()
        }
    );
}

fn inputs(s: &mut String, f: &Fleet) {
    s.push_str("<section id=\"inputs\"><h2>Inputs</h2>");
    let problems = f.problems.len() as u64 + f.problems_not_listed;
    if problems == 0 && f.duplicates.is_empty() && f.campaign_problems.is_empty() {
        s.push_str("<p>Every input was read without problems.</p>");
    }
    if problems > 0 {
        let _ = write!(s, "<h3>Could not be used ({problems})</h3><p>The rest of the fleet is reported.</p><table><thead><tr><th>Where</th><th>Kind</th><th>What</th></tr></thead><tbody>");
        for p in f.problems.iter().take(300) {
            let at = match p.line {
                Some(l) => format!("{}:{l}", p.file),
                None => p.file.clone(),
            };
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&cap(&at, 300)),
                esc(&p.kind),
                esc(&cap(&p.message, 500))
            );
        }
        s.push_str("</tbody></table>");
    }
    if !f.duplicates.is_empty() {
        s.push_str("<h3>Servers seen more than once</h3><p>The newer scan wins.</p><ul>");
        for d in &f.duplicates {
            let _ = write!(
                s,
                "<li><b>{}/{}</b>: kept <span class=\"mono\">{}</span>; dropped <span class=\"mono\">{}</span></li>",
                esc(org_label(&d.org)),
                esc(&d.host),
                esc(&d.kept),
                esc(&d.dropped.join(", "))
            );
        }
        s.push_str("</ul>");
    }
    let ex = &f.exclusions;
    let lists: [(&str, &BTreeSet<String>); 4] = [
        (
            "Private and other non-routable addresses",
            &ex.private_addresses,
        ),
        (
            "Addresses also used by ordinary users' clients",
            &ex.ordinary_user_addresses,
        ),
        ("The servers' own addresses", &ex.own_addresses),
        (
            "User agents of ordinary users' clients",
            &ex.ordinary_user_agents,
        ),
    ];
    if lists.iter().any(|(_, l)| !l.is_empty()) {
        s.push_str("<h3>Not indicators</h3><ul>");
        for (label, l) in lists {
            if !l.is_empty() {
                let _ = write!(
                    s,
                    "<li>{} ({}): <span class=\"mono\">{}</span></li>",
                    esc(label),
                    l.len(),
                    esc(&cap(
                        &l.iter().take(50).cloned().collect::<Vec<_>>().join(", "),
                        2000
                    ))
                );
            }
        }
        s.push_str("</ul>");
    }
    for p in &f.campaign_problems {
        let _ = write!(s, "<p class=\"note\">Campaign file: {}</p>", esc(p));
    }
    s.push_str("</section>");
}
