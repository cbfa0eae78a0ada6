//! The timeline chart: an inline SVG drawn here in Rust, so it shows with scripts off and
//! prints. Upper band: which evidence covers which time span (and which is missing). Lower
//! band: findings per attack stage, bucketed over time (bar height grows with the count), so
//! the size stays fixed however many findings there are. Key moments are vertical markers.

use std::fmt::Write;

use chrono::{DateTime, TimeZone, Utc};
use exhunt_core::scan::HostReport;
use exhunt_core::{Finding, Severity, SourceKind, Stage};

use super::escape::esc;

const W: f64 = 1120.0;
const LEFT: f64 = 210.0;
const RIGHT: f64 = 24.0;
const PLOT: f64 = W - LEFT - RIGHT;
const BUCKETS: usize = 180;
const MARK_ROWS: f64 = 3.0;
const COV_LANE: f64 = 17.0;
const STAGE_LANE: f64 = 34.0;

/// One coverage lane: label, bar (x from, x to) or `None` when missing, tooltip.
type Lane = (String, Option<(f64, f64)>, String);

/// A lane label short enough for the label column.
fn short(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Iis => "IIS W3C logs",
        SourceKind::HttpProxy => "HttpProxy logs",
        SourceKind::Ecp => "ECP server logs",
        SourceKind::Oab => "OAB generator logs",
        SourceKind::Rps => "Remote PowerShell logs",
        SourceKind::Evtx => "Windows event logs",
        SourceKind::Files => "Files",
    }
}

/// The fill colour of a stage (the same palette as the page's CSS).
pub(crate) fn stage_color(s: Stage) -> &'static str {
    match s {
        Stage::Exposure => "#8896a6",
        Stage::Exploitation => "#e07b00",
        Stage::Backdoor => "#c0262d",
        Stage::PostExploitation => "#7b2cbf",
        Stage::Espionage => "#2b59c3",
        Stage::Ransomware => "#111111",
    }
}

fn mark_color(label: &str) -> &'static str {
    if label.contains("backdoor") {
        "#c0262d"
    } else if label.contains("exploitation") {
        "#e07b00"
    } else {
        "#14213d"
    }
}

/// A nice tick step for a span, and whether labels need the date.
fn tick_step(span_secs: i64) -> i64 {
    const STEPS: [i64; 16] = [
        60,
        300,
        900,
        1800,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86400,
        2 * 86400,
        7 * 86400,
        14 * 86400,
        30 * 86400,
        91 * 86400,
        182 * 86400,
        365 * 86400,
    ];
    STEPS
        .into_iter()
        .find(|s| span_secs / s <= 10)
        .unwrap_or(365 * 86400 * ((span_secs / (365 * 86400 * 10)).max(1) + 1))
}

fn tick_label(t: DateTime<Utc>, step: i64, multi_day: bool) -> String {
    if step >= 86400 {
        t.format("%b %d").to_string()
    } else if multi_day {
        t.format("%b %d %H:%M").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// The chart for one host: its coverage, its findings and its key moments.
pub(crate) fn timeline_svg(
    host: &HostReport,
    findings: &[&Finding],
    marks: &[(&str, DateTime<Utc>)],
) -> String {
    // Time range over coverage and findings with recorded times; file-system times (which a
    // copy or a checkout resets) only widen it when nothing else has a time.
    let recorded: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| f.source != exhunt_core::SourceKind::Files)
        .collect();
    let coverage_times: Vec<DateTime<Utc>> = host
        .coverage
        .values()
        .flat_map(|c| [c.first, c.last])
        .flatten()
        .collect();
    let use_files = coverage_times.is_empty() && recorded.iter().all(|f| f.timestamp.is_none());
    let times = coverage_times.into_iter().chain(
        findings
            .iter()
            .filter(|f| use_files || f.source != exhunt_core::SourceKind::Files)
            .filter_map(|f| f.timestamp),
    );
    let (mut t0, mut t1) =
        match times.fold(None, |acc: Option<(DateTime<Utc>, DateTime<Utc>)>, t| {
            Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        }) {
            Some(r) => r,
            None => {
                return "<p class=\"muted\">No timed evidence: nothing to chart.</p>".to_string();
            }
        };
    if (t1 - t0).num_seconds() < 3600 {
        t0 -= chrono::Duration::minutes(30);
        t1 += chrono::Duration::minutes(30);
    }
    let span = (t1 - t0).num_milliseconds().max(1) as f64;
    let x_of = |t: DateTime<Utc>| LEFT + ((t - t0).num_milliseconds() as f64 / span) * PLOT;

    // Lanes.
    let mut cov: Vec<Lane> = host
        .coverage
        .iter()
        // Evidence read without record times (files on disk) spans no time: no lane.
        .filter(|(_, c)| c.first.is_some() || c.files == 0)
        .map(|(k, c)| {
            let bar = match (c.first, c.last) {
                (Some(a), Some(b)) => Some((x_of(a), x_of(b))),
                _ => None,
            };
            let tip = format!(
                "{}: {} file(s), {} – {}",
                k.describe(),
                c.files,
                c.first.map(super::util::time).unwrap_or_else(|| "?".into()),
                c.last.map(super::util::time).unwrap_or_else(|| "?".into()),
            );
            (short(*k).to_string(), bar, tip)
        })
        .collect();
    for k in &host.missing_sources {
        cov.push((
            k.describe().to_string(),
            None,
            format!("{}: not found in the evidence", k.describe()),
        ));
    }
    let mut stages: Vec<Stage> = findings.iter().map(|f| f.rule.stage).collect();
    stages.sort();
    stages.dedup();
    if stages.is_empty() {
        stages = vec![Stage::Exploitation, Stage::Backdoor];
    }

    let top = 16.0 + MARK_ROWS * 13.0;
    let cov_y = top + 22.0;
    let stage_head = cov_y + cov.len() as f64 * COV_LANE + 14.0;
    let stage_y = stage_head + 10.0;
    let plot_bottom = stage_y + stages.len() as f64 * STAGE_LANE;
    let h = plot_bottom + 28.0;

    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h:.0}\" role=\"img\" aria-label=\"Timeline of activity by stage\" font-family=\"Segoe UI, system-ui, Arial, sans-serif\" font-size=\"12\">"
    );
    let _ = write!(
        s,
        "<title>Activity of {} by attack stage, {} – {} UTC</title>",
        esc(&host.name),
        super::util::time(t0),
        super::util::time(t1)
    );
    // Grid and axis.
    let step = tick_step((t1 - t0).num_seconds());
    let multi_day = t0.date_naive() != t1.date_naive();
    let first_tick = (t0.timestamp() / step + 1) * step;
    let mut last_label_x = f64::MIN;
    let mut tick = first_tick;
    while tick <= t1.timestamp() {
        if let Some(t) = Utc.timestamp_opt(tick, 0).single() {
            let x = x_of(t);
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{cov_y:.0}\" x2=\"{x:.1}\" y2=\"{plot_bottom:.0}\" stroke=\"#e6e9ee\"/>"
            );
            if x - last_label_x > 70.0 {
                let _ = write!(
                    s,
                    "<text x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#5b6776\">{}</text>",
                    plot_bottom + 16.0,
                    tick_label(t, step, multi_day)
                );
                last_label_x = x;
            }
        }
        tick += step;
    }
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{plot_bottom:.0}\" x2=\"{:.0}\" y2=\"{plot_bottom:.0}\" stroke=\"#9aa5b1\"/>",
        LEFT + PLOT
    );
    let _ = write!(
        s,
        "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\" fill=\"#5b6776\" font-size=\"11\">UTC</text>",
        W - 4.0,
        plot_bottom + 16.0
    );

    // Coverage band.
    let _ = write!(
        s,
        "<text x=\"8\" y=\"{:.0}\" font-weight=\"600\" fill=\"#14213d\">Evidence read</text>",
        cov_y - 6.0
    );
    for (i, (label, bar, tip)) in cov.iter().enumerate() {
        let y = cov_y + i as f64 * COV_LANE;
        let missing = bar.is_none();
        let _ = write!(
            s,
            "<text x=\"16\" y=\"{:.0}\" fill=\"{}\">{}</text>",
            y + 12.0,
            if missing { "#9b1c1c" } else { "#1c2430" },
            esc(label)
        );
        match bar {
            Some((a, b)) => {
                let _ = write!(
                    s,
                    "<rect x=\"{a:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"9\" rx=\"2\" fill=\"#9db4d3\"><title>{}</title></rect>",
                    y + 4.0,
                    (b - a).max(2.0),
                    esc(tip)
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<rect x=\"{LEFT}\" y=\"{:.0}\" width=\"{PLOT}\" height=\"9\" fill=\"#fbeaea\" stroke=\"#e4b4b4\" stroke-dasharray=\"3 3\"><title>{}</title></rect><text x=\"{:.0}\" y=\"{:.0}\" fill=\"#9b1c1c\" font-size=\"11\">not in the evidence</text>",
                    y + 4.0,
                    esc(tip),
                    LEFT + 6.0,
                    y + 12.0
                );
            }
        }
    }

    // Stage band.
    let _ = write!(
        s,
        "<text x=\"8\" y=\"{:.0}\" font-weight=\"600\" fill=\"#14213d\">Findings by stage</text>",
        stage_head + 4.0
    );
    let bw = PLOT / BUCKETS as f64;
    for (li, stage) in stages.iter().enumerate() {
        let y = stage_y + li as f64 * STAGE_LANE;
        let base = y + STAGE_LANE - 4.0;
        let mut counts = vec![(0u64, Severity::Info); BUCKETS];
        let mut total = 0u64;
        for f in findings.iter().filter(|f| f.rule.stage == *stage) {
            let Some(t) = f.timestamp else { continue };
            if t < t0 || t > t1 {
                continue; // a file time outside the recorded span
            }
            let b = (((t - t0).num_milliseconds() as f64 / span) * BUCKETS as f64) as usize;
            let c = &mut counts[b.min(BUCKETS - 1)];
            c.0 += 1;
            c.1 = c.1.max(f.severity);
            total += 1;
        }
        let max = counts.iter().map(|c| c.0).max().unwrap_or(0).max(1) as f64;
        let _ = write!(
            s,
            "<rect x=\"{LEFT}\" y=\"{:.0}\" width=\"{PLOT}\" height=\"{:.0}\" fill=\"{}\"/>",
            y + 2.0,
            STAGE_LANE - 4.0,
            if li % 2 == 0 { "#f7f8fa" } else { "#ffffff" }
        );
        let _ = write!(
            s,
            "<rect x=\"8\" y=\"{:.0}\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{}\"/><text x=\"24\" y=\"{:.0}\" fill=\"#1c2430\">{} <tspan fill=\"#5b6776\">({total})</tspan></text>",
            y + 12.0,
            stage_color(*stage),
            y + 21.0,
            stage.as_str()
        );
        for (b, (n, sev)) in counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let hgt = 5.0 + (STAGE_LANE - 12.0) * ((*n as f64).sqrt() / max.sqrt());
            let from =
                t0 + chrono::Duration::milliseconds((span * b as f64 / BUCKETS as f64) as i64);
            let to = t0
                + chrono::Duration::milliseconds((span * (b + 1) as f64 / BUCKETS as f64) as i64);
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hgt:.1}\" fill=\"{}\"><title>{}: {n} finding(s), highest {}, {} – {} UTC</title></rect>",
                LEFT + b as f64 * bw,
                base - hgt,
                (bw - 0.8).max(2.0),
                stage_color(*stage),
                stage.as_str(),
                sev.as_str(),
                super::util::time(from),
                super::util::time(to)
            );
        }
    }

    // Key moments: dashed lines with staggered labels at the top.
    let mut row_end = [f64::MIN; MARK_ROWS as usize];
    for (label, t) in marks {
        let x = x_of(*t);
        let color = mark_color(label);
        let text = format!("{} · {}", label, t.format("%b %d %H:%M"));
        let width = text.chars().count() as f64 * 6.3 + 8.0;
        let right = x + width <= LEFT + PLOT + RIGHT;
        let (a, b) = if right {
            (x, x + width)
        } else {
            (x - width, x)
        };
        let row = row_end
            .iter()
            .position(|&e| e < a)
            .unwrap_or(MARK_ROWS as usize - 1);
        row_end[row] = b;
        let ly = 12.0 + row as f64 * 13.0;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.0}\" x2=\"{x:.1}\" y2=\"{plot_bottom:.0}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/><circle cx=\"{x:.1}\" cy=\"{:.0}\" r=\"3\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{ly:.0}\" text-anchor=\"{}\" fill=\"{color}\" font-size=\"11.5\" font-weight=\"600\">{}</text>",
            ly + 3.0,
            ly + 3.0,
            if right { x + 5.0 } else { x - 5.0 },
            if right { "start" } else { "end" },
            esc(&text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_give_few_ticks() {
        assert_eq!(tick_step(3600), 900);
        assert_eq!(tick_step(10 * 86400), 86400);
        assert!(3 * 365 * 86400 / tick_step(3 * 365 * 86400) <= 10);
        assert!(100 * 365 * 86400 / tick_step(100 * 365 * 86400) <= 10);
    }
}
