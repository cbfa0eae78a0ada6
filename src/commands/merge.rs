//! `exhunt merge`: result files of earlier scans (one per server as a Velociraptor hunt returns
//! them, multi-server files, hunt exports) → one fleet view, in every format.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use exhunt_fleet::input::{expand, merge_into, MergeOptions};
use exhunt_fleet::{FleetBuilder, FleetOptions};
use exhunt_report::HtmlOptions;

use crate::cli::{create, ColorChoice};
use crate::fleet_output::{write_fleet, ConsoleChoice, FleetFiles, FleetOutputArgs};

/// Arguments of `exhunt merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Result files: exhunt JSONL (`scan --jsonl`), Velociraptor hunt results (JSONL or JSON rows, or the export zip), or folders of them.
    #[arg(value_name = "RESULTS", required = true)]
    inputs: Vec<PathBuf>,
    /// Write the fleet lines (host, indicator, cluster, fleet_summary) as JSON Lines (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Write the fleet page as self-contained HTML.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    fleet: FleetOutputArgs,
    /// Organisation of results that carry none.
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// Take the organisation of results that carry none from the folder holding the file.
    #[arg(long)]
    org_from_parent: bool,
    /// Title of the HTML page.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Traffic Light Protocol label of the HTML page and the STIX bundle (`none` to omit).
    #[arg(long, value_name = "LABEL", default_value = "TLP:AMBER")]
    tlp: String,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// No console summary.
    #[arg(long, short)]
    quiet: bool,
    /// Colours in the console summary.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Run `exhunt merge`; the exit status is 1 when any server shows findings.
pub fn run(a: MergeArgs) -> anyhow::Result<i32> {
    let to_stdout = a.jsonl.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let mut jsonl: Option<Box<dyn Write>> = match &a.jsonl {
        Some(_) if to_stdout => Some(Box::new(io::BufWriter::new(io::stdout().lock()))),
        Some(p) => Some(Box::new(create(p)?)),
        None => None,
    };
    let files = FleetFiles::open(a.html.as_deref(), &a.fleet)?;
    let paths = expand(&a.inputs);
    if paths.is_empty() {
        anyhow::bail!("no result file (.jsonl, .json, .zip) in the inputs given");
    }
    let mut builder = FleetBuilder::new(FleetOptions {
        keep_examples: a.html.is_some(),
        campaigns: a.fleet.campaigns(),
        ..Default::default()
    });
    let options = MergeOptions {
        default_org: a.org.clone(),
        org_from_parent: a.org_from_parent,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))?;
    pool.install(|| merge_into(&paths, &options, &mut builder));
    if builder.is_empty() {
        let fleet = builder.finish();
        for p in &fleet.problems {
            eprintln!(
                "exhunt: {}",
                exhunt_report::console::one_line(&p.to_string(), 400)
            );
        }
        anyhow::bail!("no server could be read from the {} input(s)", paths.len());
    }
    let fleet = builder.finish();
    let tlp = (!a.tlp.eq_ignore_ascii_case("none")).then(|| a.tlp.clone());
    let html = HtmlOptions {
        title: a
            .title
            .clone()
            .unwrap_or_else(|| "Exchange fleet assessment".into()),
        classification: tlp.clone(),
        ..HtmlOptions::default()
    };
    write_fleet(
        &fleet,
        jsonl.as_deref_mut().map(|w| w as &mut dyn Write),
        files,
        html,
        &a.fleet,
        tlp,
        ConsoleChoice {
            show: !a.quiet && !to_stdout,
            color: a.color,
        },
    )?;
    Ok(if fleet.has_findings() { 1 } else { 0 })
}
