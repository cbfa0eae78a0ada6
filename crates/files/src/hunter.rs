//! The file hunter: compiles every file check once, lists the files worth scanning, and scans
//! them in the scan's thread pool with one yara-x scanner per worker.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use exhunt_core::discover::Inventory;
use exhunt_core::guard::guard_file;
use exhunt_core::model::{ScanIssue, Severity, SourceCoverage, SourceKind, Stage};
use exhunt_core::rules::{RuleDiagnostic, RuleMeta, RuleSet};
use exhunt_core::scan::{Contribution, Hunter, ScanConfig};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::areas::{self, Candidate};
use crate::filerules::{self, FileRecord, FileRule};
use crate::finding::{self, render_bytes, FileFacts, StringMatch};
use crate::iocs::{hex, HashIocs};
use crate::options::FileOptions;
use crate::yara::{self, CompiledYara};

/// Issues listed per scan before they are only counted.
const MAX_LISTED_ISSUES: usize = 1000;
/// Matched strings kept per rule and file.
const MAX_MATCHES_PER_RULE: usize = 16;
/// Matches kept per pattern and pattern.
const MAX_MATCHES_PER_PATTERN: usize = 4;

/// Searches files for web shells, post-exploitation traces, ransomware and IIS tampering.
pub struct FileHunter {
    options: FileOptions,
    yara: Option<CompiledYara>,
    file_rules: Vec<FileRule>,
    iocs: HashIocs,
    hash_every_file: bool,
    ioc_meta: Arc<RuleMeta>,
    diagnostics: Vec<RuleDiagnostic>,
}

/// What scanning one file produced.
#[derive(Default)]
struct FileResult {
    findings: Vec<exhunt_core::Finding>,
    issues: Vec<ScanIssue>,
    read: bool,
    /// Found but not readable (permissions, vanished, not a regular file).
    unreadable: bool,
    bytes: u64,
    /// Modification time of the file read, for the coverage's time span.
    modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl FileHunter {
    /// Compile the embedded YARA pack, the user's `--yara` folders, the `file:` rules of
    /// `rules` and the hash IOC lists. Compilation problems are kept as diagnostics (see
    /// [`FileHunter::diagnostics`]) and reported in the scan's contribution.
    pub fn new(rules: &RuleSet, options: FileOptions) -> FileHunter {
        let mut diagnostics = Vec::new();
        let mut iocs = HashIocs::default();
        let (yara, file_rules) = if options.enabled {
            let y = yara::compile(
                options.embedded_rules,
                &options.yara_paths,
                &mut iocs,
                &mut diagnostics,
            );
            let f = filerules::compile(&rules.file_rules, &mut diagnostics);
            (Some(y), f)
        } else {
            (None, Vec::new())
        };
        FileHunter {
            // User lists (from --yara folders) may name any kind of file: hash every file then.
            hash_every_file: !options.yara_paths.is_empty(),
            options,
            yara,
            file_rules,
            iocs,
            ioc_meta: Arc::new(RuleMeta {
                id: "EXH-FH-001".into(),
                title: "File matches a known-bad SHA-256 hash".into(),
                description: "The file's SHA-256 is on a hash IOC list (the embedded lists of web shells and tools published for Exchange intrusions, or a user list loaded with --yara).".into(),
                severity: Severity::Critical,
                stage: Stage::Backdoor,
                cves: vec![],
                tags: vec!["IOC".into()],
                attack: vec!["T1505.003".into()],
                author: None,
                references: vec!["https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/".into()],
                remediation: "Preserve a copy, remove the file, list who requested or ran it, and treat the server as compromised.".into(),
                origin: "embedded:rules/files/iocs".into(),
                escalate_on_intrusion: None,
            }),
            diagnostics,
        }
    }

    /// Problems met while compiling the rules (also reported by [`Hunter::hunt`]).
    pub fn diagnostics(&self) -> &[RuleDiagnostic] {
        &self.diagnostics
    }

    /// Metadata of every rule the hunter runs: YARA rules, `file:` rules, configuration
    /// checks and the hash-IOC rule.
    pub fn rule_metas(&self) -> Vec<Arc<RuleMeta>> {
        let mut v: Vec<Arc<RuleMeta>> = Vec::new();
        if let Some(y) = &self.yara {
            let mut ys: Vec<_> = y.metas.values().cloned().collect();
            ys.sort_by(|a, b| a.id.cmp(&b.id));
            v.extend(ys);
        }
        v.extend(self.file_rules.iter().map(|r| Arc::clone(&r.meta)));
        v.push(Arc::clone(&self.ioc_meta));
        v
    }

    /// Number of hashes on the loaded IOC lists.
    pub fn ioc_count(&self) -> usize {
        self.iocs.len()
    }

    fn scan_one(&self, scanners: &mut Scanners<'_>, c: &Candidate) -> FileResult {
        let mut out = FileResult::default();
        let issue = |kind: &str, message: String| ScanIssue {
            kind: kind.into(),
            path: c.rel.clone(),
            line: None,
            message,
        };
        // An entry that is not a regular file is never opened: its own (link) times only.
        let file = match &c.special {
            None => exhunt_core::read::open::open_evidence(&c.abs),
            Some(_) => Err(std::io::Error::other("not a regular file")),
        };
        let md = match (&file, &c.special) {
            (Ok(f), _) => f.metadata().ok(),
            (Err(_), Some(_)) => std::fs::symlink_metadata(&c.abs).ok(),
            _ => None,
        };
        let mut facts = FileFacts::new(c, md.as_ref());
        if c.special.is_some() {
            facts.size = 0;
        }
        let record = FileRecord::new(&c.sys_path, facts.size, c.area.as_str(), c.depth);
        // Rules that read the content wait for it; the others are decided on the name.
        let mut content_rules = Vec::new();
        for r in &self.file_rules {
            if !r.matches(&record) {
                continue;
            }
            if r.content().is_some() {
                content_rules.push(r);
                continue;
            }
            let mut ev = format!("name/location: {} (area {})", c.sys_path, c.area.as_str());
            if let Some(sp) = &c.special {
                ev.push_str(&format!("; not a regular file but a {}", sp.what));
                if let Some(t) = &sp.target {
                    ev.push_str(&format!(" -> '{t}'"));
                }
            }
            out.findings
                .push(finding::build(&r.meta, &facts, &ev, &[], BTreeMap::new()));
        }
        if let Some(sp) = &c.special {
            out.issues.push(sp.issue(&c.rel));
            return out;
        }
        let mut file = match file {
            Ok(f) => f,
            Err(e) => {
                out.issues
                    .push(exhunt_core::read::open::open_issue(&c.rel, &e));
                out.unreadable = true;
                return out;
            }
        };
        if facts.size > self.options.max_file_size {
            out.issues.push(issue(
                "file-too-large",
                format!(
                    "skipped: {} bytes is over the --max-file-size limit of {} bytes; only name and location rules were applied",
                    facts.size, self.options.max_file_size
                ),
            ));
            return out;
        }
        // One read buffer per worker thread: a fresh allocation per file costs page faults.
        thread_local! {
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUF.with(|buf| {
            let mut data = buf.borrow_mut();
            let len = match read_known_size(&mut file, facts.size, &mut data) {
                Ok(len) => len,
                Err(e) => {
                    out.issues
                        .push(issue("unreadable-file", format!("cannot read: {e}")));
                    return;
                }
            };
            let now = file.metadata().map(|m| m.len()).unwrap_or(facts.size);
            if len as u64 != facts.size || now != facts.size {
                out.issues.push(issue(
                    "changed-during-scan",
                    format!(
                        "the file was {} bytes when opened, {len} bytes were read and it is {now} bytes now: it changed while the scan ran; the bytes read were checked",
                        facts.size
                    ),
                ));
            }
            let content = &data[..len];
            let rules = &content_rules;
            self.check_content(c, &record, content, rules, &mut facts, scanners, &mut out);
            // Do not keep a huge buffer alive after an unusually large file.
            if data.len() > 64 << 20 {
                *data = Vec::new();
            }
        });
        out
    }

    /// Hash, hash IOCs, the content tests of `file:` rules (configuration values) and YARA
    /// over a file's content.
    #[allow(clippy::too_many_arguments)]
    fn check_content(
        &self,
        c: &Candidate,
        record: &FileRecord,
        data: &[u8],
        content_rules: &[&FileRule],
        facts: &mut FileFacts,
        scanners: &mut Scanners<'_>,
        out: &mut FileResult,
    ) {
        out.read = true;
        out.bytes = data.len() as u64;
        out.modified = facts.modified;
        // Static web assets (images, styles, fonts, plain pages) are hashed only when a rule
        // flags them: IOC lists name pages, scripts, binaries, archives and dumps, and hashing
        // every image of a big web root would double the scan time.
        let hash_now = self.hash_every_file || !is_static_asset(&record.name);
        if hash_now {
            self.hash_and_match_iocs(data, facts, out);
        }
        if !content_rules.is_empty() {
            let text = decode_text(data);
            for rule in content_rules {
                let Some(check) = rule.content() else {
                    continue;
                };
                for hit in check.hits(&text) {
                    let m = StringMatch {
                        pattern: "value".into(),
                        offset: hit.offset,
                        length: hit.line.len(),
                        data: render_bytes(hit.line.as_bytes()),
                    };
                    let ev = format!(
                        "value '{}' in: {}",
                        truncate(&hit.value, 200),
                        truncate(&hit.line, 300)
                    );
                    let mut more = BTreeMap::new();
                    more.insert("value".into(), json!(hit.value));
                    out.findings
                        .push(finding::build(&rule.meta, facts, &ev, &[m], more));
                }
            }
        }
        if let Some(y) = &self.yara {
            let globals = YaraGlobals::new(record, c.depth);
            self.run_yara(y, &mut scanners.all_files, &globals, c, data, facts, out);
            if let (true, Some(pages)) = (globals.webpage, scanners.pages.as_mut()) {
                self.run_yara(y, pages, &globals, c, data, facts, out);
            }
        }
        if facts.sha256.is_none() && !out.findings.is_empty() {
            self.hash_and_match_iocs(data, facts, out);
        }
    }

    /// SHA-256 of the content: recorded on the facts and on findings made so far, and looked
    /// up in the hash IOC lists.
    fn hash_and_match_iocs(&self, data: &[u8], facts: &mut FileFacts, out: &mut FileResult) {
        let digest = Sha256::digest(data);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest.as_slice());
        let hash_hex = hex(&hash);
        facts.sha256 = Some(hash_hex.clone());
        for f in &mut out.findings {
            f.extra.insert("sha256".into(), json!(hash_hex));
        }
        if let Some((desc, origin)) = self.iocs.get(&hash) {
            let ev = format!("SHA-256 {hash_hex} is listed: {desc} ({origin})");
            let mut more = BTreeMap::new();
            more.insert("ioc_list".into(), json!(origin));
            out.findings
                .push(finding::build(&self.ioc_meta, facts, &ev, &[], more));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_yara(
        &self,
        y: &CompiledYara,
        scanner: &mut yara_x::Scanner<'_>,
        globals: &YaraGlobals<'_>,
        c: &Candidate,
        data: &[u8],
        facts: &FileFacts,
        out: &mut FileResult,
    ) {
        globals.apply(scanner);
        let results = match scanner.scan(data) {
            Ok(r) => r,
            Err(yara_x::ScanError::Timeout) => {
                out.issues.push(ScanIssue {
                    kind: "scan-timeout".into(),
                    path: c.rel.clone(),
                    line: None,
                    message: format!(
                        "YARA scan stopped after the --file-timeout of {}s; content rules incomplete for this file",
                        self.options.file_timeout.as_secs()
                    ),
                });
                return;
            }
            Err(e) => {
                out.issues.push(ScanIssue {
                    kind: "scan-error".into(),
                    path: c.rel.clone(),
                    line: None,
                    message: format!("YARA scan failed: {e}"),
                });
                return;
            }
        };
        for rule in results.matching_rules() {
            let key = (rule.namespace().to_string(), rule.identifier().to_string());
            let Some(meta) = y.metas.get(&key) else {
                continue;
            };
            let mut matches = Vec::new();
            'patterns: for p in rule.patterns() {
                for m in p.matches().take(MAX_MATCHES_PER_PATTERN) {
                    if matches.len() >= MAX_MATCHES_PER_RULE {
                        break 'patterns;
                    }
                    matches.push(StringMatch {
                        pattern: p.identifier().to_string(),
                        offset: m.range().start,
                        length: m.range().len(),
                        data: render_bytes(m.data()),
                    });
                }
            }
            let mut more = BTreeMap::new();
            more.insert(
                "yara".into(),
                json!({
                    "rule": rule.identifier(),
                    "namespace": rule.namespace(),
                    "meta": y.raw_meta.get(&key).cloned().unwrap_or(serde_json::Value::Null),
                }),
            );
            let ev = format!("YARA rule {} matched", rule.identifier());
            out.findings
                .push(finding::build(meta, facts, &ev, &matches, more));
        }
    }
}

/// Read a file whose size the metadata gave into the front of `buf` and return how many
/// bytes it holds. The read stops at that size, so a whole file costs one read call instead of
/// a second one that only meets the end; a file that shrank since is read to its end and a
/// file that grew is read as it was when listed. `buf` only grows (it is reused from file to
/// file, and zeroing it again for every file would cost as much as the read). An empty file
/// is read to its end: special files can report size 0.
fn read_known_size(
    file: &mut std::fs::File,
    size: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    if size == 0 {
        buf.clear();
        return file.take(1 << 20).read_to_end(buf);
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if buf.len() < size {
        // A failed allocation would abort the whole scan: report this file instead.
        buf.try_reserve(size - buf.len()).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::OutOfMemory,
                format!("{size} bytes do not fit in memory ({e}); lower --max-file-size"),
            )
        })?;
        buf.resize(size, 0);
    }
    let mut filled = 0;
    while filled < size {
        match file.read(&mut buf[filled..size]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The external variables of one file, computed once and set on each scanner that reads it.
struct YaraGlobals<'r> {
    record: &'r FileRecord,
    depth: i64,
    /// Folder with Windows separators (Loki/THOR convention).
    filepath: String,
    /// Extension with its dot, or empty.
    extension: String,
    webpage: bool,
}

impl<'r> YaraGlobals<'r> {
    fn new(record: &'r FileRecord, depth: usize) -> YaraGlobals<'r> {
        YaraGlobals {
            record,
            depth: i64::try_from(depth).unwrap_or(i64::MAX),
            filepath: record.folder.replace('/', "\\"),
            extension: if record.ext.is_empty() {
                String::new()
            } else {
                format!(".{}", record.ext)
            },
            webpage: is_webpage(&record.ext),
        }
    }

    fn apply(&self, scanner: &mut yara_x::Scanner<'_>) {
        // The variables are all defined at compile time: setting them cannot fail on type.
        let _ = scanner.set_global("filename", self.record.name.as_str());
        let _ = scanner.set_global("filepath", self.filepath.as_str());
        let _ = scanner.set_global("extension", self.extension.as_str());
        let _ = scanner.set_global("exhunt_area", self.record.area);
        let _ = scanner.set_global("exhunt_depth", self.depth);
        let _ = scanner.set_global("exhunt_stock", self.record.stock);
        let _ = scanner.set_global("exhunt_webpage", self.webpage);
    }
}

/// One worker's YARA scanners: one per compiled set (a scanner is costly to make, so a worker
/// keeps its own for the whole scan).
struct Scanners<'r> {
    /// Runs on every file.
    all_files: yara_x::Scanner<'r>,
    /// Runs on server-side pages too.
    pages: Option<yara_x::Scanner<'r>>,
}

impl<'r> Scanners<'r> {
    fn new(y: &'r CompiledYara, timeout: std::time::Duration) -> Scanners<'r> {
        let make = |rules: &'r yara_x::Rules| {
            let mut scanner = yara_x::Scanner::new(rules);
            scanner.set_timeout(timeout);
            scanner.max_matches_per_pattern(1000);
            scanner
        };
        Scanners {
            all_files: make(&y.all_files),
            pages: y.pages.as_ref().map(make),
        }
    }
}

/// A text file's content as text: UTF-16 when it starts with a UTF-16 byte-order mark (IIS
/// and .NET tools can save configuration so), else UTF-8 with invalid bytes replaced. Offsets
/// of findings are offsets in this text.
fn decode_text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    let utf16 = |bytes: &[u8], le: bool| -> String {
        let units = bytes.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    match data {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true).into(),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false).into(),
        _ => String::from_utf8_lossy(data),
    }
}

/// Server-side page extensions (no dot, lower case).
pub(crate) fn is_webpage(ext: &str) -> bool {
    matches!(
        ext,
        "aspx"
            | "ashx"
            | "asmx"
            | "asp"
            | "ascx"
            | "cshtml"
            | "vbhtml"
            | "svc"
            | "soap"
            | "master"
            | "asax"
            | "config"
    )
}

fn truncate(s: &str, max: usize) -> String {
    exhunt_core::model::truncate_evidence(s, max)
}

impl Hunter for FileHunter {
    fn name(&self) -> &'static str {
        "files"
    }

    fn hunt(&self, inventory: &Inventory, config: &ScanConfig) -> Contribution {
        let mut contribution = Contribution {
            rule_diagnostics: self.diagnostics.clone(),
            ..Default::default()
        };
        let Some(y) = &self.yara else {
            return contribution;
        };
        contribution.rules_run =
            y.metas.len() + self.file_rules.len() + usize::from(self.iocs.len() > 0);
        let timeout = self.options.file_timeout;
        // One thread walks the evidence and queues the files while the workers scan them, so
        // that scanning starts with the first file rather than after the whole walk. One
        // scanner per worker for the whole scan (a scanner is costly to make).
        let queue = FileQueue::default();
        let deep = self.options.deep;
        let workers = rayon::current_num_threads().max(1);
        let mut per_worker: Vec<Vec<(String, FileResult)>> = Vec::new();
        per_worker.resize_with(workers, Vec::new);
        let listing = std::thread::scope(|s| {
            let walker = s.spawn(|| {
                let mut pending = 0usize;
                let sizes = config.progress.is_some();
                let stop = || config.cancel.is_cancelled();
                let listing = areas::list_each(inventory, deep, sizes, &stop, &mut |c| {
                    if let Some(p) = &config.progress {
                        p.add_work(1, c.size);
                    }
                    pending += 1;
                    queue.push(c, pending.is_multiple_of(64));
                });
                queue.close();
                listing
            });
            rayon::scope(|sc| {
                for out in per_worker.iter_mut() {
                    let queue = &queue;
                    sc.spawn(move |_| {
                        let mut scanners = Scanners::new(y, timeout);
                        while let Some(c) = queue.pop() {
                            if config.cancel.is_cancelled() {
                                // Stopped: drain the queue, counting what was not read.
                                out.push((c.host.clone(), FileResult::default()));
                                continue;
                            }
                            let guarded = guard_file(&c.rel, || self.scan_one(&mut scanners, &c));
                            let r = guarded.unwrap_or_else(|issue| {
                                // The scanners may be mid-scan after a panic: start afresh.
                                scanners = Scanners::new(y, timeout);
                                FileResult {
                                    issues: vec![issue],
                                    ..Default::default()
                                }
                            });
                            if let Some(p) = &config.progress {
                                p.advance(1, c.size);
                            }
                            out.push((c.host.clone(), r));
                        }
                    });
                }
            });
            walker.join().unwrap_or_default()
        });
        let results: Vec<(String, FileResult)> = per_worker.into_iter().flatten().collect();
        let mut issues = listing.issues;
        let mut coverage: BTreeMap<String, SourceCoverage> = BTreeMap::new();
        for host in inventory.hosts.iter().map(|h| &h.name) {
            coverage.entry(host.clone()).or_default();
        }
        contribution.work.files_found = results.len() as u64;
        for (host, r) in results {
            if r.read {
                contribution.work.files_read += 1;
                contribution.work.bytes_read += r.bytes;
                contribution.work.bytes_found += r.bytes;
            }
            let cov = coverage.entry(host).or_default();
            if r.unreadable {
                cov.unreadable += 1;
            }
            if r.read {
                cov.files += 1;
                cov.bytes += r.bytes;
                if let Some(t) = r.modified {
                    cov.include_time(t);
                }
            }
            contribution.findings.extend(r.findings);
            issues.extend(r.issues);
        }
        if issues.len() > MAX_LISTED_ISSUES {
            contribution.issues_not_listed = (issues.len() - MAX_LISTED_ISSUES) as u64;
            issues.truncate(MAX_LISTED_ISSUES);
        }
        contribution.issues = issues;
        contribution.coverage = coverage
            .into_iter()
            .filter(|(_, c)| c.files > 0 || c.unreadable > 0)
            .map(|(h, c)| (h, SourceKind::Files, c))
            .collect();
        contribution
    }
}

/// Extensions of static web content: never run by the server.
const STATIC_ASSETS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "svg", "webp", "css", "woff", "woff2", "ttf", "eot",
    "otf", "map", "htm", "html", "txt", "xml", "json", "resx", "js",
];

fn is_static_asset(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| STATIC_ASSETS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The files found by the walk, waiting for a worker; closed when the walk ends.
#[derive(Default)]
struct FileQueue {
    state: std::sync::Mutex<(std::collections::VecDeque<areas::Candidate>, bool)>,
    ready: std::sync::Condvar,
}

impl FileQueue {
    /// The queue's state. A poisoned lock is recovered: a list of files and a flag stay valid,
    /// and giving up on them would end the scan early without a word.
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, (std::collections::VecDeque<areas::Candidate>, bool)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a file; wake a waiting worker when `wake` (batched: waking costs a system call).
    fn push(&self, c: areas::Candidate, wake: bool) {
        self.lock().0.push_back(c);
        if wake {
            self.ready.notify_all();
        }
    }

    /// No more files will come.
    fn close(&self) {
        self.lock().1 = true;
        self.ready.notify_all();
    }

    /// The next file, waiting for the walk if needed; `None` once the walk is over and the
    /// queue is empty.
    fn pop(&self) -> Option<areas::Candidate> {
        let mut s = self.lock();
        loop {
            if let Some(c) = s.0.pop_front() {
                return Some(c);
            }
            if s.1 {
                return None;
            }
            // A short timeout: a batch of fewer than 64 files wakes nobody until the next one.
            s = self
                .ready
                .wait_timeout(s, std::time::Duration::from_millis(2))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_size_reads_stop_at_the_size_and_never_abort() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut buf = vec![b'x'; 32];
        let mut f = std::fs::File::open(&p).unwrap();
        assert_eq!(read_known_size(&mut f, 4, &mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"0123");
        // The file shrank since it was listed: read to its end.
        let mut f = std::fs::File::open(&p).unwrap();
        assert_eq!(read_known_size(&mut f, 20, &mut buf).unwrap(), 10);
        assert_eq!(&buf[..10], b"0123456789");
        // A size no memory can hold is an error, not an abort.
        let mut f = std::fs::File::open(&p).unwrap();
        let e = read_known_size(&mut f, u64::MAX / 2, &mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory);
    }
}
