//! End-to-end: the `exhunt` binary on evidence a compromised machine or a hurried collection
//! can hold — special files, links of every kind, files it may not read — on interruption by
//! a real signal, and on access times (evidence is never touched, not even its atime).

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn exhunt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exhunt"))
}

fn put(root: &Path, rel: &str, content: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

fn mkfifo(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

fn link(target: &str, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// The unprivileged account tests run exhunt as when they run as root.
const NOBODY: u32 = 65534;

/// Whether `file` (just created by this test) belongs to root: the test runs as root.
fn owned_by_root(file: &Path) -> bool {
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(file).unwrap()) == 0
}

/// Let anyone read the tree under `dir` (but `keep_locked`), without following links.
fn open_up(dir: &Path, keep_locked: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, PermissionsExt::from_mode(m));
    mode(dir, 0o755).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            open_up(&p, keep_locked);
        } else if t.is_file() && p != keep_locked {
            mode(&p, 0o644).unwrap();
        }
    }
}

/// Whether exhunt, run as `nobody`, can scan `root` (every folder on the way to the binary and
/// to the evidence must let it): exit 0 or 1, not an error.
fn nobody_can_scan(root: &Path) -> bool {
    let mut cmd = exhunt();
    cmd.arg("scan")
        .arg(root)
        .arg("--quiet")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::uid(&mut cmd, NOBODY);
    std::os::unix::process::CommandExt::gid(&mut cmd, NOBODY);
    cmd.status().is_ok_and(|s| matches!(s.code(), Some(0 | 1)))
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Run a command, killing it (and failing) when it does not end within `limit`: a scan that
/// blocks on a FIFO or reads `/dev/zero` forever must fail the test, not hang it.
fn run_bounded(mut cmd: Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "exhunt did not finish within {limit:?} (blocked on a special file?)\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const IIS_HEAD: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";

#[test]
fn special_entries_are_named_never_opened_and_still_judged_by_name() {
    let d = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let r = d.path().join("EX01");
    let web = "C/inetpub/wwwroot/aspnet_client/system_web";
    put(
        &r,
        "C/inetpub/logs/LogFiles/W3SVC1/u_ex210302.log",
        format!("{IIS_HEAD}2021-03-02 10:00:00 10.0.0.5 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 15\n").as_bytes(),
    );
    put(
        &r,
        &format!("{web}/4_0_30319/WebUIValidation.js"),
        b"// stock\n",
    );
    // A FIFO named like a web shell and one named like an IIS log: reading either blocks.
    mkfifo(&r.join(format!("{web}/shell.aspx")));
    mkfifo(&r.join("C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"));
    // A link to /dev/zero named like a page: reading it never ends.
    link("/dev/zero", &r.join(format!("{web}/zero.aspx")));
    // The only event log is a link (to a real file outside the evidence).
    let real = put(outside.path(), "Security.evtx", b"ElfFile\0not really");
    link(
        real.to_str().unwrap(),
        &r.join("C/Windows/System32/winevt/Logs/Security.evtx"),
    );
    link("nowhere.aspx", &r.join("C/inetpub/wwwroot/dangling.aspx"));
    link("loop.aspx", &r.join("C/inetpub/wwwroot/loop.aspx"));
    link("/etc", &r.join("C/inetpub/wwwroot/etc"));
    let sock = r.join("C/inetpub/wwwroot/agent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    // A file the scanning user may not read. Root reads everything: then the scan runs as
    // `nobody`, with the rest of the evidence opened up to it.
    let locked = put(&r, "C/inetpub/wwwroot/locked.aspx", b"<%@ Page %>");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let as_nobody = owned_by_root(&locked) && {
        open_up(d.path(), &locked);
        open_up(outside.path(), &locked);
        std::fs::set_permissions(
            d.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        nobody_can_scan(&r)
    };
    let can_lock = as_nobody || std::fs::read(&locked).is_err();
    if !can_lock {
        let why = "running as root, and `nobody` cannot scan here: the unreadable-file case is not checked";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("NOTE: {why}");
    }

    let jsonl = d.path().join("out.jsonl");
    let html = d.path().join("out.html");
    let mut cmd = exhunt();
    cmd.arg("scan")
        .arg(&r)
        .arg("--jsonl")
        .arg(&jsonl)
        .arg("--html")
        .arg(&html)
        .arg("--color=never");
    if as_nobody {
        std::os::unix::process::CommandExt::uid(&mut cmd, NOBODY);
        std::os::unix::process::CommandExt::gid(&mut cmd, NOBODY);
    }
    let out = run_bounded(cmd, Duration::from_secs(60));
    let console = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "findings expected\n{console}");
    let lines = read_jsonl(&jsonl);
    let issues: Vec<&Value> = lines.iter().filter(|v| v["kind"] == "issue").collect();
    let issue = |path: &str| -> &Value {
        issues
            .iter()
            .find(|i| i["path"] == path)
            .unwrap_or_else(|| panic!("no issue for {path}: {issues:#?}"))
    };
    let expect = [
        (
            format!("{web}/shell.aspx"),
            "special-file",
            "FIFO (named pipe)",
        ),
        (
            "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log".to_string(),
            "special-file",
            "FIFO (named pipe)",
        ),
        (
            format!("{web}/zero.aspx"),
            "symlink",
            "symlink to a character device -> '/dev/zero'",
        ),
        (
            "C/Windows/System32/winevt/Logs/Security.evtx".to_string(),
            "symlink",
            "symlink to a file",
        ),
        (
            "C/inetpub/wwwroot/dangling.aspx".to_string(),
            "symlink",
            "dangling symlink -> 'nowhere.aspx'",
        ),
        (
            "C/inetpub/wwwroot/loop.aspx".to_string(),
            "symlink",
            "looping symlink",
        ),
        (
            "C/inetpub/wwwroot/etc".to_string(),
            "symlink",
            "symlink to a folder -> '/etc'",
        ),
        (
            "C/inetpub/wwwroot/agent.sock".to_string(),
            "special-file",
            "socket",
        ),
    ];
    for (path, kind, what) in &expect {
        let i = issue(path);
        assert_eq!(i["issue"], *kind, "{i}");
        let msg = i["message"].as_str().unwrap();
        assert!(msg.starts_with(what), "{path}: {msg}");
        assert!(msg.contains("not opened"), "{msg}");
    }
    // Each entry is one problem, even where discovery and the file walk both met it.
    let fifo_log = issues
        .iter()
        .filter(|i| i["path"] == "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log")
        .count();
    assert_eq!(fifo_log, 1);
    if can_lock {
        let i = issue("C/inetpub/wwwroot/locked.aspx");
        assert_eq!(i["issue"], "permission-denied", "{i}");
    }

    // Named and placed like web shells: still findings, by name and location.
    let findings: Vec<&Value> = lines.iter().filter(|v| v["kind"] == "finding").collect();
    for name in ["shell.aspx", "zero.aspx"] {
        let f = findings
            .iter()
            .find(|f| f["rule_id"] == "EXH-FN-001" && f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no location finding for {name}: {findings:#?}"));
        assert!(
            f["evidence"]
                .as_str()
                .unwrap()
                .contains("not a regular file"),
            "{f}"
        );
    }

    // Coverage: the event log was found but is not readable — never "not found".
    let summary = lines.last().unwrap();
    assert_eq!(summary["kind"], "summary");
    let host = &summary["hosts"][0];
    let missing: Vec<&str> = host["missing_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!missing.contains(&"evtx"), "{missing:?}");
    assert_eq!(host["coverage"]["evtx"]["unreadable"], 1, "{host}");
    assert_eq!(host["coverage"]["evtx"]["files"], 0);
    assert_eq!(host["coverage"]["iis"]["files"], 1);
    assert_eq!(host["coverage"]["iis"]["unreadable"], 1, "the FIFO log");
    assert!(
        console.contains("Windows event logs") && console.contains("found but not readable"),
        "{console}"
    );
    assert!(!console.contains("Input problems: none"), "{console}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("found but not readable"));
}

/// Times of every regular file under `root` (not following links), by path.
fn atimes(root: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                out.push((e.path(), m.accessed().unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
#[cfg(target_os = "linux")]
fn access_times_are_left_alone() {
    // A copy of the demo server whose files were last read long ago, before their last
    // change: under the usual `relatime` mount option, any plain read would now update the
    // access time. exhunt opens evidence with O_NOATIME (the test user owns these files).
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("EX01");
    std::fs::create_dir_all(&root).unwrap();
    copy_tree(&repo().join("examples/compromised-ex2016"), &root);
    let old = filetime::FileTime::from_unix_time(978_307_200, 0); // 2001-01-01
    let files = atimes(&root);
    assert!(files.len() > 30, "{}", files.len());
    for (p, _) in &files {
        filetime::set_file_times(p, old, old).unwrap();
    }
    let before = atimes(&root);
    let jsonl = d.path().join("out.jsonl");
    let out = exhunt()
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--deep", "--jsonl"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        before == atimes(&root),
        "the scan changed access times of the evidence"
    );
    // Make sure this test can fail: a plain read of one of these files changes its atime
    // on this file system (otherwise the check above proves nothing here).
    let probe = &before[0].0;
    let _ = std::fs::read(probe).unwrap();
    let after_plain_read = std::fs::metadata(probe).unwrap().accessed().unwrap();
    if after_plain_read == before[0].1 {
        eprintln!("note: this file system does not update access times on read (noatime)");
    }
}

/// Bytes this process has read so far (`rchar` in /proc/PID/io).
#[cfg(target_os = "linux")]
fn bytes_read_by(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("rchar: ").and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// A few hundred MB of IIS logs full of lines the rules look at closely, so that a scan on one
/// thread runs for a while.
#[cfg(target_os = "linux")]
fn big_log_tree(root: &Path, files: usize, mb_per_file: usize) {
    let demo = std::fs::read_to_string(
        repo().join("examples/compromised-ex2016/C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"),
    )
    .unwrap();
    let body: String = demo
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let head: String = demo
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut text = head.clone();
    while text.len() < mb_per_file << 20 {
        text.push_str(&body);
    }
    for i in 0..files {
        put(
            root,
            &format!("C/inetpub/logs/LogFiles/W3SVC1/u_ex2103{i:02}.log"),
            text.as_bytes(),
        );
    }
}

/// Start `exhunt scan ROOT` on one thread, without the file hunter, with `args`; standard
/// output and error are pipes (read them only after the signals).
#[cfg(target_os = "linux")]
fn scan_on_one_thread(root: &Path, args: &[&str]) -> std::process::Child {
    exhunt()
        .arg("scan")
        .arg(root)
        .args(["-j", "1", "--no-file-scan", "--quiet"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the scan is reading the logs (16 MB read), failing if it ends first.
#[cfg(target_os = "linux")]
fn wait_until_reading(child: &mut std::process::Child) {
    let pid = child.id();
    wait_until(child, || bytes_read_by(pid) >= 16 << 20);
}

/// Wait until `ready` holds (polled every millisecond), failing if the process ends first or
/// a minute passes.
#[cfg(target_os = "linux")]
fn wait_until(child: &mut std::process::Child, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the command ended before it could be interrupted"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the command did not start"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(target_os = "linux")]
fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[cfg(target_os = "linux")]
fn send(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
#[cfg(target_os = "linux")]
fn interrupted_scan_writes_incomplete_reports_and_exits_130() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("EX01");
    big_log_tree(&root, 24, 8);
    let jsonl = d.path().join("out.jsonl");
    let html = d.path().join("out.html");
    let mut child = scan_on_one_thread(&root, &["--jsonl", path(&jsonl), "--html", path(&html)]);
    let pid = child.id();
    // Wait until the scan is reading the logs, then press Ctrl-C (SIGINT).
    wait_until_reading(&mut child);
    send(pid, "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let lines = read_jsonl(&jsonl);
    let summary = lines.last().unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["incomplete"], true, "{summary}");
    assert!(summary["interrupted"]
        .as_str()
        .unwrap()
        .contains("interrupted"));
    let logs = summary["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["hunter"] == "logs")
        .unwrap();
    assert_eq!(logs["files_found"], 24);
    let read = logs["bytes_read"].as_u64().unwrap();
    let total = logs["bytes_found"].as_u64().unwrap();
    assert!(total >= (24 * 8) << 20, "{logs}");
    assert!(read > 0 && read < total, "how far it got: {logs}");
    assert!(logs["files_read"].as_u64().unwrap() < 24, "{logs}");
    // What was found before the signal is kept.
    assert!(
        lines.iter().any(|v| v["kind"] == "finding"),
        "findings made before the interruption were lost"
    );
    assert!(lines
        .iter()
        .any(|v| v["kind"] == "issue" && v["issue"] == "interrupted"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<meta name=\"exhunt-incomplete\" content=\"true\">"));
    assert!(page.contains("data-incomplete=\"true\""));
    assert!(page.contains("INCOMPLETE SCAN"));

    // Terminated by a service manager (SIGTERM): the same.
    let jsonl2 = d.path().join("term.jsonl");
    let mut child = scan_on_one_thread(&root, &["--jsonl", path(&jsonl2)]);
    let pid = child.id();
    wait_until_reading(&mut child);
    send(pid, "-TERM");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    assert_eq!(read_jsonl(&jsonl2).last().unwrap()["incomplete"], true);
}

#[test]
#[cfg(target_os = "linux")]
fn second_interrupt_quits_at_once() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("EX01");
    big_log_tree(&root, 24, 8);
    let mut child = scan_on_one_thread(&root, &["--jsonl", "-"]);
    let pid = child.id();
    wait_until_reading(&mut child);
    // The first signal lets the scan finish its reports; their JSONL goes to a pipe nobody
    // reads yet, so the writer is still busy when the second signal comes.
    send(pid, "-INT");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the writer should be blocked"
    );
    send(pid, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted again"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg(target_os = "linux")]
fn interrupted_multi_root_scan_judges_no_unread_root_clean() {
    let d = tempfile::tempdir().unwrap();
    for host in ["EX01", "EX02", "EX03"] {
        big_log_tree(&d.path().join(host), 12, 8);
    }
    let jsonl = d.path().join("fleet.jsonl");
    let mut child = exhunt()
        .arg("scan")
        .args([
            d.path().join("EX01"),
            d.path().join("EX02"),
            d.path().join("EX03"),
        ])
        .args([
            "-j",
            "1",
            "--parallel-roots",
            "1",
            "--no-file-scan",
            "--quiet",
        ])
        .args(["--jsonl", path(&jsonl)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_reading(&mut child);
    send(child.id(), "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let lines = read_jsonl(&jsonl);
    assert_eq!(lines.last().unwrap()["kind"], "fleet_summary");
    let hosts: Vec<&Value> = lines.iter().filter(|v| v["kind"] == "host").collect();
    assert_eq!(hosts.len(), 3, "every root has its server line");
    // The roots never started are not assessable, with the reason; none is "no evidence".
    let unread: Vec<&&Value> = hosts
        .iter()
        .filter(|h| h["reason"].as_str().unwrap().contains("interrupted"))
        .collect();
    assert!(unread.len() >= 2, "{hosts:?}");
    for h in &unread {
        assert_eq!(h["verdict"], "not assessable", "{h}");
    }
    assert!(hosts.iter().all(|h| h["verdict"] != "no evidence found"));
}

/// `exhunt rules compile` interrupted while it writes: exit status 130, and neither the pack
/// nor its hidden temporary file is left behind.
#[test]
#[cfg(target_os = "linux")]
fn interrupted_rules_compile_leaves_no_file_behind() {
    let sigma = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/sigma/SigmaHQ__sigma-all/rules");
    assert!(
        sigma.is_dir(),
        "the shared corpus is expected beside the repository"
    );
    let d = tempfile::tempdir().unwrap();
    let pack = d.path().join("all.exhpack");
    let partial = d.path().join(".all.exhpack.partial");
    let mut child = exhunt()
        .args(["rules", "compile", "--sigma"])
        .arg(&sigma)
        .arg("-o")
        .arg(&pack)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The temporary file is created before the first rule file is read; reading and checking
    // the ~3,000 rules takes far longer than this wait.
    wait_until(&mut child, || partial.exists());
    send(child.id(), "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: nothing written"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
