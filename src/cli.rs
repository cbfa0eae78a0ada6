//! Command-line definition and the glue from arguments to the engine and report writers.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use exhunt_core::detect::{LogEngine, LogScanOptions};
use exhunt_core::report::console::ConsoleWriter;
use exhunt_core::report::jsonl::JsonlWriter;
use exhunt_core::report::ReportWriter;
use exhunt_core::rules::{DiagnosticLevel, RuleSet, RuleSources};
use exhunt_core::{ScanConfig, Severity};

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
    Scan(ScanArgs),
    /// List the loaded rules, check user rule files, or print the prefilter literals.
    Rules(RulesArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
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
    /// Evidence root: `/mnt/c`, a KAPE/Velociraptor collection folder, a folder of logs, or `C:\`.
    root: PathBuf,
    /// Write findings and the summary as JSON Lines to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// No console summary.
    #[arg(long, short)]
    quiet: bool,
    /// Colours in the console summary.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Hide findings below this severity in the console (JSONL keeps everything).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    min_severity: Severity,
    /// Findings kept per rule and file; further matches are counted and reported, not listed.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_findings_per_rule: u64,
    /// Example findings shown per rule in the console.
    #[arg(long, value_name = "N", default_value_t = 1)]
    examples: usize,
}

#[derive(Debug, Args)]
struct RulesArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Print the prefilter literals, one per line (for benchmarks against grep tools).
    #[arg(long)]
    literals: bool,
    /// Print the rules as JSON Lines.
    #[arg(long)]
    json: bool,
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
        Command::Scan(a) => run_scan(a),
        Command::Rules(a) => run_rules(a),
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

fn run_scan(a: ScanArgs) -> anyhow::Result<i32> {
    let rules = a.rules.load();
    let mut config = ScanConfig::new(a.root.clone());
    config.log_options = LogScanOptions {
        max_findings_per_rule: a.max_findings_per_rule,
        ..Default::default()
    };
    config.threads = a.threads;
    // Open the output before the scan so that a bad path fails fast.
    let jsonl_to_stdout = a.jsonl.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let jsonl_file = match &a.jsonl {
        Some(p) if !jsonl_to_stdout => {
            Some(BufWriter::new(File::create(p).map_err(|e| {
                anyhow::anyhow!("cannot write {}: {e}", p.display())
            })?))
        }
        _ => None,
    };
    let report = exhunt_core::scan(&config, &rules)?;
    if let Some(out) = jsonl_file {
        JsonlWriter::new(out).write_report(&report)?;
    }
    if jsonl_to_stdout {
        JsonlWriter::new(io::stdout().lock()).write_report(&report)?;
    } else if !a.quiet {
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        let mut w = ConsoleWriter::new(io::stdout().lock(), color);
        w.min_severity = a.min_severity;
        w.examples_per_rule = a.examples;
        w.write_report(&report)?;
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

fn run_rules(a: RulesArgs) -> anyhow::Result<i32> {
    let rules = a.rules.load();
    let mut out = io::stdout().lock();
    if a.literals {
        let engine = LogEngine::new(&rules, LogScanOptions::default());
        for l in engine.literals() {
            writeln!(out, "{l}")?;
        }
    } else if a.json {
        for r in &rules.log_rules {
            let mut v = serde_json::to_value(&*r.meta)?;
            v["sources"] = serde_json::to_value(&r.sources)?;
            v["prefilter"] = serde_json::to_value(&r.literals)?;
            writeln!(out, "{v}")?;
        }
    } else {
        for r in &rules.log_rules {
            let m = &r.meta;
            let sources: Vec<&str> = r.sources.iter().map(|s| s.as_str()).collect();
            writeln!(
                out,
                "{:<14} {:<8} {:<17} {:<14} {}{}",
                m.id,
                m.severity.as_str(),
                m.stage.as_str(),
                sources.join(","),
                m.title,
                if m.cves.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", m.cves.join(", "))
                }
            )?;
        }
        writeln!(
            out,
            "{} rules from {} files",
            rules.log_rules.len(),
            rules.files.len()
        )?;
    }
    for d in &rules.diagnostics {
        eprintln!("{d}");
    }
    out.flush()?;
    Ok(if rules.has_errors() { 2 } else { 0 })
}
