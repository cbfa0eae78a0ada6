//! Turning a rule hit on a file into a [`Finding`] of the shared model: path, size, SHA-256,
//! times, matched strings with offsets (truncated safely), and the URL the file is served at
//! (so correlation links it with the log lines that requested it).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use exhunt_core::model::{
    truncate_evidence, Finding, Location, Outcome, SourceKind, MAX_EVIDENCE_BYTES,
};
use exhunt_core::rules::RuleMeta;
use serde_json::{json, Value};

use crate::areas::{Area, Candidate};

/// Longest matched data kept per match, in bytes.
pub(crate) const MAX_MATCH_BYTES: usize = 96;

/// What is known about one scanned file (the listing entry is borrowed: most files make no
/// finding, so nothing of it is copied unless one is made).
#[derive(Debug, Clone)]
pub(crate) struct FileFacts<'c> {
    pub(crate) rel: &'c str,
    pub(crate) host: &'c str,
    pub(crate) sys_path: &'c str,
    pub(crate) area: Area,
    pub(crate) size: u64,
    pub(crate) sha256: Option<String>,
    pub(crate) modified: Option<DateTime<Utc>>,
    pub(crate) created: Option<DateTime<Utc>>,
}

impl<'c> FileFacts<'c> {
    /// Facts from the listing entry and the file's metadata.
    pub(crate) fn new(c: &'c Candidate, md: Option<&std::fs::Metadata>) -> FileFacts<'c> {
        let time = |t: std::io::Result<std::time::SystemTime>| t.ok().map(DateTime::<Utc>::from);
        FileFacts {
            rel: &c.rel,
            host: &c.host,
            sys_path: &c.sys_path,
            area: c.area,
            size: md.map(|m| m.len()).unwrap_or(c.size),
            sha256: None,
            modified: md.and_then(|m| time(m.modified())),
            created: md.and_then(|m| time(m.created())),
        }
    }

    /// The URL path IIS serves the file at, for files in web folders.
    pub(crate) fn url_path(&self) -> Option<String> {
        let p = self.sys_path;
        let rest = match self.area {
            Area::Web => p
                .find("/inetpub/wwwroot/")
                .map(|i| &p[i + "/inetpub/wwwroot".len()..]),
            Area::ExchangeWeb => p
                .find("/frontend/httpproxy/")
                .map(|i| &p[i + "/frontend/httpproxy".len()..])
                .or_else(|| {
                    p.find("/clientaccess/")
                        .map(|i| &p[i + "/clientaccess".len()..])
                }),
            _ => None,
        }?;
        Some(rest.to_string())
    }
}

/// One matched string of a YARA rule.
#[derive(Debug, Clone)]
pub(crate) struct StringMatch {
    pub(crate) pattern: String,
    pub(crate) offset: usize,
    pub(crate) length: usize,
    pub(crate) data: String,
}

impl StringMatch {
    pub(crate) fn to_json(&self) -> Value {
        json!({"pattern": self.pattern, "offset": self.offset, "length": self.length, "data": self.data})
    }
}

/// Printable form of matched bytes: ASCII kept, the rest as `\xNN`, cut at [`MAX_MATCH_BYTES`].
pub(crate) fn render_bytes(data: &[u8]) -> String {
    let mut s = String::new();
    for &b in data.iter().take(MAX_MATCH_BYTES) {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > MAX_MATCH_BYTES {
        s.push_str(&format!("…[{} more bytes]", data.len() - MAX_MATCH_BYTES));
    }
    s
}

/// Build a finding for `meta` on the file.
pub(crate) fn build(
    meta: &Arc<RuleMeta>,
    facts: &FileFacts,
    evidence: &str,
    matches: &[StringMatch],
    more: BTreeMap<String, Value>,
) -> Finding {
    let mut extra = more;
    extra.insert("size".into(), json!(facts.size));
    if let Some(h) = &facts.sha256 {
        extra.insert("sha256".into(), json!(h));
    }
    if let Some(t) = facts.modified {
        extra.insert(
            "modified".into(),
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    if let Some(t) = facts.created {
        extra.insert(
            "created".into(),
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    if !matches.is_empty() {
        extra.insert(
            "matches".into(),
            Value::Array(matches.iter().map(StringMatch::to_json).collect()),
        );
    }
    let mut fields = BTreeMap::new();
    fields.insert("area".to_string(), facts.area.as_str().to_string());
    let name = facts.sys_path.rsplit('/').next().unwrap_or("").to_string();
    fields.insert("name".to_string(), name);
    let url_path = if meta.stage == exhunt_core::model::Stage::Backdoor {
        facts.url_path()
    } else {
        None
    };
    if let Some(u) = &url_path {
        fields.insert("url_path".to_string(), u.clone());
    }
    let mut text = evidence.to_string();
    for m in matches.iter().take(8) {
        text.push_str(&format!("\n{} @{}: {}", m.pattern, m.offset, m.data));
    }
    Finding {
        rule: Arc::clone(meta),
        severity: meta.severity,
        host: facts.host.to_string(),
        source: SourceKind::Files,
        path: facts.rel.to_string(),
        location: Location::File,
        timestamp: facts.modified,
        client_ip: None,
        request_id: None,
        url_path,
        outcome: Outcome::Unknown,
        notes: Vec::new(),
        fields,
        evidence: truncate_evidence(&text, MAX_EVIDENCE_BYTES),
        story: None,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_render_safely() {
        assert_eq!(render_bytes(b"ab\x00\n\\"), "ab\\x00\\n\\\\");
        let long = vec![b'a'; 200];
        let r = render_bytes(&long);
        assert!(r.ends_with("…[104 more bytes]"), "{r}");
    }
}
