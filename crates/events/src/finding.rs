//! Turning a matched event into a [`Finding`]: channel, event id, record id, computer and
//! provider as top-level facts, the fields the rule read plus the key fields of the event as
//! evidence.

use std::collections::BTreeMap;
use std::sync::Arc;

use exhunt_core::discover::LogFile;
use exhunt_core::model::{truncate_evidence, Location, Outcome, MAX_EVIDENCE_BYTES};
use exhunt_core::{Finding, SourceKind};

use crate::engine::RuleEntry;
use crate::event::Event;

/// Fields kept on every finding when the event has them, so that the evidence reads alone.
const KEY_FIELDS: &[&str] = &[
    "Image",
    "CommandLine",
    "ParentImage",
    "ParentCommandLine",
    "NewProcessName",
    "ParentProcessName",
    "User",
    "SubjectUserName",
    "SubjectDomainName",
    "TargetUserName",
    "TargetDomainName",
    "MemberName",
    "TargetFilename",
    "TargetImage",
    "GrantedAccess",
    "ServiceName",
    "ImagePath",
    "ServiceFileName",
    "ScriptBlockText",
    "ThreatName",
    "Threat Name",
    "Path",
    "Data1",
    "Data2",
];

/// Longest value kept per field.
const MAX_FIELD_BYTES: usize = 1024;

/// Build the finding for `rule` matching `ev` in `file`.
pub fn build_finding(rule: &RuleEntry, ev: &Event, file: &LogFile) -> Finding {
    let mut fields = BTreeMap::new();
    for (name, value) in ev.fields() {
        let lower = name.to_ascii_lowercase();
        let wanted =
            rule.fields.contains(&lower) || KEY_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(name));
        if wanted && !value.is_empty() && !fields.contains_key(name) {
            fields.insert(name.to_string(), truncate_evidence(value, MAX_FIELD_BYTES));
        }
    }
    let mut extra = BTreeMap::new();
    extra.insert("channel".to_string(), ev.channel.clone().into());
    extra.insert("event_id".to_string(), ev.event_id.into());
    extra.insert("record_id".to_string(), ev.record_id.into());
    extra.insert("computer".to_string(), ev.computer.clone().into());
    extra.insert("provider".to_string(), ev.provider.clone().into());
    // A process-tree finding: the creation events of the ancestors it was judged on.
    if let Some(records) = ev.get("_ancestry_records").filter(|r| !r.is_empty()) {
        let ids: Vec<u64> = records
            .split(" < ")
            .filter_map(|r| r.parse().ok())
            .collect();
        extra.insert("ancestor_record_ids".to_string(), ids.into());
    }
    let client_ip = ["IpAddress", "SourceIp", "ClientAddress"]
        .iter()
        .filter_map(|f| ev.get(f))
        .find(|v| v.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_string);
    Finding {
        rule: Arc::clone(&rule.meta),
        severity: rule.meta.severity,
        host: file.host.clone(),
        source: SourceKind::Evtx,
        path: file.rel.clone(),
        location: Location::Record {
            record_id: ev.record_id,
        },
        timestamp: ev.timestamp,
        client_ip,
        request_id: None,
        url_path: None,
        outcome: Outcome::Unknown,
        notes: vec![],
        fields,
        evidence: truncate_evidence(&evidence_text(ev), MAX_EVIDENCE_BYTES),
        story: None,
        extra,
    }
}

/// `Channel EventID record N on COMPUTER (Provider): name=value; …` over the data fields.
fn evidence_text(ev: &Event) -> String {
    let mut s = format!(
        "{} {} record {} on {} ({})",
        ev.channel, ev.event_id, ev.record_id, ev.computer, ev.provider
    );
    let mut first = true;
    for (name, value) in ev.data_fields() {
        if value.is_empty() || name == "Data" {
            continue;
        }
        s.push_str(if first { ": " } else { "; " });
        first = false;
        s.push_str(name);
        s.push('=');
        s.push_str(&value.replace(['\r', '\n'], " "));
        if s.len() > MAX_EVIDENCE_BYTES {
            break;
        }
    }
    s
}
