//! One Windows event, flattened for rule evaluation, and how it is built from the JSON shape the
//! `evtx` crate produces (both for EVTX records and for `evtx_dump` exports).
//!
//! # Field naming
//! Rules name fields case-insensitively:
//! - **System fields** by their element name: `Channel`, `Provider` (the provider's `Name`
//!   attribute), `ProviderGuid`, `EventID`, `EventRecordID`, `Computer`, `Level`, `Task`,
//!   `Opcode`, `Keywords`, `Version`, `TimeCreated` (its `SystemTime`), `ProcessID`,
//!   `ThreadID` (from `Execution`), `UserID` (from `Security`), `ActivityID`.
//! - **EventData** named values (`<Data Name="CommandLine">`) by their name: `CommandLine`,
//!   `Image`, `NewProcessName`, `ScriptBlockText`, …
//! - **Unnamed EventData** values (classic providers such as the Exchange ones): `Data` holds
//!   them all joined by spaces (as the rendered message shows them: `New-MailboxExportRequest
//!   -Mailbox …`), `Data1`, `Data2`, … each one.
//! - **UserData** leaves by their element name (`SubjectUserName` of a 1102 `LogFileCleared`),
//!   and their attributes by the attribute name (`ProcessName` of CAPI2's `EventAuxInfo`).
//! - `Message` from `RenderingInfo`, when the log was forwarded with rendered text.
//! - EventData elements rendered as JSON `null` (no value at all) are left out, so that Sigma's
//!   `null` (absent) and `''` (empty) stay distinct.
//! - `_cmd`: the command the event records — CommandLine, ScriptBlockText, Payload or the
//!   classic PowerShell pipeline data, the first present.
//! - `_text`: every EventData, UserData and Message value joined by spaces — for searches
//!   that do not care which field holds the text (Sigma keywords, Exchange cmdlet events).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use exhunt_core::rules::condition::FieldLookup;
use serde_json::{Map, Value};

/// A flattened event. Field names are looked up case-insensitively and without spaces
/// (`Threat Name` and `ThreatName` are the same field), as the Sigma specification names them.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// `System/Channel`.
    pub channel: String,
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/EventID`.
    pub event_id: u32,
    /// `System/EventRecordID` (or the record header's id).
    pub record_id: u64,
    /// `System/Computer`.
    pub computer: String,
    /// `System/TimeCreated/@SystemTime`.
    pub timestamp: Option<DateTime<Utc>>,
    /// (name as written, lower-cased name, value), in document order.
    fields: Vec<(String, String, String)>,
    /// The data values, joined lazily for `_text`.
    text: OnceLock<String>,
    /// How many leading fields are System fields.
    system_len: usize,
}

impl FieldLookup for Event {
    fn lookup(&self, name: &str) -> Option<&str> {
        if name == "_text" {
            return Some(self.text());
        }
        if name == "_cmd" {
            return self.command();
        }
        // Names are compared without spaces: Defender's "Threat Name" is `ThreatName` in Sigma
        // (whose specification strips the spaces) and `Threat Name` in exhunt's own rules.
        let spaced;
        let key = if name.contains(' ') {
            spaced = name.replace(' ', "");
            spaced.as_str()
        } else {
            name
        };
        self.fields
            .iter()
            .find(|(_, lower, _)| lower == key)
            .map(|(_, _, v)| v.as_str())
    }
}

/// The fields `_cmd` reads, in order: the first non-empty one is the event's command.
pub(crate) const COMMAND_FIELDS: [&str; 4] = ["commandline", "scriptblocktext", "payload", "data"];

impl Event {
    /// The value of a field by (any-case) name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.lookup(&name.to_ascii_lowercase())
    }

    /// Every field as (name, value), System fields first.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, _, v)| (n.as_str(), v.as_str()))
    }

    /// Every field as (lower-cased name, value), for the literal index.
    pub(crate) fn lower_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(_, l, v)| (l.as_str(), v.as_str()))
    }

    /// The event's data fields (EventData, UserData, Message) as (name, value).
    pub fn data_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields[self.system_len..]
            .iter()
            .map(|(n, _, v)| (n.as_str(), v.as_str()))
    }

    /// The command an event records (the `_cmd` field): the process command line (Sysmon 1,
    /// Security 4688), the script block (PowerShell 4104), the module-logging payload (4103)
    /// or the pipeline details (Windows PowerShell 800) — the first of these the event has.
    /// Rules about command lines read it instead of `_text`: the same text whatever the
    /// source, without joining every value of the event.
    pub fn command(&self) -> Option<&str> {
        COMMAND_FIELDS.iter().find_map(|k| {
            self.fields[self.system_len..]
                .iter()
                .find(|(_, lower, v)| lower == k && !v.is_empty())
                .map(|(_, _, v)| v.as_str())
        })
    }

    /// Every data value joined by spaces (the `_text` field).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            let mut s = String::new();
            for (name, _, v) in &self.fields[self.system_len..] {
                // `Data` repeats `Data1..n`; skip it to avoid doubling the text.
                if name == "Data" || v.is_empty() {
                    continue;
                }
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(v);
            }
            s
        })
    }

    /// An event built from parts rather than read (the process-tree events of
    /// [`crate::tree`]): System facts and data fields, in order.
    pub fn synthetic(
        channel: &str,
        event_id: u32,
        record_id: u64,
        computer: &str,
        timestamp: Option<DateTime<Utc>>,
        data: &[(&str, String)],
    ) -> Event {
        let mut ev = Event {
            channel: channel.to_string(),
            event_id,
            record_id,
            computer: computer.to_string(),
            timestamp,
            ..Default::default()
        };
        ev.push("Channel", channel.to_string());
        ev.push("EventID", event_id.to_string());
        ev.push("EventRecordID", record_id.to_string());
        ev.push("Computer", computer.to_string());
        ev.system_len = ev.fields.len();
        for (name, value) in data {
            ev.push(name, value.clone());
        }
        ev
    }

    fn push(&mut self, name: &str, value: String) {
        self.fields.push((name.to_string(), field_key(name), value));
    }
}

/// The form every field name is compared in — by events, rules, the Sigma mapping and the
/// literal index alike: ASCII lower case, without spaces (`Threat Name` is `threatname`).
pub fn field_key(name: &str) -> String {
    let mut key = name.to_ascii_lowercase();
    key.retain(|c| c != ' ');
    key
}

/// The channel and event id of a JSON event, read without flattening it (for the prefilter).
pub fn peek_channel_and_id(root: &Value) -> Option<(&str, u32)> {
    let system = root.get("Event")?.get("System")?;
    let channel = system.get("Channel").and_then(Value::as_str).unwrap_or("");
    let id = system.get("EventID").map(event_id_of).unwrap_or(0);
    Some((channel, id))
}

fn event_id_of(v: &Value) -> u32 {
    let v = match v {
        Value::Object(m) => m.get("#text").unwrap_or(&Value::Null),
        v => v,
    };
    match v {
        Value::Number(n) => n.as_u64().unwrap_or(0) as u32,
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// Render a JSON leaf as text (numbers and booleans as written, null as empty).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(scalar_text)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Value::Object(m) => m.get("#text").and_then(scalar_text),
    }
}

/// Flatten an event in the `evtx` JSON shape (`{"Event": {"System": …, "EventData": …}}`).
/// `record_id` is the record header's id, used when `System/EventRecordID` is missing.
/// Returns `None` when the value is not an event.
pub fn flatten(root: &Value, record_id: Option<u64>) -> Option<Event> {
    let event = root.get("Event")?.as_object()?;
    let system = event.get("System").and_then(Value::as_object)?;
    let mut ev = Event::default();
    flatten_system(system, &mut ev);
    ev.system_len = ev.fields.len();
    ev.channel = ev.get("Channel").unwrap_or("").to_string();
    ev.provider = ev.get("Provider").unwrap_or("").to_string();
    ev.computer = ev.get("Computer").unwrap_or("").to_string();
    ev.event_id = system.get("EventID").map(event_id_of).unwrap_or(0);
    ev.record_id = ev
        .get("EventRecordID")
        .and_then(|s| s.parse().ok())
        .or(record_id)
        .unwrap_or(0);
    ev.timestamp = ev.get("TimeCreated").and_then(parse_time);
    if let Some(data) = event.get("EventData") {
        flatten_event_data(data, &mut ev);
    }
    if let Some(user) = event.get("UserData") {
        flatten_leaves(user, "", &mut ev);
    }
    if let Some(msg) = event
        .get("RenderingInfo")
        .and_then(|r| r.get("Message"))
        .and_then(scalar_text)
    {
        ev.push("Message", msg);
    }
    Some(ev)
}

/// Parse the `SystemTime` forms seen in exports (RFC 3339, with or without zone).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|n| n.and_utc())
}

/// Attributes of an element: `#attributes` (default) or `<name>_attributes` (the crate's
/// `separate_json_attributes` form, passed as `sep`).
fn attributes<'a>(value: &'a Value, sep: Option<&'a Value>) -> Option<&'a Map<String, Value>> {
    value
        .get("#attributes")
        .and_then(Value::as_object)
        .or_else(|| sep.and_then(Value::as_object))
}

fn flatten_system(system: &Map<String, Value>, ev: &mut Event) {
    for (key, value) in system {
        if key.ends_with("_attributes") {
            let base = &key[..key.len() - "_attributes".len()];
            // Handled with the element itself, or alone when the element has no text.
            if !system.contains_key(base) || system[base].is_null() {
                system_attributes(base, value.as_object(), ev);
            }
            continue;
        }
        let sep = system.get(&format!("{key}_attributes"));
        match value {
            Value::Object(_) => {
                if let Some(t) = value.get("#text").and_then(scalar_text) {
                    ev.push(key, t);
                }
                system_attributes(key, attributes(value, sep), ev);
            }
            Value::Null => system_attributes(key, attributes(value, sep), ev),
            v => {
                if let Some(t) = scalar_text(v) {
                    ev.push(key, t);
                }
                system_attributes(key, attributes(v, sep), ev);
            }
        }
    }
}

fn system_attributes(element: &str, attrs: Option<&Map<String, Value>>, ev: &mut Event) {
    let Some(attrs) = attrs else { return };
    for (name, v) in attrs {
        let Some(text) = scalar_text(v) else { continue };
        let field = match (element, name.as_str()) {
            ("Provider", "Name") => "Provider".to_string(),
            ("Provider", "Guid") => "ProviderGuid".to_string(),
            ("Provider", "EventSourceName") => "EventSourceName".to_string(),
            ("TimeCreated", "SystemTime") => "TimeCreated".to_string(),
            ("EventID", "Qualifiers") => "Qualifiers".to_string(),
            (_, n) => n.to_string(),
        };
        ev.push(&field, text);
    }
}

fn flatten_event_data(data: &Value, ev: &mut Event) {
    let Some(map) = data.as_object() else {
        if let Some(t) = scalar_text(data) {
            if !t.is_empty() {
                ev.push("Data", t.clone());
                ev.push("Data1", t);
            }
        }
        return;
    };
    for (key, value) in map {
        if key == "#attributes" || key.ends_with("_attributes") {
            continue;
        }
        if key == "Data" || key == "#text" {
            unnamed_data(value, ev);
            continue;
        }
        match value {
            Value::Object(_) if value.get("#text").is_none() => {
                flatten_leaves(value, key, ev);
            }
            // An element without a value: absent for rules (Sigma's `null`), not an empty
            // string (Sigma's `''`).
            Value::Null => {}
            v => {
                if let Some(t) = scalar_text(v) {
                    ev.push(key, t);
                }
            }
        }
    }
}

fn unnamed_data(value: &Value, ev: &mut Event) {
    let inner = match value {
        Value::Object(m) => m.get("#text").unwrap_or(&Value::Null),
        v => v,
    };
    let items: Vec<String> = match inner {
        Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
        v => scalar_text(v).into_iter().collect(),
    };
    if items.is_empty() {
        return;
    }
    ev.push("Data", items.join(" "));
    for (i, t) in items.into_iter().enumerate() {
        ev.push(&format!("Data{}", i + 1), t);
    }
}

/// UserData and nested EventData: every leaf by its element name.
fn flatten_leaves(value: &Value, name: &str, ev: &mut Event) {
    match value {
        Value::Object(m) => {
            if let Some(t) = m.get("#text").and_then(scalar_text) {
                ev.push(name, t);
            }
            for (k, v) in m {
                if k == "#attributes" || k.ends_with("_attributes") {
                    // Attributes of UserData elements carry data too (CAPI2's
                    // `<EventAuxInfo ProcessName="…"/>`): each one by its own name.
                    if let Some(attrs) = v.as_object() {
                        for (name, value) in attrs {
                            if name != "xmlns" {
                                if let Some(t) = scalar_text(value) {
                                    ev.push(name, t);
                                }
                            }
                        }
                    }
                    continue;
                }
                if k == "#text" {
                    continue;
                }
                flatten_leaves(v, k, ev);
            }
        }
        v if !name.is_empty() => {
            if let Some(t) = scalar_text(v) {
                ev.push(name, t);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_system_named_and_unnamed_data() {
        let v: Value = serde_json::from_str(
            r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"MSExchange CmdletLogs"}},
            "EventID":{"#attributes":{"Qualifiers":16384},"#text":1},"Level":4,"TimeCreated":{"#attributes":{"SystemTime":"2021-03-03T10:00:00.5Z"}},
            "EventRecordID":42,"Channel":"MSExchange Management","Computer":"EX01.corp.local","Security":null},
            "EventData":{"Data":{"#text":["New-MailboxExportRequest","-Mailbox 'a' -FilePath '\\\\ex01\\c$\\x.aspx'"]}}}}"##,
        )
        .unwrap();
        let ev = flatten(&v, None).unwrap();
        assert_eq!(ev.channel, "MSExchange Management");
        assert_eq!(ev.provider, "MSExchange CmdletLogs");
        assert_eq!(ev.event_id, 1);
        assert_eq!(ev.record_id, 42);
        assert_eq!(ev.computer, "EX01.corp.local");
        assert_eq!(ev.get("qualifiers"), Some("16384"));
        assert_eq!(ev.get("Data1"), Some("New-MailboxExportRequest"));
        assert!(ev.text().contains("x.aspx"));
        assert!(ev.timestamp.is_some());
        assert_eq!(peek_channel_and_id(&v), Some(("MSExchange Management", 1)));
    }

    #[test]
    fn flattens_separate_attributes_and_user_data() {
        let v: Value = serde_json::from_str(
            r##"{"Event":{"System":{"Provider":null,"Provider_attributes":{"Name":"Microsoft-Windows-Eventlog"},
            "EventID":1102,"Channel":"Security","Computer":"EX01"},
            "UserData":{"LogFileCleared":{"#attributes":{"xmlns":"y"},"SubjectUserName":"attacker","SubjectDomainName":"CORP"}}}}"##,
        )
        .unwrap();
        let ev = flatten(&v, Some(7)).unwrap();
        assert_eq!(ev.provider, "Microsoft-Windows-Eventlog");
        assert_eq!(ev.record_id, 7);
        assert_eq!(ev.get("subjectusername"), Some("attacker"));
        assert!(flatten(&serde_json::json!({"a": 1}), None).is_none());
    }
}
