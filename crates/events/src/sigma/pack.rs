//! Compiled Sigma rule packs: a whole rule set in one file, read without parsing YAML.
//!
//! `exhunt rules compile --sigma DIR -o rules.exhpack` reads every rule file of the folders
//! once and writes what a scan needs of each. `exhunt scan --sigma rules.exhpack` then loads
//! the set from that one file: for the 2,400 SigmaHQ Windows rules that is one read instead of
//! 2,400 and JSON instead of YAML, about half the load time (`bench/SIGMA_RESULTS.md`). For a
//! fleet under Velociraptor it is one file to ship beside the binary. A pack given directly is
//! known by its `.exhpack` extension or by its first bytes; in a rules folder, by its
//! extension (the folder's thousands of `.yml` files are not opened twice to look).
//!
//! # Format (JSON Lines, format 1)
//! - A header: `{"exhunt_sigma_pack":1,"written_by":"exhunt 0.1.0","created":"…","sources":[…],"files":N}`.
//! - One line per rule file, in the order a folder load reads them, `origin` being the file's
//!   path at compile time (findings and diagnostics name the pack and it: `PACK (from FILE)`):
//!   - `{"kind":"rule","origin":…,"doc":{…}}`: the rule document, exactly as the YAML said
//!     what exhunt reads of it; it is compiled (field mapping, logsource) when loaded, so a
//!     pack works with any `--sigma-mapping`.
//!   - `{"kind":"yaml","origin":…,"text":…}`: a document JSON cannot hold exactly (a YAML
//!     tag, a non-string key, a NaN), kept as its text and parsed when loaded.
//!   - `{"kind":"unsupported",…,"reason":…}`: a file that is not one loadable rule whatever
//!     the mapping (YAML errors, collections, correlation rules), reported by every scan as the
//!     folder would be. A file that cannot be read fails the compile instead.
//! - A trailer `{"kind":"end","files":N}`: without it the pack is reported as truncated
//!   (the lines before it still load).
//!
//! A UTF-8 byte order mark is skipped; a pack re-saved as UTF-16 is refused with that reason.
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

/// The file name extension of packs: files with it are read as packs wherever they are found.
pub const PACK_EXTENSION: &str = "exhpack";

/// Largest pack read (the whole SigmaHQ Windows set is 3.4 MB).
const MAX_PACK_BYTES: u64 = 256 << 20;

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
}

/// True when `path` is named as a rule pack (`.exhpack`).
pub fn has_pack_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(PACK_EXTENSION))
}

/// True when `path` is a rule pack: named `.exhpack`, or starting with [`PACK_MAGIC`] (after a
/// UTF-8 byte order mark or white space).
pub fn is_pack(path: &Path) -> bool {
    use std::io::Read;
    if has_pack_name(path) {
        return true;
    }
    let mut head = Vec::with_capacity(64);
    let read = std::fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut head));
    read.is_ok() && body(&head).trim_ascii_start().starts_with(PACK_MAGIC)
}

/// `bytes` without a UTF-8 byte order mark.
fn body(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Read the Sigma rule files of `sources` (folders or files, as `--sigma` takes them) and
/// write them to `out` as a pack. `created` is the time stamp the header records.
pub fn write_pack(
    sources: &[PathBuf],
    created: &str,
    out: &mut impl Write,
) -> io::Result<PackSummary> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
    let mut files = Vec::new();
    for p in sources {
        let mut these = Vec::new();
        if let Some((dir, e)) = super::collect(p, &mut these).into_iter().next() {
            let what = if &dir == p { "" } else { "rule folder " };
            return Err(invalid(format!("cannot read {what}{}: {e}", dir.display())));
        }
        if let Some(pack) = these.iter().find(|f| is_pack(f)) {
            let e = format!(
                "{} is a rule pack: give the rule folders it came from",
                pack.display()
            );
            return Err(invalid(e));
        }
        if these.is_empty() {
            return Err(invalid(format!(
                "no Sigma rule files (.yml/.yaml) in {}",
                p.display()
            )));
        }
        these.sort();
        files.extend(these);
    }
    let lines: Vec<(String, Kind)> = files
        .par_iter()
        .map(|f| pack_line(&f.display().to_string(), std::fs::read_to_string(f)))
        .collect();
    if let Some((line, _)) = lines.iter().find(|(_, k)| matches!(k, Kind::Unreadable)) {
        // A rule missing from a pack would be missing on every server it is shipped to.
        let why = serde_json::from_str::<Line>(line)
            .ok()
            .map(|l| {
                format!(
                    "{}: {}",
                    l.origin.unwrap_or_default(),
                    l.message.unwrap_or_default()
                )
            })
            .unwrap_or_default();
        return Err(invalid(why));
    }
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
            Kind::Unreadable => {}
        }
        out.write_all(line.as_bytes())?;
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

/// The pack line of one rule file, as written.
fn pack_line(origin: &str, text: io::Result<String>) -> (String, Kind) {
    let origin = Some(origin.to_string());
    let written = |line: &Line| serde_json::to_string(line).unwrap_or_default();
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            let line = Line {
                kind: "unreadable".into(),
                origin,
                message: Some(super::unreadable_message(&e)),
                ..Default::default()
            };
            return (written(&line), Kind::Unreadable);
        }
    };
    let unsupported = |origin, id, title, reason| Line {
        kind: "unsupported".into(),
        origin,
        id,
        title,
        reason: Some(reason),
        ..Default::default()
    };
    match super::parse_text(&text) {
        // Refused whatever the mapping, and its body is not kept (see `SigmaDoc::correlation`).
        Ok(doc) if doc.correlation.is_some() => {
            let reason = super::CORRELATION_UNSUPPORTED.to_string();
            let line = unsupported(origin, doc.id, doc.title, reason);
            (written(&line), Kind::Unsupported)
        }
        Ok(doc) => {
            let line = Line {
                kind: "rule".into(),
                origin,
                doc: Some(doc),
                ..Default::default()
            };
            // The line is kept only if it reads back as the same document: YAML can say what
            // JSON cannot (tags, non-string keys, NaN), and JSON nests only so deep.
            let json = written(&line);
            let same = serde_json::from_str::<Line>(&json)
                .ok()
                .is_some_and(|back| back.doc == line.doc);
            if same {
                (json, Kind::Rule)
            } else {
                let line = Line {
                    kind: "yaml".into(),
                    origin: line.origin,
                    text: Some(text),
                    ..Default::default()
                };
                (written(&line), Kind::Yaml)
            }
        }
        Err(r) => {
            let line = unsupported(origin, r.id, r.title, r.reason);
            (written(&line), Kind::Unsupported)
        }
    }
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
    let bytes = {
        use std::io::Read;
        let mut bytes = Vec::new();
        let read = std::fs::File::open(path).and_then(|f| {
            // Sized up front: grown while reading, a 3 MB pack took 4 ms to read.
            let size = f.metadata().map_or(0, |m| m.len());
            bytes.reserve_exact(size.min(MAX_PACK_BYTES + 1) as usize + 1);
            f.take(MAX_PACK_BYTES + 1).read_to_end(&mut bytes)
        });
        match read {
            Ok(n) if n as u64 > MAX_PACK_BYTES => {
                let message = format!(
                    "rule pack is over the {} MiB limit; no rule was loaded from it",
                    MAX_PACK_BYTES >> 20
                );
                return error(load, message);
            }
            Ok(_) => bytes,
            Err(e) => return error(load, format!("cannot read rule pack: {e}")),
        }
    };
    let mut lines = split_lines(body(&bytes)).enumerate();
    let header = lines
        .next()
        .and_then(|(_, l)| serde_json::from_slice::<Header>(l).ok());
    let Some(header) = header else {
        let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
        let message = if utf16 {
            "rule pack is UTF-16 (re-saved by an editor or a shell?): compile it again; no rule was loaded from it"
        } else {
            "not a readable rule pack (its header line is damaged); no rule was loaded from it"
        };
        return error(load, message.into());
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
    let per_line: Vec<PackLine> = body
        .par_iter()
        .map(|&(n, l)| load_line(&origin, n + 1, l, mapping))
        .collect();
    // Rule file lines read, damaged lines skipped (before the end line), lines after it.
    let (mut files, mut damaged, mut after_end) = (0usize, 0usize, 0usize);
    let mut end = None;
    for line in per_line {
        let (one, is_file) = match line {
            PackLine::End(n) => {
                end = Some(n);
                continue;
            }
            PackLine::File(one) => (one, true),
            PackLine::Damaged(one) => (one, false),
        };
        match (end.is_some(), is_file) {
            (true, _) => after_end += 1,
            (false, true) => files += 1,
            (false, false) => damaged += 1,
        }
        super::merge(load, one, seen);
    }
    if after_end > 0 {
        let message =
            format!("rule pack has {after_end} lines after its end line (read all the same)");
        error(load, message);
    }
    let skipped = match damaged {
        0 => String::new(),
        1 => ", 1 damaged line skipped".into(),
        n => format!(", {n} damaged lines skipped"),
    };
    match end {
        Some(n) if n == files + damaged => {}
        Some(n) => error(
            load,
            format!(
                "rule pack says it holds {n} rule files but has {}: {files} read{skipped}",
                files + damaged
            ),
        ),
        None => error(
            load,
            format!(
                "rule pack is truncated (no end line): {files} of {} rule files read{skipped}",
                header.files
            ),
        ),
    }
}

/// The lines of `text` (without their `\n`), as `split` would give them, found with `memchr`.
fn split_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = &text[start..end];
        start = end + 1;
        line
    })
}

/// What one pack line gave.
enum PackLine {
    /// A rule file's load.
    File(SigmaLoad),
    /// A line that could not be read: its diagnostic.
    Damaged(SigmaLoad),
    /// The end line, with the number of rule files it says the pack holds.
    End(usize),
}

/// Load one pack line (numbered `n` from 1).
fn load_line(origin: &str, n: usize, bytes: &[u8], mapping: &Mapping) -> PackLine {
    let mut one = SigmaLoad::default();
    let damaged = |mut one: SigmaLoad, message: String| {
        one.diagnostics.push(RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: format!("{origin}:{n}"),
            rule_id: None,
            message,
        });
        PackLine::Damaged(one)
    };
    let mut line: Line = match serde_json::from_slice(bytes) {
        Ok(l) => l,
        Err(e) => return damaged(one, format!("rule pack line unreadable, skipped: {e}")),
    };
    // Findings and diagnostics name the pack and, in it, the rule file it was compiled from
    // (that path is the compiling machine's: it may not exist where the scan runs).
    let file = match &line.origin {
        Some(file) => format!("{origin} (from {file})"),
        None => format!("{origin}:{n}"),
    };
    let mut seen = Default::default();
    let kind = std::mem::take(&mut line.kind);
    match (kind.as_str(), line) {
        ("end", l) => return PackLine::End(l.files.unwrap_or(0)),
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
        (kind, _) => {
            let message =
                format!("rule pack line of unknown kind `{kind}` (or without its body), skipped");
            return damaged(one, message);
        }
    }
    PackLine::File(one)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// Pack lines are split as `split` on `\n` splits them: empty lines, a last line
        /// without its `\n`, `\r` kept.
        #[test]
        fn split_lines_splits_as_split_does(text in "[a\n\r{}]{0,40}") {
            let bytes = text.as_bytes();
            let ours: Vec<&[u8]> = super::split_lines(bytes).collect();
            let std: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            prop_assert_eq!(ours, std);
        }
    }
}
