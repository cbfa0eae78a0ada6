//! Timesketch CSV: the required columns, the finding's fields, and the order.

mod support;

use chrono::Duration;
use exhunt_core::{ScanReport, Severity, Stage};
use exhunt_report::timeline::{COLUMNS, UNTIMED_DESC};
use exhunt_report::ReportWriter;
use exhunt_report::TimelineCsvWriter;
use support::*;

fn csv_of(r: &ScanReport) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut w = TimelineCsvWriter::new(Vec::new());
    w.write_report(r).unwrap();
    let bytes = w.into_inner().unwrap();
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let head = rd.headers().unwrap().iter().map(String::from).collect();
    let rows = rd.records().map(|x| x.unwrap()).collect();
    (head, rows)
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn has_timesketch_columns_first_and_the_finding_fields() {
    let (head, _) = csv_of(&report_of(vec![]));
    assert_eq!(&head[..3], ["message", "datetime", "timestamp_desc"]);
    for c in [
        "rule_id",
        "title",
        "severity",
        "stage",
        "cves",
        "host",
        "path",
        "line",
        "record_id",
        "client_ip",
        "story",
        "evidence",
        "attack",
        "campaign_tags",
        "key_moment",
    ] {
        assert!(head.iter().any(|h| h == c), "missing {c}");
    }
    assert_eq!(head, COLUMNS);
}

#[test]
fn rows_are_in_time_order_untimed_last() {
    let a = rule("EXH-A", "A", Severity::High, Stage::Backdoor);
    let b = rule("EXH-B", "B", Severity::Critical, Stage::Exploitation);
    let t0 = t("2021-03-03T02:41:27Z");
    let findings = vec![
        finding(
            &a,
            "EX02",
            Some(t0 + Duration::hours(5)),
            "x.log",
            9,
            Some("203.0.113.77"),
            Some("/a.aspx"),
            "late",
        ),
        finding(&a, "EX01", None, "C/shell.aspx", 0, None, None, "no time"),
        finding(
            &b,
            "EX01",
            Some(t0),
            "u_ex210303.log",
            14,
            Some("203.0.113.77"),
            Some("/ecp/y.js"),
            "first",
        ),
        finding(
            &a,
            "EX01",
            Some(t0 + Duration::minutes(6)),
            "u_ex210303.log",
            20,
            Some("203.0.113.77"),
            Some("/aspnet_client/KZsqDfnb.aspx"),
            "shell, with \"quotes\", commas\nand a newline",
        ),
    ];
    let (head, rows) = csv_of(&report_of(findings));
    let ev: Vec<&str> = rows.iter().map(|r| &r[col(&head, "evidence")]).collect();
    assert_eq!(
        ev,
        [
            "first",
            "shell, with \"quotes\", commas\nand a newline",
            "late",
            "no time"
        ]
    );
    let dt: Vec<&str> = rows.iter().map(|r| &r[col(&head, "datetime")]).collect();
    assert_eq!(dt[0], "2021-03-03T02:41:27Z");
    assert!(
        chrono::DateTime::parse_from_rfc3339(dt[3]).is_ok(),
        "untimed rows still have an ISO time"
    );
    assert_eq!(dt[3], "2021-04-01T10:00:00Z", "the scan start");
    assert_eq!(&rows[3][col(&head, "timestamp_desc")], UNTIMED_DESC);
    assert_eq!(&rows[3][col(&head, "time_known")], "false");
    assert_eq!(&rows[0][col(&head, "timestamp_desc")], "Log Entry Time");
    assert_eq!(&rows[0][col(&head, "timestamp")], "1614739287000000");
    // Finding fields.
    let r0 = &rows[0];
    assert_eq!(&r0[col(&head, "rule_id")], "EXH-B");
    assert_eq!(&r0[col(&head, "severity")], "critical");
    assert_eq!(&r0[col(&head, "stage")], "exploitation");
    assert_eq!(&r0[col(&head, "cves")], "CVE-2021-26855");
    assert_eq!(&r0[col(&head, "line")], "14");
    assert_eq!(&r0[col(&head, "client_ip")], "203.0.113.77");
    assert_eq!(&r0[col(&head, "host")], "EX01");
    assert!(!r0[col(&head, "story")].is_empty());
    assert!(
        r0[col(&head, "message")].contains("[CRITICAL] EXH-B: B — from 203.0.113.77 to /ecp/y.js")
    );
    // Key moments on the host's timeline.
    assert!(r0[col(&head, "key_moment")].contains("first exploitation"));
    assert!(rows[1][col(&head, "key_moment")].contains("first backdoor access"));
}

#[test]
fn demo_timeline_is_sorted_and_complete() {
    let r = demo_report();
    let (head, rows) = csv_of(&r);
    assert_eq!(rows.len(), r.findings.len());
    let dt: Vec<String> = rows
        .iter()
        .map(|x| x[col(&head, "datetime")].to_string())
        .collect();
    let parsed: Vec<_> = dt
        .iter()
        .map(|d| chrono::DateTime::parse_from_rfc3339(d).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "not in time order");
    let moments: Vec<&str> = rows
        .iter()
        .map(|x| &x[col(&head, "key_moment")])
        .filter(|m| !m.is_empty())
        .collect();
    assert!(
        moments.iter().any(|m| m.contains("first exploitation")),
        "{moments:?}"
    );
    assert!(moments.iter().any(|m| m.contains("first backdoor access")));
    assert!(moments.iter().any(|m| m.contains("last activity")));
    let out = target_dir().join("report-timeline.csv");
    let mut w = TimelineCsvWriter::new(std::fs::File::create(&out).unwrap());
    w.write_report(&r).unwrap();
}

#[test]
fn spreadsheet_formulas_are_defused() {
    let a = rule("EXH-A", "A", Severity::High, Stage::Backdoor);
    let f = finding(
        &a,
        "EX01",
        Some(t("2021-03-03T00:00:00Z")),
        "x.log",
        1,
        None,
        Some("=HYPERLINK(\"http://x\")"),
        "=cmd|' /C calc'!A0",
    );
    let (head, rows) = csv_of(&report_of(vec![f]));
    assert_eq!(&rows[0][col(&head, "evidence")], "'=cmd|' /C calc'!A0");
    assert!(rows[0][col(&head, "url_path")].starts_with("'="));
}
