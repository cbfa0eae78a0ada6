//! Evidence discovery: where the logs are in a mounted drive or a triage collection.
//!
//! Discovery never reads more than the first bytes of a file (to recognise a log by its
//! directives when its path says nothing). It accepts a drive root, KAPE-style `C/…`,
//! `C%3A/…`, Velociraptor's `uploads/auto/C%3A/…` (also with a host folder in front), a
//! non-default Exchange install (found by its `Logging/HttpProxy` tree), or just a folder of
//! log files. Path names are matched case-insensitively, as Windows copies keep odd casing.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{ScanIssue, SourceKind};
use crate::read::chunks::{sniff_encoding, utf8_reader};

/// One log file to read.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Absolute (or root-joined) path.
    pub path: PathBuf,
    /// Path relative to the scanned root, `/` separators.
    pub rel: String,
    /// The kind of log.
    pub kind: SourceKind,
    /// Size in bytes at discovery.
    pub size: u64,
    /// The host it belongs to.
    pub host: String,
}

/// One server found in the evidence.
#[derive(Debug, Clone, Default)]
pub struct Host {
    /// Host name (from the collection layout or the root folder name).
    pub name: String,
    /// The system drive roots found for it, relative to the scan root (`""` for the root itself).
    pub system_roots: Vec<String>,
    /// Exchange install folders found (relative), from the location of their `Logging` folder.
    pub exchange_installs: Vec<String>,
    /// Text log files.
    pub logs: Vec<LogFile>,
    /// Windows event logs (`.evtx`) and JSON exports of them (kind `Evtx`).
    pub event_logs: Vec<LogFile>,
    /// Entries named and placed like a log or an event log that are not regular files (a
    /// symlink, a FIFO…): never opened, reported as found but not readable.
    pub unreadable: Vec<LogFile>,
}

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// The scanned root.
    pub root: PathBuf,
    /// Servers, sorted by name.
    pub hosts: Vec<Host>,
    /// Problems met while walking (unreadable folders…).
    pub issues: Vec<ScanIssue>,
}

impl Inventory {
    /// Every log file of every host.
    pub fn log_files(&self) -> impl Iterator<Item = &LogFile> {
        self.hosts.iter().flat_map(|h| h.logs.iter())
    }
}

/// Folders never worth walking for logs: huge, and never holding Exchange or IIS logs.
const PRUNE: &[&str] = &[
    "$recycle.bin",
    "system volume information",
    "winsxs",
    "users",
    "programdata",
    "recovery",
    "node_modules",
    "mailbox",
    "temporary asp.net files",
    // Web content trees: pages, never logs (the file hunter walks them itself).
    "wwwroot",
    "frontend",
    "clientaccess",
];

/// Folder names that collectors put between a host folder and the drive.
const COLLECTOR_DIRS: &[&str] = &["uploads", "auto", "ntfs", "lazy_ntfs", "file", "mft", "fs"];

/// The deepest folder level walked below the root.
const MAX_DEPTH: usize = 14;

/// Walk `root` and find the log files of every host in it.
pub fn discover(root: &Path) -> Inventory {
    discover_until(root, &crate::cancel::Cancel::default())
}

/// [`discover`] that stops walking once `cancel` is set (what was found until then is kept).
pub fn discover_until(root: &Path, cancel: &crate::cancel::Cancel) -> Inventory {
    let mut inv = Inventory {
        root: root.to_path_buf(),
        ..Default::default()
    };
    let root_name = root_host_name(root);
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    if root.is_file() {
        if let Some(f) = classify_file(root, root, &root_name) {
            add_file(&mut hosts, f, None);
        } else {
            inv.issues.push(ScanIssue {
                kind: "unrecognised-file".into(),
                path: root.display().to_string(),
                line: None,
                message: "the root is a file that is not a known log format".into(),
            });
        }
    } else {
        let markers: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
        let seen = Arc::clone(&markers);
        let walk_root = root.to_path_buf();
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .max_depth(Some(MAX_DEPTH))
            .filter_entry(move |e| {
                if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                let name = e.file_name().to_string_lossy().to_lowercase();
                if SYSTEM_MARKERS.contains(&name.as_str()) {
                    if let Some(parent) = e.path().parent() {
                        recover(seen.lock()).push(parent.to_path_buf());
                    }
                }
                keep_dir(&walk_root, e.path(), &name)
            })
            .threads(2)
            .build_parallel();
        // Walk with two threads; what they find is sorted below, so the result does not
        // depend on their timing.
        let found_files: Mutex<Vec<LogFile>> = Mutex::default();
        let found_special: Mutex<Vec<LogFile>> = Mutex::default();
        let walk_issues: Mutex<Vec<ScanIssue>> = Mutex::default();
        walker.run(|| {
            Box::new(|entry| {
                if cancel.is_cancelled() {
                    return ignore::WalkState::Quit;
                }
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        recover(walk_issues.lock()).push(ScanIssue {
                            kind: "unreadable-path".into(),
                            path: error_path(&err)
                                .map(|p| rel_path(root, p))
                                .unwrap_or_default(),
                            line: None,
                            message: format!("cannot read while looking for logs: {err}"),
                        });
                        return ignore::WalkState::Continue;
                    }
                };
                let Some(ft) = entry.file_type() else {
                    return ignore::WalkState::Continue;
                };
                if ft.is_file() {
                    if let Some(f) = classify_file(root, entry.path(), &root_name) {
                        recover(found_files.lock()).push(f);
                    }
                } else if !ft.is_dir() || entry.path_is_symlink() {
                    let rel = rel_path(root, entry.path());
                    if let Some(special) = crate::special::describe(entry.path(), &ft, root) {
                        recover(walk_issues.lock()).push(special.issue(&rel));
                        if let Some(f) = classify_by_name(root, entry.path(), &root_name) {
                            recover(found_special.lock()).push(f);
                        }
                    }
                }
                ignore::WalkState::Continue
            })
        });
        // A poisoned lock still holds valid lists: keep them rather than drop the evidence.
        let mut files = recover(found_files.into_inner());
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        for f in files {
            let install = exchange_install(&f.rel);
            add_file(&mut hosts, f, install);
        }
        let mut special = recover(found_special.into_inner());
        special.sort_by(|a, b| a.rel.cmp(&b.rel));
        for f in special {
            let host = hosts.entry(f.host.clone()).or_insert_with(|| Host {
                name: f.host.clone(),
                ..Default::default()
            });
            host.unreadable.push(f);
        }
        let mut issues = recover(walk_issues.into_inner());
        issues.sort_by(|a, b| a.message.cmp(&b.message));
        inv.issues.extend(issues);
        let mut found = recover(markers.lock()).clone();
        found.sort();
        for dir in found {
            let rel = rel_path(root, &dir);
            let rel = if dir == root { String::new() } else { rel };
            let host_name = if rel.is_empty() {
                root_name.clone()
            } else {
                host_of(&format!("{rel}/x"), &root_name)
            };
            let host = hosts.entry(host_name.clone()).or_insert_with(|| Host {
                name: host_name,
                ..Default::default()
            });
            host.system_roots.push(rel);
        }
    }
    for h in hosts.values_mut() {
        h.logs.sort_by(|a, b| a.rel.cmp(&b.rel));
        h.system_roots.sort();
        h.system_roots.dedup();
        h.exchange_installs.sort();
        h.exchange_installs.dedup();
    }
    inv.hosts = hosts.into_values().collect();
    inv
}

fn add_file(hosts: &mut BTreeMap<String, Host>, f: LogFile, install: Option<String>) {
    let host = hosts.entry(f.host.clone()).or_insert_with(|| Host {
        name: f.host.clone(),
        ..Default::default()
    });
    if let Some(sr) = system_root_of(&f.rel) {
        host.system_roots.push(sr);
    }
    if f.kind == SourceKind::Evtx {
        host.event_logs.push(f);
        return;
    }
    if let Some(i) = install {
        host.exchange_installs.push(i);
    }
    host.logs.push(f);
}

/// Folder names whose presence makes their parent a Windows system drive root.
const SYSTEM_MARKERS: &[&str] = &["program files", "inetpub", "windows", "programdata"];

/// The only path walked inside `Windows`: where the event logs live.
const WINDOWS_KEEP: &[&str] = &["system32", "winevt", "logs"];

/// Should the walk go into this folder?
fn keep_dir(root: &Path, path: &Path, lower_name: &str) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
        .collect();
    if let Some(w) = parts.iter().position(|c| c == "windows") {
        // Inside Windows: only System32/winevt/Logs (and what is below it).
        let below = &parts[w + 1..];
        return below.iter().zip(WINDOWS_KEEP).all(|(a, b)| a == b);
    }
    !PRUNE.contains(&lower_name)
}

/// The host name for files directly under `root`: its folder name, or this machine's name
/// when scanning a live drive root.
fn root_host_name(root: &Path) -> String {
    let canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let name = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.is_empty() {
        return name;
    }
    std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The path a walk error is about, when it names one.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// The value behind a lock even when another thread panicked while holding it.
fn recover<T>(r: std::sync::LockResult<T>) -> T {
    r.unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Path of `p` relative to `root`, `/` separators.
pub fn rel_path(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let mut s = String::with_capacity(rel.as_os_str().len());
    for c in rel.components() {
        if !s.is_empty() {
            s.push('/');
        }
        s.push_str(&c.as_os_str().to_string_lossy());
    }
    if s.is_empty() {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        s
    }
}

/// True for a folder name that stands for a drive in a collection (`C`, `C%3A`, `C:`,
/// `%5C%5C.%5CC%3A`).
fn is_drive_component(c: &str) -> bool {
    let c = c.to_ascii_lowercase();
    let b = c.as_bytes();
    let letter = |i: usize| b.get(i).is_some_and(|x| x.is_ascii_lowercase());
    (b.len() == 1 && letter(0))
        || (b.len() == 2 && letter(0) && b[1] == b':')
        || (b.len() == 4 && letter(0) && &c[1..] == "%3a")
        || (c.starts_with("%5c%5c.%5c") && c.len() == 14 && c.ends_with("%3a"))
}

/// Index of the drive component in a relative path's folders, if the layout has one.
fn drive_index(parts: &[&str]) -> Option<usize> {
    // Only near the top: deeper single-letter folders are ordinary folders.
    parts
        .iter()
        .take(6)
        .position(|c| is_drive_component(c))
        .filter(|&i| i + 1 < parts.len())
}

/// The host a relative path belongs to: the folder before the collector folders that lead to
/// the drive, or the root's own name.
fn host_of(rel: &str, root_name: &str) -> String {
    let parts: Vec<&str> = rel.split('/').collect();
    if let Some(i) = drive_index(&parts) {
        let mut j = i;
        while j > 0 && COLLECTOR_DIRS.contains(&parts[j - 1].to_ascii_lowercase().as_str()) {
            j -= 1;
        }
        if j > 0 {
            return parts[j - 1].to_string();
        }
    }
    root_name.to_string()
}

fn system_root_of(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    drive_index(&parts).map(|i| parts[..=i].join("/"))
}

/// The Exchange install folder a log sits in (the parent of its `Logging` folder).
fn exchange_install(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let i = parts
        .iter()
        .rposition(|c| c.eq_ignore_ascii_case("logging"))?;
    (i > 0).then(|| parts[..i].join("/"))
}

/// A log or event log told by its name and place alone (for entries whose content is never
/// read: links, FIFOs, devices).
fn classify_by_name(root: &Path, path: &Path, root_name: &str) -> Option<LogFile> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let rel = rel_path(root, path);
    let kind = if name.ends_with(".evtx") {
        SourceKind::Evtx
    } else if name.ends_with(".log") {
        kind_from_path(&rel.to_lowercase(), &name)?
    } else {
        return None;
    };
    Some(LogFile {
        path: path.to_path_buf(),
        host: host_of(&rel, root_name),
        rel,
        kind,
        size: 0,
    })
}

/// Decide whether a file is a log exhunt reads, and of which kind.
fn classify_file(root: &Path, path: &Path, root_name: &str) -> Option<LogFile> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let rel = rel_path(root, path);
    let kind = if name.ends_with(".evtx") {
        SourceKind::Evtx
    } else if name.ends_with(".jsonl") || name.ends_with(".json") {
        is_event_export(path).then_some(SourceKind::Evtx)?
    } else if name.ends_with(".log") {
        kind_from_path(&rel.to_lowercase(), &name).or_else(|| kind_from_content(path))?
    } else {
        return None;
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Some(LogFile {
        path: path.to_path_buf(),
        host: host_of(&rel, root_name),
        rel,
        kind,
        size,
    })
}

fn kind_from_path(lower_rel: &str, name: &str) -> Option<SourceKind> {
    let dirs = format!(
        "/{}",
        lower_rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    );
    if dirs.contains("/logging/httpproxy") || name.starts_with("httpproxy_") {
        Some(SourceKind::HttpProxy)
    } else if dirs.contains("/logging/ecp/server") || name.starts_with("ecpserver") {
        Some(SourceKind::Ecp)
    } else if dirs.contains("/logging/oabgeneratorlog") || name.starts_with("oabgenerator") {
        Some(SourceKind::Oab)
    } else if dirs.contains("/powershell-proxy/http") || name.starts_with("rps_http") {
        Some(SourceKind::Rps)
    } else if dirs.contains("/logfiles/w3svc") || name.starts_with("u_ex") {
        Some(SourceKind::Iis)
    } else {
        None
    }
}

/// A JSON/JSONL file that holds Windows events as the `evtx` crate's dumper writes them
/// (`{"Event":{"System":{…},"EventData":{…}}}`).
fn is_event_export(path: &Path) -> bool {
    let mut head = [0u8; 2048];
    let n = crate::read::open::open_evidence(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&head[..n]);
    text.contains("\"Event\"") && (text.contains("\"System\"") || text.contains("\"EventID\""))
}

/// Recognise a log by its directives (`#Software:`, `#Log-type:`) in its first 4 KiB.
fn kind_from_content(path: &Path) -> Option<SourceKind> {
    let mut head = [0u8; 4096];
    let mut f = crate::read::open::open_evidence(path).ok()?;
    let n = f.read(&mut head).ok()?;
    let enc = sniff_encoding(&head[..n]);
    let mut text = String::new();
    if utf8_reader(std::io::Cursor::new(head[..n].to_vec()), enc)
        .read_to_string(&mut text)
        .is_err()
    {
        text = String::from_utf8_lossy(&head[..n]).into_owned();
    }
    let t = text.to_lowercase();
    if t.contains("#software: microsoft internet information services") {
        Some(SourceKind::Iis)
    } else if t.contains("#log-type: httpproxy") {
        Some(SourceKind::HttpProxy)
    } else if t.contains("#log-type: ecp server") {
        Some(SourceKind::Ecp)
    } else if t.contains("#log-type: oabgenerator") {
        Some(SourceKind::Oab)
    } else if t.contains("#log-type: rps http") || t.contains("clientinfo,cpu,memory") {
        Some(SourceKind::Rps)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn walk_errors_keep_the_path_they_are_about() {
        let io = || Box::new(ignore::Error::Io(std::io::Error::other("denied")));
        let with_path = ignore::Error::WithDepth {
            depth: 3,
            err: Box::new(ignore::Error::WithPath {
                path: "/e/C/Windows/Temp/locked".into(),
                err: io(),
            }),
        };
        assert_eq!(
            super::error_path(&with_path),
            Some(std::path::Path::new("/e/C/Windows/Temp/locked"))
        );
        assert_eq!(
            super::error_path(&ignore::Error::Io(std::io::Error::other("x"))),
            None
        );
    }

    use super::*;
    use std::fs;

    fn touch(root: &Path, rel: &str, content: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    #[test]
    fn finds_logs_in_every_layout_case_insensitively() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(r, "EX01/uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030300-1.LOG", "x");
        touch(
            r,
            "EX01/uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
            "x",
        );
        touch(
            r,
            "EX02/C/EXCHANGE/v15/logging/httpproxy/ecp/HttpProxy_2021030300-1.log",
            "x",
        );
        touch(
            r,
            "EX02/C/Exchange/V15/Logging/ECP/Server/ECPServer2021030300-1.LOG",
            "x",
        );
        touch(
            r,
            "EX02/C/Exchange/V15/Logging/OABGeneratorLog/OABGenerator_2021030300-1.LOG",
            "x",
        );
        touch(r, "EX02/C/Exchange/V15/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2021030300-1.LOG", "x");
        touch(
            r,
            "EX02/C/Windows/System32/LogFiles/W3SVC1/u_ex210303.log",
            "pruned",
        );
        touch(
            r,
            "EX02/C/Exchange/V15/Logging/Other/Something.log",
            "not ours",
        );
        let inv = discover(r);
        let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["EX01", "EX02"]);
        let ex01: Vec<(SourceKind, &str)> = inv.hosts[0]
            .logs
            .iter()
            .map(|l| (l.kind, l.rel.as_str()))
            .collect();
        assert_eq!(ex01.len(), 2, "{ex01:?}");
        assert!(ex01.contains(&(
            SourceKind::Iis,
            "EX01/uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"
        )));
        let kinds: Vec<SourceKind> = inv.hosts[1].logs.iter().map(|l| l.kind).collect();
        assert_eq!(kinds.len(), 4, "{:?}", inv.hosts[1].logs);
        for k in [
            SourceKind::HttpProxy,
            SourceKind::Ecp,
            SourceKind::Oab,
            SourceKind::Rps,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing");
        }
        assert_eq!(
            inv.hosts[1].exchange_installs,
            ["EX02/C/EXCHANGE/v15", "EX02/C/Exchange/V15"]
        );
        assert_eq!(inv.hosts[0].system_roots, ["EX01/uploads/auto/C%3A"]);
    }

    #[test]
    fn event_logs_and_system_roots_without_logs() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(
            r,
            "EX02/C/Windows/System32/winevt/Logs/Security.evtx",
            "ElfFile",
        );
        touch(
            r,
            "EX02/C/Windows/System32/config/SYSTEM.evtx",
            "not walked",
        );
        touch(r, "EX02/C/Windows/Temp/x.evtx", "not walked");
        touch(
            r,
            "EX02/exports/app.jsonl",
            "{\"Event\":{\"System\":{\"EventID\":1}}}\n",
        );
        touch(r, "EX02/exports/other.json", "{\"a\":1}");
        touch(r, "EX03/C/inetpub/wwwroot/iisstart.htm", "x");
        let inv = discover(r);
        let ex02 = inv.hosts.iter().find(|h| h.name == "EX02").unwrap();
        let evtx: Vec<&str> = ex02.event_logs.iter().map(|l| l.rel.as_str()).collect();
        assert_eq!(evtx, ["EX02/C/Windows/System32/winevt/Logs/Security.evtx"]);
        assert!(ex02.logs.is_empty());
        // Outside a drive layout, a file belongs to the host named after the root.
        let loose = inv
            .hosts
            .iter()
            .find(|h| h.name.starts_with(".tmp"))
            .unwrap();
        assert_eq!(loose.event_logs[0].rel, "EX02/exports/app.jsonl");
        assert_eq!(loose.event_logs.len(), 1, "other.json is no event export");
        let ex03 = inv
            .hosts
            .iter()
            .find(|h| h.name == "EX03")
            .expect("host found by its drive layout");
        assert_eq!(ex03.system_roots, ["EX03/C"]);
    }

    #[test]
    fn loose_folder_of_logs_is_recognised_by_content() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path().join("case-42");
        touch(
            &r,
            "a.log",
            "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time\n",
        );
        touch(&r, "b.log", "\u{feff}DateTime,RequestId\n#Software: Microsoft Exchange Server\n#Log-type: HttpProxy Logs\n");
        touch(&r, "c.log", "just text");
        touch(
            &r,
            "d.txt",
            "#Software: Microsoft Internet Information Services 10.0\n",
        );
        let inv = discover(&r);
        assert_eq!(inv.hosts.len(), 1);
        assert_eq!(inv.hosts[0].name, "case-42");
        let got: Vec<(SourceKind, &str)> = inv.hosts[0]
            .logs
            .iter()
            .map(|l| (l.kind, l.rel.as_str()))
            .collect();
        assert_eq!(
            got,
            [(SourceKind::Iis, "a.log"), (SourceKind::HttpProxy, "b.log")]
        );
    }

    #[test]
    fn drive_components() {
        for yes in ["C", "c%3A", "D:", "%5C%5C.%5CC%3A"] {
            assert!(is_drive_component(yes), "{yes}");
        }
        for no in ["CC", "uploads", "C%3", "1"] {
            assert!(!is_drive_component(no), "{no}");
        }
        assert_eq!(host_of("C/inetpub/x.log", "root"), "root");
        assert_eq!(host_of("srv9/C%3A/inetpub/x.log", "root"), "srv9");
        assert_eq!(host_of("uploads/auto/C%3A/inetpub/x.log", "root"), "root");
    }
}
