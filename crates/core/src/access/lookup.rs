//! Field access over what a finding kept of its line, so that the mapping conditions (written
//! for log lines) can be evaluated on findings without reading the line again.

use std::collections::HashMap;

use crate::model::Finding;
use crate::read::record::role_columns;
use crate::rules::condition::FieldLookup;

/// The kept fields of one finding, looked up by lower-cased name, with the source-neutral
/// names (`_stem`, `_url`, `_ua`…) and `_raw` (the evidence).
pub(crate) struct FindingFields<'f> {
    fields: HashMap<String, &'f str>,
    url: Option<String>,
    raw: &'f str,
}

impl<'f> FindingFields<'f> {
    pub(crate) fn new(f: &'f Finding) -> Self {
        let fields: HashMap<String, &str> = f
            .fields
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
            .collect();
        let stem = ["cs-uri-stem", "urlstem"]
            .iter()
            .find_map(|k| fields.get(*k).copied())
            .or(f.url_path.as_deref());
        let query = ["cs-uri-query", "urlquery"]
            .iter()
            .find_map(|k| fields.get(*k).copied())
            .filter(|q| !q.is_empty());
        let url = stem.map(|s| match query {
            Some(q) => format!("{s}?{}", q.trim_start_matches('?')),
            None => s.to_string(),
        });
        FindingFields {
            fields,
            url,
            raw: &f.evidence,
        }
    }
}

impl FieldLookup for FindingFields<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            "_raw" => Some(self.raw),
            "_url" => self.url.as_deref(),
            _ if name.starts_with('_') => role_columns(name)?
                .iter()
                .find_map(|c| self.fields.get(*c).copied()),
            _ => self.fields.get(name).copied(),
        }
    }
}
