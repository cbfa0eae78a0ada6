//! Compiled Sigma rule packs: a whole rule set in one file, read without parsing YAML.
//!
//! `exhunt rules compile --sigma DIR -o rules.exhpack` reads every rule file of the folders
//! once and writes what a scan needs of each. `exhunt scan --sigma rules.exhpack` then loads
//! the set from that one file: for the 2,400 SigmaHQ Windows rules that is one read instead of
//! 2,400 and JSON instead of YAML, several times faster (see `bench/SIGMA_RESULTS.md`). For a
//! fleet under Velociraptor it is one file to ship beside the binary.
//!
//! # Format (JSON Lines, format 1)
//! - A header: `{"exhunt_sigma_pack":1,"written_by":"exhunt 0.1.0","created":"…","sources":[…],"files":N}`.
//! - One line per rule file, in the order a folder load reads them, `origin` being the file's
//!   path at compile time (findings and diagnostics name it, as they would the file):
//!   - `{"kind":"rule","origin":…,"doc":{…}}`: the rule document, exactly as the YAML said
//!     what exhunt reads of it; it is compiled (field mapping, logsource) when loaded, so a
//!     pack works with any `--sigma-mapping`.
//!   - `{"kind":"yaml","origin":…,"text":…}`: a document JSON cannot hold exactly (a YAML
//!     tag, a non-string key, a NaN), kept as its text and parsed when loaded.
//!   - `{"kind":"unsupported",…,"reason":…}` or `{"kind":"unreadable",…,"message":…}`: a file
//!     that is not one loadable rule, reported by every scan as the folder would be.
//! - A trailer `{"kind":"end","files":N}`: without it the pack is reported as truncated
//!   (the lines before it still load).
//!
//! A pack of another format is refused with a message to compile it again; a line that cannot
//! be read is reported and skipped. Nothing in a pack runs: it holds the same data as the YAML.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use exhunt_core::rules::{DiagnosticLevel, RuleDiagnostic};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Mapping, SigmaDoc, SigmaLoad};

/// The pack format this exhunt writes and reads.
pub const PACK_FORMAT: u32 = 1;

/// The first bytes of every pack: how a file given to `--sigma` is told from a YAML rule.
pub const PACK_MAGIC: &[u8] = b"{\"exhunt_sigma_pack\":";

/// Largest pack read (the whole SigmaHQ set is under 10 MB).
const MAX_PACK_BYTES: u64 = 1 << 30;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    exhunt_sigma_pack: u32,
    #[serde(default)]
    written_by: String,
    #[serde(default)]
    created: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    files: usize,
}

/// One line after the header. One flat shape rather than a tagged enum: serde reads a tagged
/// enum's body twice (buffered, then typed), and the rule documents are most of the pack.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Line {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doc: Option<SigmaDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
}

/// What writing a pack did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PackSummary {
    /// Rule files read.
    pub files: usize,
    /// Files packed as rule documents.
    pub rules: usize,
    /// Files kept as YAML text (JSON cannot hold them exactly).
    pub yaml: usize,
    /// Files that are not one loadable rule (packed as such, with the reason).
    pub unsupported: usize,
    /// Files that could not be read.
    pub unreadable: usize,
}

/// True when `path` is a rule pack (it starts with [`PACK_MAGIC`]).
pub fn is_pack(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; PACK_MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == PACK_MAGIC
}

/// Read the Sigma rule files of `sources` (folders or files, as `--sigma` takes them) and
/// write them to `out` as a pack. `created` is the time stamp the header records.
pub fn write_pack(
    sources: &[PathBuf],
    created: &str,
    out: &mut impl Write,
) -> io::Result<PackSummary> {
    let mut files = Vec::new();
    for p in sources {
        if p.is_file() && is_pack(p) {
            let e = format!(
                "{} is already a rule pack: give its rule folders",
                p.display()
            );
            return Err(io::Error::new(io::ErrorKind::InvalidInput, e));
        }
        let mut these = Vec::new();
        super::collect(p, &mut these);
        if these.is_empty() {
            let e = format!("no Sigma rule files (.yml/.yaml) in {}", p.display());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, e));
        }
        these.sort();
        files.extend(these);
    }
    let lines: Vec<(Line, Kind)> = files
        .par_iter()
        .map(|f| pack_line(&f.display().to_string(), std::fs::read_to_string(f)))
        .collect();
    let header = Header {
        exhunt_sigma_pack: PACK_FORMAT,
        written_by: format!("exhunt {}", env!("CARGO_PKG_VERSION")),
        created: created.to_string(),
        sources: sources.iter().map(|p| p.display().to_string()).collect(),
        files: files.len(),
    };
    let mut summary = PackSummary {
        files: files.len(),
        ..Default::default()
    };
    serde_json::to_writer(&mut *out, &header)?;
    out.write_all(b"\n")?;
    for (line, kind) in &lines {
        match kind {
            Kind::Rule => summary.rules += 1,
            Kind::Yaml => summary.yaml += 1,
            Kind::Unsupported => summary.unsupported += 1,
            Kind::Unreadable => summary.unreadable += 1,
        }
        serde_json::to_writer(&mut *out, line)?;
        out.write_all(b"\n")?;
    }
    let end = Line {
        kind: "end".into(),
        files: Some(files.len()),
        ..Default::default()
    };
    serde_json::to_writer(&mut *out, &end)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(summary)
}

enum Kind {
    Rule,
    Yaml,
    Unsupported,
    Unreadable,
}

/// The pack line of one rule file.
fn pack_line(origin: &str, text: io::Result<String>) -> (Line, Kind) {
    let origin = Some(origin.to_string());
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            let line = Line {
                kind: "unreadable".into(),
                origin,
                message: Some(format!("cannot read Sigma rule file: {e}")),
                ..Default::default()
            };
            return (line, Kind::Unreadable);
        }
    };
    match super::parse_text(&text) {
        Ok(doc) if round_trips(&doc) => {
            let line = Line {
                kind: "rule".into(),
                origin,
                doc: Some(doc),
                ..Default::default()
            };
            (line, Kind::Rule)
        }
        Ok(_) => {
            let line = Line {
                kind: "yaml".into(),
                origin,
                text: Some(text),
                ..Default::default()
            };
            (line, Kind::Yaml)
        }
        Err(r) => {
            let line = Line {
                kind: "unsupported".into(),
                origin,
                id: r.id,
                title: r.title,
                reason: Some(r.reason),
                ..Default::default()
            };
            (line, Kind::Unsupported)
        }
    }
}

/// Whether `doc` reads back from JSON exactly as it is (YAML can say what JSON cannot).
fn round_trips(doc: &SigmaDoc) -> bool {
    serde_json::to_string(doc)
        .ok()
        .and_then(|j| serde_json::from_str::<SigmaDoc>(&j).ok())
        .is_some_and(|back| back == *doc)
}

/// Load the pack at `path` into `load`: each file's rule is compiled with `mapping` and merged
/// in pack order (a duplicate id is judged as in a folder load).
pub(crate) fn load_pack(
    path: &Path,
    mapping: &Mapping,
    load: &mut SigmaLoad,
    seen: &mut std::collections::HashSet<String>,
) {
    let origin = path.display().to_string();
    let error = |load: &mut SigmaLoad, message: String| {
        load.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: origin.clone(),
            rule_id: None,
            message,
        })
    };
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_PACK_BYTES => {
            let message = format!(
                "rule pack of {} bytes is over the {} MiB limit; no rule was loaded from it",
                m.len(),
                MAX_PACK_BYTES >> 20
            );
            return error(load, message);
        }
        _ => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return error(load, format!("cannot read rule pack: {e}")),
        },
    };
    let mut lines = bytes.split(|&b| b == b'\n').enumerate();
    let header = lines
        .next()
        .and_then(|(_, l)| serde_json::from_slice::<Header>(l).ok());
    let Some(header) = header else {
        return error(
            load,
            "not a readable rule pack (its header line is damaged); no rule was loaded from it"
                .into(),
        );
    };
    if header.exhunt_sigma_pack != PACK_FORMAT {
        let message = format!(
            "rule pack format {} (written by {}); this exhunt reads format {PACK_FORMAT}: compile it again with `exhunt rules compile`; no rule was loaded from it",
            header.exhunt_sigma_pack,
            if header.written_by.is_empty() { "an unknown version" } else { &header.written_by },
        );
        return error(load, message);
    }
    let body: Vec<(usize, &[u8])> = lines
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    let per_line: Vec<(SigmaLoad, Option<usize>)> = body
        .par_iter()
        .map(|&(n, l)| load_line(&origin, n + 1, l, mapping))
        .collect();
    let mut end = None;
    let (mut files, mut after_end) = (0usize, 0usize);
    for (one, trailer) in per_line {
        if let Some(t) = trailer {
            end = Some(t);
            continue;
        }
        if end.is_some() {
            after_end += 1;
        }
        files += 1;
        super::merge(load, one, seen);
    }
    if after_end > 0 {
        let message =
            format!("rule pack has {after_end} lines after its end line (read all the same)");
        error(load, message);
    }
    match end {
        Some(n) if n == files => {}
        Some(n) => error(
            load,
            format!("rule pack says it holds {n} rule files but {files} were read"),
        ),
        None => error(
            load,
            format!(
                "rule pack is truncated (no end line): {files} of {} rule files read",
                header.files
            ),
        ),
    }
}

/// Load one pack line (numbered `n` from 1): a file's load, or the trailer's file count.
fn load_line(
    origin: &str,
    n: usize,
    bytes: &[u8],
    mapping: &Mapping,
) -> (SigmaLoad, Option<usize>) {
    let mut one = SigmaLoad::default();
    let mut line: Line = match serde_json::from_slice(bytes) {
        Ok(l) => l,
        Err(e) => {
            one.diagnostics.push(RuleDiagnostic {
                level: DiagnosticLevel::Error,
                origin: format!("{origin}:{n}"),
                rule_id: None,
                message: format!("rule pack line unreadable, skipped: {e}"),
            });
            return (one, None);
        }
    };
    let file = line
        .origin
        .clone()
        .unwrap_or_else(|| format!("{origin}:{n}"));
    let mut seen = Default::default();
    let kind = std::mem::take(&mut line.kind);
    match (kind.as_str(), line) {
        ("end", l) => return (one, Some(l.files.unwrap_or(0))),
        ("rule", Line { doc: Some(doc), .. }) => {
            super::load_doc(&file, &doc, mapping, &mut one, &mut seen)
        }
        (
            "yaml",
            Line {
                text: Some(text), ..
            },
        ) => super::load_text(&file, &text, mapping, &mut one, &mut seen),
        ("unsupported", l) => super::unsupported(
            &mut one,
            &file,
            l.id,
            l.title,
            l.reason.unwrap_or_else(|| "not stated".into()),
        ),
        ("unreadable", l) => one.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: file,
            rule_id: None,
            message: l
                .message
                .unwrap_or_else(|| "cannot read Sigma rule file".into()),
        }),
        (kind, _) => one.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: format!("{origin}:{n}"),
            rule_id: None,
            message: format!(
                "rule pack line of unknown kind `{kind}` (or without its body), skipped"
            ),
        }),
    }
    (one, None)
}
