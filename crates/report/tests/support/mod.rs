//! Reports for the tests: the demo evidence scanned for real, hostile evidence, and large
//! synthetic scans.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use exhunt_core::correlate::{build_stories, verdict};
use exhunt_core::model::{Location, Outcome, SourceCoverage};
use exhunt_core::rules::RuleMeta;
use exhunt_core::scan::HostReport;
use exhunt_core::{
    Finding, RuleSet, RuleSources, ScanConfig, ScanReport, Severity, SourceKind, Stage,
};

/// The workspace root.
pub fn workspace() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    p.canonicalize().unwrap_or(p)
}

/// The workspace `target/` folder (CI keeps artefacts there).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// A real scan of the demo evidence of the compromised server.
pub fn demo_report() -> ScanReport {
    let rules = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    assert!(!rules.has_errors(), "{:?}", rules.diagnostics);
    let config = ScanConfig::new(workspace().join("examples/compromised-ex2016"));
    exhunt_core::scan(&config, &rules).expect("scan of the demo evidence")
}

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn rule(id: &str, title: &str, severity: Severity, stage: Stage) -> Arc<RuleMeta> {
    Arc::new(RuleMeta {
        id: id.into(),
        title: title.into(),
        description: format!("Detects {title}."),
        severity,
        stage,
        cves: vec!["CVE-2021-26855".into()],
        tags: vec!["ProxyLogon".into()],
        attack: vec!["T1190".into()],
        author: None,
        references: vec!["https://example.org/advisory".into()],
        remediation: "Patch and hunt.".into(),
        origin: "test".into(),
        escalate_on_intrusion: None,
    })
}

/// A finding with the usual fields set.
#[allow(clippy::too_many_arguments)]
pub fn finding(
    rule: &Arc<RuleMeta>,
    host: &str,
    ts: Option<DateTime<Utc>>,
    path: &str,
    line: u64,
    ip: Option<&str>,
    url: Option<&str>,
    evidence: &str,
) -> Finding {
    Finding {
        rule: rule.clone(),
        severity: rule.severity,
        host: host.into(),
        source: SourceKind::Iis,
        path: path.into(),
        location: Location::Line { line },
        timestamp: ts,
        client_ip: ip.map(String::from),
        request_id: None,
        url_path: url.map(String::from),
        outcome: Outcome::Success,
        notes: vec![],
        fields: BTreeMap::new(),
        evidence: evidence.into(),
        story: None,
        extra: BTreeMap::new(),
    }
}

/// Wrap findings in a report the way the scan does: sorted, stories built, hosts summarised.
pub fn report_of(mut findings: Vec<Finding>) -> ScanReport {
    findings.sort_by(|a, b| {
        (&a.host, a.timestamp, &a.path, a.line()).cmp(&(&b.host, b.timestamp, &b.path, b.line()))
    });
    let stories = build_stories(&mut findings);
    let mut names: Vec<String> = findings.iter().map(|f| f.host.clone()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        names.push("EX01".into());
    }
    let hosts = names
        .iter()
        .map(|name| {
            let mine: Vec<&Finding> = findings.iter().filter(|f| &f.host == name).collect();
            let (level, reason) = verdict(mine.iter().copied());
            let mut cov = SourceCoverage {
                files: 3,
                bytes: 123_456,
                lines: 4_000,
                ..Default::default()
            };
            for f in &mine {
                if let Some(t) = f.timestamp {
                    cov.include_time(t);
                }
            }
            let mut by_sev = BTreeMap::new();
            for f in &mine {
                *by_sev.entry(f.severity).or_insert(0) += 1;
            }
            HostReport {
                name: name.clone(),
                verdict: level,
                reason,
                coverage: BTreeMap::from([(SourceKind::Iis, cov)]),
                missing_sources: vec![SourceKind::Ecp],
                exchange_installs: vec![],
                system_roots: vec![],
                findings_by_severity: by_sev,
            }
        })
        .collect();
    ScanReport {
        root: "/evidence/test".into(),
        version: "test",
        started: t("2021-04-01T10:00:00Z"),
        finished: t("2021-04-01T10:05:00Z"),
        hosts,
        findings,
        stories,
        issues: vec![],
        issues_not_listed: 0,
        suppressed: vec![],
        rule_diagnostics: vec![],
        rules_loaded: 3,
        filtered_out: 0,
    }
}

/// Payloads an attacker can put into logged fields.
pub const HOSTILE: [&str; 8] = [
    "<script>document.title='PWNED-1';document.body.insertAdjacentHTML('beforeend','<div id=pwned1>x</div>')</script>",
    "\"><img src=x onerror=\"document.title='PWNED-2';document.body.appendChild(document.createElement('blink')).id='pwned2'\">",
    "javascript:document.title='PWNED-3'",
    "'><svg onload=document.title='PWNED-4'>",
    "</pre></td></tr></table></details><script>document.title='PWNED-5'</script>",
    "<iframe src=\"javascript:parent.document.title='PWNED-6'\"></iframe><meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<style>body{display:none}</style><link rel=stylesheet href=http://203.0.113.9/x.css><base href=\"http://203.0.113.9/\">",
    "ctl:\u{1b}[31mred\u{0}\u{7}\r\u{202E}gpj.exe\u{200B}",
];

/// A report whose every attacker-controlled field carries hostile payloads, plus a very long
/// line and bytes that were not UTF-8.
pub fn hostile_report() -> ScanReport {
    let shell = rule(
        "EXH-WS-001",
        "Web-shell access",
        Severity::High,
        Stage::Backdoor,
    );
    let exploit = rule(
        "EXH-PL-004",
        "ProxyLogon file write",
        Severity::Critical,
        Stage::Exploitation,
    );
    let base = t("2021-03-03T02:40:00Z");
    let mut out = Vec::new();
    for (i, p) in HOSTILE.iter().enumerate() {
        let mut f = finding(
            if i % 2 == 0 { &exploit } else { &shell },
            "EX01",
            Some(base + Duration::minutes(i as i64 * 7)),
            &format!("C/inetpub/logs/LogFiles/W3SVC1/u_ex210303{p}.log"),
            10 + i as u64,
            Some(&format!("203.0.113.{i}{p}")),
            Some(&format!("/aspnet_client/{p}.aspx")),
            &format!("2021-03-03 02:47:10 POST /ecp/y.js {p} 200 UA={p}"),
        );
        f.notes.push(format!("note {p}"));
        f.fields.insert("cs(User-Agent)".into(), p.to_string());
        f.request_id = Some(format!("req-{i}{p}"));
        out.push(f);
    }
    let long = format!("GET /owa/{} 200", "A".repeat(200_000));
    out.push(finding(
        &shell,
        "EX01",
        Some(base + Duration::hours(2)),
        "C/long.log",
        1,
        Some("198.51.100.23"),
        Some("/owa/auth/x.aspx"),
        &long,
    ));
    let lossy = String::from_utf8_lossy(b"POST /owa/auth/\xff\xfe\xc3(.aspx \x1b]0;title\x07 200")
        .into_owned();
    out.push(finding(
        &shell,
        "EX01",
        Some(base + Duration::hours(3)),
        "C/bytes.log",
        2,
        Some("198.51.100.23"),
        Some("/owa/auth/x.aspx"),
        &lossy,
    ));
    let mut r = report_of(out);
    r.hosts[0]
        .reason
        .push_str(" <script>document.title='PWNED-R'</script>");
    r.root = "/evidence/<img src=x onerror=alert(1)>".into();
    r
}

/// `n` synthetic findings over `rules` rules, 4 KB of evidence each, over 10 days and 200
/// client addresses.
pub fn big_report(n: usize, rules: usize) -> ScanReport {
    let stages = [
        Stage::Exploitation,
        Stage::Backdoor,
        Stage::PostExploitation,
        Stage::Exposure,
    ];
    let sevs = [
        Severity::High,
        Severity::Medium,
        Severity::Critical,
        Severity::Low,
    ];
    let metas: Vec<_> = (0..rules)
        .map(|i| {
            rule(
                &format!("EXH-SYN-{i:03}"),
                &format!("Synthetic rule {i}"),
                sevs[i % 4],
                stages[i % 4],
            )
        })
        .collect();
    let start = Utc.with_ymd_and_hms(2021, 3, 1, 0, 0, 0).unwrap();
    let ev = "X".repeat(4000);
    let findings = (0..n)
        .map(|i| {
            finding(
                &metas[i % rules],
                "EX01",
                Some(start + Duration::seconds((i as i64 * 43) % (10 * 86400))),
                &format!(
                    "C/inetpub/logs/LogFiles/W3SVC1/u_ex2103{:02}.log",
                    1 + i % 10
                ),
                i as u64 + 1,
                Some(&format!("198.51.100.{}", i % 200)),
                Some(&format!("/aspnet_client/shell{}.aspx", i % 7)),
                &format!("{i} {ev}"),
            )
        })
        .collect();
    report_of(findings)
}
