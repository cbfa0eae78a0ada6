//! How rules are named for people: community Sigma rules by their title, author and reference
//! (their UUID only in JSONL and the HTML body), and one request seen in IIS and in HttpProxy
//! (same request id) counted once.

mod support;

use std::sync::Arc;

use exhunt_core::rules::RuleMeta;
use exhunt_core::{ScanReport, Severity, Stage};
use exhunt_report::{ConsoleWriter, HtmlWriter, JsonlWriter, ReportWriter};
use support::*;

fn sigma_rule() -> Arc<RuleMeta> {
    let mut m = (*rule(
        "SIGMA-0b1a5c2e-7e0d-4f0b-9a57-2c7c3fd9e001",
        "Shell Spawned By The IIS Worker",
        Severity::High,
        Stage::PostExploitation,
    ))
    .clone();
    m.author = Some("Jane Analyst (Example Corp)".into());
    m.references = vec!["https://example.org/sigma-rule-source".into()];
    Arc::new(m)
}

fn report() -> ScanReport {
    let sigma = sigma_rule();
    let shell = rule(
        "EXH-WS-002",
        "Web-shell access — non-stock page under /owa/auth",
        Severity::High,
        Stage::Backdoor,
    );
    let at = t("2021-03-03T02:47:10Z");
    let mut s = finding(
        &sigma,
        "EX01",
        Some(at),
        "C/Windows/System32/winevt/Logs/Security.evtx",
        1,
        None,
        None,
        "Security 4688 record 7",
    );
    s.location = exhunt_core::model::Location::Record { record_id: 7 };
    // One request, recorded by IIS and by the OWA HttpProxy log, and a second request.
    let mut iis = finding(
        &shell,
        "EX01",
        Some(at),
        "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        24,
        Some("203.0.113.7"),
        Some("/owa/auth/x.aspx"),
        "POST /owa/auth/x.aspx",
    );
    iis.request_id = Some("8a1b2c3d-0000-4000-8000-000000000001".into());
    let mut hp = finding(
        &shell,
        "EX01",
        Some(at),
        "C/Exchange/V15/Logging/HttpProxy/Owa/HttpProxy_2021030302-1.LOG",
        8,
        Some("203.0.113.7"),
        Some("/owa/auth/x.aspx"),
        "2021-03-03T02:47:10Z,8a1b2c3d-0000-4000-8000-000000000001,…",
    );
    hp.request_id = iis.request_id.clone();
    hp.source = exhunt_core::SourceKind::HttpProxy;
    let mut other = finding(
        &shell,
        "EX01",
        Some(at),
        "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        31,
        Some("203.0.113.7"),
        Some("/owa/auth/x.aspx"),
        "POST /owa/auth/x.aspx",
    );
    other.request_id = Some("8a1b2c3d-0000-4000-8000-000000000002".into());
    report_of(vec![s, iis, hp, other])
}

fn console(r: &ScanReport) -> String {
    let mut w = ConsoleWriter::new(Vec::new(), false);
    w.write_report(r).unwrap();
    String::from_utf8(w.into_inner()).unwrap()
}

#[test]
fn sigma_rules_show_title_author_and_reference_not_their_uuid() {
    let r = report();
    let c = console(&r);
    assert!(c.contains("Sigma Shell Spawned By The IIS Worker"), "{c}");
    assert!(
        c.contains("by Jane Analyst (Example Corp); see https://example.org/sigma-rule-source"),
        "{c}"
    );
    let block_start = c.find("Sigma Shell Spawned").unwrap();
    let block = &c[block_start..block_start + 300.min(c.len() - block_start)];
    assert!(
        !block.contains("0b1a5c2e-7e0d"),
        "the UUID is for machines: {block}"
    );

    let mut h = HtmlWriter::new(Vec::new());
    h.write_report(&r).unwrap();
    let h = String::from_utf8(h.into_inner()).unwrap();
    assert!(h.contains("<span class=\"mono\">Sigma</span> Shell Spawned By The IIS Worker"));
    assert!(h.contains("<dt>Author</dt><dd>Jane Analyst (Example Corp)</dd>"));
    assert!(h.contains(
        "<dt>Rule id</dt><dd class=\"mono small\">SIGMA-0b1a5c2e-7e0d-4f0b-9a57-2c7c3fd9e001</dd>"
    ));

    // JSONL keeps the id, and names the author.
    let mut j = JsonlWriter::new(Vec::new());
    j.write_report(&r).unwrap();
    let j = String::from_utf8(j.into_inner()).unwrap();
    let line = j
        .lines()
        .find(|l| l.contains("\"SIGMA-0b1a5c2e-7e0d-4f0b-9a57-2c7c3fd9e001\""))
        .expect("the Sigma finding in JSONL");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["rule_id"], "SIGMA-0b1a5c2e-7e0d-4f0b-9a57-2c7c3fd9e001");
    assert_eq!(v["author"], "Jane Analyst (Example Corp)");
}

#[test]
fn a_request_seen_in_iis_and_httpproxy_counts_once() {
    let r = report();
    let c = console(&r);
    assert!(
        c.contains("2× ")
            && c.contains("(3 log lines: the same request in IIS and HttpProxy counts once)"),
        "{c}"
    );
    assert!(c.contains("BACKDOOR (2 findings)"), "{c}");
    let mut h = HtmlWriter::new(Vec::new());
    h.write_report(&r).unwrap();
    let h = String::from_utf8(h.into_inner()).unwrap();
    assert!(h.contains("2× (3 log lines: one request in IIS and HttpProxy counts once)"));
}
