//! Orchestration: read targets as a stream, probe them under the limits, write results as they arrive.

use crate::args::ProbeArgs;
use crate::net::conn::ConnSettings;
use crate::net::tls::client_config;
use crate::output::{key_hash, load_resume, Sink};
use crate::probe::{ProbeConfig, Prober};
use crate::progress::Progress;
use crate::record::HostResult;
use crate::summary::Summary;
use crate::targets::{parse_line, Target};
use futures_util::FutureExt;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

/// Jobs are handed over in batches to keep cross-thread wake-ups rare.
const BATCH: usize = 128;

/// Work handed from the reader thread to the scheduler.
enum Job {
    Probe(Target, Arc<str>),
    Invalid(String, String),
}

/// Run `exhunt probe`. Returns the exit code: 0 = nothing vulnerable found, 1 = at least one host
/// vulnerable or potentially vulnerable.
pub fn run(args: ProbeArgs) -> anyhow::Result<i32> {
    if args.targets.is_empty() && args.input.is_none() {
        anyhow::bail!("no targets: give them as arguments or with -i FILE (- for stdin)");
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(t) = args.threads {
        rt.worker_threads(t.max(1));
    }
    let rt = rt.enable_all().build()?;
    // The scheduler runs as a task on the workers (not on this thread), so that the probes it
    // spawns start on a worker's own queue instead of waking one across threads each time.
    let summary = rt.block_on(async { tokio::spawn(run_async(args)).await })??;
    Ok(i32::from(summary.by_exposure.keys().any(|k| {
        *k == "vulnerable" || *k == "potentially_vulnerable"
    })))
}

async fn run_async(args: ProbeArgs) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let done = match (&args.jsonl, args.resume) {
        (Some(p), true) if p.as_os_str() != "-" => load_resume(p)?,
        _ => HashSet::new(),
    };
    let resumed = done.len();
    let sink = Sink::open(args.jsonl.as_deref(), args.resume)?;
    let summary_to_stderr = sink.is_stdout();
    let total = if args.no_progress {
        None
    } else {
        count_targets(&args)
    };
    let progress = Progress::new(
        !args.no_progress,
        total.map(|t| t.saturating_sub(resumed as u64)),
    );

    let cfg = ProbeConfig {
        conn: ConnSettings {
            connect_timeout: Duration::from_secs_f64(args.connect_timeout),
            tls_timeout: Duration::from_secs_f64(args.tls_timeout),
            request_timeout: Duration::from_secs_f64(args.request_timeout),
            max_body: args.max_body.max(1024),
            tls: client_config()?,
        },
        schemes: if args.schemes.is_empty() {
            vec![crate::targets::Scheme::Https]
        } else {
            args.schemes.clone()
        },
        retries: args.retries,
        backoff: Duration::from_millis(args.backoff_ms),
        total_timeout: Duration::from_secs_f64(args.timeout),
        ntlm_info: args.ntlm_info,
    };
    let concurrency = args.concurrency as usize;
    let prober = Arc::new(Prober::new(cfg, args.rate, args.per_host as usize));

    let (job_tx, mut job_rx) = mpsc::channel::<Vec<Job>>((concurrency / BATCH).clamp(4, 64));
    let reader = {
        let args = args.clone();
        std::thread::spawn(move || read_targets(&args, &done, &job_tx))
    };
    let results = Arc::new(Results::new(sink, progress, args.top));

    let sem = Arc::new(Semaphore::new(concurrency));
    while let Some(batch) = job_rx.recv().await {
        for job in batch {
            match job {
                Job::Invalid(line, err) => results.add(&HostResult::invalid(&line, err)),
                Job::Probe(t, input) => {
                    let permit = sem.clone().acquire_owned().await?;
                    let prober = prober.clone();
                    let results = results.clone();
                    tokio::spawn(async move {
                        // A bug met on one target's answer costs that target only, and it
                        // still gets its line (with the error) instead of vanishing.
                        let probe = AssertUnwindSafe(prober.probe(&t, &input)).catch_unwind();
                        let r = probe.await.unwrap_or_else(|_| {
                            let mut r = HostResult::new(t.key(), input.to_string());
                            r.exposure = "unknown";
                            r.status = "probe failed (internal error)".into();
                            r.errors.push(
                                "internal error while probing this target (a bug in exhunt or a library); please report it".into(),
                            );
                            r
                        });
                        results.add(&r);
                        drop(permit);
                    });
                }
            }
        }
    }
    let _all = sem
        .acquire_many(u32::try_from(concurrency).unwrap_or(u32::MAX))
        .await?;
    let read_result = reader
        .join()
        .map_err(|_| anyhow::anyhow!("target reader panicked"))?;
    let summary = Arc::try_unwrap(results)
        .map_err(|_| anyhow::anyhow!("a probe task outlived the scan"))?
        .finish()?;
    read_result?;
    let text = summary.render(started.elapsed().as_secs_f64());
    let note = if resumed > 0 {
        format!("(resumed: {resumed} targets were already done)\n")
    } else {
        String::new()
    };
    if summary_to_stderr {
        eprint!("{text}{note}");
    } else {
        print!("{text}{note}");
    }
    Ok(summary)
}

/// Lines from the command line, then from the input file or stdin.
fn line_sources(args: &ProbeArgs) -> anyhow::Result<Vec<Box<dyn BufRead + Send>>> {
    let mut v: Vec<Box<dyn BufRead + Send>> = Vec::new();
    if !args.targets.is_empty() {
        v.push(Box::new(std::io::Cursor::new(
            args.targets.join("\n").into_bytes(),
        )));
    }
    match &args.input {
        Some(p) if p.as_os_str() == "-" => v.push(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", p.display()))?;
            v.push(Box::new(BufReader::with_capacity(256 * 1024, f)));
        }
        None => {}
    }
    Ok(v)
}

fn for_each_line(r: &mut dyn BufRead, f: &mut dyn FnMut(&str) -> bool) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        if !f(&String::from_utf8_lossy(&buf)) {
            return Ok(());
        }
    }
}

/// Reader thread: parse and expand lines, skip finished targets, feed the bounded job queue.
fn read_targets(
    args: &ProbeArgs,
    done: &HashSet<u64>,
    tx: &mpsc::Sender<Vec<Job>>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(BATCH);
    let push = |job: Job, batch: &mut Vec<Job>| -> bool {
        batch.push(job);
        batch.len() < BATCH
            || tx
                .blocking_send(std::mem::replace(batch, Vec::with_capacity(BATCH)))
                .is_ok()
    };
    for mut src in line_sources(args)? {
        for_each_line(src.as_mut(), &mut |line| match parse_line(line) {
            Ok(None) => true,
            Ok(Some(l)) => {
                let input: Arc<str> = Arc::from(line.trim());
                for t in l.expand() {
                    if !done.is_empty() && done.contains(&key_hash(&t.key())) {
                        continue;
                    }
                    if !push(Job::Probe(t, input.clone()), &mut batch) {
                        return false;
                    }
                }
                true
            }
            Err(e) => {
                let key = line.trim().chars().take(300).collect::<String>();
                if !done.is_empty() && done.contains(&key_hash(&key)) {
                    return true;
                }
                push(Job::Invalid(line.to_string(), e), &mut batch)
            }
        })?;
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    Ok(())
}

/// Pre-count targets for the progress bar (regular files and arguments only, never stdin).
fn count_targets(args: &ProbeArgs) -> Option<u64> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || args.input.as_ref().is_some_and(|p| p.as_os_str() == "-")
    {
        return None;
    }
    let mut n: u128 = 0;
    for mut src in line_sources(args).ok()? {
        for_each_line(src.as_mut(), &mut |line| {
            n += match parse_line(line) {
                Ok(Some(l)) => l.count(),
                Ok(None) => 0,
                Err(_) => 1,
            };
            true
        })
        .ok()?;
    }
    u64::try_from(n).ok()
}

/// Where results go as they arrive: the JSONL sink (flushed at most every 100 ms: streaming,
/// without a system call per line), the summary and the progress bar. Each probe task adds its
/// own result (serialised outside the lock), so no writer task has to be woken per result.
struct Results {
    state: Mutex<ResultsState>,
}

struct ResultsState {
    sink: Sink,
    summary: Summary,
    progress: Progress,
    vulnerable: u64,
    last_flush: Instant,
    write_error: Option<std::io::Error>,
}

impl Results {
    fn new(sink: Sink, progress: Progress, top: usize) -> Results {
        Results {
            state: Mutex::new(ResultsState {
                sink,
                summary: Summary::new(top),
                progress,
                vulnerable: 0,
                last_flush: Instant::now(),
                write_error: None,
            }),
        }
    }

    /// Count one result and write its JSONL line.
    fn add(&self, r: &HostResult) {
        let line = serde_json::to_vec(r);
        // A panic elsewhere while the lock was held must not silence the results that follow:
        // the state is plain counters and a writer, still usable.
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let st = &mut *st;
        st.summary.add(r);
        st.vulnerable += u64::from(r.exposure == "vulnerable");
        st.progress.inc(st.vulnerable, st.summary.exchange);
        if st.write_error.is_some() {
            return;
        }
        let written = match line {
            Ok(line) => st.sink.write_line(&line),
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(e) = written {
            st.write_error = Some(e);
        } else if st.last_flush.elapsed() >= Duration::from_millis(100) {
            st.last_flush = Instant::now();
            if let Err(e) = st.sink.flush() {
                st.write_error = Some(e);
            }
        }
    }

    /// Flush the output and hand back the summary (or the first write error).
    fn finish(self) -> anyhow::Result<Summary> {
        let mut st = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        st.progress.finish();
        st.sink.flush()?;
        if let Some(e) = st.write_error {
            return Err(anyhow::anyhow!("writing results failed: {e}"));
        }
        Ok(st.summary)
    }
}
