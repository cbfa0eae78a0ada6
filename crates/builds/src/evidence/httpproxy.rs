//! `Logging/HttpProxy/**.log`: the `#Version:` header names the build running when the log was written.

use super::text::read_text;
use super::{BuildEvidence, EvidenceSource};
use crate::version::BuildNumber;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Only the header is read.
const HEADER_BYTES: u64 = 4096;

/// True for paths with consecutive components `logging/httpproxy`.
pub(crate) fn is_httpproxy_path(lower: &[String]) -> bool {
    lower
        .windows(2)
        .any(|w| w[0] == "logging" && w[1] == "httpproxy")
}

/// Collects one evidence item per distinct version, with the first and last log file (by name).
#[derive(Default)]
pub(crate) struct Aggregator {
    by_version: BTreeMap<BuildNumber, (PathBuf, PathBuf, usize)>,
}

impl Aggregator {
    /// Read one log's header.
    pub(crate) fn add(&mut self, path: &Path) {
        let Some(text) = read_text(path, HEADER_BYTES) else {
            return;
        };
        let Some(v) = text
            .lines()
            .take(8)
            .find_map(|l| l.strip_prefix("#Version:"))
        else {
            return;
        };
        let Ok(b) = BuildNumber::parse(v.trim()) else {
            return;
        };
        let e = self
            .by_version
            .entry(b)
            .or_insert_with(|| (path.to_path_buf(), path.to_path_buf(), 0));
        let name = |p: &Path| p.file_name().map(|n| n.to_ascii_lowercase());
        if name(path) < name(&e.0) {
            e.0 = path.to_path_buf();
        }
        if name(path) > name(&e.1) {
            e.1 = path.to_path_buf();
        }
        e.2 += 1;
    }

    /// One evidence item per version, newest version first.
    pub(crate) fn finish(self) -> Vec<BuildEvidence> {
        self.by_version
            .into_iter()
            .rev()
            .map(|(b, (first, last, n))| {
                let first_name = first
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let detail = format!(
                    "\"#Version: {}\" in {n} HttpProxy log(s), from {first_name} to this one",
                    b.long_form()
                );
                BuildEvidence::new(EvidenceSource::HttpProxyLog, &last, b, true, detail)
            })
            .collect()
    }
}
