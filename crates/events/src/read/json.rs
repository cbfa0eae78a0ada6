//! JSON event exports: JSON Lines (one event object per line, `evtx_dump -o jsonl`), the
//! default `evtx_dump -o json` output (`Record N` lines, each followed by a pretty-printed
//! object), a JSON array of events, or a stream of concatenated objects. A line or object that
//! is not valid JSON is counted and skipped.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{FileRead, RecordHandler};
use crate::event::{parse_time, scalar_text};

/// Read one JSON/JSONL export, handing every event to `handler`. The file is opened as all
/// evidence is (read-only, no symlink, regular files only, access time kept where possible).
pub fn read_json(path: &Path, handler: &dyn RecordHandler) -> FileRead {
    match exhunt_core::read::open::open_evidence(path) {
        Ok(f) => read_json_from(f, handler),
        Err(e) => {
            let mut out = FileRead::default();
            out.problem("json-unreadable", None, format!("cannot open: {e}"));
            out
        }
    }
}

/// The longest event object gathered before it is given up as unclosed (bounded memory on a
/// file with an opening brace and no end).
const MAX_OBJECT_BYTES: usize = 16 << 20;

/// Read a JSON/JSONL export from an open reader, handing every event to `handler`.
pub fn read_json_from<R: Read>(file: R, handler: &dyn RecordHandler) -> FileRead {
    let mut out = FileRead::default();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    // Objects are gathered line by line: a line that opens an object at depth 0 starts one,
    // and the object ends when the depth returns to 0. That serves JSONL, pretty-printed
    // objects and `Record N` separators alike, and recovers after a bad object.
    let mut buf = String::new();
    let mut line = Vec::new();
    let mut line_no = 0u64;
    let mut start_line = 0u64;
    let mut depth = 0i64;
    let mut in_string = false;
    loop {
        if line_no.is_multiple_of(1024) && handler.stopped() {
            out.interrupted = true;
            buf.clear();
            break;
        }
        line.clear();
        match (&mut reader)
            .take(MAX_OBJECT_BYTES as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                out.problem("json-unreadable", Some(line_no), format!("read error: {e}"));
                break;
            }
        }
        line_no += 1;
        let text = String::from_utf8_lossy(&line);
        let mut text: &str = &text;
        if line_no == 1 {
            text = text.trim_start_matches('\u{feff}');
        }
        if depth == 0 {
            let t = text.trim();
            if t.is_empty() || t.starts_with("Record ") || t == "[" || t == "]" || t == "," {
                continue;
            }
            // A JSON array of events on one line, or the array's opening bracket.
            let t = t.trim_start_matches('[').trim_start_matches(',');
            if !t.trim_start().starts_with('{') {
                out.bad_records += 1;
                out.problem(
                    "json-bad-record",
                    Some(line_no),
                    "line is not part of a JSON event object".into(),
                );
                continue;
            }
            start_line = line_no;
        }
        scan_depth(text, &mut depth, &mut in_string);
        if buf.len() + text.len() > MAX_OBJECT_BYTES {
            out.bad_records += 1;
            out.problem(
                "json-bad-record",
                Some(start_line),
                format!(
                    "an event object longer than {MAX_OBJECT_BYTES} bytes (not closed?): skipped"
                ),
            );
            buf.clear();
            depth = 0;
            in_string = false;
            continue;
        }
        buf.push_str(text);
        if depth <= 0 {
            handle_text(&buf, start_line, handler, &mut out);
            buf.clear();
            depth = 0;
            in_string = false;
        }
    }
    if !buf.trim().is_empty() {
        out.bad_records += 1;
        out.problem(
            "json-bad-record",
            Some(start_line),
            "the last event object is not closed (truncated file?)".into(),
        );
    }
    out
}

/// Track `{`/`[` nesting outside strings.
fn scan_depth(text: &str, depth: &mut i64, in_string: &mut bool) {
    let mut escaped = false;
    for b in text.bytes() {
        if *in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => *in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => *in_string = true,
            b'{' | b'[' => *depth += 1,
            b'}' | b']' => *depth -= 1,
            _ => {}
        }
    }
}

fn handle_text(text: &str, line: u64, handler: &dyn RecordHandler, out: &mut FileRead) {
    let t = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(',')
        .trim_end_matches(']')
        .trim();
    let value: Value = match serde_json::from_str(t) {
        Ok(v) => v,
        Err(_) => match serde_json::from_str::<Value>(text.trim().trim_end_matches(',')) {
            Ok(v) => v,
            Err(e) => {
                out.bad_records += 1;
                out.problem("json-bad-record", Some(line), format!("invalid JSON: {e}"));
                return;
            }
        },
    };
    let items: Vec<&Value> = match &value {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for v in items {
        if v.get("Event").is_none() {
            out.bad_records += 1;
            out.problem(
                "json-bad-record",
                Some(line),
                "JSON object has no `Event` member (not an evtx-style event)".into(),
            );
            continue;
        }
        out.records += 1;
        if let Some(t) = time_of(v) {
            out.include_time(t);
        }
        out.findings.extend(handler.handle(v, None));
    }
}

fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let tc = v.get("Event")?.get("System")?;
    let t = tc
        .get("TimeCreated")
        .and_then(|t| t.get("#attributes").and_then(|a| a.get("SystemTime")))
        .or_else(|| {
            tc.get("TimeCreated_attributes")
                .and_then(|a| a.get("SystemTime"))
        })?;
    parse_time(&scalar_text(t)?)
}
