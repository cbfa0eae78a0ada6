//! Command-line definition and the glue from arguments to the engine and report writers.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use exhunt_core::detect::{LogEngine, LogScanOptions};
use exhunt_core::report::console::{ConsoleStyle, ConsoleWriter};
use exhunt_core::report::jsonl::JsonlWriter;
use exhunt_core::report::ReportWriter;
use exhunt_core::rules::{DiagnosticLevel, RuleSet, RuleSources};
use exhunt_core::scan::{Progress, TimeFilter};
use exhunt_core::{ScanConfig, ScanReport, Severity};
use exhunt_report::{HtmlOptions, HtmlWriter, TimelineCsvWriter};

use crate::collection;
use crate::pipeline;
use crate::progress::ProgressBar;

const EXIT_HELP: &str = "\
Exit status:
  0  nothing found (no finding of severity low or above)
  1  findings were reported
  2  usage error or fatal error (unreadable root, output file not writable)

Input problems (malformed lines, truncated or unreadable files, UTF-16, binary junk) never stop
a scan: they are counted and listed in the console summary and in the JSONL output.";

/// exhunt: was this Exchange server exploited, backdoored, and what now?
#[derive(Debug, Parser)]
#[command(name = "exhunt", version, about, after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hunt an evidence tree (mounted drive, triage collection, folder of logs) for compromise.
    #[command(after_help = EXIT_HELP)]
    Scan(Box<ScanArgs>),
    /// Check Exchange servers remotely for missing fixes, with passive requests only.
    Probe(exhunt_probe::ProbeArgs),
    /// Show what the build table knows about Exchange version numbers.
    Builds(exhunt_builds::BuildsArgs),
    /// List the loaded rules, check user rule files, or print the prefilter literals.
    Rules(RulesArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Verdict, coverage, findings grouped by stage with examples and remediation.
    Human,
    /// One line per finding.
    Table,
    /// JSON Lines on standard output (same as `--jsonl -`).
    Json,
}

#[derive(Debug, Args)]
struct RuleArgs {
    /// Add a folder (or file) of YAML rules; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Do not load the rules built into exhunt.
    #[arg(long)]
    no_builtin_rules: bool,
}

impl RuleArgs {
    fn load(&self) -> RuleSet {
        RuleSet::load(&RuleSources {
            embedded: !self.no_builtin_rules,
            user_paths: self.rules.clone(),
        })
    }
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Evidence root: `/mnt/c`, a KAPE/Velociraptor collection (folder or zip), a folder of logs, or `C:\`.
    root: PathBuf,
    /// Write findings and the summary as JSON Lines to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Write a self-contained HTML report (verdict, timeline chart, stories, remediation).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a CSV timeline that Timesketch imports as is.
    #[arg(long, value_name = "FILE")]
    timeline: Option<PathBuf>,
    /// Title of the HTML report.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Traffic Light Protocol label printed on the HTML report (`none` to omit).
    #[arg(long, value_name = "LABEL", default_value = "TLP:AMBER")]
    tlp: String,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    events: exhunt_events::EventArgs,
    #[command(flatten)]
    files: exhunt_files::FileArgs,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// No console summary and no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Console format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Colours in the console summary.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Hide findings below this severity in the console (files keep everything).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    min_severity: Severity,
    /// Keep only findings at or after this time (RFC 3339, or a date: 2021-03-01).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Keep only findings at or before this time (RFC 3339, or a date, which means its end).
    #[arg(long, value_name = "TIME", value_parser = parse_time_end)]
    until: Option<DateTime<Utc>>,
    /// Findings kept per rule and file; further matches are counted and reported, not listed.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_findings_per_rule: u64,
    /// Example findings shown per rule in the console.
    #[arg(long, value_name = "N", default_value_t = 1)]
    examples: usize,
    /// Do not look for the installed Exchange build (exposure).
    #[arg(long)]
    no_exposure: bool,
    /// Where to unpack a zipped collection (default: the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    unpack_dir: Option<PathBuf>,
    /// Largest unpacked size of a zipped collection, in GB.
    #[arg(long, value_name = "GB", default_value_t = 64)]
    max_unpacked_gb: u64,
}

#[derive(Debug, Args)]
struct RulesArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Also load (and check) the YARA files and hash lists of DIR; repeatable.
    #[arg(long = "yara", value_name = "DIR")]
    yara: Vec<PathBuf>,
    /// Also load (and check) the Sigma rules of DIR; repeatable.
    #[arg(long = "sigma", value_name = "DIR")]
    sigma: Vec<PathBuf>,
    /// Print the prefilter literals, one per line (for benchmarks against grep tools).
    #[arg(long)]
    literals: bool,
    /// Print the rules as JSON Lines.
    #[arg(long)]
    json: bool,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .map_err(|_| format!("'{s}' is not an RFC 3339 time or a YYYY-MM-DD date"))
}

fn parse_time_end(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .expect("end of day")
            .and_utc());
    }
    parse_time(s)
}

/// Parse the process arguments, run, and return the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Scan(a) => run_scan(*a),
        Command::Probe(a) => exhunt_probe::run(a),
        Command::Builds(a) => exhunt_builds::run(a),
        Command::Rules(a) => run_rules(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "exhunt", &mut io::stdout());
            Ok(0)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout())
            .map(|_| 0)
            .map_err(Into::into),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("exhunt: error: {e:#}");
            2
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

fn run_scan(a: ScanArgs) -> anyhow::Result<i32> {
    let rules = a.rules.load();
    let prepared = collection::prepare(
        &a.root,
        a.unpack_dir.as_deref(),
        a.max_unpacked_gb.saturating_mul(1 << 30),
    )?;
    let mut config = ScanConfig::new(prepared.path.clone());
    config.log_options = LogScanOptions {
        max_findings_per_rule: a.max_findings_per_rule,
        ..Default::default()
    };
    config.threads = a.threads;
    config.time_filter = TimeFilter {
        since: a.since,
        until: a.until,
    };
    let json_console = matches!(a.format, Format::Json);
    let jsonl_to_stdout = json_console || a.jsonl.as_deref().is_some_and(|p| p.as_os_str() == "-");
    // Open outputs before the scan so that a bad path fails fast.
    let jsonl_file = match &a.jsonl {
        Some(p) if p.as_os_str() != "-" => Some(create(p)?),
        _ => None,
    };
    let html_file = a.html.as_deref().map(create).transpose()?;
    let timeline_file = a.timeline.as_deref().map(create).transpose()?;
    let bar = (!a.quiet && io::stderr().is_terminal()).then(|| Arc::new(ProgressBar::new()));
    if let Some(b) = &bar {
        config.progress = Some(Arc::clone(b) as Arc<dyn Progress>);
    }
    let mut events = a.events.options();
    events.max_findings_per_rule = a.max_findings_per_rule;
    let options = pipeline::PipelineOptions {
        exposure: !a.no_exposure,
        events,
        files: a.files.to_options(),
    };
    let mut report = pipeline::scan(&config, &rules, &options)?;
    if prepared.unpacked() {
        report.root = a.root.display().to_string();
        for (entry, why) in &prepared.problems {
            report.issues.push(exhunt_core::ScanIssue {
                kind: "zip-entry".into(),
                path: entry.clone(),
                line: None,
                message: why.clone(),
            });
        }
    }
    if let Some(b) = &bar {
        b.finish();
    }
    if let Some(out) = jsonl_file {
        JsonlWriter::new(out).write_report(&report)?;
    }
    if let Some(out) = html_file {
        let mut options = HtmlOptions::default();
        if let Some(t) = &a.title {
            options.title = t.clone();
        }
        options.classification = (!a.tlp.eq_ignore_ascii_case("none")).then(|| a.tlp.clone());
        HtmlWriter::with_options(out, options).write_report(&report)?;
    }
    if let Some(out) = timeline_file {
        TimelineCsvWriter::new(out).write_report(&report)?;
    }
    if jsonl_to_stdout {
        JsonlWriter::new(io::stdout().lock()).write_report(&report)?;
    } else if !a.quiet {
        write_console(&a, &report)?;
    } else {
        for d in report
            .rule_diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Error)
        {
            eprintln!("exhunt: rule {d}");
        }
    }
    let reported = report.findings_at_least(Severity::Low).next().is_some();
    Ok(if reported { 1 } else { 0 })
}

fn write_console(a: &ScanArgs, report: &ScanReport) -> io::Result<()> {
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut w = ConsoleWriter::new(io::stdout().lock(), color);
    w.min_severity = a.min_severity;
    w.examples_per_rule = a.examples;
    w.style = match a.format {
        Format::Table => ConsoleStyle::Table,
        _ => ConsoleStyle::Human,
    };
    w.write_report(report)
}

fn run_rules(a: RulesArgs) -> anyhow::Result<i32> {
    let rules = a.rules.load();
    let mut out = io::stdout().lock();
    if a.literals {
        let engine = LogEngine::new(&rules, LogScanOptions::default());
        for l in engine.literals() {
            writeln!(out, "{l}")?;
        }
        out.flush()?;
        return Ok(if rules.has_errors() { 2 } else { 0 });
    }
    let listed = listed_rules(&a, &rules);
    if a.json {
        for (kind, meta, more) in &listed.rules {
            let mut v = serde_json::to_value(&**meta)?;
            v["kind"] = (*kind).into();
            if let Some(more) = more {
                for (k, val) in more {
                    v[k] = val.clone();
                }
            }
            writeln!(out, "{v}")?;
        }
    } else {
        for (kind, m, _) in &listed.rules {
            writeln!(
                out,
                "{:<14} {:<6} {:<8} {:<17} {}{}",
                m.id,
                kind,
                m.severity.as_str(),
                m.stage.as_str(),
                m.title,
                if m.cves.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", m.cves.join(", "))
                }
            )?;
        }
        let by_kind = ["log", "event", "file", "yara", "ioc", "sigma"]
            .iter()
            .map(|k| (k, listed.rules.iter().filter(|r| r.0 == *k).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(out, "{} rules ({by_kind})", listed.rules.len())?;
    }
    for d in &listed.diagnostics {
        eprintln!("{d}");
    }
    out.flush()?;
    let failed = listed
        .diagnostics
        .iter()
        .any(|d| d.level == exhunt_core::rules::DiagnosticLevel::Error);
    Ok(if failed { 2 } else { 0 })
}

/// One listed rule: its kind (`log`, `event`, `file`, `yara`, `ioc`, `sigma`), metadata and
/// extra JSON fields.
type ListedRule = (
    &'static str,
    std::sync::Arc<exhunt_core::rules::RuleMeta>,
    Option<Vec<(&'static str, serde_json::Value)>>,
);

/// Every rule a scan with these options runs, and every problem met loading them.
struct ListedRules {
    rules: Vec<ListedRule>,
    diagnostics: Vec<exhunt_core::rules::RuleDiagnostic>,
}

fn listed_rules(a: &RulesArgs, rules: &RuleSet) -> ListedRules {
    let mut listed: Vec<ListedRule> = Vec::new();
    for r in &rules.log_rules {
        let more = vec![
            ("sources", serde_json::json!(r.sources)),
            ("prefilter", serde_json::json!(r.literals)),
        ];
        listed.push(("log", r.meta.clone(), Some(more)));
    }
    for (kind, list) in [("event", &rules.event_rules), ("file", &rules.file_rules)] {
        listed.extend(list.iter().map(|r| (kind, r.meta.clone(), None)));
    }
    let mut diagnostics = rules.diagnostics.clone();
    let files = exhunt_files::FileHunter::new(
        rules,
        exhunt_files::FileOptions {
            yara_paths: a.yara.clone(),
            embedded_rules: !a.rules.no_builtin_rules,
            ..Default::default()
        },
    );
    diagnostics.extend(files.diagnostics().iter().cloned());
    for m in files.rule_metas() {
        if listed.iter().any(|(_, l, _)| l.id == m.id) {
            continue;
        }
        let kind = if m.id.starts_with("EXH-FH") {
            "ioc"
        } else {
            "yara"
        };
        listed.push((kind, m, None));
    }
    if !a.sigma.is_empty() {
        let events = exhunt_events::EventHunter::new(
            &RuleSet::default(),
            exhunt_events::EventOptions {
                sigma_dirs: a.sigma.clone(),
                ..Default::default()
            },
        );
        diagnostics.extend(events.diagnostics().iter().cloned());
        listed.extend(events.rule_metas().into_iter().map(|m| ("sigma", m, None)));
    }
    ListedRules {
        rules: listed,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn time_arguments() {
        assert_eq!(
            parse_time("2021-03-03").unwrap().to_rfc3339(),
            "2021-03-03T00:00:00+00:00"
        );
        assert_eq!(
            parse_time_end("2021-03-03")
                .unwrap()
                .format("%H:%M:%S")
                .to_string(),
            "23:59:59"
        );
        assert!(parse_time("2021-03-03T02:00:00Z").is_ok());
        assert!(parse_time("yesterday").is_err());
    }
}
