//! Readers: turn an event log file (EVTX, or a JSON/JSONL export) into events handed to a
//! [`RecordHandler`], counting what could not be read instead of stopping.

pub mod evtx;
pub mod json;

use chrono::{DateTime, Utc};
use exhunt_core::Finding;
use serde_json::Value;

/// Problems listed per file; the rest are counted.
pub const MAX_LISTED_PROBLEMS: usize = 20;

/// What the reader does with each record: the detection engine.
pub trait RecordHandler: Sync {
    /// Evaluate one record, in the `evtx` JSON shape. `record_id` is the record header's id
    /// (EVTX) when known. Returns the findings it produced.
    fn handle(&self, event: &Value, record_id: Option<u64>) -> Vec<Finding>;

    /// Raw JSON bytes of a record: a handler may decide from them alone that no rule can
    /// match (channel and event id) and skip parsing. Default: parse and [`Self::handle`].
    fn handle_bytes(&self, json: &[u8], record_id: Option<u64>) -> Result<Vec<Finding>, String> {
        let v: Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        Ok(self.handle(&v, record_id))
    }

    /// True once the scan was stopped: readers check it between batches of records and stop
    /// reading (what was read is kept). Default: never.
    fn stopped(&self) -> bool {
        false
    }
}

/// A problem met while reading one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `evtx-bad-chunk`, `evtx-bad-record`, `evtx-unreadable`, `json-bad-record`, `json-unreadable`.
    pub kind: &'static str,
    /// Record number or line, when known.
    pub at: Option<u64>,
    /// What went wrong.
    pub message: String,
}

/// The result of reading one file.
#[derive(Debug, Default)]
pub struct FileRead {
    /// Records read successfully.
    pub records: u64,
    /// Records that could not be read.
    pub bad_records: u64,
    /// Chunks that could not be read (EVTX).
    pub bad_chunks: u64,
    /// Oldest record time.
    pub first: Option<DateTime<Utc>>,
    /// Newest record time.
    pub last: Option<DateTime<Utc>>,
    /// Findings the handler produced.
    pub findings: Vec<Finding>,
    /// The first problems, in order met.
    pub problems: Vec<Problem>,
    /// Problems met in all (listed or not).
    pub problems_total: u64,
    /// True when reading stopped before the end because the scan was stopped.
    pub interrupted: bool,
}

impl FileRead {
    /// Record a problem (listed while under [`MAX_LISTED_PROBLEMS`]).
    pub fn problem(&mut self, kind: &'static str, at: Option<u64>, message: String) {
        self.problems_total += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(Problem { kind, at, message });
        }
    }

    /// Widen the time span to include `t`.
    pub fn include_time(&mut self, t: DateTime<Utc>) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    /// Fold a part (a batch of chunks) into this file's result.
    pub fn absorb(&mut self, part: FileRead) {
        self.records += part.records;
        self.bad_records += part.bad_records;
        self.bad_chunks += part.bad_chunks;
        if let Some(t) = part.first {
            self.include_time(t);
        }
        if let Some(t) = part.last {
            self.include_time(t);
        }
        self.findings.extend(part.findings);
        let unlisted = part.problems_total - part.problems.len() as u64;
        for p in part.problems {
            self.problem(p.kind, p.at, p.message);
        }
        self.problems_total += unlisted;
    }
}
