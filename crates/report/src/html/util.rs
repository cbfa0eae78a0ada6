//! Small formatting helpers shared by the page sections. Everything that takes text from the
//! report returns it escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use exhunt_core::{Severity, Stage, VerdictLevel};

use super::escape::esc;

/// `2021-03-03 02:44:16` (UTC is said once per table header).
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One token that must never wrap inside (an address, a hash), escaped.
pub(crate) fn tok(text: &str) -> String {
    format!("<span class=\"tok\">{}</span>", esc(text))
}

/// Tokens joined by `sep`: lines may break between them, never inside one.
pub(crate) fn toks<'a>(items: impl IntoIterator<Item = &'a str>, sep: &str) -> String {
    let v: Vec<String> = items.into_iter().map(tok).collect();
    v.join(sep)
}

/// An optional time, or a dash.
pub(crate) fn time_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "—".into())
}

/// A time span `first → last`, or one time when both are equal.
pub(crate) fn span(first: Option<DateTime<Utc>>, last: Option<DateTime<Utc>>) -> String {
    match (first, last) {
        (Some(a), Some(b)) if a == b => time(a),
        (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
            format!("{} → {}", time(a), b.format("%H:%M:%S"))
        }
        (a, b) => format!("{} → {}", time_opt(a), time_opt(b)),
    }
}

/// `1.2 MB` (the same units as the console summary).
pub(crate) fn bytes(n: u64) -> String {
    crate::console::human_bytes(n)
}

/// Thousands separators: `20,000`.
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The severity badge.
pub(crate) fn sev(s: Severity) -> String {
    format!("<span class=\"sev sev-{0}\">{0}</span>", s.as_str())
}

/// The stage label.
pub(crate) fn stage(s: Stage) -> String {
    format!("<span class=\"stage st-{0}\">{0}</span>", s.as_str())
}

/// The CSS class of a verdict banner.
pub(crate) fn verdict_class(v: VerdictLevel) -> &'static str {
    match v {
        VerdictLevel::Compromised => "v-compromised",
        VerdictLevel::ExploitationAttempted => "v-attempted",
        VerdictLevel::NoEvidence => "v-clean",
        VerdictLevel::NotAssessable => "v-unknown",
    }
}

/// The CSS class of a verdict badge in tables.
pub(crate) fn verdict_badge_class(v: VerdictLevel) -> &'static str {
    match v {
        VerdictLevel::Compromised => "sev-critical",
        VerdictLevel::ExploitationAttempted => "sev-medium",
        VerdictLevel::NoEvidence => "sev-ok",
        VerdictLevel::NotAssessable => "sev-na",
    }
}

/// Chips of a kind (`cve`, `attack`, `tag`) for a list of values.
pub(crate) fn chips(kind: &str, values: &[String]) -> String {
    let mut s = String::new();
    for v in values {
        let _ = write!(s, "<span class=\"chip {kind}\">{}</span>", esc(v));
    }
    if s.is_empty() {
        s.push_str("<span class=\"muted\">—</span>");
    }
    s
}

/// A CSS class token for a key-moment label (`first backdoor access` → `m-first-backdoor-access`).
pub(crate) fn moment_class(label: &str) -> String {
    format!("m-{}", label.replace(' ', "-"))
}

/// Key-moment badges.
pub(crate) fn moment_badges(labels: &[&str]) -> String {
    labels
        .iter()
        .map(|l| {
            format!(
                "<span class=\"moment {}\">{}</span>",
                moment_class(l),
                esc(l)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(count(20000), "20,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234567), "1,234,567");
    }
}
