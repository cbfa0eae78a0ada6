//! Run the file hunter alone over an evidence root and print a summary (for `bench/files.sh`
//! and corpus measurements until `exhunt scan` wires the hunter).
//!
//! `cargo run --release -p exhunt-files --example files_scan -- ROOT [--deep] [--yara DIR]
//! [--threads N] [--list]`

use std::time::Instant;

use clap::Parser;
use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::scan::{scan_with, ScanConfig};
use exhunt_files::{FileArgs, FileHunter};

#[derive(Parser)]
struct Cli {
    /// Evidence root.
    root: std::path::PathBuf,
    #[command(flatten)]
    files: FileArgs,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one line per finding: rule id, severity, path.
    #[arg(long)]
    list: bool,
    /// Skip the embedded YARA pack (user rules only, for comparisons with `yr`).
    #[arg(long)]
    no_embedded: bool,
}

fn main() {
    let cli = Cli::parse();
    let start = Instant::now();
    let rules = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let mut options = cli.files.to_options();
    options.embedded_rules = !cli.no_embedded;
    let hunter = FileHunter::new(&rules, options);
    let compiled = start.elapsed();
    let mut config = ScanConfig::new(&cli.root);
    config.threads = cli.threads;
    let report = match scan_with(&config, &rules, &[&hunter]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if cli.list {
        for f in &report.findings {
            println!("{}\t{}\t{}", f.rule.id, f.severity, f.path);
        }
    }
    let files: u64 = report
        .hosts
        .iter()
        .filter_map(|h| h.coverage.get(&exhunt_core::SourceKind::Files))
        .map(|c| c.files)
        .sum();
    eprintln!(
        "files scanned: {files}; findings: {}; issues: {}; rule diagnostics: {}; compile {:.2}s; total {:.2}s",
        report.findings.len(),
        report.issues.len() as u64 + report.issues_not_listed,
        report.rule_diagnostics.len(),
        compiled.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    for d in &report.rule_diagnostics {
        eprintln!("  {d}");
    }
    for h in &report.hosts {
        eprintln!("host {}: {} — {}", h.name, h.verdict, h.reason);
    }
}
