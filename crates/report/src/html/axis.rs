//! The chart's time axis: which span to draw (the activity that matters, with far-away
//! outliers left to off-scale gutters rather than stretching the axis), and calendar-aligned
//! ticks whose labels are distinct and readable at every span from minutes to decades.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

/// The span the plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Focus {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Drop far-away points from the ends of `points` (sorted): while the gap between an end
/// point and its neighbour is more than twice the span of the rest and over two weeks, that
/// point is an outlier — a timestomped file, a copy made years later, a clock reset.
fn core_cluster(points: &mut Vec<DateTime<Utc>>) {
    points.sort();
    let day = Duration::days(14);
    while points.len() >= 2 {
        let n = points.len();
        let low_gap = points[1] - points[0];
        let high_gap = points[n - 1] - points[n - 2];
        let (gap, rest) = if high_gap >= low_gap {
            (high_gap, points[n - 2] - points[0])
        } else {
            (low_gap, points[n - 1] - points[1])
        };
        if gap <= day || gap <= rest * 2 {
            break;
        }
        if high_gap >= low_gap {
            points.pop();
        } else {
            points.remove(0);
        }
    }
}

/// The span to draw. `primary`: the times that define the activity (finding times from
/// records; file times only when nothing else has a time). `context`: times worth showing
/// when they are near it (the first and last record of each log read). Points far from the
/// primary cluster are left out: the caller marks them off scale.
pub(crate) fn focus(primary: &[DateTime<Utc>], context: &[DateTime<Utc>]) -> Option<Focus> {
    let mut core: Vec<DateTime<Utc>> = primary.to_vec();
    if core.is_empty() {
        core = context.to_vec();
    }
    if core.is_empty() {
        return None;
    }
    core_cluster(&mut core);
    let (mut from, mut to) = (core[0], core[core.len() - 1]);
    // Context within one span (at least a day) of the activity widens the view.
    let reach = (to - from).max(Duration::days(1));
    for &t in context {
        if t < from && from - t <= reach {
            from = t;
        }
        if t > to && t - to <= reach {
            to = t;
        }
    }
    let span = to - from;
    if span < Duration::hours(1) {
        let mid = from + span / 2;
        from = mid - Duration::minutes(30);
        to = mid + Duration::minutes(30);
    } else {
        let pad = span / 50;
        from -= pad;
        to += pad;
    }
    Some(Focus { from, to })
}

/// A tick step on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Minutes(u32),
    Hours(u32),
    Days(u32),
    Months(u32),
    Years(u32),
}

const STEPS: [Step; 24] = [
    Step::Minutes(1),
    Step::Minutes(2),
    Step::Minutes(5),
    Step::Minutes(10),
    Step::Minutes(15),
    Step::Minutes(30),
    Step::Hours(1),
    Step::Hours(2),
    Step::Hours(3),
    Step::Hours(6),
    Step::Hours(12),
    Step::Days(1),
    Step::Days(2),
    Step::Days(7),
    Step::Days(14),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(50),
];

impl Step {
    /// The first tick at or after `t`.
    fn first(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let day = t.date_naive();
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
        let up = |c: DateTime<Utc>| if c < t { self.next(c) } else { c };
        match self {
            Step::Minutes(m) => {
                let base = t
                    .with_second(0)
                    .and_then(|x| x.with_nanosecond(0))
                    .unwrap_or(t);
                let base = base - Duration::minutes(i64::from(base.minute() % m));
                up(base)
            }
            Step::Hours(h) => {
                let base = midnight(day) + Duration::hours(i64::from(t.hour() / h * h));
                up(base)
            }
            Step::Days(7) | Step::Days(14) => {
                // Weeks start on Monday.
                let back = i64::from(day.weekday().num_days_from_monday());
                up(midnight(day) - Duration::days(back))
            }
            Step::Days(_) => up(midnight(day)),
            Step::Months(m) => {
                let month0 = (day.month0() / m) * m;
                let d = NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).expect("month start");
                up(midnight(d))
            }
            Step::Years(y) => {
                let year = day.year() - day.year().rem_euclid(y as i32);
                let d = NaiveDate::from_ymd_opt(year, 1, 1).expect("year start");
                up(midnight(d))
            }
        }
    }

    fn next(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Step::Minutes(m) => t + Duration::minutes(i64::from(m)),
            Step::Hours(h) => t + Duration::hours(i64::from(h)),
            Step::Days(d) => t + Duration::days(i64::from(d)),
            Step::Months(m) => add_months(t, m),
            Step::Years(y) => add_months(t, 12 * y),
        }
    }
}

fn add_months(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    let d = t.date_naive();
    let total = d.year() * 12 + d.month0() as i32 + months as i32;
    let nd = NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .expect("month start");
    Utc.from_utc_datetime(&nd.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// One tick: its time and its label (one or two lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tick {
    pub at: DateTime<Utc>,
    pub line1: String,
    pub line2: Option<String>,
}

#[cfg(test)]
impl Tick {
    /// The whole label.
    pub fn label(&self) -> String {
        match &self.line2 {
            Some(l2) => format!("{} {l2}", self.line1),
            None => self.line1.clone(),
        }
    }
}

/// Calendar ticks over `f`, at most `max` of them, and a caption for what the labels leave
/// out (the date or the year, when it is the same for every tick). Labels are distinct.
pub(crate) fn ticks(f: Focus, max: usize) -> (Vec<Tick>, String) {
    let max = max.max(2);
    let mut chosen: Vec<DateTime<Utc>> = Vec::new();
    let mut step = Step::Years(50);
    for s in STEPS {
        let mut v = Vec::new();
        let mut t = s.first(f.from);
        while t <= f.to && v.len() <= max {
            v.push(t);
            t = s.next(t);
        }
        if v.len() <= max {
            chosen = v;
            step = s;
            break;
        }
    }
    if chosen.is_empty() {
        // A span shorter than any step holds no tick: label its ends.
        chosen = vec![f.from];
        step = Step::Minutes(1);
    }
    let same_day = f.from.date_naive() == f.to.date_naive();
    let same_year = f.from.year() == f.to.year();
    let caption = match step {
        Step::Minutes(_) | Step::Hours(_) if same_day => {
            format!("UTC, {}", f.from.format("%b %d %Y"))
        }
        Step::Minutes(_) | Step::Hours(_) | Step::Days(_) if same_year => {
            format!("UTC, {}", f.from.format("%Y"))
        }
        _ => "UTC".to_string(),
    };
    let ticks = chosen
        .into_iter()
        .map(|at| {
            let (line1, line2) = match step {
                Step::Minutes(_) | Step::Hours(_) if same_day => {
                    (at.format("%H:%M").to_string(), None)
                }
                Step::Minutes(_) | Step::Hours(_) if same_year => (
                    at.format("%H:%M").to_string(),
                    Some(at.format("%b %d").to_string()),
                ),
                Step::Minutes(_) | Step::Hours(_) => (
                    at.format("%H:%M").to_string(),
                    Some(at.format("%b %d %Y").to_string()),
                ),
                Step::Days(_) if same_year => (at.format("%b %d").to_string(), None),
                Step::Days(_) => (
                    at.format("%b %d").to_string(),
                    Some(at.format("%Y").to_string()),
                ),
                Step::Months(_) => (at.format("%b %Y").to_string(), None),
                Step::Years(_) => (at.format("%Y").to_string(), None),
            };
            Tick { at, line1, line2 }
        })
        .collect();
    (ticks, caption)
}

/// A short date for off-scale markers: precise enough to tell the outlier apart.
pub(crate) fn short_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn outliers_years_away_do_not_stretch_the_axis() {
        let primary = [
            t("2021-03-03T02:40:00Z"),
            t("2021-03-04T10:00:00Z"),
            t("2021-03-08T09:00:00Z"),
            t("2026-11-20T12:00:00Z"), // a file time after a fresh checkout
        ];
        let context = [
            t("2021-03-01T00:00:00Z"),
            t("2021-03-10T23:59:00Z"),
            t("2019-01-01T00:00:00Z"),
        ];
        let f = focus(&primary, &context).unwrap();
        assert!(
            f.from > t("2021-02-28T00:00:00Z") && f.from < t("2021-03-01T00:00:01Z"),
            "{f:?}"
        );
        assert!(
            f.to > t("2021-03-10T23:00:00Z") && f.to < t("2021-03-12T00:00:00Z"),
            "{f:?}"
        );
        // Both ends can be outliers; a close pair is not.
        let f = focus(
            &[
                t("2009-06-01T00:00:00Z"),
                t("2021-03-03T00:00:00Z"),
                t("2021-03-03T05:00:00Z"),
            ],
            &[],
        )
        .unwrap();
        assert!(f.from > t("2021-03-02T00:00:00Z"), "{f:?}");
        let f = focus(&[t("2021-03-03T00:00:00Z"), t("2021-03-04T00:00:00Z")], &[]).unwrap();
        assert!(f.to > t("2021-03-04T00:00:00Z"));
    }

    #[test]
    fn ticks_are_calendar_aligned_distinct_and_few_at_every_span() {
        let start = t("2021-03-03T02:47:13Z");
        for (span, unit) in [
            (Duration::minutes(7), ":"),
            (Duration::minutes(50), ":"),
            (Duration::hours(5), ":"),
            (Duration::hours(30), ":"),
            (Duration::days(5), " "),
            (Duration::days(40), " "),
            (Duration::days(200), "20"),
            (Duration::days(3 * 365), "20"),
            (Duration::days(30 * 365), "20"),
        ] {
            let f = Focus {
                from: start,
                to: start + span,
            };
            let (ticks, caption) = super::ticks(f, 9);
            assert!(ticks.len() >= 2 && ticks.len() <= 9, "{span:?}: {ticks:?}");
            let labels: Vec<String> = ticks.iter().map(Tick::label).collect();
            let mut distinct = labels.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), labels.len(), "{span:?}: {labels:?}");
            assert!(labels[0].contains(unit), "{span:?}: {labels:?}");
            assert!(ticks.iter().all(|k| k.at >= f.from && k.at <= f.to));
            assert!(caption.starts_with("UTC"));
        }
        // A multi-year span: one label per year, never "Dec 19, Dec 19".
        let f = Focus {
            from: t("2019-12-19T00:00:00Z"),
            to: t("2026-12-19T00:00:00Z"),
        };
        let (ticks, _) = super::ticks(f, 9);
        let labels: Vec<String> = ticks.iter().map(Tick::label).collect();
        assert_eq!(
            labels,
            ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]
        );
        // Months: the month and the year.
        let f = Focus {
            from: t("2020-11-19T00:00:00Z"),
            to: t("2021-04-02T00:00:00Z"),
        };
        let (ticks, _) = super::ticks(f, 6);
        assert_eq!(ticks[0].label(), "Dec 2020");
        assert_eq!(ticks[1].label(), "Jan 2021");
    }
}
