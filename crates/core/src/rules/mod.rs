//! Detection rules as data: YAML rule files, embedded in the binary and loaded from user folders.
//!
//! A rule file holds one or more YAML documents (separated by `---`), each one rule: metadata
//! shared by every rule kind ([`RuleMeta`]) plus the kind-specific logic (`log:` for text log
//! rules). Loading never stops at the first bad rule: every problem becomes a
//! [`RuleDiagnostic`] naming the file, the rule and the reason, and the good rules load.

pub mod condition;
mod embedded;
pub mod log;
pub mod raw;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Severity, Stage};
pub use log::LogRule;

/// What every rule says about itself, whatever its kind.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// Stable identifier, e.g. `EXH-HP-001`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What the rule detects and why it matters.
    pub description: String,
    /// Severity of a (successful) match.
    pub severity: Severity,
    /// Attack stage.
    pub stage: Stage,
    /// CVE identifiers.
    pub cves: Vec<String>,
    /// Campaign and actor tags (e.g. `HAFNIUM`, `ProxyLogon`).
    pub tags: Vec<String>,
    /// MITRE ATT&CK technique ids.
    pub attack: Vec<String>,
    /// Public references the logic comes from.
    pub references: Vec<String>,
    /// Who wrote the rule, when it says (community Sigma and YARA rules name their authors, as
    /// their licences ask tools to show).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// What to do when it matches.
    pub remediation: String,
    /// Where the rule came from (`embedded:<file>` or a user path).
    pub origin: String,
    /// Raise the severity to this level when the same host also shows exploitation or a
    /// backdoor (weak alone, strong in context: e.g. archives in ProgramData).
    pub escalate_on_intrusion: Option<Severity>,
}

/// A rule document as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    description: String,
    severity: Severity,
    stage: Stage,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    attack: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    remediation: String,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    escalate_on_intrusion: Option<Severity>,
    log: Option<log::LogSpec>,
    /// Event-log logic, compiled by the event hunter.
    event: Option<serde_yaml_ng::Value>,
    /// File logic, compiled by the file hunter.
    file: Option<serde_yaml_ng::Value>,
}

/// A rule whose logic another crate compiles (`event:` or `file:` blocks).
#[derive(Debug, Clone)]
pub struct PendingRule {
    /// The rule's metadata.
    pub meta: Arc<RuleMeta>,
    /// The logic block, uncompiled.
    pub logic: serde_yaml_ng::Value,
}

/// A mapping document (a YAML document with a top-level `mapping:` key instead of a rule `id:`):
/// data that an analysis reads, such as the log fields that name a mailbox or the request
/// shapes of web-shell clients. Compiled by the analysis that owns the mapping kind.
#[derive(Debug, Clone)]
pub struct PendingMapping {
    /// The mapping kind (the value of `mapping:`), e.g. `mail-access`.
    pub kind: String,
    /// The file it came from (`embedded:<name>` or a path).
    pub origin: String,
    /// The whole document.
    pub doc: serde_yaml_ng::Value,
}

/// How serious a rule-loading problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The rule (or file) was not loaded.
    Error,
    /// Loaded, but something deserves attention (e.g. no prefilter: slower scan).
    Warning,
}

/// A problem found while loading rules.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDiagnostic {
    /// Error or warning.
    pub level: DiagnosticLevel,
    /// The rule file (`embedded:<name>` or a path).
    pub origin: String,
    /// The rule id, when the document got far enough to have one.
    pub rule_id: Option<String>,
    /// The reason, with YAML line/column where known.
    pub message: String,
}

impl std::fmt::Display for RuleDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
        };
        match &self.rule_id {
            Some(id) => write!(f, "{level}: {} (rule {id}): {}", self.origin, self.message),
            None => write!(f, "{level}: {}: {}", self.origin, self.message),
        }
    }
}

/// The immutable, compiled set of rules a scan runs.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Text-log rules.
    pub log_rules: Vec<LogRule>,
    /// Event-log rules (`event:` blocks), for the event hunter to compile.
    pub event_rules: Vec<PendingRule>,
    /// File rules (`file:` blocks), for the file hunter to compile.
    pub file_rules: Vec<PendingRule>,
    /// Mapping documents (`mapping:` documents), for the analyses that read them.
    pub mappings: Vec<PendingMapping>,
    /// Problems met while loading.
    pub diagnostics: Vec<RuleDiagnostic>,
    /// The rule files read.
    pub files: Vec<String>,
}

/// Where to load rules from.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    /// Load the rule pack built into the binary.
    pub embedded: bool,
    /// User folders (or single files) of YAML rules.
    pub user_paths: Vec<PathBuf>,
}

impl RuleSet {
    /// Load and compile rules from the embedded pack and/or user folders.
    pub fn load(sources: &RuleSources) -> RuleSet {
        let mut set = RuleSet::default();
        let mut seen = HashSet::new();
        if sources.embedded {
            for (name, text) in embedded::FILES {
                set.add_text(&format!("embedded:{name}"), text, &mut seen);
            }
        }
        for path in &sources.user_paths {
            set.add_path(path, &mut seen);
        }
        set
    }

    /// Load rules from YAML text (used by tests and by [`RuleSet::load`]).
    pub fn from_text(origin: &str, text: &str) -> RuleSet {
        let mut set = RuleSet::default();
        set.add_text(origin, text, &mut HashSet::new());
        set
    }

    /// True when some rule failed to load.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error)
    }

    /// Every rule's metadata: log rules, then event rules, then file rules.
    pub fn metas(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.log_rules
            .iter()
            .map(|r| &r.meta)
            .chain(self.event_rules.iter().map(|r| &r.meta))
            .chain(self.file_rules.iter().map(|r| &r.meta))
    }

    /// Number of rules loaded, all kinds.
    pub fn len(&self) -> usize {
        self.log_rules.len() + self.event_rules.len() + self.file_rules.len()
    }

    /// True when no rule loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Record a problem found while compiling a rule outside this crate.
    pub fn diagnostic(&mut self, d: RuleDiagnostic) {
        self.diagnostics.push(d);
    }

    fn add_path(&mut self, path: &Path, seen: &mut HashSet<String>) {
        let origin = path.display().to_string();
        if path.is_file() {
            self.add_file(path, seen);
            return;
        }
        if !path.is_dir() {
            self.error(
                &origin,
                None,
                "rule path does not exist or is not readable".into(),
            );
            return;
        }
        let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(path)
            .standard_filters(false)
            .build()
            .filter_map(|e| match e {
                Ok(e) => Some(e.into_path()),
                Err(err) => {
                    self.error(&origin, None, format!("cannot list: {err}"));
                    None
                }
            })
            .filter(|p| p.is_file() && has_yaml_name(p))
            .collect();
        files.sort();
        if files.is_empty() {
            self.warn(
                &origin,
                None,
                "no .yml/.yaml rule files in this folder".into(),
            );
        }
        for f in files {
            self.add_file(&f, seen);
        }
    }

    fn add_file(&mut self, path: &Path, seen: &mut HashSet<String>) {
        let origin = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => self.add_text(&origin, &text, seen),
                Err(_) => self.error(&origin, None, "rule file is not UTF-8 text".into()),
            },
            Err(e) => self.error(&origin, None, format!("cannot read: {e}")),
        }
    }

    fn add_text(&mut self, origin: &str, text: &str, seen: &mut HashSet<String>) {
        self.files.push(origin.to_string());
        let mut docs = 0;
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            let value = match serde_yaml_ng::Value::deserialize(doc) {
                Ok(v) => v,
                Err(e) => {
                    self.error(origin, None, format!("YAML syntax: {e}"));
                    // A syntax error poisons the rest of the stream.
                    return;
                }
            };
            if value.is_null() {
                continue;
            }
            docs += 1;
            if let Some(kind) = value.get("mapping") {
                match kind.as_str() {
                    Some(k) if !k.trim().is_empty() => self.mappings.push(PendingMapping {
                        kind: k.trim().to_string(),
                        origin: origin.to_string(),
                        doc: value.clone(),
                    }),
                    _ => self.error(origin, None, "`mapping:` must name the mapping kind".into()),
                }
                continue;
            }
            let id_hint = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
            let spec: RuleSpec = match serde_yaml_ng::from_value(value) {
                Ok(s) => s,
                Err(e) => {
                    self.error(origin, id_hint, format!("invalid rule: {e}"));
                    continue;
                }
            };
            self.add_spec(origin, spec, seen);
        }
        if docs == 0 {
            self.warn(origin, None, "file holds no rule".into());
        }
    }

    fn add_spec(&mut self, origin: &str, spec: RuleSpec, seen: &mut HashSet<String>) {
        let id = spec.id.trim().to_string();
        if id.is_empty() {
            self.error(origin, None, "rule id is empty".into());
            return;
        }
        if !seen.insert(id.clone()) {
            self.error(
                origin,
                Some(id),
                "duplicate rule id: an earlier rule has the same id; this one was not loaded"
                    .into(),
            );
            return;
        }
        let meta = Arc::new(RuleMeta {
            id: id.clone(),
            title: spec.title,
            description: spec.description.trim().to_string(),
            severity: spec.severity,
            stage: spec.stage,
            cves: spec.cves,
            tags: spec.tags,
            attack: spec.attack,
            references: spec.references,
            author: spec.author,
            remediation: spec.remediation.trim().to_string(),
            origin: origin.to_string(),
            escalate_on_intrusion: spec.escalate_on_intrusion,
        });
        match (spec.log, spec.event, spec.file) {
            (Some(logic), None, None) => match LogRule::compile(meta, logic) {
                Ok((rule, warnings)) => {
                    for w in warnings {
                        self.warn(origin, Some(id.clone()), w);
                    }
                    self.log_rules.push(rule);
                }
                Err(e) => self.error(origin, Some(id), e),
            },
            (None, Some(logic), None) => self.event_rules.push(PendingRule { meta, logic }),
            (None, None, Some(logic)) => self.file_rules.push(PendingRule { meta, logic }),
            (None, None, None) => self.error(
                origin,
                Some(id),
                "rule has no logic: add a `log:`, `event:` or `file:` block".into(),
            ),
            _ => self.error(
                origin,
                Some(id),
                "rule has more than one of `log:`, `event:`, `file:`; write one rule per kind"
                    .into(),
            ),
        }
    }

    fn error(&mut self, origin: &str, rule_id: Option<String>, message: String) {
        self.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: origin.to_string(),
            rule_id,
            message,
        });
    }

    fn warn(&mut self, origin: &str, rule_id: Option<String>, message: String) {
        self.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Warning,
            origin: origin.to_string(),
            rule_id,
            message,
        });
    }
}

/// True when `p` is named as a YAML rule file (`.yml` or `.yaml`, any case): how every rule
/// folder (native, Sigma, campaigns) tells its rule files, and how `rules compile` refuses an
/// output name that would be read as one.
pub fn has_yaml_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_files_are_named_yml_or_yaml_in_any_case() {
        for name in ["a.yml", "b.yaml", "C.YML", "d.Yaml", "dir/e.yml"] {
            assert!(has_yaml_name(Path::new(name)), "{name}");
        }
        for name in ["a.yml.bak", "b.exhpack", "yml", "c.json", "d"] {
            assert!(!has_yaml_name(Path::new(name)), "{name}");
        }
    }

    const GOOD: &str = r#"
id: T-1
title: test
description: d
severity: high
stage: exploitation
remediation: r
log:
  sources: [iis]
  match: {field: cs-uri-stem, contains: /ecp/}
"#;

    #[test]
    fn embedded_pack_loads_cleanly() {
        let set = RuleSet::load(&RuleSources {
            embedded: true,
            user_paths: vec![],
        });
        let errors: Vec<_> = set.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(set.log_rules.len() >= 15, "{} rules", set.log_rules.len());
        for r in &set.log_rules {
            assert!(
                !r.meta.remediation.is_empty(),
                "{} lacks remediation",
                r.meta.id
            );
            assert!(
                !r.meta.references.is_empty(),
                "{} lacks references",
                r.meta.id
            );
            assert!(!r.meta.attack.is_empty(), "{} lacks ATT&CK ids", r.meta.id);
        }
    }

    #[test]
    fn bad_documents_are_reported_and_good_ones_load() {
        let text = format!(
            "{GOOD}\n---\nid: T-2\ntitle: t\ndescription: d\nseverity: extreme\nstage: exploitation\nremediation: r\nlog: {{sources: [iis], match: {{field: a, contains: abc}}}}\n---\nid: T-1\ntitle: dup\ndescription: d\nseverity: low\nstage: exposure\nremediation: r\nlog: {{sources: [iis], match: {{field: a, contains: abc}}}}\n---\nid: T-3\ntitle: t\ndescription: d\nseverity: low\nstage: exposure\nremediation: r\n"
        );
        let set = RuleSet::from_text("x.yml", &text);
        assert_eq!(set.log_rules.len(), 1);
        let msgs: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert!(
            msgs[0].contains("T-2") && msgs[0].contains("extreme"),
            "{}",
            msgs[0]
        );
        assert!(msgs[1].contains("duplicate rule id"), "{}", msgs[1]);
        assert!(msgs[2].contains("no logic"), "{}", msgs[2]);
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let set = RuleSet::from_text("broken.yml", "id: [unclosed\n");
        assert!(set.has_errors());
        assert!(set.diagnostics[0]
            .to_string()
            .starts_with("error: broken.yml: YAML syntax"));
    }

    #[test]
    fn user_folder_errors_are_reported_per_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.yml"), GOOD).unwrap();
        std::fs::write(dir.path().join("bad.yaml"), "id: X\ntitle: t\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let set = RuleSet::load(&RuleSources {
            embedded: false,
            user_paths: vec![dir.path().to_path_buf(), dir.path().join("missing")],
        });
        assert_eq!(set.log_rules.len(), 1);
        let msgs: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("bad.yaml") && m.contains("missing field")),
            "{msgs:#?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("missing") && m.contains("does not exist")),
            "{msgs:#?}"
        );
    }
}
