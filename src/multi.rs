//! A scan of many roots: the hunters (and their YARA and Sigma packs) are built once and share
//! one thread pool; a few roots are in flight at a time (`--parallel-roots`), so memory and
//! unpacked-zip disk use are bounded as for that many single scans. As each root finishes, its
//! findings go to the JSONL and timeline outputs and its servers into the fleet view, and its
//! report is dropped. A root that cannot be read (missing, unreadable, a corrupt zip) is an
//! input problem of that root and a "not assessable" server; the run goes on.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use exhunt_core::rules::RuleSet;
use exhunt_core::scan::Hunter;
use exhunt_core::{ScanConfig, ScanIssue, ScanReport, VerdictLevel};
use exhunt_fleet::digest::HostDigest;
use exhunt_fleet::view::HostFacts;
use exhunt_fleet::{FleetBuilder, InputProblem};
use exhunt_report::{JsonlWriter, ReportWriter, TimelineCsvWriter};

use crate::collection;
use crate::pipeline::{self, PipelineOptions};
use crate::roots::RootSpec;

/// Where per-root output goes.
pub struct RootSinks {
    /// JSONL: finding, story and issue lines of each root.
    pub jsonl: Option<Box<dyn Write + Send>>,
    /// The Timesketch timeline.
    pub timeline: Option<TimelineCsvWriter<Box<dyn Write + Send>>>,
}

impl RootSinks {
    /// Stop writing to `sink` (it failed).
    fn close(&mut self, sink: Sink) {
        match sink {
            Sink::Jsonl => self.jsonl = None,
            Sink::Timeline => self.timeline = None,
        }
    }
}

/// How to run the roots.
pub struct MultiOptions<'a> {
    /// Per-root configuration (its root is replaced).
    pub config: ScanConfig,
    /// Rules.
    pub rules: &'a RuleSet,
    /// Hunters to build.
    pub pipeline: PipelineOptions,
    /// Roots in flight at a time.
    pub parallel: usize,
    /// Where zips are unpacked.
    pub unpack_dir: Option<PathBuf>,
    /// Cap on a zip's unpacked size.
    pub max_unpacked: u64,
    /// Show a progress bar (roots done / total).
    pub progress: bool,
}

/// Rename the only host of a report (`--host`, a roots file's `host` column).
pub fn rename_host(report: &mut ScanReport, name: &str) -> bool {
    if report.hosts.len() != 1 {
        return false;
    }
    let old = std::mem::replace(&mut report.hosts[0].name, name.to_string());
    for f in &mut report.findings {
        if f.host == old {
            f.host = name.to_string();
        }
    }
    for s in &mut report.stories {
        if s.host == old {
            s.host = name.to_string();
        }
    }
    let access = &mut report.access;
    for h in access
        .data_access
        .iter_mut()
        .map(|d| &mut d.host)
        .chain(access.shell_use.iter_mut().map(|a| &mut a.host))
        .chain(access.sweeps.iter_mut().map(|s| &mut s.host))
    {
        if *h == old {
            *h = name.to_string();
        }
    }
    true
}

/// The name a root's server gets when the root cannot be read.
fn fallback_host(spec: &RootSpec) -> String {
    spec.host.clone().unwrap_or_else(|| {
        let p = spec.path.as_path();
        p.file_stem()
            .or(p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    })
}

/// Scan one root (unpacking a zip), with the org and host labels applied.
fn scan_one(
    spec: &RootSpec,
    o: &MultiOptions<'_>,
    pool: &rayon::ThreadPool,
    hunters: &[&dyn Hunter],
) -> Result<(ScanReport, Vec<InputProblem>), String> {
    let prepared = collection::prepare_until(
        &spec.path,
        o.unpack_dir.as_deref(),
        o.max_unpacked,
        &o.config.cancel,
    )
    .map_err(|e| format!("{e:#}"))?;
    let mut config = o.config.clone();
    config.root = prepared.path.clone();
    let mut report = pool
        .install(|| pipeline::scan_root(&config, o.rules, hunters))
        .map_err(|e| e.to_string())?;
    report.root = spec.path.display().to_string();
    report.org = spec.org.clone();
    for (entry, why) in &prepared.problems {
        report.issues.push(ScanIssue {
            kind: "zip-entry".into(),
            path: entry.clone(),
            line: None,
            message: why.clone(),
        });
    }
    let mut problems = Vec::new();
    if let Some(h) = &spec.host {
        if !rename_host(&mut report, h) {
            problems.push(InputProblem {
                file: spec.path.display().to_string(),
                line: None,
                kind: "host-name".into(),
                message: format!(
                    "the host name '{h}' was not applied: the root holds {} servers, which keep their own names",
                    report.hosts.len()
                ),
            });
        }
    }
    Ok((report, problems))
}

fn bar(total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} roots  ETA {eta}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Scan every root into `builder` and the sinks. An output that cannot be written is closed
/// and reported in the result; the roots are all scanned and the fleet view still built.
pub fn scan_roots(
    roots: &[RootSpec],
    o: &MultiOptions<'_>,
    builder: &mut FleetBuilder,
    sinks: RootSinks,
) -> anyhow::Result<ScannedRoots> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(o.config.threads.unwrap_or(0))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))?;
    let built = pool.install(|| pipeline::hunters(&o.config, o.rules, &o.pipeline));
    let hunters: Vec<&dyn Hunter> = built.iter().map(|h| h.as_ref()).collect();
    let keep = builder.keeps_examples();
    let progress = (o.progress && std::io::stderr().is_terminal()).then(|| bar(roots.len()));
    struct State<'b> {
        builder: &'b mut FleetBuilder,
        sinks: RootSinks,
        failed: usize,
        write_errors: Vec<WriteFailure>,
    }
    let state = Mutex::new(State {
        builder,
        sinks,
        failed: 0,
        write_errors: Vec::new(),
    });
    let next = AtomicUsize::new(0);
    let workers = o.parallel.clamp(1, roots.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = roots.get(i) else { break };
                let result = if o.config.cancel.is_cancelled() {
                    Err("the scan was interrupted before this root was read".to_string())
                } else {
                    guard_root(|| scan_one(spec, o, &pool, &hunters))
                };
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.builder.input_done();
                match result {
                    Ok((report, problems)) => {
                        for p in problems {
                            st.builder.problem(p);
                        }
                        for failed in write_root(&mut st.sinks, &report) {
                            // That output is given up (a full disk fails every later write
                            // too); the scan and the other outputs go on.
                            st.sinks.close(failed.sink);
                            st.write_errors.push(failed);
                        }
                        for d in exhunt_fleet::from_report::digests(&report, keep) {
                            st.builder.add(d);
                        }
                    }
                    Err(why) => {
                        st.failed += 1;
                        st.builder.problem(InputProblem {
                            file: spec.path.display().to_string(),
                            line: None,
                            kind: "bad-root".into(),
                            message: format!("cannot scan this root: {why}"),
                        });
                        st.builder.add(unreadable(spec, &why, keep));
                    }
                }
                drop(st);
                if let Some(b) = &progress {
                    b.inc(1);
                    b.set_message(display_name(&spec.path));
                }
            });
        }
    });
    if let Some(b) = &progress {
        b.finish_and_clear();
    }
    let st = state.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(ScannedRoots {
        sinks: st.sinks,
        failed: st.failed,
        write_errors: st.write_errors,
    })
}

/// What [`scan_roots`] leaves: the outputs still open, how many roots could not be read, and
/// the outputs that failed (closed when they did).
pub struct ScannedRoots {
    /// The per-root outputs still open.
    pub sinks: RootSinks,
    /// Roots that could not be read.
    pub failed: usize,
    /// Outputs that could not be written, each closed at its first failure.
    pub write_errors: Vec<WriteFailure>,
}

/// Which per-root output failed, and why.
#[derive(Debug)]
pub struct WriteFailure {
    /// The output.
    pub sink: Sink,
    /// The error.
    pub error: std::io::Error,
}

/// One of the per-root outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `--jsonl`.
    Jsonl,
    /// `--timeline`.
    Timeline,
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.sink {
            Sink::Jsonl => "the JSONL output",
            Sink::Timeline => "the timeline",
        };
        write!(
            f,
            "{what} could not be written ({}); it was given up from there, the scan went on",
            self.error
        )
    }
}

/// Run one root's scan so that a bug (a panic) in it makes that root unreadable instead of
/// ending the scan of every root.
fn guard_root<T>(scan: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(scan)).unwrap_or_else(|payload| {
        let what = exhunt_core::guard::panic_message(payload.as_ref());
        Err(format!(
            "scanning this root hit a bug in exhunt ({what}); the other roots were scanned. Please report it"
        ))
    })
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Write one root to every open output; each one that fails is returned (the others are still
/// written).
fn write_root(sinks: &mut RootSinks, report: &ScanReport) -> Vec<WriteFailure> {
    let mut failed = Vec::new();
    if let Some(out) = sinks.jsonl.as_mut() {
        if let Err(error) = JsonlWriter::new(out).write_root(report) {
            failed.push(WriteFailure {
                sink: Sink::Jsonl,
                error,
            });
        }
    }
    if let Some(t) = sinks.timeline.as_mut() {
        if let Err(error) = t.write_report(report) {
            failed.push(WriteFailure {
                sink: Sink::Timeline,
                error,
            });
        }
    }
    failed
}

/// The server of a root that could not be read: not assessable, with the reason.
fn unreadable(spec: &RootSpec, why: &str, keep: bool) -> HostDigest {
    let host = fallback_host(spec);
    let mut d = HostDigest::new(spec.org.clone(), host.clone(), keep);
    d.facts = Some(HostFacts {
        org: spec.org.clone(),
        host,
        verdict: VerdictLevel::NotAssessable,
        reason: format!("the evidence could not be read: {why}"),
        coverage: Default::default(),
        missing_sources: Vec::new(),
        scanned: Some(chrono::Utc::now()),
        origin: spec.path.display().to_string(),
        scan_issues: 1,
        read_error: Some(why.to_string()),
        interrupted: None,
    });
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_one_root_becomes_that_root_s_error() {
        assert_eq!(guard_root(|| Ok::<_, String>(3)), Ok(3));
        assert_eq!(
            guard_root(|| Err::<u8, _>("unreadable".to_string())),
            Err("unreadable".to_string())
        );
        let err =
            guard_root(|| -> Result<u8, String> { panic!("index out of bounds") }).unwrap_err();
        assert!(
            err.contains("hit a bug in exhunt (index out of bounds)"),
            "{err}"
        );
    }
}
