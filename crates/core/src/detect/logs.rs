//! The text-log detection engine.
//!
//! Per log kind, each rule is found by the most selective thing its condition requires of the
//! raw text (see [`super::select`]): one multi-pattern regex searches large regions of the file
//! at once for the next line where any rule can match, and on that line the rules' raw filters
//! decide, before any field is split, which rules are worth evaluating. Only those lines (plus
//! directives, and the first and last record for coverage) are split into fields and checked in
//! full; that is how a full hunt stays near `grep` speed even when every line holds a common
//! path such as `/ecp/`. Rules whose raw text cannot be constrained make the engine visit every
//! line of the kinds they apply to. [`LogScanOptions::check_every_line`] turns all of this off,
//! to check that the fast path finds exactly what a check of every line finds.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use regex_automata::PatternSet;

use super::select::{Hit, Selector};
use crate::discover::LogFile;
use crate::model::{
    truncate_evidence, Finding, Location, Outcome, ScanIssue, SourceCoverage, SourceKind,
    Suppressed, MAX_EVIDENCE_BYTES,
};
use crate::read::chunks::{sniff_encoding, utf8_reader, ChunkReader, Region, TextEncoding};
use crate::read::record::{parse_csv, LineRecord, Malformed, Schema};
use crate::rules::condition::{EvalCtx, FieldLookup};
use crate::rules::{LogRule, RuleSet};

/// Tuning knobs for reading logs.
#[derive(Debug, Clone)]
pub struct LogScanOptions {
    /// Region size for reads.
    pub chunk: usize,
    /// Longest line kept whole.
    pub max_line: usize,
    /// Findings kept per rule per file; further matches are counted as suppressed.
    pub max_findings_per_rule: u64,
    /// Detailed issues kept per file; further ones are counted.
    pub max_issues_per_file: usize,
    /// Further columns (lower-cased) kept on every finding when the line has them, for the
    /// analyses that read findings (e.g. the byte counts and anchors of the mail-access mapping).
    pub keep_fields: Vec<String>,
    /// Evaluate every rule on every line, with no search or raw-text filter: slow; the
    /// reference the fast path is tested against.
    pub check_every_line: bool,
}

impl Default for LogScanOptions {
    fn default() -> Self {
        LogScanOptions {
            chunk: crate::read::chunks::DEFAULT_CHUNK,
            max_line: crate::read::chunks::DEFAULT_MAX_LINE,
            max_findings_per_rule: 1000,
            max_issues_per_file: 20,
            keep_fields: Vec::new(),
            check_every_line: false,
        }
    }
}

/// Everything one log file yielded.
#[derive(Debug, Default)]
pub struct FileScan {
    /// What was read.
    pub coverage: SourceCoverage,
    /// Rule hits.
    pub findings: Vec<Finding>,
    /// Input problems (bounded; see `issues_not_listed`).
    pub issues: Vec<ScanIssue>,
    /// Issues counted beyond the per-file limit.
    pub issues_not_listed: u64,
    /// Matches counted but not kept.
    pub suppressed: Vec<Suppressed>,
    /// True when reading stopped inside the file because the scan was stopped.
    pub interrupted: bool,
}

/// Compiled, shareable text-log matcher for a [`RuleSet`].
pub struct LogEngine {
    rules: Vec<LogRule>,
    kinds: HashMap<SourceKind, Selector>,
    options: LogScanOptions,
}

impl LogEngine {
    /// Compile the searches for every log kind.
    pub fn new(rules: &RuleSet, options: LogScanOptions) -> LogEngine {
        LogEngine::from_rules(rules.log_rules.clone(), options)
    }

    /// Compile the searches for a list of log rules.
    pub fn from_rules(rules: Vec<LogRule>, options: LogScanOptions) -> LogEngine {
        let kinds = SourceKind::TEXT_LOGS
            .into_iter()
            .map(|kind| (kind, Selector::new(&rules, kind)))
            .collect();
        LogEngine {
            rules,
            kinds,
            options,
        }
    }

    /// Every prefilter literal, per kind (for `exhunt rules --literals` and benchmarks).
    pub fn literals(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .rules
            .iter()
            .filter_map(|r| r.literals.clone())
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Read one log file and run the rules over it. Never panics on bad input: problems
    /// become [`ScanIssue`]s.
    pub fn scan_file(&self, file: &LogFile) -> FileScan {
        self.scan_file_until(file, &|| false)
    }

    /// [`LogEngine::scan_file`] that stops between regions once `stop` says so (the scan was
    /// interrupted): what was read until then is kept.
    pub fn scan_file_until(&self, file: &LogFile, stop: &dyn Fn() -> bool) -> FileScan {
        let mut out = FileScan::default();
        if !self.kinds.contains_key(&file.kind) {
            out.issues.push(issue(
                file,
                "not-a-text-log",
                None,
                format!("{} is not a text log kind", file.kind),
            ));
            return out;
        }
        let mut f = match crate::read::open::open_evidence(&file.path) {
            Ok(f) => f,
            Err(e) => {
                out.issues
                    .push(crate::read::open::open_issue(&file.rel, &e));
                out.coverage.unreadable = 1;
                return out;
            }
        };
        let mut head = [0u8; 4];
        let n = read_head(&mut f, &mut head);
        let encoding = sniff_encoding(&head[..n]);
        let reader: Box<dyn Read> =
            utf8_reader(std::io::Cursor::new(head[..n].to_vec()).chain(f), encoding);
        let mut state = FileState::new(self, file);
        if encoding != TextEncoding::Utf8 {
            state.push_issue(
                "utf16-transcoded",
                None,
                format!("file is {encoding:?}; read after transcoding to UTF-8"),
            );
        }
        let mut chunks = ChunkReader::new(reader, self.options.chunk, self.options.max_line);
        let (mut interrupted, mut read_failed) = (false, false);
        loop {
            if stop() {
                interrupted = true;
                let line = chunks.lines() + 1;
                state.push_issue(
                    "interrupted",
                    Some(line),
                    format!("the scan was stopped here, at line {line}: the rest of the file was not read"),
                );
                break;
            }
            match chunks.next_region() {
                Ok(Some(region)) => state.region(&region),
                Ok(None) => break,
                Err(e) => {
                    let line = chunks.lines() + 1;
                    state.push_issue(
                        "read-error",
                        Some(line),
                        format!(
                            "reading stopped at line {line}: {e}; what came before was scanned"
                        ),
                    );
                    read_failed = true;
                    break;
                }
            }
        }
        let bytes = if interrupted {
            chunks.bytes_read
        } else {
            file.size.max(chunks.bytes_read)
        };
        if !interrupted
            && !read_failed
            && encoding == TextEncoding::Utf8
            && chunks.bytes_read != file.size
        {
            state.push_issue(
                "changed-during-scan",
                None,
                format!(
                    "the file was {} bytes when found and {} bytes were read: it changed while the scan ran (a live log, or a copy still being written)",
                    file.size, chunks.bytes_read
                ),
            );
        }
        let mut out = state.finish(chunks.lines(), bytes, out);
        out.interrupted = interrupted;
        out
    }
}

fn read_head(f: &mut File, head: &mut [u8; 4]) -> usize {
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn issue(file: &LogFile, kind: &str, line: Option<u64>, message: String) -> ScanIssue {
    ScanIssue {
        kind: kind.into(),
        path: file.rel.clone(),
        line,
        message,
    }
}

/// Per-file reading state.
struct FileState<'e> {
    engine: &'e LogEngine,
    matcher: &'e Selector,
    file: &'e LogFile,
    schema: Schema,
    seen_data: bool,
    first_time: Option<chrono::DateTime<chrono::Utc>>,
    last_data_line: Vec<u8>,
    last_data_line_no: u64,
    findings: Vec<Finding>,
    counts: BTreeMap<usize, u64>,
    issues: Vec<ScanIssue>,
    issues_not_listed: u64,
    malformed: u64,
    headerless: u64,
    nul_reported: bool,
    candidates: Vec<usize>,
    /// Reused result of the raw-filter pass on a line.
    leaf_set: PatternSet,
    /// Reused ASCII-lower-cased copy of the current region.
    region_lower: Vec<u8>,
}

impl<'e> FileState<'e> {
    fn new(engine: &'e LogEngine, file: &'e LogFile) -> Self {
        FileState {
            engine,
            matcher: &engine.kinds[&file.kind],
            file,
            schema: Schema::default(),
            seen_data: false,
            first_time: None,
            last_data_line: Vec::new(),
            last_data_line_no: 0,
            findings: Vec::new(),
            counts: BTreeMap::new(),
            issues: Vec::new(),
            issues_not_listed: 0,
            malformed: 0,
            headerless: 0,
            nul_reported: false,
            candidates: Vec::new(),
            leaf_set: engine.kinds[&file.kind].pattern_set(),
            region_lower: Vec::new(),
        }
    }

    fn push_issue(&mut self, kind: &str, line: Option<u64>, message: String) {
        if self.issues.len() < self.engine.options.max_issues_per_file {
            self.issues.push(issue(self.file, kind, line, message));
        } else {
            self.issues_not_listed += 1;
        }
    }

    fn region(&mut self, region: &Region<'_>) {
        let bytes = region.bytes;
        if !self.nul_reported {
            if let Some(i) = memchr::memchr(0, bytes) {
                self.nul_reported = true;
                let line =
                    region.first_line + memchr::memchr_iter(b'\n', &bytes[..i]).count() as u64;
                self.push_issue(
                    "binary-data",
                    Some(line),
                    "NUL bytes in the text (often a log cut short by a crash or a bad copy); read as text".into(),
                );
            }
        }
        if region.oversized_line {
            self.push_issue(
                "oversized-line",
                Some(region.first_line),
                format!(
                    "line longer than {} bytes: its first {} bytes were checked, the rest skipped",
                    self.engine.options.max_line,
                    bytes.len()
                ),
            );
            let lower = bytes.to_ascii_lowercase();
            self.line(bytes, &lower, region.first_line, true);
            return;
        }
        if region.unterminated_tail {
            let tail_start = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
            let tail = &bytes[tail_start..];
            if tail.iter().any(|b| !b.is_ascii_whitespace() && *b != 0) {
                let line = region.first_line + memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.push_issue(
                    "truncated-line",
                    Some(line),
                    "the last line has no line ending: the file may be truncated; the partial line was still checked".into(),
                );
            }
        }
        // One ASCII-lower-cased copy of the region serves both the region search and the
        // per-line rule lookup.
        let mut lower = std::mem::take(&mut self.region_lower);
        lower.clear();
        lower.extend_from_slice(bytes);
        lower.make_ascii_lowercase();
        let slow = self.engine.options.check_every_line || !self.matcher.unfiltered.is_empty();
        let mut pos = 0usize;
        let mut line_no = region.first_line;
        let mut counted_to = 0usize;
        // Until the first data line, read line by line: directives and bare CSV headers set the
        // columns, and the first record gives the start of coverage.
        while pos < bytes.len() && (slow || !self.seen_data) {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            self.line(&bytes[pos..end], &lower[pos..end], line_no, slow);
            pos = end + 1;
            line_no += 1;
            counted_to = pos.min(bytes.len());
        }
        while pos < bytes.len() {
            // A directive right where the search resumes is not preceded by a newline in range.
            let start = if bytes[pos] == b'#' {
                pos
            } else {
                match self.matcher.next(&lower, pos) {
                    None => break,
                    Some(Hit::Directive(at) | Hit::Line(at)) => at,
                }
            };
            line_no += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
            counted_to = start;
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            self.line(&bytes[start..end], &lower[start..end], line_no, false);
            pos = end + 1;
        }
        self.region_lower = lower;
        // Remember the last data line for the end of coverage.
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let last_start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
        let last = &body[last_start..];
        if !last.is_empty() && last[0] != b'#' {
            self.last_data_line.clear();
            self.last_data_line.extend_from_slice(last);
            self.last_data_line_no =
                region.first_line + memchr::memchr_iter(b'\n', &bytes[..last_start]).count() as u64;
        }
    }

    /// Handle one line (without its newline); `lower` is the same bytes ASCII-lower-cased;
    /// `all_rules`: evaluate unfiltered rules too.
    fn line(&mut self, raw: &[u8], lower: &[u8], line_no: u64, all_rules: bool) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            return;
        }
        if raw[0] == b'#' {
            self.directive(raw);
            return;
        }
        let text = String::from_utf8_lossy(raw);
        let text = text.trim_end_matches('\0');
        if !self.file.kind.is_w3c() && (self.schema.is_empty() || self.is_header_line(text)) {
            if self.schema.is_empty() && !self.seen_data && looks_like_csv_header(text) {
                self.schema = Schema::new(parse_csv(text), false);
                return;
            }
            if !self.schema.is_empty() {
                return; // a repeated header line
            }
        }
        let first = !self.seen_data;
        self.seen_data = true;
        self.collect_candidates(lower, all_rules || first);
        if self.schema.is_empty() {
            self.headerless += 1;
            if self.headerless == 1 {
                self.push_issue(
                    "no-header",
                    Some(line_no),
                    "data before any #Fields: header: only whole-line rules can be checked on such lines".into(),
                );
            }
        }
        if first {
            let (rec, malformed) = LineRecord::parse(&self.schema, text);
            self.first_time = rec.timestamp();
            if self.candidates.is_empty() {
                self.report_malformed(malformed.filter(|_| !self.schema.is_empty()), line_no);
            }
        }
        if self.candidates.is_empty() {
            return;
        }
        let malformed = {
            let (rec, malformed) = LineRecord::parse(&self.schema, text);
            for &ri in &self.candidates {
                evaluate(
                    self.engine,
                    self.file,
                    &self.schema,
                    ri,
                    &rec,
                    line_no,
                    &mut self.counts,
                    &mut self.findings,
                );
            }
            malformed.filter(|_| !self.schema.is_empty())
        };
        self.candidates.clear();
        self.report_malformed(malformed, line_no);
    }

    fn report_malformed(&mut self, malformed: Option<Malformed>, line_no: u64) {
        if let Some(m) = malformed {
            self.malformed += 1;
            self.push_issue(
                "malformed-line",
                Some(line_no),
                format!(
                    "{} columns where the header declares {}; checked with the columns present",
                    m.found, m.expected
                ),
            );
        }
    }

    /// Find the rules worth evaluating on the (lower-cased) line.
    fn collect_candidates(&mut self, lower: &[u8], include_unfiltered: bool) {
        self.matcher.candidates(
            lower,
            include_unfiltered,
            self.engine.options.check_every_line,
            &mut self.leaf_set,
            &mut self.candidates,
        );
    }

    fn is_header_line(&self, text: &str) -> bool {
        let first = text.split(',').next().unwrap_or("").trim_matches('"');
        self.schema
            .names()
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(first))
    }

    fn directive(&mut self, raw: &[u8]) {
        if let Some(s) = Schema::from_directive(raw, self.file.kind.is_w3c()) {
            self.schema = s;
        }
    }

    fn finish(mut self, lines: u64, bytes: u64, mut out: FileScan) -> FileScan {
        let mut coverage = SourceCoverage {
            files: 1,
            bytes,
            lines,
            ..Default::default()
        };
        if let Some(t) = self.first_time {
            coverage.include_time(t);
        }
        if !self.last_data_line.is_empty() {
            let text = String::from_utf8_lossy(&self.last_data_line).into_owned();
            let text = text.trim_end_matches(['\r', '\0']);
            let (rec, malformed) = LineRecord::parse(&self.schema, text);
            let time = rec.timestamp();
            drop(rec);
            // The last record is always parsed (for coverage), so its shape is checked too,
            // unless it was a candidate line and was reported already.
            let line = self.last_data_line_no;
            let already = self
                .issues
                .iter()
                .any(|i| i.kind == "malformed-line" && i.line == Some(line));
            if !already && !self.schema.is_empty() {
                self.report_malformed(malformed, line);
            }
            match time {
                Some(t) => coverage.include_time(t),
                None if !self.schema.is_empty() => self.push_issue(
                    "no-timestamp",
                    Some(self.last_data_line_no),
                    "the last record has no readable time: coverage end taken from earlier records"
                        .into(),
                ),
                None => {}
            }
        }
        for f in &self.findings {
            if let Some(t) = f.timestamp {
                coverage.include_time(t);
            }
        }
        if self.headerless > 1 {
            let n = self.headerless;
            self.push_issue(
                "no-header",
                None,
                format!("{n} data lines came before any #Fields: header"),
            );
        }
        for (ri, count) in &self.counts {
            let keep = self.engine.options.max_findings_per_rule;
            if *count > keep {
                out.suppressed.push(Suppressed {
                    rule_id: self.engine.rules[*ri].meta.id.clone(),
                    path: self.file.rel.clone(),
                    count: count - keep,
                });
            }
        }
        out.coverage = coverage;
        out.findings = self.findings;
        out.issues = self.issues;
        out.issues_not_listed = self.issues_not_listed;
        out
    }
}

/// Columns kept on every finding when the log has them, so that the evidence reads on its own.
const CONTEXT_FIELDS: &[&str] = &[
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "cs-username",
    "s-ip",
    "cs(user-agent)",
    "method",
    "urlstem",
    "httpstatus",
    "authenticateduser",
    "useragent",
    "clientinfo",
];

/// Check one rule against a parsed line and record a finding when it matches.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    engine: &LogEngine,
    file: &LogFile,
    schema: &Schema,
    ri: usize,
    rec: &LineRecord<'_>,
    line_no: u64,
    counts: &mut BTreeMap<usize, u64>,
    findings: &mut Vec<Finding>,
) {
    let rule = &engine.rules[ri];
    let mut ctx = EvalCtx::new(rec);
    if !rule.condition.eval(&mut ctx) {
        return;
    }
    let count = counts.entry(ri).or_insert(0);
    *count += 1;
    if *count > engine.options.max_findings_per_rule {
        return;
    }
    let outcome = rule
        .outcome
        .as_ref()
        .map_or(Outcome::Unknown, |o| o.judge(&ctx));
    let severity = match (&rule.outcome, outcome) {
        (Some(o), Outcome::Failure) => o.failure_severity().unwrap_or(rule.meta.severity),
        _ => rule.meta.severity,
    };
    let notes = rule
        .notes
        .iter()
        .filter(|(c, _)| c.eval(&mut EvalCtx::new(rec)))
        .map(|(_, t)| t.clone())
        .collect();
    let mut fields = BTreeMap::new();
    for f in rule
        .fields
        .iter()
        .map(String::as_str)
        .chain(CONTEXT_FIELDS.iter().copied())
        .chain(engine.options.keep_fields.iter().map(String::as_str))
    {
        if let Some(v) = rec.lookup(f) {
            let name = schema
                .position(f)
                .map_or_else(|| f.to_string(), |i| schema.names()[i].clone());
            fields.insert(name, truncate_evidence(v, 1024));
        }
    }
    for (k, v) in ctx.captures() {
        fields.insert(format!("${k}"), truncate_evidence(v, 1024));
    }
    findings.push(Finding {
        rule: Arc::clone(&rule.meta),
        severity,
        host: file.host.clone(),
        source: file.kind,
        path: file.rel.clone(),
        location: Location::Line { line: line_no },
        timestamp: rec.timestamp(),
        client_ip: rec.client_ip().map(str::to_string),
        request_id: rec.request_id(),
        url_path: rec.url_path().map(str::to_string),
        outcome,
        notes,
        fields,
        evidence: truncate_evidence(rec.raw(), MAX_EVIDENCE_BYTES),
        story: None,
        extra: BTreeMap::new(),
    });
}

/// A bare CSV header: no field parses as a time and the first looks like a column name.
fn looks_like_csv_header(text: &str) -> bool {
    let first = text
        .split(',')
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .trim();
    !first.is_empty()
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '(' || c == ')')
        && !first.starts_with(|c: char| c.is_ascii_digit())
}
