//! The console summary: verdict first, then coverage, findings grouped by stage, stories and
//! input problems. Colours only when asked (the binary asks on a TTY).

use std::collections::BTreeMap;
use std::io::Write;

use exhunt_core::model::{Finding, Severity, Stage, VerdictLevel};
use exhunt_core::scan::{HostReport, ScanReport};

use crate::writer::ReportWriter;

/// How the console lays findings out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleStyle {
    /// Verdict, coverage, findings grouped by stage with examples and remediation.
    Human,
    /// One line per finding: time, severity, rule, host, client, location.
    Table,
}

/// Writes the human summary.
pub struct ConsoleWriter<W: Write> {
    out: W,
    color: bool,
    /// Layout.
    pub style: ConsoleStyle,
    /// Findings below this severity are counted but not listed.
    pub min_severity: Severity,
    /// How many example findings to show per rule.
    pub examples_per_rule: usize,
}

const RESET: &str = "\x1b[0m";

impl<W: Write> ConsoleWriter<W> {
    /// A writer; `color` turns ANSI colours on.
    pub fn new(out: W, color: bool) -> Self {
        ConsoleWriter {
            out,
            color,
            style: ConsoleStyle::Human,
            min_severity: Severity::Info,
            examples_per_rule: 1,
        }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn paint(&self, code: &str, text: &str) -> String {
        paint(self.color, code, text)
    }

    fn sev(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "\x1b[1;97;41m",
            Severity::High => "\x1b[1;31m",
            Severity::Medium => "\x1b[33m",
            Severity::Low => "\x1b[36m",
            Severity::Info => "\x1b[2m",
        };
        self.paint(code, &format!("{:<8}", s.as_str()))
    }

    fn verdict(&self, v: VerdictLevel) -> String {
        self.paint(
            verdict_color(v),
            &format!(" {} ", v.as_str().to_uppercase()),
        )
    }

    fn host(&mut self, r: &ScanReport, h: &HostReport) -> std::io::Result<()> {
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{}  {}",
            self.paint("\x1b[1m", &format!("Host {}", h.name)),
            self.verdict(h.verdict)
        )?;
        writeln!(self.out, "  Why: {}", h.reason)?;
        for i in &h.exchange_installs {
            writeln!(self.out, "  Exchange install: {i}")?;
        }
        writeln!(self.out, "  Evidence read:")?;
        for (kind, c) in &h.coverage {
            if c.files == 0 && c.unreadable > 0 {
                writeln!(
                    self.out,
                    "    {:<38} {}",
                    kind.describe(),
                    self.paint(
                        "\x1b[33m",
                        &format!(
                            "found but not readable ({} file(s); see input problems)",
                            c.unreadable
                        )
                    )
                )?;
                continue;
            }
            let span = match (c.first, c.last) {
                (Some(a), Some(b)) => format!(
                    "{}{} → {}",
                    if *kind == exhunt_core::SourceKind::Files {
                        "modified "
                    } else {
                        ""
                    },
                    a.format("%Y-%m-%d %H:%M"),
                    b.format("%Y-%m-%d %H:%M")
                ),
                _ => "no timestamps".into(),
            };
            writeln!(
                self.out,
                "    {:<38} {:>5} files {:>10}  {}{}",
                kind.describe(),
                c.files,
                human_bytes(c.bytes),
                span,
                if c.unreadable > 0 {
                    format!("  (+{} found but not readable)", c.unreadable)
                } else {
                    String::new()
                }
            )?;
        }
        if !h.missing_sources.is_empty() {
            let names: Vec<&str> = h.missing_sources.iter().map(|k| k.describe()).collect();
            writeln!(
                self.out,
                "    {} {}",
                self.paint("\x1b[33m", "not found (not checked):"),
                names.join(", ")
            )?;
        }
        let findings: Vec<&Finding> = r.findings.iter().filter(|f| f.host == h.name).collect();
        if findings.is_empty() {
            return Ok(());
        }
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| h.findings_by_severity.get(s).map(|n| format!("{n} {s}")))
            .collect();
        writeln!(self.out, "  Findings: {}", counts.join(", "))?;
        for stage in Stage::ALL {
            let in_stage: Vec<&Finding> = findings
                .iter()
                .copied()
                .filter(|f| f.rule.stage == stage)
                .collect();
            if in_stage.is_empty() {
                continue;
            }
            writeln!(self.out)?;
            writeln!(
                self.out,
                "  {} ({} findings)",
                self.paint("\x1b[1m", &stage.as_str().to_uppercase()),
                crate::rulelabel::distinct(&in_stage)
            )?;
            // One block per (rule, severity), most severe first.
            let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, String), Vec<&Finding>> =
                BTreeMap::new();
            for f in in_stage {
                groups
                    .entry((std::cmp::Reverse(f.severity), f.rule.id.clone()))
                    .or_default()
                    .push(f);
            }
            for ((std::cmp::Reverse(sev), _), list) in groups {
                let hidden = sev < self.min_severity;
                if hidden {
                    continue;
                }
                self.rule_block(sev, &list)?;
            }
        }
        let stories: Vec<_> = r.stories.iter().filter(|s| s.host == h.name).collect();
        if !stories.is_empty() {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "  {}",
                self.paint("\x1b[1m", "STORIES (related findings)")
            )?;
            for s in stories
                .iter()
                .filter(|s| s.max_severity >= self.min_severity)
            {
                let span = match (s.first, s.last) {
                    (Some(a), Some(b)) => format!(
                        "{} → {}",
                        a.format("%Y-%m-%d %H:%M:%S"),
                        b.format("%Y-%m-%d %H:%M:%S")
                    ),
                    _ => String::new(),
                };
                writeln!(
                    self.out,
                    "    #{:<3} {} {}  {}",
                    s.id,
                    self.sev(s.max_severity),
                    // Titles name the client address and the shell path: logged text.
                    one_line(&s.title, 200),
                    span
                )?;
                if !s.web_shells.is_empty() {
                    writeln!(
                        self.out,
                        "          web shells: {}",
                        one_line(&s.web_shells.join(", "), 300)
                    )?;
                }
                for a in &s.actors {
                    writeln!(self.out, "          {}", one_line(a, 160))?;
                }
            }
        }
        self.mail(r, h)?;
        self.shell_use(r, h)
    }

    /// A blank line and a bold section heading inside a server's block.
    fn heading(&mut self, title: &str) -> std::io::Result<()> {
        writeln!(self.out)?;
        let title = self.paint("\x1b[1m", title);
        writeln!(self.out, "  {title}")
    }

    /// "Mail the intruders reached": one line per mailbox and method, by volume.
    fn mail(&mut self, r: &ScanReport, h: &HostReport) -> std::io::Result<()> {
        let list: Vec<_> = r
            .access
            .data_access
            .iter()
            .filter(|d| d.host == h.name)
            .collect();
        if list.is_empty() {
            return Ok(());
        }
        self.heading("MAIL THE INTRUDERS REACHED (by volume)")?;
        for d in list {
            let volume = match (d.bytes, d.size_on_disk) {
                (Some(b), _) => format!(", {} sent", human_bytes(b)),
                (None, Some(s)) => format!(", {} on disk", human_bytes(s)),
                _ => String::new(),
            };
            let when = match (d.first, d.last) {
                (Some(a), Some(b)) if a == b => format!(", {}", a.format("%Y-%m-%d %H:%M:%S")),
                (Some(a), Some(b)) => format!(
                    ", {} → {}",
                    a.format("%Y-%m-%d %H:%M:%S"),
                    b.format("%Y-%m-%d %H:%M:%S")
                ),
                _ => String::new(),
            };
            // The mailbox is attacker-written text (a -Mailbox value, an OWA URL).
            let name = one_line(d.label(), 200);
            let label = if d.scope == exhunt_core::access::MailboxScope::Named {
                name
            } else {
                self.paint("\x1b[33m", &name)
            };
            writeln!(
                self.out,
                "    {label} — {}: {} {}{volume}{when}",
                one_line(&d.method, 80),
                d.requests,
                d.unit
            )?;
            let mut facts = Vec::new();
            if !d.client_ips.is_empty() {
                facts.push(format!("from {}", d.client_ips.join(", ")));
            }
            if !d.also_logged_as.is_empty() {
                facts.push(format!("also logged as {}", d.also_logged_as.join(", ")));
            }
            if let Some(st) = d.story {
                facts.push(format!("story #{st}"));
            }
            if let Some(e) = d.evidence.first() {
                let more = d.evidence_total.saturating_sub(1);
                facts.push(if more > 0 {
                    format!("e.g. {} (+{more})", e.display())
                } else {
                    e.display()
                });
            }
            writeln!(self.out, "          {}", one_line(&facts.join("; "), 200))?;
            for detail in d.details.iter().take(3) {
                writeln!(self.out, "          {}", one_line(detail, 200))?;
            }
        }
        for sw in r.access.sweeps.iter().filter(|s| s.host == h.name) {
            writeln!(
                self.out,
                "    (sessions from {} intruder address(es) looked for in {} log file(s), {}, during their active time; {} line(s) from them)",
                sw.windows.len(),
                sw.files_read,
                human_bytes(sw.bytes_read),
                sw.lines_found
            )?;
        }
        Ok(())
    }

    /// "Who used each web shell": the actors per shell.
    fn shell_use(&mut self, r: &ScanReport, h: &HostReport) -> std::io::Result<()> {
        let list: Vec<_> = r
            .access
            .shell_use
            .iter()
            .filter(|a| a.host == h.name)
            .collect();
        if list.is_empty() {
            return Ok(());
        }
        self.heading("WHO USED EACH WEB SHELL")?;
        for a in list {
            writeln!(self.out, "    {}", one_line(&a.summary(), 200))?;
            if !a.user_agents.is_empty() {
                writeln!(
                    self.out,
                    "          user agent(s): {}",
                    one_line(&a.user_agents.join(" | "), 180)
                )?;
            }
        }
        Ok(())
    }

    fn rule_block(&mut self, sev: Severity, list: &[&Finding]) -> std::io::Result<()> {
        let f0 = list[0];
        let times: Vec<_> = list.iter().filter_map(|f| f.timestamp).collect();
        let span = match (times.iter().min(), times.iter().max()) {
            (Some(a), Some(b)) if a == b => a.format("%Y-%m-%d %H:%M:%S").to_string(),
            (Some(a), Some(b)) => format!(
                "{} → {}",
                a.format("%Y-%m-%d %H:%M:%S"),
                b.format("%Y-%m-%d %H:%M:%S")
            ),
            _ => "no timestamp".into(),
        };
        let mut ips: Vec<&str> = list.iter().filter_map(|f| f.client_ip.as_deref()).collect();
        ips.sort();
        ips.dedup();
        let from = match ips.len() {
            0 => String::new(),
            1..=3 => format!(" from {}", ips.join(", ")),
            n => format!(" from {n} addresses"),
        };
        let cves = match f0.rule.cves.len() {
            0 => String::new(),
            1..=6 => format!(" [{}]", f0.rule.cves.join(", ")),
            n => format!(" [{}, +{} more]", f0.rule.cves[..5].join(", "), n - 5),
        };
        writeln!(
            self.out,
            "    {} {} {}{cves}",
            self.sev(sev),
            self.paint("\x1b[1m", crate::rulelabel::short_id(&f0.rule)),
            f0.rule.title
        )?;
        if let Some(a) = crate::rulelabel::attribution(&f0.rule) {
            writeln!(self.out, "             {}", one_line(&a, 220))?;
        }
        // The same request in IIS and HttpProxy (joined by request id) is one entry.
        let n = crate::rulelabel::distinct(list);
        let joined = if n < list.len() {
            format!(
                " ({} log lines: the same request in IIS and HttpProxy counts once)",
                list.len()
            )
        } else {
            String::new()
        };
        writeln!(self.out, "             {n}× {span}{from}{joined}")?;
        let mut shown = std::collections::BTreeSet::new();
        let examples: Vec<&&Finding> = list
            .iter()
            .filter(|f| match &f.request_id {
                Some(r) => shown.insert(r.as_str()),
                None => true,
            })
            .collect();
        for f in examples.into_iter().take(self.examples_per_rule) {
            writeln!(self.out, "             at {}", location(f))?;
            writeln!(self.out, "             {}", one_line(&f.evidence, 220))?;
            for n in &f.notes {
                writeln!(self.out, "             note: {n}")?;
            }
        }
        writeln!(
            self.out,
            "             do: {}",
            one_line(&f0.rule.remediation, 220)
        )?;
        Ok(())
    }
}

/// `text` in an ANSI colour when `color`.
pub(crate) fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// The ANSI colour of a verdict.
pub(crate) fn verdict_color(v: VerdictLevel) -> &'static str {
    match v {
        VerdictLevel::Compromised => "\x1b[1;97;41m",
        VerdictLevel::ExploitationAttempted => "\x1b[1;30;43m",
        VerdictLevel::NoEvidence => "\x1b[1;30;42m",
        VerdictLevel::NotAssessable => "\x1b[1;97;100m",
    }
}

/// Where a finding's evidence is: `path:line`, `path#record N`, or the file.
pub fn location(f: &Finding) -> String {
    match f.location {
        exhunt_core::model::Location::Line { line } => format!("{}:{line}", f.path),
        exhunt_core::model::Location::Record { record_id } => {
            format!("{} #record {record_id}", f.path)
        }
        exhunt_core::model::Location::File => f.path.clone(),
    }
}

/// Printable one-line form of untrusted text: control characters escaped, length capped.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        if c.is_control() || crate::html::escape::is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `12.3 MB` style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl<W: Write> ConsoleWriter<W> {
    fn table(&mut self, r: &ScanReport) -> std::io::Result<()> {
        if let Some(text) = crate::writer::incomplete_summary(r) {
            writeln!(self.out, "{}", self.paint("\x1b[1;30;43m", &text))?;
        }
        writeln!(
            self.out,
            "{:<20}  {:<8}  {:<12}  {:<18}  {:<16}  {:<15}  location",
            "time (UTC)", "severity", "rule", "stage", "host", "client"
        )?;
        for f in r
            .findings
            .iter()
            .filter(|f| f.severity >= self.min_severity)
        {
            let time = f
                .timestamp
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| "-".into());
            let loc = location(f);
            let sev = self.sev(f.severity);
            let rule = if crate::rulelabel::is_sigma(&f.rule) {
                format!("Sigma: {}", one_line(&f.rule.title, 60))
            } else {
                f.rule.id.clone()
            };
            writeln!(
                self.out,
                "{time:<20}  {sev}  {:<12}  {:<18}  {:<16}  {:<15}  {}",
                rule,
                f.rule.stage.as_str(),
                one_line(&f.host, 16),
                f.client_ip.as_deref().unwrap_or("-"),
                one_line(&loc, 160)
            )?;
        }
        for h in &r.hosts {
            writeln!(
                self.out,
                "# {}: {} — {}",
                h.name,
                h.verdict,
                one_line(&h.reason, 300)
            )?;
        }
        self.out.flush()
    }
}

impl<W: Write> ReportWriter for ConsoleWriter<W> {
    fn write_report(&mut self, r: &ScanReport) -> std::io::Result<()> {
        if self.style == ConsoleStyle::Table {
            return self.table(r);
        }
        let secs = (r.finished - r.started).num_milliseconds() as f64 / 1000.0;
        let files: u64 = r
            .hosts
            .iter()
            .flat_map(|h| h.coverage.values())
            .map(|c| c.files)
            .sum();
        let bytes: u64 = r
            .hosts
            .iter()
            .flat_map(|h| h.coverage.values())
            .map(|c| c.bytes)
            .sum();
        writeln!(
            self.out,
            "exhunt {} — {} — {} host(s), {files} files, {} read in {secs:.2} s, {} rules",
            r.version,
            r.root,
            r.hosts.len(),
            human_bytes(bytes),
            r.rules_loaded
        )?;
        if let Some(text) = crate::writer::incomplete_summary(r) {
            writeln!(self.out, "{}", self.paint("\x1b[1;30;43m", &text))?;
        }
        for h in &r.hosts {
            self.host(r, h)?;
        }
        writeln!(self.out)?;
        if !r.suppressed.is_empty() {
            let total: u64 = r.suppressed.iter().map(|s| s.count).sum();
            writeln!(
                self.out,
                "{total} further matches were counted but not listed (per-rule limit per file; raise --max-findings-per-rule):"
            )?;
            for s in r.suppressed.iter().take(10) {
                writeln!(self.out, "  {} in {}: {} more", s.rule_id, s.path, s.count)?;
            }
        }
        if r.issues.is_empty() {
            writeln!(self.out, "Input problems: none")?;
        } else {
            let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
            for i in &r.issues {
                *by_kind.entry(i.kind.as_str()).or_insert(0) += 1;
            }
            let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let extra = if r.issues_not_listed > 0 {
                format!(" (+{} not listed)", r.issues_not_listed)
            } else {
                String::new()
            };
            writeln!(
                self.out,
                "{} {}{extra}; the scan went on:",
                self.paint("\x1b[33m", "Input problems:"),
                kinds.join(", ")
            )?;
            for i in r.issues.iter().take(10) {
                let loc = match i.line {
                    Some(l) => format!("{}:{l}", i.path),
                    None => i.path.clone(),
                };
                writeln!(
                    self.out,
                    "  {loc}: {} — {}",
                    i.kind,
                    one_line(&i.message, 200)
                )?;
            }
            if r.issues.len() > 10 {
                writeln!(
                    self.out,
                    "  … {} more in the JSONL output",
                    r.issues.len() - 10
                )?;
            }
        }
        for d in &r.rule_diagnostics {
            writeln!(self.out, "Rule {d}")?;
        }
        self.out.flush()
    }
}
