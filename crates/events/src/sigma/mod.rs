//! Sigma rules (`--sigma DIR`), compiled by exhunt's own compiler into the same engine as the
//! native event rules.
//!
//! # Supported subset
//! - **Detection**: search identifiers as maps (AND of fields), lists of maps (OR), keyword
//!   lists (matched as substrings of any data value, `_text`), `'|all'` keyword maps.
//! - **Values**: strings with `*`/`?` wildcards and `\` escapes, numbers, booleans, `null`
//!   (field absent or empty), `''`; lists are OR unless `|all`.
//! - **Modifiers**: `contains`, `startswith`, `endswith`, `all`, `cased`, `re` (with `i`, `m`,
//!   `s`), `exists`, `cidr`, `gt`, `gte`, `lt`, `lte`, `fieldref`, `windash`, `base64`,
//!   `base64offset`, `wide`/`utf16le` (with a base64 modifier). Matching is case-insensitive
//!   unless `cased` (and `re` is case-sensitive unless `i`, as the specification says).
//! - **Condition**: `and`, `or`, `not`, parentheses, `1 of`/`any of`/`all of` a name,
//!   a `name*` pattern or `them`; a list of conditions (OR).
//! - **Logsources**: Windows categories and services of [`logsource`], with the Security 4688
//!   field mapping for process creation; `category: webserver` rules run on IIS logs through
//!   the log hunter, with the field mapping of [`web`].
//!
//! Not supported, and listed per rule with the reason: aggregations (`| count()`), `timeframe`,
//! correlation rules, `N of` with N > 1, the `expand` modifier and unknown modifiers,
//! non-Windows logsources, multi-document
//! rule collections (`action: global`), and rules whose status is `deprecated`/`unsupported`.

pub mod detection;
pub mod expr;
pub mod glob;
pub mod logsource;
pub mod pack;
pub mod web;

pub use logsource::Mapping;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use exhunt_core::rules::{DiagnosticLevel, LogRule, RuleDiagnostic, RuleMeta};
use exhunt_core::{Severity, Stage};
use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::engine::{Logic, Scope};
pub use expr::Expr;

/// A Sigma rule compiled for the engine.
#[derive(Debug)]
pub struct SigmaRule {
    /// Metadata (id `SIGMA-<uuid>`).
    pub meta: Arc<RuleMeta>,
    /// Where it applies and what it checks.
    pub variants: Vec<(Scope, Logic)>,
}

/// A Sigma rule that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The rule file (from a pack: `PACK (from FILE)`).
    pub path: String,
    /// The Sigma id, when readable.
    pub id: Option<String>,
    /// The title, when readable.
    pub title: Option<String>,
    /// Why it was not loaded.
    pub reason: String,
}

/// What loading Sigma folders produced.
#[derive(Debug, Default)]
pub struct SigmaLoad {
    /// Rules that compiled.
    pub rules: Vec<SigmaRule>,
    /// `webserver` rules, compiled for the log hunter (IIS logs).
    pub web_rules: Vec<LogRule>,
    /// Rules not loaded, each with its reason.
    pub unsupported: Vec<Unsupported>,
    /// Diagnostics for the scan report: one per unsupported rule, plus warnings.
    pub diagnostics: Vec<RuleDiagnostic>,
}

/// One Sigma rule document as written (before compiling). It is also the body of a rule
/// pack's rule line ([`pack`]), so each field keeps what the YAML said.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct SigmaDoc {
    title: Option<String>,
    id: Option<String>,
    status: Option<String>,
    description: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    level: Option<String>,
    logsource: Option<LogSource>,
    detection: Option<Value>,
    /// Only whether it is there counts (correlation rules are not supported); a pack records
    /// such a rule as unsupported, never its body.
    #[serde(default, skip_serializing)]
    correlation: Option<serde::de::IgnoredAny>,
    action: Option<String>,
    author: Option<String>,
    #[serde(default)]
    falsepositives: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
struct LogSource {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

/// Load every `.yml`/`.yaml` under each folder (or single file), and every rule pack
/// ([`pack`]) given or found there, with `mapping` telling where each logsource applies and how
/// its fields are named.
pub fn load_dirs(paths: &[PathBuf], mapping: &Mapping) -> SigmaLoad {
    let mut load = SigmaLoad::default();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        let mut files = Vec::new();
        let unreadable = collect(p, &mut files);
        for (dir, e) in &unreadable {
            let message = if dir == p && files.is_empty() {
                // A mistyped path, or a folder that cannot be opened: said once, and not also
                // as a folder without rules.
                format!("cannot read this --sigma path: {e}; no Sigma rule was loaded from it")
            } else {
                format!("cannot read Sigma rule folder: {e}")
            };
            load.diagnostics.push(RuleDiagnostic {
                level: DiagnosticLevel::Error,
                origin: dir.display().to_string(),
                rule_id: None,
                message,
            });
        }
        if files.is_empty() && !unreadable.iter().any(|(dir, _)| dir == p) {
            load.diagnostics.push(RuleDiagnostic {
                level: DiagnosticLevel::Warning,
                origin: p.display().to_string(),
                rule_id: None,
                message: "no Sigma rule files (.yml/.yaml) or rule packs (.exhpack) here".into(),
            });
        }
        files.sort();
        // A path given directly may be a pack of any name (its first bytes say); in a folder,
        // a pack is named so.
        let (packs, files): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| {
            if f == p {
                pack::is_pack(f)
            } else {
                pack::has_pack_name(f)
            }
        });
        for f in &packs {
            pack::load_pack(f, mapping, &mut load, &mut seen);
        }
        // Files compile in parallel (thousands of them: YAML parsing is most of the load), then
        // merge in file order after the packs, so duplicate ids are judged exactly as in a
        // sequential load of the packs and then the files.
        use rayon::prelude::*;
        let per_file: Vec<SigmaLoad> = files
            .par_iter()
            .map(|f| {
                let mut one = SigmaLoad::default();
                let origin = f.display().to_string();
                match std::fs::read_to_string(f) {
                    Ok(text) => {
                        load_text(&origin, &text, mapping, &mut one, &mut Default::default())
                    }
                    Err(e) => one
                        .diagnostics
                        .push(unreadable_file(&origin, unreadable_message(&e))),
                }
                one
            })
            .collect();
        for one in per_file {
            merge(&mut load, one, &mut seen);
        }
    }
    load
}

/// Why a rule file could not be read, as the diagnostic says it (and a pack records it).
pub(crate) fn unreadable_message(e: &std::io::Error) -> String {
    format!("cannot read Sigma rule file: {e}")
}

/// The diagnostic of a rule file that could not be read.
pub(crate) fn unreadable_file(origin: &str, message: String) -> RuleDiagnostic {
    RuleDiagnostic {
        level: DiagnosticLevel::Error,
        origin: origin.to_string(),
        rule_id: None,
        message,
    }
}

/// Add one file's load to `load`, turning a rule whose id was seen already into a duplicate.
fn merge(load: &mut SigmaLoad, one: SigmaLoad, seen: &mut std::collections::HashSet<String>) {
    let rule = one
        .rules
        .first()
        .map(|r| &r.meta)
        .or(one.web_rules.first().map(|r| &r.meta));
    if let Some(meta) = rule {
        if !seen.insert(meta.id.clone()) {
            let origin = meta.origin.clone();
            let id = meta.id.strip_prefix("SIGMA-").map(str::to_string);
            let title = Some(meta.title.clone());
            unsupported(
                load,
                &origin,
                id,
                title,
                "duplicate Sigma id: an earlier rule has it".into(),
            );
            return;
        }
    }
    load.rules.extend(one.rules);
    load.web_rules.extend(one.web_rules);
    load.unsupported.extend(one.unsupported);
    load.diagnostics.extend(one.diagnostics);
}

/// Deepest folder nesting read under a rules folder (a backstop: folders are read once each).
const MAX_RULE_DEPTH: usize = 32;

/// The rule files under `p` (or `p` itself when it is a file). Each folder is read once, so a
/// link back to a parent folder adds nothing; what cannot be read is returned with the error,
/// for the caller to report: `p` itself when it does not exist or cannot be opened, a folder
/// that cannot be listed, or (under its folder's path) an entry that cannot be read.
fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Vec<(PathBuf, std::io::Error)> {
    if let Err(e) = std::fs::metadata(p) {
        return vec![(p.to_path_buf(), e)];
    }
    let mut walk = Walk::default();
    walk.visit(p, out, 0);
    walk.unreadable
}

#[derive(Default)]
struct Walk {
    seen: std::collections::HashSet<PathBuf>,
    unreadable: Vec<(PathBuf, std::io::Error)>,
}

impl Walk {
    fn visit(&mut self, p: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        if p.is_file() {
            out.push(p.to_path_buf());
            return;
        }
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if !self.seen.insert(real) {
            return;
        }
        let rd = match std::fs::read_dir(p) {
            Ok(rd) => rd,
            Err(e) => {
                self.unreadable.push((p.to_path_buf(), e));
                return;
            }
        };
        for e in rd {
            let e = match e {
                Ok(e) => e,
                Err(e) => {
                    // An entry the folder lists but that cannot be read: its rules would be
                    // missing without a word.
                    self.unreadable.push((p.to_path_buf(), e));
                    continue;
                }
            };
            let q = e.path();
            // The entry's own type (no `stat` per file for thousands of rules); a link is
            // followed, as a folder given on the command line may be made of links.
            let is_dir = match e.file_type() {
                Ok(t) if t.is_symlink() => q.is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => q.is_dir(),
            };
            if is_dir {
                if depth < MAX_RULE_DEPTH {
                    self.visit(&q, out, depth + 1);
                } else {
                    let too_deep = std::io::Error::other(format!(
                        "more than {MAX_RULE_DEPTH} folders deep: not read"
                    ));
                    self.unreadable.push((q, too_deep));
                }
            } else if exhunt_core::rules::has_yaml_name(&q) || pack::has_pack_name(&q) {
                out.push(q);
            }
        }
    }
}

/// Load the Sigma rules of one file's text.
///
/// Each YAML document is deserialized straight into the rule's shape (only `detection` and
/// `falsepositives` stay generic values): building a generic value of the whole file first
/// and converting it cost a third of the load of a large rule set. Only when that fails is the
/// document parsed again, to tell a YAML syntax error from a document that is not a rule.
pub fn load_text(
    origin: &str,
    text: &str,
    mapping: &Mapping,
    load: &mut SigmaLoad,
    seen: &mut std::collections::HashSet<String>,
) {
    match parse_text(text) {
        Ok(spec) => load_doc(origin, &spec, mapping, load, seen),
        Err(r) => unsupported(load, origin, r.id, r.title, r.reason),
    }
}

/// A rule file that is not one loadable Sigma document: what could be read of it, and why.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) id: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) reason: String,
}

/// Read one file's text as a single Sigma rule document (the first stage of [`load_text`],
/// which [`pack`] runs ahead of time).
pub(crate) fn parse_text(text: &str) -> Result<SigmaDoc, Rejected> {
    let rejected = |id, title, reason| Rejected { id, title, reason };
    let mut first: Option<SigmaDoc> = None;
    let mut documents = 0usize;
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let parsed = if documents == 0 {
            Option::<SigmaDoc>::deserialize(doc).map(|d| {
                let some = d.is_some();
                first = d;
                some
            })
        } else {
            Option::<serde::de::IgnoredAny>::deserialize(doc).map(|d| d.is_some())
        };
        match parsed {
            Ok(true) => documents += 1,
            Ok(false) => {}
            Err(e) => return Err(rejected(None, None, why_not_a_rule(text, e))),
        }
    }
    if documents > 1 {
        let (id, title) = first.map(|d| (d.id, d.title)).unwrap_or_default();
        return Err(rejected(
            id,
            title,
            "multi-document rule collections (`action: global`) are not supported".into(),
        ));
    }
    first.ok_or_else(|| rejected(None, None, "file holds no rule".into()))
}

/// Compile one rule document and add it to `load` (the second stage of [`load_text`]).
pub(crate) fn load_doc(
    origin: &str,
    spec: &SigmaDoc,
    mapping: &Mapping,
    load: &mut SigmaLoad,
    seen: &mut std::collections::HashSet<String>,
) {
    let (id, title) = (spec.id.clone(), spec.title.clone());
    match compile(origin, spec, mapping) {
        Ok((compiled, warnings)) => {
            let rule_id = match &compiled {
                Compiled::Event(r) => r.meta.id.clone(),
                Compiled::Web(r) => r.meta.id.clone(),
            };
            if !seen.insert(rule_id.clone()) {
                unsupported(
                    load,
                    origin,
                    id,
                    title,
                    "duplicate Sigma id: an earlier rule has it".into(),
                );
                return;
            }
            for w in warnings {
                load.diagnostics.push(RuleDiagnostic {
                    level: DiagnosticLevel::Warning,
                    origin: origin.to_string(),
                    rule_id: Some(rule_id.clone()),
                    message: w,
                });
            }
            match compiled {
                Compiled::Event(rule) => load.rules.push(rule),
                Compiled::Web(rule) => load.web_rules.push(*rule),
            }
        }
        Err(reason) => unsupported(load, origin, id, title, reason),
    }
}

/// Why a file's YAML could not be read as rules: a syntax error of the file, or (when the
/// YAML itself is well formed) a document whose shape is not a Sigma rule.
fn why_not_a_rule(text: &str, shape_error: serde_yaml_ng::Error) -> String {
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        if let Err(e) = Value::deserialize(doc) {
            return format!("YAML syntax: {e}");
        }
    }
    format!("not a Sigma rule: {shape_error}")
}

fn unsupported(
    load: &mut SigmaLoad,
    origin: &str,
    id: Option<String>,
    title: Option<String>,
    reason: String,
) {
    load.diagnostics.push(RuleDiagnostic {
        level: DiagnosticLevel::Warning,
        origin: origin.to_string(),
        rule_id: id.as_ref().map(|i| format!("SIGMA-{i}")),
        message: format!("Sigma rule not loaded: {reason}"),
    });
    load.unsupported.push(Unsupported {
        path: origin.to_string(),
        id,
        title,
        reason,
    });
}

/// Why a correlation rule is not loaded.
pub(crate) const CORRELATION_UNSUPPORTED: &str = "correlation rules are not supported";

/// A compiled Sigma rule: for the event engine, or (webserver rules) for the log hunter.
enum Compiled {
    Event(SigmaRule),
    Web(Box<LogRule>),
}

fn compile(
    origin: &str,
    spec: &SigmaDoc,
    mapping: &Mapping,
) -> Result<(Compiled, Vec<String>), String> {
    if spec.correlation.is_some() {
        return Err(CORRELATION_UNSUPPORTED.into());
    }
    if spec.action.is_some() {
        return Err("rule collections (`action:`) are not supported".into());
    }
    let title = spec.title.clone().ok_or("rule has no `title`")?;
    let id = spec.id.clone().ok_or("rule has no `id`")?;
    if let Some(s) = spec.status.as_deref() {
        if matches!(s, "deprecated" | "unsupported") {
            return Err(format!("rule status is `{s}`"));
        }
    }
    let ls = spec.logsource.as_ref().ok_or("rule has no `logsource`")?;
    let detection = spec.detection.as_ref().ok_or("rule has no `detection`")?;
    if ls.category.as_deref() == Some("webserver")
        && matches!(ls.product.as_deref(), None | Some("windows"))
    {
        let web = mapping.web().ok_or_else(|| {
            format!(
                "`webserver` rules have no mapping in {} (no `webserver:` section)",
                mapping.origin
            )
        })?;
        let expr = detection::compile_detection(detection)?;
        let condition = web::to_condition(&expr, web)?;
        let meta = Arc::new(meta_of(origin, spec, title, id)?);
        let (rule, warnings) = LogRule::from_condition(meta, web.sources.clone(), condition)?;
        return Ok((Compiled::Web(Box::new(rule)), warnings));
    }
    let targets = mapping.targets(
        ls.product.as_deref(),
        ls.category.as_deref(),
        ls.service.as_deref(),
    )?;
    let expr = detection::compile_detection(detection)?;
    let mut warnings = Vec::new();
    let mut variants = Vec::new();
    let mut negated = Vec::new();
    expr.negated_fields(&mut negated);
    let mut variant = |t: &logsource::Target, mut e: Expr| {
        // Fields this target never carries: per the Sigma specification a test of a missing
        // field does not match, so the rule still runs here; a negated one cannot filter.
        let unfiltered: Vec<&String> = negated.iter().filter(|f| t.missing.contains(f)).collect();
        if !unfiltered.is_empty() {
            warnings.push(format!(
                "on {} the filter on {} cannot apply (no such field there): the rule may match more there than on its own logsource",
                t.label,
                unfiltered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        e.rename(&|f: &str| t.field(f));
        let mut scope = t.scope.clone();
        if scope.event_ids.is_empty() {
            if let Some(ids) = e.required_event_ids() {
                scope.event_ids = ids;
            }
        }
        variants.push((scope, Logic::Sigma(e)));
    };
    // The mapping's targets are borrowed; the detection is cloned for all but the last.
    if let Some((last, others)) = targets.split_last() {
        for t in others {
            variant(t, expr.clone());
        }
        variant(last, expr);
    }
    if variants.is_empty() {
        return Err("no logsource variant left after field mapping".into());
    }
    let meta = meta_of(origin, spec, title, id)?;
    Ok((
        Compiled::Event(SigmaRule {
            meta: Arc::new(meta),
            variants,
        }),
        warnings,
    ))
}

/// The rule metadata of a Sigma rule (id `SIGMA-<uuid>`, stage from ATT&CK tactic tags).
fn meta_of(origin: &str, spec: &SigmaDoc, title: String, id: String) -> Result<RuleMeta, String> {
    let severity = match spec.level.as_deref().unwrap_or("medium") {
        "informational" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        other => return Err(format!("unknown level `{other}`")),
    };
    let tags: Vec<String> = spec.tags.iter().map(|t| t.to_ascii_lowercase()).collect();
    Ok(RuleMeta {
        id: format!("SIGMA-{id}"),
        title,
        description: spec.description.clone().unwrap_or_default().trim().to_string(),
        severity,
        stage: stage_of(&tags),
        cves: tags
            .iter()
            .filter_map(|t| t.strip_prefix("cve."))
            .map(|c| format!("CVE-{}", c.to_ascii_uppercase()))
            .collect(),
        tags: tags
            .iter()
            .filter(|t| !t.starts_with("cve.") && !is_technique(t))
            .cloned()
            .collect(),
        attack: tags
            .iter()
            .filter(|t| is_technique(t))
            .map(|t| t["attack.".len()..].to_ascii_uppercase())
            .collect(),
        references: spec.references.clone(),
        author: spec.author.clone(),
        remediation: format!(
            "Community Sigma rule{}: review the matching event and its process tree; false positives: {}.",
            spec.author.as_deref().map(|a| format!(" by {a}")).unwrap_or_default(),
            spec.falsepositives
                .as_ref()
                .map(false_positives)
                .unwrap_or_else(|| "not stated".into())
        ),
        origin: origin.to_string(),
        escalate_on_intrusion: None,
    })
}

/// A rule's `falsepositives` as one line: a list (the usual form) joined by `; `, anything
/// else as YAML.
fn false_positives(v: &Value) -> String {
    let items: Option<Vec<&str>> = match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Sequence(l) => l.iter().map(Value::as_str).collect(),
        _ => None,
    };
    match items {
        Some(items) => items.join("; "),
        None => serde_yaml_ng::to_string(v)
            .unwrap_or_default()
            .replace('\n', " ")
            .trim()
            .to_string(),
    }
}

fn is_technique(t: &str) -> bool {
    t.strip_prefix("attack.t")
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// The attack stage from ATT&CK tactic tags (latest stage of the chain wins).
fn stage_of(tags: &[String]) -> Stage {
    let has = |names: &[&str]| {
        tags.iter().any(|t| {
            t.strip_prefix("attack.")
                .is_some_and(|r| names.contains(&r.replace('_', "-").as_str()))
        })
    };
    if has(&["impact"]) {
        Stage::Ransomware
    } else if has(&["collection", "exfiltration"]) {
        Stage::Espionage
    } else if has(&["persistence"]) {
        Stage::Backdoor
    } else if has(&[
        "credential-access",
        "execution",
        "discovery",
        "lateral-movement",
        "privilege-escalation",
        "defense-evasion",
        "command-and-control",
    ]) {
        Stage::PostExploitation
    } else if has(&["initial-access"]) {
        Stage::Exploitation
    } else {
        Stage::PostExploitation
    }
}
