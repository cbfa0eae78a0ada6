//! `exhunt scan`: arguments → a scan configuration → the hunters (`pipeline`) → the writers.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use exhunt_core::detect::LogScanOptions;
use exhunt_core::rules::DiagnosticLevel;
use exhunt_core::scan::{Progress, TimeFilter};
use exhunt_core::{ScanConfig, ScanReport, Severity};
use exhunt_report::{
    ConsoleStyle, ConsoleWriter, HtmlOptions, HtmlWriter, JsonlWriter, ReportWriter,
    TimelineCsvWriter,
};

use crate::cli::{create, ColorChoice, Format};
use crate::collection;
use crate::commands::rules::RuleArgs;
use crate::fleet_output::{write_fleet, ConsoleChoice, FleetFiles, FleetOutputArgs};
use crate::multi::{rename_host, scan_roots, MultiOptions, RootSinks};
use crate::pipeline;
use crate::progress::ProgressBar;
use crate::roots::{read_roots_file, OrgRule, RootSpec};
use exhunt_fleet::{FleetBuilder, FleetOptions, InputProblem};

#[derive(Debug, Args)]
/// Arguments of `exhunt scan`.
pub struct ScanArgs {
    /// Evidence roots: `/mnt/c`, KAPE/Velociraptor collections (folders or zips), folders of logs, or `C:\`. Several roots give a fleet view.
    #[arg(value_name = "ROOT", required_unless_present = "roots_from")]
    roots: Vec<PathBuf>,
    /// Read roots from FILE: a CSV with a header (`path`, optional `host`, `org`), or one path per line.
    #[arg(long, value_name = "FILE")]
    roots_from: Option<PathBuf>,
    /// Organisation label of the roots (a roots file's `org` column wins).
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// Take each root's organisation from the folder holding it (an `ORG/HOST…` layout).
    #[arg(long)]
    org_from_parent: bool,
    /// Host name of a root that holds one server (default: from the evidence layout).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Roots scanned at the same time in a scan of several roots (default: threads, at most 4).
    #[arg(long, value_name = "N")]
    parallel_roots: Option<usize>,
    #[command(flatten)]
    fleet: FleetOutputArgs,
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

/// Run `exhunt scan`; the exit status is 1 when findings were reported.
pub fn run(a: ScanArgs) -> anyhow::Result<i32> {
    let rule = OrgRule {
        org: a.org.clone(),
        from_parent: a.org_from_parent,
    };
    let mut roots: Vec<RootSpec> = a
        .roots
        .iter()
        .map(|p| RootSpec {
            path: p.clone(),
            host: a.host.clone(),
            org: rule.org_for(p),
        })
        .collect();
    let mut problems = Vec::new();
    if let Some(f) = &a.roots_from {
        let (more, bad) = read_roots_file(f, &rule)?;
        roots.extend(more);
        problems = bad;
    }
    if a.host.is_some() && roots.len() > 1 {
        anyhow::bail!("--host names the server of one root; give host names of several roots in a --roots-from file");
    }
    if roots.len() == 1 && a.roots_from.is_none() && !a.fleet.wants_fleet() {
        let spec = roots.remove(0);
        return run_single(a, spec);
    }
    run_fleet(a, roots, problems)
}

fn log_options(a: &ScanArgs) -> LogScanOptions {
    LogScanOptions {
        max_findings_per_rule: a.max_findings_per_rule,
        ..Default::default()
    }
}

fn pipeline_options(a: &ScanArgs) -> pipeline::PipelineOptions {
    let mut events = a.events.options();
    events.max_findings_per_rule = a.max_findings_per_rule;
    pipeline::PipelineOptions {
        exposure: !a.no_exposure,
        events,
        files: a.files.to_options(),
    }
}

fn html_options(a: &ScanArgs) -> HtmlOptions {
    let mut options = HtmlOptions::default();
    if let Some(t) = &a.title {
        options.title = t.clone();
    }
    options.classification = tlp(&a.tlp);
    options
}

fn tlp(label: &str) -> Option<String> {
    (!label.eq_ignore_ascii_case("none")).then(|| label.to_string())
}

/// Several roots (or a fleet output asked for): one fleet view.
fn run_fleet(
    a: ScanArgs,
    roots: Vec<RootSpec>,
    problems: Vec<InputProblem>,
) -> anyhow::Result<i32> {
    if roots.is_empty() {
        for p in &problems {
            eprintln!(
                "exhunt: {}",
                exhunt_report::console::one_line(&p.to_string(), 400)
            );
        }
        anyhow::bail!("no root to scan");
    }
    let rules = a.rules.load();
    let json_console = matches!(a.format, Format::Json);
    let jsonl_to_stdout = json_console || a.jsonl.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let jsonl: Option<Box<dyn std::io::Write + Send>> = if jsonl_to_stdout {
        Some(Box::new(std::io::BufWriter::new(io::stdout())))
    } else {
        match &a.jsonl {
            Some(p) => Some(Box::new(create(p)?)),
            None => None,
        }
    };
    let files = FleetFiles::open(a.html.as_deref(), &a.fleet)?;
    let timeline = a
        .timeline
        .as_deref()
        .map(create)
        .transpose()?
        .map(|f| TimelineCsvWriter::new(Box::new(f) as Box<dyn std::io::Write + Send>));
    let mut builder = FleetBuilder::new(FleetOptions {
        keep_examples: a.html.is_some(),
        campaigns: a.fleet.campaigns(),
        ..Default::default()
    });
    for p in problems {
        builder.problem(p);
    }
    let cancel = crate::interrupt::install();
    let mut config = ScanConfig::new(".");
    config.cancel = cancel;
    config.log_options = log_options(&a);
    config.threads = a.threads;
    config.time_filter = TimeFilter {
        since: a.since,
        until: a.until,
    };
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = MultiOptions {
        config,
        rules: &rules,
        pipeline: pipeline_options(&a),
        parallel: a.parallel_roots.unwrap_or(threads.min(4)).max(1),
        unpack_dir: a.unpack_dir.clone(),
        max_unpacked: a.max_unpacked_gb.saturating_mul(1 << 30),
        progress: !a.quiet,
    };
    let total = roots.len();
    let sinks = RootSinks { jsonl, timeline };
    let scanned = scan_roots(&roots, &options, &mut builder, sinks)?;
    let (mut sinks, failed) = (scanned.sinks, scanned.failed);
    let mut write_failed = !scanned.write_errors.is_empty();
    for e in &scanned.write_errors {
        eprintln!("exhunt: {e}");
    }
    let fleet = builder.finish();
    if let Some(t) = sinks.timeline.take() {
        // A timeline that fails at its last write is named; the fleet outputs are still written.
        if let Err(e) = t.into_inner().and_then(|mut w| w.flush()) {
            eprintln!("exhunt: the timeline could not be written ({e})");
            write_failed = true;
        }
    }
    write_fleet(
        &fleet,
        sinks
            .jsonl
            .as_deref_mut()
            .map(|w| w as &mut dyn std::io::Write),
        files,
        html_options(&a),
        &a.fleet,
        tlp(&a.tlp),
        ConsoleChoice {
            show: !a.quiet && !jsonl_to_stdout,
            color: a.color,
        },
    )?;
    if crate::interrupt::received() {
        return Ok(crate::interrupt::EXIT_INTERRUPTED);
    }
    if write_failed {
        // Results were lost: not a clean exit, whatever was found.
        return Ok(2);
    }
    if failed == total {
        eprintln!("exhunt: none of the {total} root(s) could be scanned");
        return Ok(2);
    }
    Ok(if fleet.has_findings() { 1 } else { 0 })
}

/// One root: the single-server report, as always.
fn run_single(a: ScanArgs, spec: RootSpec) -> anyhow::Result<i32> {
    let rules = a.rules.load();
    let cancel = crate::interrupt::install();
    let prepared = collection::prepare_until(
        &spec.path,
        a.unpack_dir.as_deref(),
        a.max_unpacked_gb.saturating_mul(1 << 30),
        &cancel,
    )?;
    let mut config = ScanConfig::new(prepared.path.clone());
    config.cancel = cancel;
    config.log_options = log_options(&a);
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
    let options = pipeline_options(&a);
    let mut report = pipeline::scan_then_exit(&config, &rules, &options)?;
    report.org = spec.org.clone();
    if let Some(h) = &spec.host {
        if !rename_host(&mut report, h) {
            eprintln!(
                "exhunt: --host {h} not applied: the root holds {} servers, which keep their own names",
                report.hosts.len()
            );
        }
    }
    if prepared.unpacked() {
        report.root = spec.path.display().to_string();
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
        HtmlWriter::with_options(out, html_options(&a)).write_report(&report)?;
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
    if crate::interrupt::received() {
        return Ok(crate::interrupt::EXIT_INTERRUPTED);
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

#[cfg(test)]
mod tests {
    use super::*;

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
