//! The timeline chart: an inline SVG drawn here in Rust, so it shows with scripts off and
//! prints. Upper band: which evidence covers which time span (and which is missing). Lower
//! band: findings per attack stage, bucketed over time (bar height grows with the count), so
//! the size stays fixed however many findings there are. Key moments are vertical markers.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Utc};
use exhunt_core::model::SourceCoverage;
use exhunt_core::scan::HostReport;
use exhunt_core::{Finding, Severity, SourceKind, Stage};

use super::axis;
use super::escape::esc;

const W: f64 = 1120.0;
const LEFT: f64 = 210.0;
const RIGHT: f64 = 24.0;
const PLOT: f64 = W - LEFT - RIGHT;
const BUCKETS: usize = 180;
const COV_LANE: f64 = 17.0;
const STAGE_LANE: f64 = 34.0;

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

/// Findings off scale on one side: count, earliest, latest.
type OffScale = (u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Width of an off-scale gutter (outliers before or after the plotted span).
const GUTTER: f64 = 92.0;
/// Room between a gutter and the plot, where the axis break is drawn.
const BREAK: f64 = 10.0;
/// Widest tick label, in pixels (two-line labels are at most "00:00" over "Mar 03 2021").
const TICK_LABEL: f64 = 84.0;
/// Estimated width of one character of a key-moment label (11.5 px bold), kept generous so
/// that labels placed apart by it never touch.
const MARK_CHAR: f64 = 7.2;

/// Where times land on the x axis: the plot, or a gutter for what lies outside it.
struct XAxis {
    focus: axis::Focus,
    x0: f64,
    x1: f64,
}

impl XAxis {
    fn x(&self, t: DateTime<Utc>) -> f64 {
        if t < self.focus.from {
            LEFT + (GUTTER - BREAK) / 2.0
        } else if t > self.focus.to {
            W - RIGHT - (GUTTER - BREAK) / 2.0
        } else {
            let span = (self.focus.to - self.focus.from).num_milliseconds().max(1) as f64;
            self.x0 + ((t - self.focus.from).num_milliseconds() as f64 / span) * (self.x1 - self.x0)
        }
    }

    fn inside(&self, t: DateTime<Utc>) -> bool {
        t >= self.focus.from && t <= self.focus.to
    }

    fn clamp(&self, t: DateTime<Utc>) -> f64 {
        if t < self.focus.from {
            self.x0
        } else if t > self.focus.to {
            self.x1
        } else {
            self.x(t)
        }
    }
}

/// A key-moment label placed on a row.
struct Mark {
    x: f64,
    text: String,
    color: &'static str,
    right: bool,
    row: usize,
}

/// Lay the key-moment labels out on as few rows as needed so that no two overlap: marks at
/// the same time share one label; each label goes on the first row where it fits, and there
/// are as many rows as labels at most, so one always does.
fn place_marks(xa: &XAxis, marks: &[(&str, DateTime<Utc>)], long_dates: bool) -> Vec<Mark> {
    let mut groups: Vec<(DateTime<Utc>, Vec<&str>)> = Vec::new();
    for (label, t) in marks {
        match groups.iter_mut().find(|(at, _)| at == t) {
            Some((_, labels)) => labels.push(label),
            None => groups.push((*t, vec![label])),
        }
    }
    groups.sort_by_key(|(t, _)| *t);
    let mut rows: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for (t, labels) in groups {
        let x = xa.x(t);
        let when = if long_dates {
            t.format("%Y-%m-%d %H:%M")
        } else {
            t.format("%b %d %H:%M")
        };
        let text = format!("{} · {when}", labels.join(" · "));
        let width = text.chars().count() as f64 * MARK_CHAR + 10.0;
        let right = x + width <= W - 4.0;
        let (a, b) = if right {
            (x, x + width)
        } else {
            ((x - width).max(4.0), x)
        };
        let row = match rows.iter().position(|&end| end + 8.0 < a) {
            Some(r) => r,
            None => {
                rows.push(f64::MIN);
                rows.len() - 1
            }
        };
        rows[row] = b;
        let color = mark_color(labels.last().copied().unwrap_or(""));
        out.push(Mark {
            x,
            text,
            color,
            right,
            row,
        });
    }
    out
}

/// The chart for one host: its coverage, its findings and its key moments.
pub(crate) fn timeline_svg(
    host: &HostReport,
    findings: &[&Finding],
    marks: &[(&str, DateTime<Utc>)],
) -> String {
    // The activity that matters: finding times from records (file-system times, which a copy
    // or a checkout resets and intruders forge, only when nothing else has a time), and the
    // span of the logs read around it. Far-away times go to the off-scale gutters.
    let recorded: Vec<DateTime<Utc>> = findings
        .iter()
        .filter(|f| f.source != SourceKind::Files)
        .filter_map(|f| f.timestamp)
        .collect();
    let primary = if recorded.is_empty() {
        findings.iter().filter_map(|f| f.timestamp).collect()
    } else {
        recorded
    };
    let mut context: Vec<DateTime<Utc>> = host
        .coverage
        .iter()
        .filter(|(k, _)| **k != SourceKind::Files)
        .flat_map(|(_, c)| [c.first, c.last])
        .flatten()
        .collect();
    if context.is_empty() && primary.is_empty() {
        context = host
            .coverage
            .values()
            .flat_map(|c| [c.first, c.last])
            .flatten()
            .collect();
    }
    let Some(focus) = axis::focus(&primary, &context) else {
        return "<p class=\"muted\">No timed evidence: nothing to chart.</p>".to_string();
    };
    // Every time the chart shows: findings and the ends of each source's span.
    let shown_times = || {
        findings.iter().filter_map(|f| f.timestamp).chain(
            host.coverage
                .values()
                .flat_map(|c| [c.first, c.last])
                .flatten(),
        )
    };
    let (mut before, mut after) = (false, false);
    for t in shown_times().chain(marks.iter().map(|(_, t)| *t)) {
        before |= t < focus.from;
        after |= t > focus.to;
    }
    let xa = XAxis {
        focus,
        x0: LEFT + if before { GUTTER } else { 0.0 },
        x1: LEFT + PLOT - if after { GUTTER } else { 0.0 },
    };
    let long_dates = focus.from.year() != focus.to.year()
        || marks.iter().any(|(_, t)| t.year() != focus.from.year());

    // Lanes.
    let mut cov: Vec<(String, &SourceCoverage, String)> = Vec::new();
    for (k, c) in &host.coverage {
        if c.first.is_none() && c.files > 0 {
            continue; // read, but without record times: spans no time
        }
        let label = if *k == SourceKind::Files {
            "Files (modified)".to_string()
        } else {
            short(*k).to_string()
        };
        let tip = if c.files == 0 && c.unreadable > 0 {
            format!(
                "{}: {} file(s) found but not readable (see the input problems)",
                k.describe(),
                c.unreadable
            )
        } else {
            format!(
                "{}: {} file(s), {} – {}",
                k.describe(),
                c.files,
                c.first.map(super::util::time).unwrap_or_else(|| "?".into()),
                c.last.map(super::util::time).unwrap_or_else(|| "?".into()),
            )
        };
        cov.push((label, c, tip));
    }
    let missing_cov = SourceCoverage::default();
    for k in &host.missing_sources {
        cov.push((
            k.describe().to_string(),
            &missing_cov,
            format!("{}: not found in the evidence", k.describe()),
        ));
    }
    let mut stages: Vec<Stage> = findings.iter().map(|f| f.rule.stage).collect();
    stages.sort();
    stages.dedup();
    if stages.is_empty() {
        stages = vec![Stage::Exploitation, Stage::Backdoor];
    }

    let placed = place_marks(&xa, marks, long_dates);
    let mark_rows = placed.iter().map(|m| m.row + 1).max().unwrap_or(0).max(1) as f64;
    let top = 16.0 + mark_rows * 14.0;
    let cov_y = top + 22.0;
    let stage_head = cov_y + cov.len() as f64 * COV_LANE + 14.0;
    let stage_y = stage_head + 10.0;
    let plot_bottom = stage_y + stages.len() as f64 * STAGE_LANE;
    let h = plot_bottom + 44.0;

    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h:.0}\" role=\"img\" aria-label=\"Timeline of activity by stage\" font-family=\"Segoe UI, system-ui, Arial, sans-serif\" font-size=\"12\">"
    );
    let _ = write!(
        s,
        "<title>Activity of {} by attack stage, {} – {} UTC</title>",
        esc(&host.name),
        super::util::time(focus.from),
        super::util::time(focus.to)
    );
    // Off-scale gutters with a break on the axis.
    let outliers = |pred: &dyn Fn(DateTime<Utc>) -> bool| -> Vec<DateTime<Utc>> {
        let mut v: Vec<DateTime<Utc>> = shown_times().filter(|t| pred(*t)).collect();
        v.sort();
        v
    };
    for (on, gx, side) in [
        (before, LEFT, "before"),
        (after, LEFT + PLOT - GUTTER + BREAK, "after"),
    ] {
        if !on {
            continue;
        }
        let times = if side == "before" {
            outliers(&|t| t < focus.from)
        } else {
            outliers(&|t| t > focus.to)
        };
        let range = match (times.first(), times.last()) {
            (Some(a), Some(b)) if axis::short_date(*a) != axis::short_date(*b) => {
                format!("{} … {}", axis::short_date(*a), axis::short_date(*b))
            }
            (Some(a), _) => axis::short_date(*a),
            _ => String::new(),
        };
        let w = GUTTER - BREAK;
        let _ = write!(
            s,
            "<g class=\"offscale\" data-side=\"{side}\"><rect x=\"{gx:.1}\" y=\"{cov_y:.0}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"#f1f3f6\"><title>Off scale ({side} the plotted span): {range}</title></rect><text x=\"{:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#5b6776\" font-size=\"10.5\">{}</text><text x=\"{:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#5b6776\" font-size=\"10.5\">off scale</text></g>",
            plot_bottom - cov_y,
            gx + w / 2.0,
            plot_bottom + 16.0,
            esc(times.first().map(|t| axis::short_date(*t)).as_deref().unwrap_or("")),
            gx + w / 2.0,
            plot_bottom + 29.0,
        );
        // The break: two slanted strokes across the axis line.
        let bx = if side == "before" {
            xa.x0 - BREAK / 2.0
        } else {
            xa.x1 + BREAK / 2.0
        };
        let _ = write!(
            s,
            "<path d=\"M{:.1} {:.0} l6 -10 M{:.1} {:.0} l6 -10\" stroke=\"#5b6776\" stroke-width=\"1.5\"/>",
            bx - 5.0,
            plot_bottom + 5.0,
            bx - 1.0,
            plot_bottom + 5.0
        );
    }
    // Grid and axis.
    let max_ticks = (((xa.x1 - xa.x0) / TICK_LABEL).floor() as usize).max(2);
    let (ticks, caption) = axis::ticks(focus, max_ticks);
    for tk in &ticks {
        let x = xa.x(tk.at);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{cov_y:.0}\" x2=\"{x:.1}\" y2=\"{plot_bottom:.0}\" stroke=\"#e6e9ee\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#5b6776\">{}",
            plot_bottom + 16.0,
            esc(&tk.line1)
        );
        if let Some(l2) = &tk.line2 {
            let _ = write!(
                s,
                "<tspan x=\"{x:.1}\" dy=\"13\" font-size=\"11\">{}</tspan>",
                esc(l2)
            );
        }
        s.push_str("</text>");
    }
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" y1=\"{plot_bottom:.0}\" x2=\"{:.1}\" y2=\"{plot_bottom:.0}\" stroke=\"#9aa5b1\"/>",
        xa.x0, xa.x1
    );
    let _ = write!(
        s,
        "<text x=\"8\" y=\"{:.0}\" fill=\"#5b6776\" font-size=\"11\">{}</text>",
        plot_bottom + 16.0,
        esc(&caption)
    );

    // Coverage band.
    let _ = write!(
        s,
        "<text x=\"8\" y=\"{:.0}\" font-weight=\"600\" fill=\"#14213d\">Evidence read</text>",
        cov_y - 6.0
    );
    for (i, (label, c, tip)) in cov.iter().enumerate() {
        let y = cov_y + i as f64 * COV_LANE;
        let unreadable = c.files == 0 && c.unreadable > 0;
        let missing = c.files == 0 && !unreadable;
        let _ = write!(
            s,
            "<text x=\"16\" y=\"{:.0}\" fill=\"{}\">{}</text>",
            y + 12.0,
            if missing || unreadable {
                "#9b1c1c"
            } else {
                "#1c2430"
            },
            esc(label)
        );
        if unreadable || missing {
            let (fill, stroke, text) = if unreadable {
                (
                    "#fff3cd",
                    "#e0a800",
                    "found, but not readable (see input problems)",
                )
            } else {
                ("#fbeaea", "#e4b4b4", "not in the evidence")
            };
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"9\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-dasharray=\"3 3\"><title>{}</title></rect><text x=\"{:.0}\" y=\"{:.0}\" fill=\"#9b1c1c\" font-size=\"11\">{text}</text>",
                xa.x0,
                y + 4.0,
                xa.x1 - xa.x0,
                esc(tip),
                xa.x0 + 6.0,
                y + 12.0
            );
            continue;
        }
        let (Some(a), Some(b)) = (c.first, c.last) else {
            continue;
        };
        if a <= focus.to && b >= focus.from {
            let (xa0, xb) = (xa.clamp(a), xa.clamp(b));
            let _ = write!(
                s,
                "<rect x=\"{xa0:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"9\" rx=\"2\" fill=\"#9db4d3\"><title>{}</title></rect>",
                y + 4.0,
                (xb - xa0).max(2.0),
                esc(tip)
            );
        }
        // The parts off scale: an arrow into the gutter with the date it reaches.
        if a < focus.from {
            let gx = LEFT + (GUTTER - BREAK) / 2.0;
            let _ = write!(
                s,
                "<text x=\"{gx:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#4a6a96\" font-size=\"10.5\">◀ {}<title>{}</title></text>",
                y + 12.0,
                axis::short_date(a),
                esc(tip)
            );
        }
        if b > focus.to {
            let gx = W - RIGHT - (GUTTER - BREAK) / 2.0;
            let _ = write!(
                s,
                "<text x=\"{gx:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#4a6a96\" font-size=\"10.5\">{} ▶<title>{}</title></text>",
                y + 12.0,
                axis::short_date(b),
                esc(tip)
            );
        }
    }

    // Stage band.
    let _ = write!(
        s,
        "<text x=\"8\" y=\"{:.0}\" font-weight=\"600\" fill=\"#14213d\">Findings by stage</text>",
        stage_head + 4.0
    );
    let span = (focus.to - focus.from).num_milliseconds().max(1) as f64;
    let bw = (xa.x1 - xa.x0) / BUCKETS as f64;
    for (li, stage) in stages.iter().enumerate() {
        let y = stage_y + li as f64 * STAGE_LANE;
        let base = y + STAGE_LANE - 4.0;
        let mut counts = vec![(0u64, Severity::Info); BUCKETS];
        let mut total = 0u64;
        let mut off: [OffScale; 2] = [(0, None, None); 2];
        for f in findings.iter().filter(|f| f.rule.stage == *stage) {
            let Some(t) = f.timestamp else { continue };
            total += 1;
            if !xa.inside(t) {
                let o = &mut off[usize::from(t > focus.to)];
                o.0 += 1;
                o.1 = Some(o.1.map_or(t, |x: DateTime<Utc>| x.min(t)));
                o.2 = Some(o.2.map_or(t, |x: DateTime<Utc>| x.max(t)));
                continue;
            }
            let b = (((t - focus.from).num_milliseconds() as f64 / span) * BUCKETS as f64) as usize;
            let c = &mut counts[b.min(BUCKETS - 1)];
            c.0 += 1;
            c.1 = c.1.max(f.severity);
        }
        let max = counts.iter().map(|c| c.0).max().unwrap_or(0).max(1) as f64;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"{:.0}\" fill=\"{}\"/>",
            xa.x0,
            y + 2.0,
            xa.x1 - xa.x0,
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
            let from = focus.from
                + chrono::Duration::milliseconds((span * b as f64 / BUCKETS as f64) as i64);
            let to = focus.from
                + chrono::Duration::milliseconds((span * (b + 1) as f64 / BUCKETS as f64) as i64);
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hgt:.1}\" fill=\"{}\"><title>{}: {n} finding(s), highest {}, {} – {} UTC</title></rect>",
                xa.x0 + b as f64 * bw,
                base - hgt,
                (bw - 0.8).max(2.0),
                stage_color(*stage),
                stage.as_str(),
                sev.as_str(),
                super::util::time(from),
                super::util::time(to)
            );
        }
        // Findings off scale: a marker with their count in the gutter.
        for (side, (n, a, b)) in off.iter().enumerate() {
            let (Some(a), Some(b)) = (a, b) else { continue };
            let gx = if side == 0 {
                LEFT + (GUTTER - BREAK) / 2.0
            } else {
                W - RIGHT - (GUTTER - BREAK) / 2.0
            };
            let _ = write!(
                s,
                "<g class=\"offscale-mark\"><path d=\"M{:.1} {:.1} l6 6 l-6 6 l-6 -6 z\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1c2430\" font-size=\"11\">{n}</text><title>{}: {n} finding(s) off scale, {} – {} UTC</title></g>",
                gx - 10.0,
                base - 16.0,
                stage_color(*stage),
                gx + 2.0,
                base - 6.0,
                stage.as_str(),
                super::util::time(*a),
                super::util::time(*b)
            );
        }
    }

    // Key moments: dashed lines, labels on rows that never overlap.
    for m in &placed {
        let ly = 12.0 + m.row as f64 * 14.0;
        let x = m.x;
        let color = m.color;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.0}\" x2=\"{x:.1}\" y2=\"{plot_bottom:.0}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/><circle cx=\"{x:.1}\" cy=\"{:.0}\" r=\"3\" fill=\"{color}\"/><text class=\"moment\" x=\"{:.1}\" y=\"{ly:.0}\" text-anchor=\"{}\" fill=\"{color}\" font-size=\"11.5\" font-weight=\"600\">{}</text>",
            ly + 3.0,
            ly + 3.0,
            if m.right { x + 5.0 } else { (x - 5.0).max(m.text.chars().count() as f64 * MARK_CHAR + 4.0) },
            if m.right { "start" } else { "end" },
            esc(&m.text)
        );
    }
    s.push_str("</svg>");
    s
}
