//! An interrupted scan's report says so in every format, with how far the scan got; evidence
//! found but not readable is never called "not found".

mod support;

use exhunt_core::cancel::Work;
use exhunt_core::model::SourceCoverage;
use exhunt_core::scan::HunterProgress;
use exhunt_core::SourceKind;
use exhunt_report::{ConsoleWriter, HtmlWriter, JsonlWriter, ReportWriter};
use support::*;

fn interrupted() -> exhunt_core::ScanReport {
    let mut r = hostile_report();
    r.interrupted =
        Some("interrupted (Ctrl-C or a termination signal) before every file was read".into());
    r.progress = vec![
        HunterProgress {
            hunter: "logs".into(),
            work: Work {
                files_found: 40,
                files_read: 12,
                files_partly_read: 2,
                bytes_found: 4_000,
                bytes_read: 1_000,
            },
            seconds: 3.5,
        },
        HunterProgress {
            hunter: "events".into(),
            work: Work {
                files_found: 7,
                ..Default::default()
            },
            seconds: 0.0,
        },
    ];
    r.hosts[0].coverage.insert(
        SourceKind::Evtx,
        SourceCoverage {
            unreadable: 1,
            ..Default::default()
        },
    );
    r
}

fn render(w: &mut dyn FnMut(&exhunt_core::ScanReport) -> Vec<u8>) -> String {
    String::from_utf8(w(&interrupted())).unwrap()
}

#[test]
fn every_format_says_the_scan_is_incomplete_and_how_far_it_got() {
    let console = render(&mut |r| {
        let mut out = Vec::new();
        ConsoleWriter::new(&mut out, false).write_report(r).unwrap();
        out
    });
    assert!(
        console.contains("INCOMPLETE SCAN — interrupted"),
        "{console}"
    );
    assert!(
        console.contains("logs: 12 of 40 file(s) read, 2 partly (25 % of the bytes)"),
        "{console}"
    );
    assert!(console.contains("events: 0 of 7 file(s) read"), "{console}");
    assert!(
        console.contains("found but not readable (1 file(s)"),
        "{console}"
    );

    let jsonl = render(&mut |r| {
        let mut out = Vec::new();
        JsonlWriter::new(&mut out).write_report(r).unwrap();
        out
    });
    let summary: serde_json::Value = serde_json::from_str(jsonl.lines().last().unwrap()).unwrap();
    assert_eq!(summary["incomplete"], true);
    assert_eq!(summary["progress"][0]["hunter"], "logs");
    assert_eq!(summary["progress"][0]["files_partly_read"], 2);
    assert_eq!(summary["hosts"][0]["coverage"]["evtx"]["unreadable"], 1);

    let html = render(&mut |r| {
        let mut out = Vec::new();
        HtmlWriter::new(&mut out).write_report(r).unwrap();
        out
    });
    assert!(html.contains("<meta name=\"exhunt-incomplete\" content=\"true\">"));
    assert!(html.contains("<title>INCOMPLETE — "));
    assert!(html.contains("id=\"incomplete\" data-incomplete=\"true\""));
    assert!(html.contains("found but not readable: 1 file(s)"));
}

#[test]
fn a_complete_scan_is_not_marked() {
    let r = hostile_report();
    let mut out = Vec::new();
    JsonlWriter::new(&mut out).write_report(&r).unwrap();
    let text = String::from_utf8(out).unwrap();
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["incomplete"], false);
    let mut out = Vec::new();
    HtmlWriter::new(&mut out).write_report(&r).unwrap();
    let html = String::from_utf8(out).unwrap();
    assert!(html.contains("<meta name=\"exhunt-incomplete\" content=\"false\">"));
    assert!(!html.contains("INCOMPLETE"));
}
