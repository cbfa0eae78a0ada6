//! The targeted second read: ordinary-looking requests from intruder addresses (an OWA session
//! with stolen credentials, an EWS client) match no detection rule, so the first pass never
//! parses them. They are looked for here, and only where they can be:
//!
//! * on servers with a story that shows a foothold (a backdoor or later-stage finding of high
//!   severity that did not fail) — elsewhere nothing is read;
//! * for the client addresses of that story's high-severity findings;
//! * in the IIS, HttpProxy and remote PowerShell logs whose time span (first and last record)
//!   overlaps the address's flagged activity, widened by the mapping's `session_margin_hours`;
//! * by searching the raw bytes for the address literals (one Aho-Corasick automaton), parsing
//!   only the lines that contain one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use aho_corasick::{AhoCorasick, Input, MatchKind};
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::mail::{classify, Hit};
use super::mapping::AccessMappings;
use super::{EvidenceRef, SweepSummary};
use crate::discover::{Inventory, LogFile};
use crate::model::{Finding, Outcome, ScanIssue, Severity, SourceKind};
use crate::read::chunks::{sniff_encoding, utf8_reader, ChunkReader, TextEncoding};
use crate::read::open::open_evidence;
use crate::read::record::{parse_csv, parse_iso_time, parse_w3c_time, LineRecord, Schema};
use crate::scan::TimeFilter;

/// Bytes read at each end of a file to find its time span.
const SPAN_PROBE: u64 = 64 * 1024;

/// An intruder address and the time window to search it in (UTC).
pub type Window = (String, DateTime<Utc>, DateTime<Utc>);

/// What to read on one server.
#[derive(Debug, Clone)]
pub struct HostPlan {
    /// The server.
    pub host: String,
    /// Intruder addresses and the time window to search for each.
    pub windows: Vec<Window>,
    /// The server's logs that carry client addresses.
    pub files: Vec<LogFile>,
}

/// Which servers need a second read, for which addresses and windows.
pub fn plan(inventory: &Inventory, findings: &[Finding], maps: &AccessMappings) -> Vec<HostPlan> {
    let landed = |f: &Finding| f.severity >= Severity::High && f.outcome != Outcome::Failure;
    let foothold: BTreeSet<usize> = findings
        .iter()
        .filter(|f| f.rule.stage.is_after_intrusion() && landed(f))
        .filter_map(|f| f.story)
        .collect();
    if foothold.is_empty() {
        return Vec::new();
    }
    let ips: BTreeSet<(&str, &str)> = findings
        .iter()
        .filter(|f| f.story.is_some_and(|s| foothold.contains(&s)) && landed(f))
        .filter_map(|f| f.client_ip.as_deref().map(|ip| (f.host.as_str(), ip)))
        .collect();
    type Span = (DateTime<Utc>, DateTime<Utc>);
    let mut spans: BTreeMap<(&str, &str), Span> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| SourceKind::TEXT_LOGS.contains(&f.source))
    {
        let (Some(ip), Some(t)) = (f.client_ip.as_deref(), f.timestamp) else {
            continue;
        };
        if !ips.contains(&(f.host.as_str(), ip)) {
            continue;
        }
        let e = spans.entry((f.host.as_str(), ip)).or_insert((t, t));
        e.0 = e.0.min(t);
        e.1 = e.1.max(t);
    }
    let mut per_host: BTreeMap<&str, Vec<Window>> = BTreeMap::new();
    for ((host, ip), (a, b)) in spans {
        per_host.entry(host).or_default().push((
            ip.to_string(),
            // Clamped: a recorded time near chrono's limits must not end the scan.
            a.checked_sub_signed(maps.session_margin)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            b.checked_add_signed(maps.session_margin)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        ));
    }
    per_host
        .into_iter()
        .map(|(host, windows)| HostPlan {
            host: host.to_string(),
            windows,
            files: inventory
                .hosts
                .iter()
                .filter(|h| h.name == host)
                .flat_map(|h| h.logs.iter())
                // Only the logs some request signature reads: the others cannot hold a hit.
                .filter(|f| maps.requests.iter().any(|r| r.sources.contains(&f.kind)))
                .cloned()
                .collect(),
        })
        .collect()
}

/// What the second read found.
#[derive(Debug, Default)]
pub(crate) struct Swept {
    pub hits: Vec<Hit>,
    pub summaries: Vec<SweepSummary>,
    pub issues: Vec<ScanIssue>,
}

#[derive(Debug, Default)]
struct FileResult {
    hits: Vec<Hit>,
    read: bool,
    bytes: u64,
    lines: u64,
    issue: Option<ScanIssue>,
}

/// Read the planned files (in parallel) and classify the lines from intruder addresses.
/// Sweep every planned file (in parallel); once `cancel` is set, the files not yet started
/// are left unread (and counted so in the summaries).
pub(crate) fn run(
    plans: &[HostPlan],
    maps: &AccessMappings,
    filter: &TimeFilter,
    cancel: &crate::cancel::Cancel,
) -> Swept {
    let jobs: Vec<(&HostPlan, &LogFile)> = plans
        .iter()
        .flat_map(|p| p.files.iter().map(move |f| (p, f)))
        .collect();
    let results: Vec<(usize, FileResult)> = jobs
        .par_iter()
        .map(|(p, f)| {
            let at = plans.iter().position(|x| std::ptr::eq(x, *p)).unwrap_or(0);
            if cancel.is_cancelled() {
                return (at, FileResult::default());
            }
            let r = crate::guard::guard_file(&f.rel, || sweep_file(f, &p.windows, maps, filter))
                .unwrap_or_else(|issue| FileResult {
                    issue: Some(issue),
                    ..Default::default()
                });
            (at, r)
        })
        .collect();
    let mut out = Swept::default();
    let mut summaries: Vec<SweepSummary> = plans
        .iter()
        .map(|p| SweepSummary {
            host: p.host.clone(),
            windows: p.windows.clone(),
            ..Default::default()
        })
        .collect();
    for (at, r) in results {
        let s = &mut summaries[at];
        if r.read {
            s.files_read += 1;
        } else {
            s.files_skipped += 1;
        }
        s.bytes_read += r.bytes;
        s.lines_found += r.lines;
        out.hits.extend(r.hits);
        out.issues.extend(r.issue);
    }
    out.summaries = summaries;
    out
}

/// The time a raw line starts with (`2021-03-03 02:41:27 …` or `2021-03-03T02:41:27.513Z,…`).
fn leading_time(line: &[u8]) -> Option<DateTime<Utc>> {
    let line = std::str::from_utf8(line.get(..line.len().min(40))?).ok()?;
    if let Some(first) = line.split(',').next() {
        if let Some(t) = parse_iso_time(first.trim_matches('"')) {
            return Some(t);
        }
    }
    let mut it = line.split(' ');
    parse_w3c_time(it.next()?, it.next()?)
}

/// The first and last record times of a UTF-8 file, from its two ends.
fn time_span(f: &mut File, size: u64) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let mut head = vec![0u8; SPAN_PROBE.min(size) as usize];
    if f.seek(SeekFrom::Start(0)).is_err() || f.read_exact(&mut head).is_err() {
        return (None, None);
    }
    let first = head.split(|b| *b == b'\n').find_map(leading_time);
    let start = size.saturating_sub(SPAN_PROBE);
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut tail).is_err() {
        return (first, None);
    }
    let last = tail.rsplit(|b| *b == b'\n').find_map(leading_time);
    (first, last)
}

/// Records may be a little out of order (IIS writes a line when the request ends): reading
/// starts and stops this far outside the windows.
const ORDER_SLACK_SECS: i64 = 600;

/// The offset of a line start at or before the first record at `t` or later, by bisecting on
/// the times lines start with (logs are written in time order).
fn offset_at(f: &mut File, size: u64, t: DateTime<Utc>) -> u64 {
    let probe = |f: &mut File, off: u64| -> Option<DateTime<Utc>> {
        let mut buf = vec![0u8; 16 * 1024];
        f.seek(SeekFrom::Start(off)).ok()?;
        let n = f.read(&mut buf).ok()?;
        let buf = &buf[..n];
        let from = memchr::memchr(b'\n', buf)? + 1;
        buf[from..].split(|b| *b == b'\n').find_map(leading_time)
    };
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 256 * 1024 {
        let mid = lo + (hi - lo) / 2;
        match probe(f, mid) {
            Some(x) if x < t => lo = mid,
            _ => hi = mid,
        }
    }
    if lo == 0 {
        return 0;
    }
    // Move to the start of the next line.
    let mut buf = vec![0u8; 64 * 1024];
    let n = f
        .seek(SeekFrom::Start(lo))
        .and_then(|_| f.read(&mut buf))
        .unwrap_or(0);
    match memchr::memchr(b'\n', &buf[..n]) {
        Some(i) => lo + i as u64 + 1,
        None => 0,
    }
}

/// Newlines before `end` (the line number base of a read that starts there).
fn lines_before(path: &std::path::Path, end: u64) -> u64 {
    let Ok(f) = open_evidence(path) else { return 0 };
    let mut r = f.take(end);
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    while let Ok(k) = r.read(&mut buf) {
        if k == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64;
    }
    n
}

/// The columns declared at the head of a file (for a read that starts further on).
fn head_schema(f: &mut File, kind: SourceKind) -> Schema {
    let mut head = vec![0u8; SPAN_PROBE as usize];
    let n = f
        .seek(SeekFrom::Start(0))
        .and_then(|_| f.read(&mut head))
        .unwrap_or(0);
    let mut schema = Schema::default();
    for line in head[..n].split(|b| *b == b'\n').map(trim_line) {
        let line = line.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(line);
        if line.first() == Some(&b'#') {
            directive(line, kind, &mut schema);
        } else if !line.is_empty() {
            if schema.is_empty() && !kind.is_w3c() && leading_time(line).is_none() {
                schema = Schema::new(parse_csv(&String::from_utf8_lossy(line)), false);
            } else {
                break;
            }
        }
    }
    schema
}

/// The columns in force at `offset` of a file read from there: the last `#Fields:` directive
/// before it (an IIS restart writes a new header, maybe with other columns, in the middle of a
/// day's file), else the file's head. The part before `offset` is searched backwards, from
/// `offset`, for the directive only: it stops at the nearest one. `read` counts the bytes.
fn schema_before(f: &mut File, kind: SourceKind, offset: u64, read: &mut u64) -> Schema {
    let head = head_schema(f, kind);
    if !kind.is_w3c() || offset <= SPAN_PROBE {
        return head;
    }
    const KEY: &[u8] = b"\n#Fields:";
    const BLOCK: u64 = 1 << 20;
    let finder = memchr::memmem::FinderRev::new(KEY);
    let mut block = vec![0u8; BLOCK as usize + KEY.len()];
    let mut end = offset;
    let mut found: Option<u64> = None;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        // Overlap the block after it by the key's length less one, so that no key is cut.
        let stop = (end + KEY.len() as u64 - 1).min(offset);
        let want = (stop - start) as usize;
        let n = match f
            .seek(SeekFrom::Start(start))
            .and_then(|_| f.read(&mut block[..want]))
        {
            Ok(n) => n,
            Err(_) => break,
        };
        *read += n as u64;
        if let Some(i) = finder.rfind(&block[..n]) {
            found = Some(start + i as u64 + 1);
            break;
        }
        end = start;
    }
    let Some(line_at) = found else {
        return head;
    };
    let mut line = vec![0u8; 64 * 1024];
    let n = f
        .seek(SeekFrom::Start(line_at))
        .and_then(|_| f.read(&mut line))
        .unwrap_or(0);
    let end = memchr::memchr(b'\n', &line[..n]).unwrap_or(n);
    let mut schema = head;
    directive(trim_line(&line[..end]), kind, &mut schema);
    schema
}

fn sweep_file(
    file: &LogFile,
    windows: &[Window],
    maps: &AccessMappings,
    filter: &TimeFilter,
) -> FileResult {
    let mut out = FileResult::default();
    let Ok(mut f) = open_evidence(&file.path) else {
        // The first pass reported the file as unreadable already.
        return out;
    };
    let mut head = [0u8; 4];
    let n = f.read(&mut head).unwrap_or(0);
    let encoding = sniff_encoding(&head[..n]);
    let mut start_off = 0u64;
    let mut stop_after: Option<DateTime<Utc>> = None;
    let mut schema = Schema::default();
    if encoding == TextEncoding::Utf8 {
        let (first, last) = time_span(&mut f, file.size);
        out.bytes += SPAN_PROBE.min(file.size) * 2;
        let live: Vec<_> = windows
            .iter()
            .filter(|(_, a, b)| first.is_none_or(|x| x <= *b) && last.is_none_or(|y| y >= *a))
            .collect();
        if live.is_empty() {
            return out;
        }
        // Read only the part of the file inside the windows.
        let slack = chrono::Duration::seconds(ORDER_SLACK_SECS);
        let lo = live.iter().map(|w| w.1).min().expect("not empty");
        let lo = lo.checked_sub_signed(slack).unwrap_or(lo);
        let hi = live.iter().map(|w| w.2).max().expect("not empty");
        let hi = hi.checked_add_signed(slack).unwrap_or(hi);
        if first.is_some_and(|x| x < lo) {
            start_off = offset_at(&mut f, file.size, lo);
        }
        if last.is_some_and(|y| y > hi) {
            stop_after = Some(hi);
        }
        if start_off > 0 {
            schema = schema_before(&mut f, file.kind, start_off, &mut out.bytes);
        }
    }
    if f.seek(SeekFrom::Start(start_off)).is_err() {
        return out;
    }
    out.read = true;
    let patterns: Vec<&str> = windows.iter().map(|(ip, _, _)| ip.as_str()).collect();
    let Ok(ac) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&patterns)
    else {
        return out;
    };
    let directive_finder = memchr::memmem::Finder::new(b"\n#");
    let reader = utf8_reader(f, encoding);
    let mut chunks = ChunkReader::new(
        reader,
        crate::read::chunks::DEFAULT_CHUNK,
        crate::read::chunks::DEFAULT_MAX_LINE,
    );
    let mut seen_data = start_off > 0;
    // Line numbers count from where reading started; the lines before are counted only if a
    // line is reported.
    let mut line_base: Option<u64> = (start_off == 0).then_some(0);
    while let Ok(Some(region)) = chunks.next_region() {
        let bytes = region.bytes;
        let mut pos = 0usize;
        let mut line_no = region.first_line;
        let mut counted_to = 0usize;
        // Header lines at the start of the file.
        while pos < bytes.len() && !seen_data {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let line = trim_line(&bytes[pos..end]);
            if line.first() == Some(&b'#') {
                directive(line, file.kind, &mut schema);
            } else if !line.is_empty() {
                if schema.is_empty() && !file.kind.is_w3c() && leading_time(line).is_none() {
                    schema = Schema::new(parse_csv(&String::from_utf8_lossy(line)), false);
                } else {
                    seen_data = true;
                    break;
                }
            }
            pos = end + 1;
            line_no += 1;
            counted_to = pos.min(bytes.len());
        }
        // Directive lines further on (an IIS restart changes the columns).
        let mut directives: Vec<usize> = directive_finder
            .find_iter(&bytes[pos.min(bytes.len())..])
            .map(|i| pos + i + 1)
            .collect();
        if pos < bytes.len() && bytes[pos] == b'#' {
            directives.insert(0, pos);
        }
        let mut next_directive = 0usize;
        let apply_until = |limit: usize, next: &mut usize, schema: &mut Schema| {
            while *next < directives.len() && directives[*next] < limit {
                let d = directives[*next];
                let end = memchr::memchr(b'\n', &bytes[d..]).map_or(bytes.len(), |i| d + i);
                directive(trim_line(&bytes[d..end]), file.kind, schema);
                *next += 1;
            }
        };
        while pos < bytes.len() {
            let Some(m) = ac.find(Input::new(bytes).span(pos..bytes.len())) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &bytes[..m.start()])
                .map_or(0, |i| i + 1)
                .max(pos);
            apply_until(start, &mut next_directive, &mut schema);
            line_no += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
            counted_to = start;
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let line = trim_line(&bytes[start..end]);
            pos = end + 1;
            if line.first() == Some(&b'#') {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            let (rec, _) = LineRecord::parse(&schema, &text);
            let Some(ip) = rec.client_ip() else { continue };
            let Some(window) = windows.iter().find(|(w, _, _)| w == ip) else {
                continue;
            };
            let time = rec.timestamp();
            if time.is_some_and(|t| t < window.1 || t > window.2) || !filter.keeps(time) {
                continue;
            }
            out.lines += 1;
            if let Some(c) = classify(&rec, file.kind, maps) {
                let base = *line_base.get_or_insert_with(|| lines_before(&file.path, start_off));
                out.hits.push(Hit {
                    host: file.host.clone(),
                    sig: c.sig,
                    mailbox: c.mailbox,
                    bytes: c.bytes,
                    time,
                    client_ip: Some(ip.to_string()),
                    request_id: rec.request_id(),
                    url_path: rec.url_path().map(str::to_string),
                    evidence: EvidenceRef {
                        path: file.rel.clone(),
                        line: Some(base + line_no),
                        record_id: None,
                        rule_id: None,
                    },
                    from_finding: false,
                });
            }
        }
        apply_until(bytes.len(), &mut next_directive, &mut schema);
        if let Some(hi) = stop_after {
            let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            let last = &body[memchr::memrchr(b'\n', body).map_or(0, |i| i + 1)..];
            if leading_time(last).is_some_and(|t| t > hi) {
                break;
            }
        }
    }
    out.bytes += chunks.bytes_read;
    out
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut end = line.len();
    while end > 0 && line[end - 1] == 0 {
        end -= 1;
    }
    &line[..end]
}

fn directive(line: &[u8], kind: SourceKind, schema: &mut Schema) {
    if let Some(s) = Schema::from_directive(line, kind.is_w3c()) {
        *schema = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_times_of_both_layouts() {
        assert_eq!(
            leading_time(b"2021-03-03 02:41:27 10.0.0.5 GET /")
                .unwrap()
                .to_rfc3339(),
            "2021-03-03T02:41:27+00:00"
        );
        assert!(leading_time(b"2021-03-03T02:41:27.513Z,abc,15").is_some());
        assert!(leading_time(b"#Fields: date time").is_none());
        assert!(leading_time(b"DateTime,RequestId").is_none());
    }
}
