//! The report in a real browser: headless Chromium opens the demo evidence's report, a report
//! full of hostile evidence and a 20,000-finding report; it must render (verdict, chart,
//! findings), run the page's own hashed script under the CSP, apply its hashed style, and run
//! nothing injected. A screenshot of the demo report is kept as `target/report-screenshot.png`.
//!
//! Skips (passing, with a message) when `/usr/bin/chromium` is missing, except under CI (`CI`
//! set), where a missing browser fails the test; `.ci/run` installs it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use exhunt_core::ScanReport;
use exhunt_report::HtmlWriter;
use exhunt_report::ReportWriter;
use support::*;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from(CHROMIUM);
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        // In CI the browser test is a requirement, not an option (.ci/run installs chromium).
        panic!("{CHROMIUM} not found in CI: the HTML report's browser test cannot run");
    } else {
        eprintln!("SKIPPED: {CHROMIUM} not found (apt-get install chromium); the browser test did not run");
        None
    }
}

fn write_html(r: &ScanReport, name: &str) -> PathBuf {
    let dir = target_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut w = HtmlWriter::new(std::fs::File::create(&path).unwrap());
    w.write_report(r).unwrap();
    path.canonicalize().unwrap()
}

/// Run Chromium headless with a fresh profile and no network features; returns stdout.
fn run(browser: &Path, extra: &[String], page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(std::process::Stdio::null());
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start chromium");
    // Drain both pipes while waiting (a DOM is larger than a pipe buffer).
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    // Guard against a hung browser: give it two minutes.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = stdout.join().unwrap();
    let err = stderr.join().unwrap();
    assert!(
        status.success(),
        "chromium failed: {status}\n{}",
        String::from_utf8_lossy(&err)
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn dump_dom(browser: &Path, page: &Path) -> String {
    let dom = run(browser, &["--dump-dom".to_string()], page);
    assert!(
        dom.contains("<html"),
        "no DOM dumped: {}",
        &dom[..dom.len().min(500)]
    );
    dom
}

/// The page's own script ran (so its CSP hash is right) and saw its own style applied.
fn assert_own_code_ran(dom: &str) {
    let head = &dom[..dom.find("<head").unwrap_or(dom.len())];
    assert!(
        head.contains("data-js=\"on\""),
        "the page's script did not run: {head}"
    );
    assert!(
        head.contains("data-css=\"on\""),
        "the page's style was not applied: {head}"
    );
}

/// No injected script ran (the title is the page's own) and no injected element is in the DOM.
fn assert_nothing_injected(dom: &str) {
    let title = &dom[dom.find("<title>").unwrap()..dom.find("</title>").unwrap()];
    assert!(
        !title.contains("PWNED"),
        "an injected script set the title: {title}"
    );
    assert!(title.contains("Exchange compromise assessment"));
    for injected in [
        "id=\"pwned1\"",
        "id=\"pwned2\"",
        "<blink",
        "<iframe",
        "<img",
        "<base",
        "<link",
    ] {
        assert!(
            !dom.contains(injected),
            "injected element {injected} is in the DOM"
        );
    }
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn demo_report_renders_in_chromium() {
    let Some(browser) = chromium() else { return };
    let page = write_html(&demo_report(), "report-demo.html");
    let dom = dump_dom(&browser, &page);
    assert_own_code_ran(&dom);
    assert!(dom.contains("class=\"verdict v-compromised\""));
    assert!(dom.contains(">compromised<"));
    assert!(dom.contains("<svg"), "chart missing");
    assert!(dom.contains("Findings by stage"));
    assert!(dom.contains("EXH-PL-004"), "findings missing");
    assert!(dom.contains("KZsqDfnb.aspx"));
    // The filter toolbar is shown only when the script runs.
    assert!(dom.contains("id=\"finding-count\">"));
    assert!(dom.contains("rules shown"));

    let shot = target_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    run(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2600".to_string(),
        ],
        &page,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 50_000,
        "screenshot suspiciously small: {} bytes",
        png.len()
    );
    eprintln!("screenshot: {} ({} bytes)", shot.display(), png.len());
}

#[test]
fn hostile_evidence_runs_nothing_in_chromium() {
    let Some(browser) = chromium() else { return };
    let page = write_html(&hostile_report(), "report-hostile.html");
    let dom = dump_dom(&browser, &page);
    assert_own_code_ran(&dom);
    assert_nothing_injected(&dom);
    // The payloads are on the page as text, and the page still renders its parts.
    assert!(dom.contains("&lt;script&gt;document.title='PWNED-1'"));
    assert!(dom.contains("class=\"verdict v-compromised\""));
    assert!(dom.contains("<svg"));
    assert!(dom.contains("more bytes not shown"));
    let shot = target_dir().join("report-hostile-screenshot.png");
    run(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800".to_string(),
        ],
        &page,
    );
}

#[test]
fn large_report_renders_in_chromium() {
    let Some(browser) = chromium() else { return };
    let page = write_html(&big_report(20_000, 40), "report-20k-browser.html");
    let size = std::fs::metadata(&page).unwrap().len();
    let started = std::time::Instant::now();
    let dom = dump_dom(&browser, &page);
    eprintln!(
        "20,000 findings: {size} bytes, dumped in {:?}",
        started.elapsed()
    );
    assert_own_code_ran(&dom);
    assert!(dom.contains("<svg"));
    assert_eq!(dom.matches("<details class=\"rule\"").count(), 40);
    assert!(dom.contains("40 of 40 rules shown"));
}

#[test]
fn hostile_fleet_page_runs_nothing_in_chromium() {
    use exhunt_report::{FleetHtmlWriter, FleetWriter, HtmlOptions};
    let fleet = hostile_fleet();
    assert_eq!(
        fleet.clusters.len(),
        1,
        "the shared indicators tie the two servers"
    );
    assert!(fleet.indicators.iter().any(|i| i.value.contains("<script")));
    let dir = target_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("fleet-hostile.html");
    FleetHtmlWriter::new(
        std::fs::File::create(&page).unwrap(),
        HtmlOptions::default(),
    )
    .write_fleet(&fleet)
    .unwrap();
    let page = page.canonicalize().unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("&lt;script&gt;document.title=&#39;PWNED-O&#39;"));
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(&browser, &page);
    assert_own_code_ran(&dom);
    assert_nothing_injected(&dom);
    // The page renders its parts, with the payloads shown as text.
    assert!(dom.contains("class=\"verdict v-compromised\""));
    assert!(dom.contains("id=\"activity\""));
    assert!(dom.contains("<svg"));
    assert!(dom.contains("Cluster 1: 2 server(s) in 2 organisation(s)"));
    assert!(dom.contains("&lt;script&gt;document.title='PWNED-O'&lt;/script&gt;"));
    let shot = target_dir().join("fleet-hostile-screenshot.png");
    run(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_string(),
        ],
        &page,
    );
}
