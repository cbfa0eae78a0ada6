//! Text-log rules: which sources, which condition, how to judge the outcome, what to note.
//!
//! ```yaml
//! log:
//!   sources: [httpproxy]
//!   prefilter: ["ServerInfo~"]        # optional hint: the engine derives what `match`
//!                                     # requires of the raw line and uses this only
//!                                     # when nothing can be derived;
//!                                     # `[]` = check every line on purpose
//!   match:
//!     all:
//!       - {field: AnchorMailbox, like: "ServerInfo~*/*"}
//!   outcome:                          # optional: success/failure from the status
//!     field: HttpStatus               # or a list: the first field present is used
//!     success: ["200", "241"]
//!     failure: ["4*", "5*"]
//!     failure_severity: medium
//!   notes:                            # optional: facts recorded on the finding
//!     - when: {field: AuthenticatedUser, empty: true}
//!       text: "unauthenticated request"
//! ```

use std::sync::Arc;

use serde::Deserialize;

use super::condition::{like_to_regex, Condition, ConditionSpec, EvalCtx, OneOrMany};
use super::raw::Dialect;
use super::RuleMeta;
use crate::model::{Outcome, Severity, SourceKind};

/// The `log:` block as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    sources: Vec<SourceKind>,
    #[serde(default)]
    prefilter: Option<OneOrMany>,
    #[serde(rename = "match")]
    matcher: ConditionSpec,
    #[serde(default)]
    outcome: Option<OutcomeSpec>,
    #[serde(default)]
    notes: Vec<NoteSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeSpec {
    field: OneOrMany,
    #[serde(default)]
    success: Vec<String>,
    #[serde(default)]
    failure: Vec<String>,
    failure_severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteSpec {
    when: ConditionSpec,
    text: String,
}

/// How a rule judges success from a status field.
#[derive(Debug, Clone)]
pub struct OutcomeRule {
    fields: Vec<String>,
    success: Vec<regex::Regex>,
    failure: Vec<regex::Regex>,
    failure_severity: Option<Severity>,
}

impl OutcomeRule {
    /// Judge the outcome from the record.
    pub fn judge(&self, ctx: &EvalCtx<'_>) -> Outcome {
        let Some(v) = self.fields.iter().find_map(|f| ctx.get(f)) else {
            return Outcome::Unknown;
        };
        let v = v.trim();
        if self.success.iter().any(|r| r.is_match(v)) {
            Outcome::Success
        } else if self.failure.iter().any(|r| r.is_match(v)) {
            Outcome::Failure
        } else {
            Outcome::Unknown
        }
    }

    /// The severity of a failed attempt, if the rule lowers it.
    pub fn failure_severity(&self) -> Option<Severity> {
        self.failure_severity
    }

    /// The status field names (lower-cased), first present wins.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }
}

/// A compiled text-log rule.
#[derive(Debug, Clone)]
pub struct LogRule {
    /// Metadata shared with every finding of this rule.
    pub meta: Arc<RuleMeta>,
    /// The log kinds the rule applies to.
    pub sources: Vec<SourceKind>,
    /// The match condition.
    pub condition: Condition,
    /// The `prefilter:` literals (a hint), else literals derived from the condition; `None`
    /// when there are none. The engine searches for what the condition requires of the raw
    /// text first ([`crate::rules::raw`]) and uses these only when nothing can be derived.
    pub literals: Option<Vec<String>>,
    /// Outcome judgement.
    pub outcome: Option<OutcomeRule>,
    /// Annotations.
    pub notes: Vec<(Condition, String)>,
    /// Fields the rule reads, kept on findings as evidence.
    pub fields: Vec<String>,
}

impl LogRule {
    /// Compile a `log:` block; returns the rule and any warnings.
    pub fn compile(meta: Arc<RuleMeta>, spec: LogSpec) -> Result<(LogRule, Vec<String>), String> {
        let mut warnings = Vec::new();
        if spec.sources.is_empty() {
            return Err(
                "`log.sources` is empty: name at least one of iis, httpproxy, ecp, oab, rps".into(),
            );
        }
        let condition = Condition::compile(&spec.matcher).map_err(|e| format!("log.match: {e}"))?;
        // `prefilter: []` says on purpose that every line must be checked.
        let every_line_on_purpose =
            matches!(&spec.prefilter, Some(OneOrMany::Many(v)) if v.is_empty());
        let literals = match spec.prefilter {
            Some(p) if !every_line_on_purpose => {
                let lits: Vec<String> = p
                    .into_vec()
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase())
                    .collect();
                if lits.iter().any(|l| l.is_empty()) {
                    return Err("log.prefilter: empty literal".into());
                }
                Some(lits)
            }
            Some(_) => None,
            None => condition.required_literals(),
        };
        let raw_filtered = spec.sources.iter().all(|s| {
            let dialect = if s.is_w3c() {
                Dialect::W3c
            } else {
                Dialect::Csv
            };
            condition.raw_filter(dialect).is_some()
        });
        if literals.is_none() && !raw_filtered && !every_line_on_purpose {
            warnings.push(format!(
                "no prefilter literal could be derived: every line of {} logs is parsed for this rule (slower); add `prefilter:`",
                spec.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("/")
            ));
        }
        let outcome = match spec.outcome {
            Some(o) => {
                let pats = |v: &[String]| -> Result<Vec<regex::Regex>, String> {
                    v.iter()
                        .map(|p| {
                            regex::RegexBuilder::new(&like_to_regex(p))
                                .case_insensitive(true)
                                .build()
                                .map_err(|e| format!("log.outcome: bad pattern '{p}': {e}"))
                        })
                        .collect()
                };
                Some(OutcomeRule {
                    fields: o
                        .field
                        .into_vec()
                        .iter()
                        .map(|f| f.to_ascii_lowercase())
                        .collect(),
                    success: pats(&o.success)?,
                    failure: pats(&o.failure)?,
                    failure_severity: o.failure_severity,
                })
            }
            None => None,
        };
        let notes = spec
            .notes
            .iter()
            .map(|n| {
                Condition::compile(&n.when)
                    .map(|c| (c, n.text.clone()))
                    .map_err(|e| format!("log.notes: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut fields = Vec::new();
        condition.fields(&mut fields);
        for (c, _) in &notes {
            c.fields(&mut fields);
        }
        if let Some(o) = &outcome {
            for f in &o.fields {
                if !fields.contains(f) {
                    fields.push(f.clone());
                }
            }
        }
        fields.retain(|f| f != "_raw");
        Ok((
            LogRule {
                meta,
                sources: spec.sources,
                condition,
                literals,
                outcome,
                notes,
                fields,
            },
            warnings,
        ))
    }

    /// Build a rule from parts made by another rule language (e.g. Sigma `webserver` rules):
    /// the condition is compiled and literals derived exactly as for YAML rules.
    pub fn from_condition(
        meta: Arc<RuleMeta>,
        sources: Vec<SourceKind>,
        condition: ConditionSpec,
    ) -> Result<(LogRule, Vec<String>), String> {
        LogRule::compile(
            meta,
            LogSpec {
                sources,
                prefilter: None,
                matcher: condition,
                outcome: None,
                notes: Vec::new(),
            },
        )
    }

    /// True when the rule runs on this kind of log.
    pub fn applies_to(&self, kind: SourceKind) -> bool {
        self.sources.contains(&kind)
    }
}
