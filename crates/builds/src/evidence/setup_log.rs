//! `ExchangeSetupLogs/ExchangeSetup.log`: the cumulative-update setup runs.
//!
//! Lines used (seen in the microsoft/CSS-Exchange setup-log samples):
//! `[ts] [0] Setup version: 15.1.2176.9.` (the media being run),
//! `[ts] [0] The locally installed version is 15.1.2176.2.` (what was installed when it ran) and
//! `The Exchange Server setup operation completed successfully.`
//! Security updates do not write this log, so every build from it is a CU-level lower bound.

use super::text::read_text;
use super::{BuildEvidence, EvidenceSource};
use crate::version::BuildNumber;
use std::path::Path;

const MAX_BYTES: u64 = 512 * 1024 * 1024;

struct Run {
    media: BuildNumber,
    media_line: usize,
    stamp: String,
    completed: bool,
}

/// Scan one setup log.
pub(crate) fn scan(path: &Path) -> Vec<BuildEvidence> {
    let Some(text) = read_text(path, MAX_BYTES) else {
        return Vec::new();
    };
    let mut runs: Vec<Run> = Vec::new();
    let mut installed: Option<(BuildNumber, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let stamp = line
            .strip_prefix('[')
            .and_then(|l| l.split_once(']'))
            .map(|x| x.0.to_string())
            .unwrap_or_default();
        if let Some(v) = after(line, "Setup version: ") {
            if let Ok(b) = BuildNumber::parse(v.trim_end_matches('.')) {
                runs.push(Run {
                    media: b,
                    media_line: i + 1,
                    stamp,
                    completed: false,
                });
            }
        } else if let Some(v) = after(line, "The locally installed version is ") {
            if let Ok(b) = BuildNumber::parse(v.trim_end_matches('.')) {
                installed = Some((b, i + 1, stamp));
            }
        } else if line.contains("The Exchange Server setup operation completed successfully") {
            if let Some(r) = runs.last_mut() {
                r.completed = true;
            }
        }
    }
    let mut out = Vec::new();
    if let Some(r) = runs.iter().rev().find(|r| r.completed) {
        let detail = format!(
            "line {}: setup of {} completed successfully (run started {}); CU level only, SUs do not write this log",
            r.media_line, r.media, r.stamp
        );
        out.push(BuildEvidence::new(
            EvidenceSource::SetupLog,
            path,
            r.media,
            false,
            detail,
        ));
    }
    if let Some((b, line, stamp)) = installed {
        let newer_completed = out.iter().any(|e| e.build >= b);
        if !newer_completed {
            let last = runs.last().map(|r| {
                format!(
                    "; the last run ({}, media {}) did not record success",
                    r.stamp, r.media
                )
            });
            let detail = format!(
                "line {line}: \"The locally installed version is {b}\" at {stamp}{}; CU level only",
                last.unwrap_or_default()
            );
            out.push(BuildEvidence::new(
                EvidenceSource::SetupLog,
                path,
                b,
                false,
                detail,
            ));
        }
    }
    out
}

fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| line[i + marker.len()..].trim())
}
