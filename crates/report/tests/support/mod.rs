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
        org: None,
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
        interrupted: None,
        progress: vec![],
        build_seconds: None,
        access: Default::default(),
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
    // Mail access and shell actors carry logged text too: mailbox names, user agents, paths.
    let host = r.hosts[0].name.clone();
    for (i, p) in HOSTILE.iter().enumerate() {
        r.access.data_access.push(exhunt_core::access::DataAccess {
            host: host.clone(),
            mailbox: Some(format!("victim{i}@contoso.com{p}")),
            scope: exhunt_core::access::MailboxScope::Named,
            also_logged_as: vec![format!("CONTOSO\\v{i}{p}")],
            method: "OWA session".into(),
            first: Some(base),
            last: Some(base + Duration::minutes(5)),
            requests: 3,
            unit: "requests".into(),
            bytes: Some(1000 + i as u64),
            size_on_disk: None,
            client_ips: vec![format!("203.0.113.{i}{p}")],
            story: Some(1),
            evidence: vec![exhunt_core::access::EvidenceRef {
                path: format!("C/u_ex210303{p}.log"),
                line: Some(3),
                record_id: None,
                rule_id: None,
            }],
            evidence_total: 1,
            details: vec![format!("to \\\\EX01\\C$\\{p}.pst")],
        });
        r.access.shell_use.push(exhunt_core::access::ShellActor {
            host: host.clone(),
            shell: format!("/aspnet_client/{p}.aspx"),
            actor: 1,
            role: exhunt_core::access::ActorRole::Use,
            client_ips: vec![format!("198.51.100.{i}{p}")],
            user_agents: vec![p.to_string()],
            clients: vec!["unidentified client".into()],
            methods: BTreeMap::from([("POST".to_string(), 2)]),
            statuses: BTreeMap::from([(format!("200{p}"), 2)]),
            first: Some(base),
            last: Some(base),
            requests: 2,
            story: Some(1),
            evidence: vec![],
            evidence_total: 2,
        });
    }
    r.stories[0].actors.push(format!("actor {}", HOSTILE[0]));
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

/// A report whose file times are years after its log times (a fresh checkout, a copier that
/// did not keep times, timestomping): log findings over five days of March 2021, web-shell
/// files modified in November 2026, event logs reaching back to 2019, and key moments minutes
/// apart; client addresses include long IPv6 ones and files carry SHA-256 hashes.
pub fn far_file_times_report() -> ScanReport {
    let attempt = rule(
        "EXH-PL-001",
        "ProxyLogon SSRF attempt",
        Severity::Medium,
        Stage::Exploitation,
    );
    let exploit = rule(
        "EXH-PL-004",
        "ProxyLogon file write",
        Severity::Critical,
        Stage::Exploitation,
    );
    let shell = rule(
        "EXH-WS-001",
        "Web-shell access",
        Severity::High,
        Stage::Backdoor,
    );
    let on_disk = rule(
        "EXH-FN-001",
        "Server-side page under aspnet_client",
        Severity::High,
        Stage::Backdoor,
    );
    let ips = [
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "203.0.113.250",
        "2001:0db8:0000:0042:0000:8a2e:0370:beef",
    ];
    let base = t("2021-03-03T02:40:00Z");
    let mut out = Vec::new();
    for i in 0..40i64 {
        let (r, ts) = match i {
            0 => (&attempt, base),
            1 => (&exploit, base + Duration::minutes(4)),
            2 => (&shell, base + Duration::minutes(9)),
            _ => (
                if i % 2 == 0 { &shell } else { &attempt },
                base + Duration::hours(3 * i),
            ),
        };
        let ip = ips[i as usize % ips.len()];
        out.push(finding(
            r,
            "EX01",
            Some(ts),
            "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
            10 + i as u64,
            Some(ip),
            Some("/aspnet_client/system_web/KZsqDfnb.aspx"),
            &format!("2021-03-03 POST /aspnet_client/system_web/KZsqDfnb.aspx - 443 - {ip} - 200"),
        ));
    }
    for (n, name) in ["KZsqDfnb.aspx", "supp0rt.aspx"].iter().enumerate() {
        let mut f = finding(
            &on_disk,
            "EX01",
            Some(t("2026-11-20T09:12:00Z") + Duration::minutes(n as i64)),
            &format!("C/inetpub/wwwroot/aspnet_client/system_web/{name}"),
            0,
            None,
            Some(&format!("/aspnet_client/system_web/{name}")),
            &format!("name/location: /inetpub/wwwroot/aspnet_client/system_web/{name}"),
        );
        f.source = SourceKind::Files;
        f.location = Location::File;
        f.extra.insert(
            "sha256".into(),
            serde_json::json!("9f2b5a0c4d3e8f7a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a"),
        );
        out.push(f);
    }
    let mut r = report_of(out);
    let h = &mut r.hosts[0];
    let mut iis = SourceCoverage {
        files: 10,
        bytes: 12_345_678,
        lines: 90_000,
        ..Default::default()
    };
    iis.include_time(t("2021-03-01T00:00:03Z"));
    iis.include_time(t("2021-03-10T23:59:58Z"));
    let mut evtx = SourceCoverage {
        files: 7,
        bytes: 70_000_000,
        lines: 120_000,
        ..Default::default()
    };
    evtx.include_time(t("2019-01-12T08:00:00Z"));
    evtx.include_time(t("2021-03-10T23:00:00Z"));
    let mut files = SourceCoverage {
        files: 40,
        bytes: 400_000,
        ..Default::default()
    };
    files.include_time(t("2026-11-20T09:10:00Z"));
    files.include_time(t("2026-11-20T09:20:00Z"));
    h.coverage = BTreeMap::from([
        (SourceKind::Iis, iis),
        (SourceKind::Evtx, evtx),
        (SourceKind::Files, files),
    ]);
    h.missing_sources = vec![SourceKind::Ecp, SourceKind::Oab];
    r
}

/// A fleet of two servers in two organisations whose names, addresses, user agents, paths and
/// evidence are hostile payloads, tied by shared hostile indicators into a cluster.
pub fn hostile_fleet() -> exhunt_fleet::Fleet {
    use exhunt_fleet::{FleetBuilder, FleetOptions};
    let mut b = FleetBuilder::new(FleetOptions {
        keep_examples: true,
        ..Default::default()
    });
    for (org, host) in [
        (
            "<script>document.title='PWNED-O'</script>",
            "EX01\"><img src=x onerror=alert(1)>",
        ),
        (
            "org'><svg onload=document.title='PWNED-P'>",
            "EX02<iframe src=javascript:alert(2)>",
        ),
    ] {
        let mut r = hostile_report();
        r.org = Some(org.to_string());
        for f in &mut r.findings {
            f.host = host.to_string();
            f.client_ip = Some("203.0.113.66".into());
        }
        for s in &mut r.stories {
            s.host = host.to_string();
        }
        r.hosts[0].name = host.to_string();
        for d in exhunt_fleet::from_report::digests(&r, true) {
            b.add(d);
        }
    }
    b.finish()
}
