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

/// The page with a measuring script appended (and the CSP that would forbid it removed): it
/// writes the rendered boxes of the chart's tick labels, key-moment labels and bars, and of
/// every no-wrap token, as JSON into a `<pre id="measure">` for the DOM dump.
fn measured_copy(page: &Path, name: &str) -> PathBuf {
    let html = std::fs::read_to_string(page).unwrap();
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let end = start + html[start..].find('>').unwrap() + 1;
    let script = r#"<pre id="measure"></pre><script>
(function () {
  const r = e => { const b = e.getBoundingClientRect(); return { l: b.left, r: b.right, t: b.top, b: b.bottom }; };
  const svg = document.querySelector('.chart svg');
  const out = {
    svg: r(svg),
    ticks: [...svg.querySelectorAll('text.tick')].map(e => Object.assign({ text: e.textContent }, r(e))),
    moments: [...svg.querySelectorAll('text.moment')].map(e => Object.assign({ text: e.textContent }, r(e))),
    bars: [...svg.querySelectorAll('rect')].filter(e => { const t = e.querySelector('title'); return t && t.textContent.includes('finding(s), highest'); }).map(r),
    lanes: [...svg.querySelectorAll('rect')].filter(e => e.getAttribute('fill') === '#f7f8fa').map(r),
    offscale: [...svg.querySelectorAll('g.offscale')].map(e => ({ side: e.getAttribute('data-side'), text: e.textContent })),
    tokens: [],
  };
  // Every address and hash on the page (evidence blocks aside, which show raw lines as
  // logged): on one line, inside its box.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const re = /(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{64}/gi;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const p = n.parentElement;
    if (!p || p.closest('svg,script,style,#measure,pre.ev') || p.offsetParent === null) continue;
    for (const m of n.data.matchAll(re)) {
      const rg = document.createRange();
      rg.setStart(n, m.index);
      rg.setEnd(n, m.index + m[0].length);
      const rects = [...rg.getClientRects()].filter(x => x.width > 0);
      const lines = new Set(rects.map(x => Math.round(x.top))).size;
      const box = p.closest('td,dd,.kpi,li,p,div').getBoundingClientRect();
      const b = rg.getBoundingClientRect();
      out.tokens.push({ text: m[0], lines: lines, overflow: b.right > box.right + 1 });
    }
  }
  document.getElementById('measure').textContent = JSON.stringify(out);
})();
</script>"#;
    let html = format!("{}{}", &html[..start], &html[end..])
        .replace("</body>", &format!("{script}</body>"));
    let path = target_dir().join(name);
    std::fs::write(&path, html).unwrap();
    path
}

fn measure(dom: &str) -> serde_json::Value {
    let a = dom.find("<pre id=\"measure\">").unwrap() + "<pre id=\"measure\">".len();
    let b = a + dom[a..].find("</pre>").unwrap();
    let json = dom[a..b]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn boxes(v: &serde_json::Value) -> Vec<(String, f64, f64, f64, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["text"].as_str().unwrap_or("").to_string(),
                b["l"].as_f64().unwrap(),
                b["r"].as_f64().unwrap(),
                b["t"].as_f64().unwrap(),
                b["b"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn overlap(a: &(String, f64, f64, f64, f64), b: &(String, f64, f64, f64, f64)) -> bool {
    a.1 < b.2 && b.1 < a.2 && a.3 < b.4 && b.3 < a.4
}

#[test]
fn chart_reads_when_file_times_are_years_after_the_logs() {
    let Some(browser) = chromium() else { return };
    let page = write_html(&far_file_times_report(), "report-far-times.html");
    // The report itself renders under its CSP.
    let dom = dump_dom(&browser, &page);
    assert_own_code_ran(&dom);
    // Then its geometry, measured in a narrow window where tables must wrap.
    let probe = measured_copy(&page, "report-far-times-measured.html");
    let dom = run(
        &browser,
        &[
            "--dump-dom".to_string(),
            "--window-size=900,2000".to_string(),
        ],
        &probe,
    );
    let m = measure(&dom);
    let svg = boxes(&serde_json::json!([m["svg"]]))[0].clone();

    // The axis spans the activity: the five days of findings use most of the plot width,
    // not one pixel column at its left edge.
    let bars = boxes(&m["bars"]);
    let lanes = boxes(&m["lanes"]);
    let (plot_l, plot_r) = (lanes[0].1, lanes[0].2);
    let (lo, hi) = bars.iter().fold((f64::MAX, f64::MIN), |(lo, hi), b| {
        (lo.min(b.1), hi.max(b.2))
    });
    assert!(
        hi - lo > 0.4 * (plot_r - plot_l),
        "findings squeezed: bars {lo:.0}–{hi:.0} of plot {plot_l:.0}–{plot_r:.0}"
    );
    // The file times of 2026 are an off-scale marker, not a stretched axis.
    let off = m["offscale"].as_array().unwrap();
    assert!(
        off.iter()
            .any(|o| o["side"] == "after" && o["text"].as_str().unwrap().contains("2026-11-20")),
        "{off:?}"
    );
    assert!(
        off.iter()
            .any(|o| o["side"] == "before" && o["text"].as_str().unwrap().contains("2019-01-12")),
        "{off:?}"
    );

    // Axis labels: several, distinct, none overlapping another.
    let ticks = boxes(&m["ticks"]);
    assert!(ticks.len() >= 4, "{ticks:?}");
    let mut labels: Vec<&str> = ticks.iter().map(|t| t.0.as_str()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), ticks.len(), "repeated axis labels: {ticks:?}");
    for (i, a) in ticks.iter().enumerate() {
        for b in &ticks[i + 1..] {
            assert!(!overlap(a, b), "axis labels overlap: {a:?} {b:?}");
        }
    }

    // Key-moment labels: all four, minutes apart, none overlapping, all inside the chart.
    let moments = boxes(&m["moments"]);
    assert!(moments.len() >= 3, "{moments:?}");
    for (i, a) in moments.iter().enumerate() {
        assert!(
            a.1 >= svg.1 - 0.5 && a.2 <= svg.2 + 0.5,
            "label outside the chart: {a:?} in {svg:?}"
        );
        for b in &moments[i + 1..] {
            assert!(!overlap(a, b), "key-moment labels overlap: {a:?} {b:?}");
        }
    }

    // Addresses and hashes never wrap inside.
    let tokens = m["tokens"].as_array().unwrap();
    assert!(
        tokens
            .iter()
            .any(|t| t["text"].as_str().unwrap().contains("2001:0db8:85a3")),
        "no IPv6 token measured"
    );
    assert!(tokens
        .iter()
        .any(|t| t["text"].as_str().unwrap().starts_with("9f2b5a0c")));
    assert!(tokens.len() > 20, "{}", tokens.len());
    for t in tokens {
        assert_eq!(t["lines"], 1, "token wrapped: {t}");
        assert_eq!(t["overflow"], false, "token overflows its box: {t}");
    }

    let shot = target_dir().join("report-far-times-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    run(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1500".to_string(),
        ],
        &page,
    );
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    eprintln!("screenshot: {}", shot.display());
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
