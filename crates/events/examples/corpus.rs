//! Corpus measurement: read every EVTX/JSON file under the given folders (no panic allowed),
//! count records and corrupt parts, load Sigma folders, and check SigmaHQ regression pairs.
//!
//! ```text
//! cargo run --release -p exhunt-events --example corpus -- evtx ../shared/corpus/evtx \
//!     sigma ../shared/corpus/sigma regression ../shared/corpus/evtx/SigmaHQ__sigma
//! cargo run -p exhunt-events --example corpus -- dump FILE   # print flattened events
//! cargo run -p exhunt-events --example corpus -- scope bench/corpus/evtx-scope.tsv  # table
//! cargo run --release -p exhunt-events --example corpus -- compare CHAINSAW.jsonl \
//!     SIGMA_DIR EVTX_DIR        # agreement with chainsaw's `hunt --jsonl` on the same files
//! ```
//!
//! `scope TSV` runs the built-in rules alone on every sample the list names (a file, or a
//! regression-pair folder: its `.evtx`, else its JSON export) and prints a Markdown table: each
//! in-scope sample with the rules that flagged it, and the out-of-scope ones grouped by reason.
//! The samples' authors cleared the Security log before each capture, so EXH-EV-032 (log
//! cleared) counts only for samples whose technique is log clearing.

use std::path::{Path, PathBuf};

use exhunt_core::discover::LogFile;
use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::SourceKind;
use exhunt_events::{EventHunter, EventOptions};

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, exts, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            out.push(p);
        }
    }
}

fn log_file(p: &Path) -> LogFile {
    LogFile {
        path: p.to_path_buf(),
        rel: p.display().to_string(),
        kind: SourceKind::Evtx,
        size: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        host: "corpus".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.chunks(2);
    let embedded = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    if args.first().map(String::as_str) == Some("compare") && args.len() == 4 {
        compare(
            Path::new(&args[1]),
            Path::new(&args[2]),
            Path::new(&args[3]),
        );
        return;
    }
    while let Some([cmd, arg]) = it.next() {
        match cmd.as_str() {
            "dump" => dump(Path::new(arg)),
            "evtx" => measure_evtx(Path::new(arg), &embedded),
            "sigma" => measure_sigma(Path::new(arg)),
            "regression" => regression(Path::new(arg)),
            "scope" => scope(Path::new(arg), &embedded),
            other => eprintln!("unknown command {other}"),
        }
    }
}

fn dump(p: &Path) {
    struct Print;
    impl exhunt_events::read::RecordHandler for Print {
        fn handle(&self, v: &serde_json::Value, id: Option<u64>) -> Vec<exhunt_core::Finding> {
            if let Some(ev) = exhunt_events::event::flatten(v, id) {
                let f: Vec<String> = ev.fields().map(|(k, v)| format!("{k}={v}")).collect();
                println!("{}", f.join(" | "));
            }
            vec![]
        }
    }
    let r = if p.extension().is_some_and(|e| e == "evtx") {
        exhunt_events::read::evtx::read_evtx(p, &Print)
    } else {
        exhunt_events::read::json::read_json(p, &Print)
    };
    eprintln!(
        "records {} bad records {} bad chunks {} problems {:?}",
        r.records, r.bad_records, r.bad_chunks, r.problems
    );
}

fn measure_evtx(dir: &Path, rules: &RuleSet) {
    let hunter = EventHunter::new(rules, EventOptions::default());
    let mut list = Vec::new();
    files(dir, &["evtx"], &mut list);
    list.sort();
    let (mut records, mut bytes, mut corrupt_files, mut findings) = (0u64, 0u64, 0, 0);
    for p in &list {
        let f = log_file(p);
        bytes += f.size;
        let c = hunter.hunt_file(&f);
        let cov = &c.coverage[0].2;
        records += cov.lines;
        findings += c.findings.len();
        if let Some(i) = c
            .issues
            .iter()
            .find(|i| i.kind == "evtx-corrupt" || i.kind == "evtx-unreadable")
        {
            corrupt_files += 1;
            println!("corrupt: {} — {}", p.display(), i.message);
        }
        for f in &c.findings {
            println!(
                "finding: {} {} {}",
                f.rule.id,
                p.file_name().unwrap().to_string_lossy(),
                f.evidence.chars().take(160).collect::<String>()
            );
        }
    }
    println!("EVTX: {} files, {} bytes, {} records, {} files with corrupt parts, {} findings (embedded rules)", list.len(), bytes, records, corrupt_files, findings);
}

fn measure_sigma(dir: &Path) {
    let load = exhunt_events::sigma::load_dirs(
        &[dir.to_path_buf()],
        exhunt_events::sigma::Mapping::embedded(),
    );
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for u in &load.unsupported {
        let key = u
            .reason
            .split(':')
            .next()
            .unwrap_or("")
            .chars()
            .take(90)
            .collect::<String>();
        *reasons.entry(key).or_default() += 1;
    }
    let warnings = load
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("cannot apply (no such field there)"))
        .count();
    println!(
        "Sigma: {} loaded ({} event-log rules, {} webserver rules on request logs), {} not loaded, {} rules with a filter that cannot apply on one of their targets",
        load.rules.len() + load.web_rules.len(),
        load.rules.len(),
        load.web_rules.len(),
        load.unsupported.len(),
        warnings
    );
    for (r, n) in reasons {
        println!("  {n:4}  {r}");
    }
    for u in &load.unsupported {
        println!("  unsupported: {} — {}", u.path, u.reason);
    }
}

fn regression(dir: &Path) {
    let mut infos = Vec::new();
    files(dir, &["yml"], &mut infos);
    infos.retain(|p| p.file_name().is_some_and(|n| n == "info.yml"));
    infos.sort();
    let sigma_root =
        std::env::var("SIGMA_RULES").unwrap_or_else(|_| "../shared/corpus/sigma".into());
    let mut rule_files = Vec::new();
    files(Path::new(&sigma_root), &["yml"], &mut rule_files);
    let (mut pairs, mut have_rule, mut matched, mut unsupported, mut no_sample) = (0, 0, 0, 0, 0);
    for info in infos {
        let text = std::fs::read_to_string(&info).unwrap_or_default();
        let Some(id) = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("- id: "))
            .map(str::trim)
        else {
            continue;
        };
        pairs += 1;
        let Some(rule) = rule_files.iter().find(|r| {
            std::fs::read_to_string(r)
                .is_ok_and(|t| t.lines().any(|l| l.trim_end() == format!("id: {id}")))
        }) else {
            continue;
        };
        have_rule += 1;
        let hunter = EventHunter::new(
            &RuleSet::default(),
            EventOptions {
                sigma_dirs: vec![rule.clone()],
                ..Default::default()
            },
        );
        if hunter.rule_count() == 0 {
            unsupported += 1;
            println!(
                "regression: {id} rule not supported: {:?}",
                hunter.unsupported().first().map(|u| &u.reason)
            );
            continue;
        }
        let dirp = info.parent().unwrap();
        let mut evtx = Vec::new();
        files(dirp, &["evtx"], &mut evtx);
        if evtx.is_empty() {
            // Some pairs ship only the JSON rendering of their records (evtx_dump's format).
            files(dirp, &["json"], &mut evtx);
        }
        if evtx.is_empty() {
            no_sample += 1;
            println!("regression: {id} has no sample (neither EVTX nor JSON) in the corpus");
            continue;
        }
        let hits: usize = evtx
            .iter()
            .map(|e| hunter.hunt_file(&log_file(e)).findings.len())
            .sum();
        if hits > 0 {
            matched += 1;
        } else {
            println!("regression: {id} NOT matched ({})", rule.display());
        }
    }
    println!("Regression pairs: {pairs}; rule present in corpus: {have_rule}; rule unsupported: {unsupported}; no sample: {no_sample}; matched: {matched}");
}

/// The built-in rules on every sample of a scope list, as a Markdown table.
fn scope(list: &Path, rules: &RuleSet) {
    let corpus = PathBuf::from(
        std::env::var("CORPUS_EVTX").unwrap_or_else(|_| "../shared/corpus/evtx".into()),
    );
    let hunter = EventHunter::new(rules, EventOptions::default());
    let text = std::fs::read_to_string(list).expect("scope list");
    let mut rows_in = Vec::new();
    let mut out_reasons: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let (mut n_in, mut flagged_in, mut n_out, mut flagged_out) = (0, 0, 0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [sample, scope, why] = cols[..] else {
            eprintln!("bad scope line: {line}");
            continue;
        };
        let path = corpus.join(sample);
        let mut samples = Vec::new();
        if path.is_dir() {
            files(&path, &["evtx"], &mut samples);
            if samples.is_empty() {
                files(&path, &["json"], &mut samples);
            }
        } else {
            samples.push(path.clone());
        }
        let mut ids = std::collections::BTreeSet::new();
        for f in &samples {
            for finding in hunter.hunt_file(&log_file(f)).findings {
                ids.insert(finding.rule.id.clone());
            }
        }
        let clearing = why.contains("log cleared") || why.contains("event log");
        if !clearing {
            ids.remove("EXH-EV-032");
        }
        let flagged = !ids.is_empty();
        let list = ids.into_iter().collect::<Vec<_>>().join(", ");
        if scope == "in" {
            n_in += 1;
            flagged_in += usize::from(flagged);
            rows_in.push(format!(
                "| {} | `{}` | {} | {} |",
                if flagged { "yes" } else { "**no**" },
                sample,
                why,
                if list.is_empty() { "—".into() } else { list }
            ));
        } else {
            n_out += 1;
            flagged_out += usize::from(flagged);
            let e = out_reasons.entry(why.to_string()).or_default();
            e.0 += 1;
            e.1 += usize::from(flagged);
        }
    }
    println!(
        "**In scope: {n_in} samples, {flagged_in} flagged by the built-in rules alone ({:.1} %).** \
         Out of scope: {n_out} samples ({flagged_out} of them flagged anyway).\n",
        100.0 * flagged_in as f64 / n_in.max(1) as f64
    );
    println!("| flagged | sample | technique | built-in rules that fired |");
    println!("|---|---|---|---|");
    rows_in.sort_by(|a, b| a[..12].cmp(&b[..12]).reverse().then(a.cmp(b)));
    for r in rows_in {
        println!("{r}");
    }
    println!("\nOut of scope, by reason:\n");
    println!("| samples | flagged anyway | reason |");
    println!("|---:|---:|---|");
    let mut reasons: Vec<_> = out_reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    for (why, (n, f)) in reasons {
        println!("| {n} | {f} | {why} |");
    }
}

/// Flagged (file, record, Sigma rule id) by exhunt and by chainsaw (its `hunt --jsonl` output) on
/// the same EVTX files with the same Sigma rules: how many agree, and the rules behind each
/// difference.
fn compare(chainsaw: &Path, sigma: &Path, evtx: &Path) {
    use std::collections::{BTreeMap, BTreeSet};
    type Key = (String, u64, String);
    let canon = |p: &Path| {
        std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .display()
            .to_string()
    };
    let mut theirs: BTreeSet<Key> = BTreeSet::new();
    let text = std::fs::read_to_string(chainsaw).expect("chainsaw output");
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(path), Some(id)) = (v["document"]["path"].as_str(), v["id"].as_str()) else {
            continue;
        };
        let r = &v["document"]["data"]["Event"]["System"]["EventRecordID"];
        let rec = r
            .as_u64()
            .or_else(|| r.as_str().and_then(|s| s.trim().parse().ok()))
            .unwrap_or(0);
        theirs.insert((canon(Path::new(path)), rec, id.to_string()));
    }
    let hunter = EventHunter::new(
        &RuleSet::default(),
        EventOptions {
            sigma_dirs: vec![sigma.to_path_buf()],
            max_findings_per_rule: u64::MAX,
            ..Default::default()
        },
    );
    let mut list = Vec::new();
    files(evtx, &["evtx"], &mut list);
    let mut ours: BTreeSet<Key> = BTreeSet::new();
    let mut event_of: BTreeMap<Key, String> = BTreeMap::new();
    for p in &list {
        let path = canon(p);
        for f in hunter.hunt_file(&log_file(p)).findings {
            let id = f.rule.id.trim_start_matches("SIGMA-").to_string();
            let rec = f.extra["record_id"].as_u64().unwrap_or(0);
            let key = (path.clone(), rec, id);
            event_of.insert(
                key.clone(),
                format!(
                    "{} {}",
                    f.extra["channel"].as_str().unwrap_or(""),
                    f.extra["event_id"]
                ),
            );
            ours.insert(key);
        }
    }
    let both = ours.intersection(&theirs).count();
    let only_ours: Vec<&Key> = ours.difference(&theirs).collect();
    let only_theirs: Vec<&Key> = theirs.difference(&ours).collect();
    println!(
        "Sigma rules {}: {} loaded by exhunt; {} EVTX files",
        sigma.display(),
        hunter.rule_count(),
        list.len()
    );
    println!(
        "flagged (file, record, rule): both {both}, exhunt only {}, chainsaw only {}",
        only_ours.len(),
        only_theirs.len()
    );
    let title = |id: &str| {
        hunter
            .rule_metas()
            .into_iter()
            .find(|m| m.id == format!("SIGMA-{id}"))
            .map(|m| m.title.clone())
            .unwrap_or_else(|| "(not loaded by exhunt)".into())
    };
    let mut by_event: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &only_ours {
        *by_event.entry(event_of[*k].as_str()).or_default() += 1;
    }
    let mut by_event: Vec<_> = by_event.into_iter().collect();
    by_event.sort_by_key(|e| std::cmp::Reverse(e.1));
    println!("exhunt only, by event:");
    for (e, n) in by_event.iter().take(12) {
        println!("  {n:5}  {e}");
    }
    for (label, diff) in [("exhunt only", &only_ours), ("chainsaw only", &only_theirs)] {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, _, id) in diff.iter() {
            *per.entry(id.as_str()).or_default() += 1;
        }
        let mut per: Vec<_> = per.into_iter().collect();
        per.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        println!("{label}, by rule:");
        for (id, n) in per.iter().take(25) {
            println!("  {n:5}  {id}  {}", title(id));
        }
        if per.len() > 25 {
            println!("  … and {} more rules", per.len() - 25);
        }
    }
    if std::env::var_os("SHOW_DIFF").is_some() {
        for k in &only_theirs {
            println!("chainsaw only: {} #{} {}", k.0, k.1, k.2);
        }
        for k in &only_ours {
            println!("exhunt only: {} #{} {}", k.0, k.1, k.2);
        }
    }
}
