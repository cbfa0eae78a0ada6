//! `exhunt rules`: list every rule a scan runs, lint user rule folders, print prefilter literals.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use exhunt_core::detect::{LogEngine, LogScanOptions};
use exhunt_core::rules::{RuleSet, RuleSources};

#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    /// Add a folder (or file) of YAML rules; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Do not load the rules built into exhunt.
    #[arg(long)]
    no_builtin_rules: bool,
}

impl RuleArgs {
    pub(crate) fn load(&self) -> RuleSet {
        RuleSet::load(&RuleSources {
            embedded: !self.no_builtin_rules,
            user_paths: self.rules.clone(),
        })
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
/// Arguments of `exhunt rules`.
pub struct RulesArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Also load (and check) the YARA files and hash lists of DIR; repeatable.
    #[arg(long = "yara", value_name = "DIR")]
    yara: Vec<PathBuf>,
    /// Also load (and check) the Sigma rules of DIR (a folder, rule file or rule pack);
    /// repeatable.
    #[arg(long = "sigma", value_name = "DIR")]
    sigma: Vec<PathBuf>,
    /// The Sigma mapping to load them with (replaces the embedded one).
    #[arg(long = "sigma-mapping", value_name = "FILE")]
    sigma_mapping: Option<PathBuf>,
    /// Print the prefilter literals, one per line (for benchmarks against grep tools).
    #[arg(long)]
    literals: bool,
    /// Print the rules as JSON Lines.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    action: Option<RulesAction>,
}

#[derive(Debug, Subcommand)]
enum RulesAction {
    /// Compile Sigma rule folders into one rule pack, read by `scan --sigma PACK` without
    /// parsing YAML (faster to load, one file to ship to a fleet).
    Compile(CompileArgs),
}

#[derive(Debug, Args)]
struct CompileArgs {
    /// A folder (or file) of Sigma rules; repeatable.
    #[arg(long = "sigma", value_name = "DIR", required = true)]
    sigma: Vec<PathBuf>,
    /// The pack to write (replaced when it exists).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Check the pack with this Sigma mapping (the pack itself holds none).
    #[arg(long = "sigma-mapping", value_name = "FILE")]
    sigma_mapping: Option<PathBuf>,
}

/// Run `exhunt rules`; the exit status is 2 when a rule fails to load.
pub fn run(a: RulesArgs) -> anyhow::Result<i32> {
    if let Some(RulesAction::Compile(c)) = a.action {
        return compile(c);
    }
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
                sigma_mapping: a.sigma_mapping.clone(),
                ..Default::default()
            },
        );
        diagnostics.extend(events.diagnostics().iter().cloned());
        diagnostics.extend(events.check_regexes());
        listed.extend(events.rule_metas().into_iter().map(|m| ("sigma", m, None)));
    }
    ListedRules {
        rules: listed,
        diagnostics,
    }
}

/// `exhunt rules compile`: write the pack beside its final name, check that it loads, then
/// put it in place. Exit status 2 when the check finds an error (the pack is still written:
/// the same rules fail from their folder); no pack at all when a rule file or folder cannot be
/// read (it would be missing on every server the pack is shipped to).
fn compile(c: CompileArgs) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let name = c
        .output
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} is not a file name", c.output.display()))?;
    if exhunt_core::rules::has_yaml_name(std::path::Path::new(name)) {
        anyhow::bail!(
            "{} would be read as a YAML rule: name the pack .{}",
            c.output.display(),
            exhunt_events::sigma::pack::PACK_EXTENSION
        );
    }
    // A pack written into a folder it was compiled from would be loaded with that folder's
    // rules (every one a duplicate), and refused as a source by the next compile.
    let out_dir = c
        .output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if let Ok(out_dir) = std::fs::canonicalize(out_dir) {
        let source = c.sigma.iter().find(|s| {
            std::fs::canonicalize(s).is_ok_and(|s| s.is_dir() && out_dir.starts_with(&s))
        });
        if let Some(source) = source {
            anyhow::bail!(
                "no pack written: {} is inside the rule folder {}; write it elsewhere",
                c.output.display(),
                source.display()
            );
        }
    }
    let mut partial = c.output.clone();
    partial.set_file_name(format!(".{}.partial", name.to_string_lossy()));
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut out = crate::interrupt::create_removed_on_interrupt(&partial)
        .map(std::io::BufWriter::new)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", c.output.display()))?;
    let written = exhunt_events::sigma::pack::write_pack(&c.sigma, &created, &mut out)
        .and_then(|s| out.get_ref().sync_all().map(|_| s));
    drop(out);
    let summary = match written {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            if e.kind() == std::io::ErrorKind::InvalidInput {
                anyhow::bail!("no pack written: {e}");
            }
            anyhow::bail!("cannot write {}: {e}", c.output.display());
        }
    };
    let events = exhunt_events::EventHunter::new(
        &RuleSet::default(),
        exhunt_events::EventOptions {
            sigma_dirs: vec![partial.clone()],
            sigma_mapping: c.sigma_mapping.clone(),
            ..Default::default()
        },
    );
    let mut diagnostics = events.diagnostics().to_vec();
    let regex_errors = events.check_regexes();
    // Rules that load but hold a regex that cannot be compiled: that test never matches.
    let broken_regex: std::collections::HashSet<String> = regex_errors
        .iter()
        .filter_map(|d| d.rule_id.clone())
        .collect();
    diagnostics.extend(regex_errors);
    crate::interrupt::put_in_place(&partial, &c.output).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        anyhow::anyhow!("cannot write {}: {e}", c.output.display())
    })?;
    let size = std::fs::metadata(&c.output).map(|m| m.len()).unwrap_or(0);
    let partial_name = partial.display().to_string();
    let output_name = c.output.display().to_string();
    for d in &diagnostics {
        // The checked pack had its temporary name; say the one it now has.
        eprintln!("{}", d.to_string().replace(&partial_name, &output_name));
    }
    let loaded = events.rule_metas().len();
    let of_them = match broken_regex.len() {
        0 => String::new(),
        1 => " (1 of them with a regex that cannot be compiled, above)".to_string(),
        n => format!(" ({n} of them with a regex that cannot be compiled, above)"),
    };
    eprintln!(
        "exhunt: {} rule files packed into {} ({:.1} MB) in {:.2} s: {loaded} rules load with this mapping{of_them}, {} not",
        summary.files,
        c.output.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        summary.files.saturating_sub(loaded),
    );
    let failed = diagnostics
        .iter()
        .any(|d| d.level == exhunt_core::rules::DiagnosticLevel::Error);
    Ok(if failed { 2 } else { 0 })
}
