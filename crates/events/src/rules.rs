//! Event rules as data: the `event:` block of a rule file.
//!
//! ```yaml
//! event:
//!   channel: [Security]                 # one or many, case-insensitive; omitted = any channel
//!   provider: Microsoft-Windows-Security-Auditing   # optional, one or many
//!   event_id: [4688]                    # optional, one or many
//!   match:                              # the field-condition language of log rules
//!     all:
//!       - {field: ParentProcessName, endswith: '\w3wp.exe'}
//!       - {field: NewProcessName, endswith: ['\cmd.exe', '\powershell.exe']}
//!   fields: [SubjectUserName]           # optional: more fields to keep as evidence
//! ```
//! Field names are those of [`crate::event`]: System fields, EventData names, `Data`/`DataN`
//! for unnamed data, UserData leaves, and `_text` for all data values at once.
//! Events are first filtered by channel and event id (an index lookup), then by provider,
//! and only then is the condition evaluated.

use exhunt_core::rules::condition::{Condition, ConditionSpec, OneOrMany};
use exhunt_core::rules::PendingRule;
use serde::Deserialize;

use crate::engine::{Logic, Scope};

/// The `event:` block as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    #[serde(default)]
    channel: Option<OneOrMany>,
    #[serde(default)]
    provider: Option<OneOrMany>,
    #[serde(default)]
    event_id: Option<IdList>,
    #[serde(rename = "match")]
    matcher: ConditionSpec,
    #[serde(default)]
    fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IdList {
    One(u32),
    Many(Vec<u32>),
}

/// A compiled `event:` block: where it applies, its condition, its evidence fields.
#[derive(Debug)]
pub struct NativeRule {
    /// Channels, providers and event ids it applies to.
    pub scope: Scope,
    /// The condition.
    pub logic: Logic,
    /// Extra evidence fields (lower-cased).
    pub fields: Vec<String>,
}

/// Compile one pending `event:` rule.
pub fn compile(rule: &PendingRule) -> Result<NativeRule, String> {
    let spec: EventSpec = serde_yaml_ng::from_value(rule.logic.clone())
        .map_err(|e| format!("invalid `event:` block: {e}"))?;
    let lower = |v: Option<OneOrMany>| -> Vec<String> {
        v.map(|v| v.into_vec().iter().map(|s| s.to_lowercase()).collect())
            .unwrap_or_default()
    };
    let scope = Scope {
        channels: lower(spec.channel),
        providers: lower(spec.provider),
        event_ids: match spec.event_id {
            None => vec![],
            Some(IdList::One(i)) => vec![i],
            Some(IdList::Many(v)) => v,
        },
    };
    let condition = Condition::compile(&spec.matcher)?;
    Ok(NativeRule {
        scope,
        logic: Logic::Native(condition),
        fields: spec.fields.iter().map(|f| f.to_ascii_lowercase()).collect(),
    })
}
