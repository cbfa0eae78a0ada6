//! EVTX files, read with the `evtx` crate: chunks are read in order from disk (64 KiB each) and
//! parsed in parallel batches on the scan's thread pool, so memory stays bounded by the batch.
//! A chunk or record that cannot be read is counted as a problem and the rest is still read.

use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use rayon::prelude::*;

use super::{FileRead, RecordHandler};

/// Chunks parsed together per batch and thread (2 × threads × 64 KiB in flight per file).
const CHUNKS_PER_THREAD: usize = 2;

/// Read one EVTX file, handing every record to `handler`. The file is opened as all evidence
/// is (read-only, no symlink, regular files only, access time kept where possible).
pub fn read_evtx(path: &Path, handler: &dyn RecordHandler) -> FileRead {
    match exhunt_core::read::open::open_evidence(path) {
        Ok(f) => read_evtx_from(f, handler),
        Err(e) => {
            let mut out = FileRead::default();
            out.problem("evtx-unreadable", None, format!("cannot open: {e}"));
            out
        }
    }
}

/// Read an EVTX file from an open reader, handing every record to `handler`.
pub fn read_evtx_from<R: Read + Seek>(reader: R, handler: &dyn RecordHandler) -> FileRead {
    let mut out = FileRead::default();
    let parser = match EvtxParser::from_read_seek(reader) {
        Ok(p) => p,
        Err(e) => {
            out.problem(
                "evtx-unreadable",
                None,
                format!("not a readable EVTX file: {e}"),
            );
            return out;
        }
    };
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .validate_checksums(false),
    );
    let mut parser = parser.with_configuration((*settings).clone());
    let batch_len = rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD;
    let mut batch: Vec<EvtxChunkData> = Vec::with_capacity(batch_len);
    for chunk in parser.chunks() {
        if handler.stopped() {
            out.interrupted = true;
            batch.clear();
            break;
        }
        match chunk {
            Ok(c) => batch.push(c),
            Err(e) => {
                out.bad_chunks += 1;
                out.problem("evtx-bad-chunk", None, error_chain(&e));
            }
        }
        if batch.len() >= batch_len {
            out.absorb(run_batch(std::mem::take(&mut batch), &settings, handler));
        }
    }
    if !batch.is_empty() {
        out.absorb(run_batch(batch, &settings, handler));
    }
    out
}

fn run_batch(
    batch: Vec<EvtxChunkData>,
    settings: &Arc<ParserSettings>,
    handler: &dyn RecordHandler,
) -> FileRead {
    batch
        .into_par_iter()
        .map(|mut chunk| read_chunk(&mut chunk, settings, handler))
        .reduce(FileRead::default, |mut a, b| {
            a.absorb(b);
            a
        })
}

fn read_chunk(
    chunk: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    handler: &dyn RecordHandler,
) -> FileRead {
    let mut out = FileRead::default();
    let number = chunk.number;
    let mut parsed = match chunk.parse(Arc::clone(settings)) {
        Ok(p) => p,
        Err(e) => {
            out.bad_chunks += 1;
            out.problem(
                "evtx-bad-chunk",
                number,
                format!("chunk cannot be parsed: {e}"),
            );
            return out;
        }
    };
    for record in parsed.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.bad_records += 1;
                out.problem("evtx-bad-record", None, error_chain(&e));
                continue;
            }
        };
        let id = record.event_record_id;
        let recovered = record.recovered;
        let millis = record.timestamp.as_millisecond();
        match record.into_json_bytes() {
            Ok(json) => match handler.handle_bytes(&json.data, Some(id)) {
                Ok(findings) => {
                    out.records += 1;
                    if let Some(t) = DateTime::<Utc>::from_timestamp_millis(millis) {
                        out.include_time(t);
                    }
                    out.findings.extend(findings);
                }
                Err(e) => {
                    out.bad_records += 1;
                    out.problem("evtx-bad-record", Some(id), format!("record JSON: {e}"));
                }
            },
            // Carved (recovered) records that fail to render are noise, as in the crate.
            Err(_) if recovered => {}
            Err(e) => {
                out.bad_records += 1;
                out.problem("evtx-bad-record", Some(id), error_chain(&e));
            }
        }
    }
    out
}

/// An error with its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
