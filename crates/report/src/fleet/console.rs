//! The fleet view at a terminal: the organisation table first, then the servers worst first
//! (clean ones counted, not listed), then the top shared indicators, the clusters, and what
//! could not be read.

use std::io::Write;

use chrono::{DateTime, Utc};
use exhunt_core::VerdictLevel;
use exhunt_fleet::fleet::FleetHost;
use exhunt_fleet::Fleet;

use super::{org_label, FleetWriter};
use crate::console::{one_line, paint, verdict_color};

/// Writes the fleet view for people.
pub struct FleetConsoleWriter<W: Write> {
    out: W,
    color: bool,
    /// Most servers listed (worst first); the rest are counted.
    pub max_servers: usize,
    /// Most indicators listed.
    pub max_indicators: usize,
}

impl<W: Write> FleetConsoleWriter<W> {
    /// A writer over `out`, with ANSI colours when `color`.
    pub fn new(out: W, color: bool) -> Self {
        FleetConsoleWriter {
            out,
            color,
            max_servers: 100,
            max_indicators: 20,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        paint(self.color, code, text)
    }

    fn verdict(&self, v: VerdictLevel) -> String {
        self.paint(
            verdict_color(v),
            &format!("{:<22}", v.as_str().to_uppercase()),
        )
    }

    fn server(&mut self, f: &Fleet, h: &FleetHost) -> std::io::Result<()> {
        let w = &mut self.out;
        let _ = w;
        let mut facts = Vec::new();
        if let Some(t) = h.compromised_since() {
            facts.push(format!("compromised since {}", when(Some(t))));
        } else if let Some(t) = h.moments.first_attempt {
            facts.push(format!("first attempt {}", when(Some(t))));
        }
        if let Some(t) = h.moments.first_backdoor {
            facts.push(format!("first backdoor access {}", when(Some(t))));
        }
        if let Some(c) = h.cluster {
            facts.push(format!("cluster #{}", f.clusters[c].id));
        }
        let line = format!(
            "  {} {}{}",
            self.verdict(h.verdict),
            self.paint("\x1b[1m", &one_line(&h.label(), 200)),
            if facts.is_empty() {
                String::new()
            } else {
                format!("  ({})", facts.join(", "))
            }
        );
        writeln!(self.out, "{line}")?;
        writeln!(self.out, "      {}", one_line(&h.reason, 300))?;
        if !h.web_shells.is_empty() {
            writeln!(
                self.out,
                "      web shells: {}",
                one_line(&list(&h.web_shells, 5), 300)
            )?;
        }
        if let Some(mail) = mail_line(h) {
            writeln!(self.out, "      mail reached: {}", one_line(&mail, 300))?;
        }
        if !h.attacker_ips.is_empty() {
            writeln!(
                self.out,
                "      attacker addresses: {}",
                one_line(&list(&h.attacker_ips, 8), 300)
            )?;
        }
        if let Some(b) = &h.build {
            // The version comes from the evidence (a merged result file): one line, escaped.
            let line = format!(
                "build {}{}: {}{}",
                b.version,
                b.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                b.exposure,
                if b.missing_fixes.is_empty() {
                    String::new()
                } else {
                    format!(" — missing {}", list(&b.missing_fixes, 4))
                }
            );
            writeln!(self.out, "      {}", one_line(&line, 400))?;
        }
        let (a, b) = h.log_span;
        writeln!(
            self.out,
            "      logs {} → {}{}",
            when(a),
            when(b),
            if h.missing_sources.is_empty() {
                String::new()
            } else {
                format!(
                    "; missing: {}",
                    h.missing_sources
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )?;
        for m in h.campaigns.iter().filter(|m| m.by_indicator).take(2) {
            writeln!(self.out, "      {}", one_line(&m.wording(), 300))?;
        }
        Ok(())
    }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

fn list(v: &[String], max: usize) -> String {
    let mut s = v.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if v.len() > max {
        s.push_str(&format!(" and {} more", v.len() - max));
    }
    s
}

impl<W: Write> FleetWriter for FleetConsoleWriter<W> {
    fn write_fleet(&mut self, f: &Fleet) -> std::io::Result<()> {
        let n = |v: VerdictLevel| f.hosts.iter().filter(|h| h.verdict == v).count();
        writeln!(
            self.out,
            "{} {} server(s) in {} organisation(s): {} compromised, {} exploitation attempted, {} no evidence found, {} not assessable",
            self.paint("\x1b[1m", "exhunt fleet:"),
            f.hosts.len(),
            f.orgs.len(),
            n(VerdictLevel::Compromised),
            n(VerdictLevel::ExploitationAttempted),
            n(VerdictLevel::NoEvidence),
            n(VerdictLevel::NotAssessable),
        )?;
        writeln!(self.out)?;
        writeln!(self.out, "{}", self.paint("\x1b[1m", "Organisations"))?;
        let width = f
            .orgs
            .iter()
            .map(|o| org_label(&o.org).chars().count())
            .max()
            .unwrap_or(4)
            .clamp(12, 40);
        writeln!(
            self.out,
            "  {:<width$} {:>7} {:>11} {:>9} {:>11} {:>14} {:>16}  EARLIEST COMPROMISE",
            "ORGANISATION",
            "SERVERS",
            "COMPROMISED",
            "ATTEMPTED",
            "NO EVIDENCE",
            "NOT ASSESSABLE",
            "MAILBOXES"
        )?;
        for o in &f.orgs {
            writeln!(
                self.out,
                "  {:<width$} {:>7} {:>11} {:>9} {:>11} {:>14} {:>16}  {}",
                one_line(org_label(&o.org), width),
                o.servers,
                o.compromised,
                o.attempted,
                o.no_evidence,
                o.not_assessable,
                mailboxes(o),
                o.earliest_compromise
                    .as_ref()
                    .map(|(t, h)| format!("{} ({})", when(Some(*t)), one_line(h, 40)))
                    .unwrap_or_else(|| "—".into())
            )?;
        }
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{}",
            self.paint("\x1b[1m", "Servers, worst first")
        )?;
        let mut listed = 0;
        let mut clean = 0;
        for h in &f.hosts {
            if h.verdict == VerdictLevel::NoEvidence {
                clean += 1;
                continue;
            }
            if listed == self.max_servers {
                continue;
            }
            self.server(f, h)?;
            listed += 1;
        }
        let unlisted = f.hosts.len() - clean - listed;
        if unlisted > 0 {
            writeln!(self.out, "  … and {unlisted} more server(s) with findings or not assessable (see the JSONL or HTML output)")?;
        }
        if clean > 0 {
            let names: Vec<String> = f
                .hosts
                .iter()
                .filter(|h| h.verdict == VerdictLevel::NoEvidence)
                .map(|h| h.label())
                .collect();
            writeln!(
                self.out,
                "  {} {} server(s): {}",
                self.verdict(VerdictLevel::NoEvidence),
                clean,
                one_line(&list(&names, 10), 300)
            )?;
        }
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{} ({} in all)",
            self.paint("\x1b[1m", "Top shared indicators"),
            f.indicators.len()
        )?;
        if f.indicators.is_empty() {
            writeln!(self.out, "  none")?;
        } else {
            writeln!(
                self.out,
                "  {:>7} {:>5}  {:<18} {:<48} FIRST SEEN        LAST SEEN         RULES",
                "SERVERS", "ORGS", "TYPE", "VALUE"
            )?;
        }
        for i in f.indicators.iter().take(self.max_indicators) {
            writeln!(
                self.out,
                "  {:>7} {:>5}  {:<18} {:<48} {:<17} {:<17} {}",
                i.hosts.len(),
                i.orgs.len(),
                i.kind.as_str(),
                one_line(&i.value, 48),
                when(i.first),
                when(i.last),
                one_line(&i.rules.join(","), 60)
            )?;
        }
        let ex = &f.exclusions;
        let excluded = ex.private_addresses.len()
            + ex.ordinary_user_addresses.len()
            + ex.own_addresses.len()
            + ex.ordinary_user_agents.len();
        if excluded > 0 {
            writeln!(
                self.out,
                "  not indicators: {} private address(es), {} ordinary users' address(es), {} servers' own address(es), {} ordinary users' user agent(s)",
                ex.private_addresses.len(),
                ex.ordinary_user_addresses.len(),
                ex.own_addresses.len(),
                ex.ordinary_user_agents.len()
            )?;
        }
        if !f.clusters.is_empty() {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "{}",
                self.paint(
                    "\x1b[1m",
                    "Clusters (servers tied by shared infrastructure or backdoors)"
                )
            )?;
            for c in &f.clusters {
                let names: Vec<String> = c.hosts.iter().map(|&h| f.hosts[h].label()).collect();
                let links: Vec<String> = c
                    .linked_by
                    .iter()
                    .map(|&k| format!("{} {}", f.indicators[k].kind.label(), f.indicators[k].value))
                    .collect();
                writeln!(
                    self.out,
                    "  #{}: {} server(s) in {} organisation(s): {}",
                    c.id,
                    c.hosts.len(),
                    c.orgs.len(),
                    one_line(&list(&names, 8), 300)
                )?;
                writeln!(
                    self.out,
                    "      tied by {}",
                    one_line(&list(&links, 4), 300)
                )?;
                for m in c.campaigns.iter().take(3) {
                    writeln!(self.out, "      {}", one_line(&m.wording(), 300))?;
                }
            }
        }
        if !f.duplicates.is_empty() {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "{}",
                self.paint(
                    "\x1b[1m",
                    "Servers seen more than once (the newer scan wins)"
                )
            )?;
            for d in &f.duplicates {
                let line = format!(
                    "{}/{}: kept {}; dropped {}",
                    org_label(&d.org),
                    d.host,
                    d.kept,
                    d.dropped.join(", ")
                );
                writeln!(self.out, "  {}", one_line(&line, 400))?;
            }
        }
        let problems = f.problems.len() as u64 + f.problems_not_listed;
        if problems > 0 || !f.campaign_problems.is_empty() {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "{} ({problems}; the rest of the fleet is reported)",
                self.paint("\x1b[1m", "Inputs that could not be used")
            )?;
            for p in f.problems.iter().take(50) {
                writeln!(self.out, "  {}", one_line(&p.to_string(), 300))?;
            }
            if problems > 50 {
                writeln!(
                    self.out,
                    "  … {} more (see the JSONL output)",
                    problems - 50
                )?;
            }
            for p in &f.campaign_problems {
                writeln!(self.out, "  campaign file {}", one_line(p, 300))?;
            }
        }
        self.out.flush()
    }
}

/// Whose mail intruder activity reached on one server, in one line: the named mailboxes (most
/// requests first), and whether every mailbox was reachable.
fn mail_line(h: &exhunt_fleet::FleetHost) -> Option<String> {
    let named: Vec<String> = h
        .mail_reached
        .iter()
        .filter(|m| m.is_named())
        .map(|m| m.mailbox.clone())
        .collect();
    let mut parts = Vec::new();
    if !named.is_empty() {
        let total = h.mailboxes_reached();
        parts.push(format!("{total} mailbox(es): {}", list(&named, 6)));
    }
    if h.mail_reached.iter().any(|m| m.scope == "not-recorded") {
        parts.push("mail whose mailbox the logs do not name".into());
    }
    if h.all_mail_reachable() {
        parts.push("every mailbox (code ran with the server's rights)".into());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// An organisation's mailboxes reached: the named count, and on how many servers every
/// mailbox was reachable.
fn mailboxes(o: &exhunt_fleet::fleet::OrgSummary) -> String {
    match (o.mailboxes_reached, o.all_mail_reachable) {
        (0, 0) => "—".into(),
        (n, 0) => n.to_string(),
        (0, a) => format!("all on {a} srv"),
        (n, a) => format!("{n} + all on {a} srv"),
    }
}
