//! Reading real-format log files through the engine: header changes, encodings, quoting and
//! every kind of damaged input. Each test writes its own evidence file.

use std::path::Path;

use exhunt_core::detect::{FileScan, LogEngine, LogScanOptions};
use exhunt_core::discover::LogFile;
use exhunt_core::model::Outcome;
use exhunt_core::{RuleSet, RuleSources, Severity, SourceKind};

const IIS_HEADER: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";

fn benign_iis(n: usize) -> String {
    (0..n)
        .map(|i| format!("2021-03-03 01:{:02}:{:02} 10.0.0.5 GET /owa/auth/logon.aspx replaceCurrent=1 443 - 10.10.2.{} Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15\n", (i / 60) % 60, i % 60, i % 250))
        .collect()
}

const SHELL_POST: &str = "2021-03-03 02:47:10 10.0.0.5 POST /aspnet_client/system_web/KZsqDfnb.aspx - 443 - 203.0.113.77 antSword/v2.1 - 200 0 0 163";

fn embedded() -> RuleSet {
    let set = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    assert!(!set.has_errors());
    set
}

fn scan_bytes(
    kind: SourceKind,
    name: &str,
    bytes: &[u8],
    rules: &RuleSet,
    opts: LogScanOptions,
) -> FileScan {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    scan_path(kind, &path, rules, opts)
}

fn scan_path(kind: SourceKind, path: &Path, rules: &RuleSet, opts: LogScanOptions) -> FileScan {
    let engine = LogEngine::new(rules, opts);
    engine.scan_file(&LogFile {
        path: path.to_path_buf(),
        rel: path.file_name().unwrap().to_string_lossy().into_owned(),
        kind,
        size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        host: "EX01".into(),
    })
}

fn hits(scan: &FileScan) -> Vec<(String, u64)> {
    scan.findings
        .iter()
        .map(|f| (f.rule.id.clone(), f.line().unwrap()))
        .collect()
}

#[test]
fn iis_fields_change_mid_file_and_crlf() {
    // After an IIS restart a new #Fields: adds cs-host, shifting every later column.
    let mut text = String::from(IIS_HEADER);
    text.push_str(&benign_iis(3)); // lines 5-7
    text.push_str(SHELL_POST); // line 8
    text.push('\n');
    text.push_str("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-05 00:00:00\n"); // 9-11
    text.push_str("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query cs-host s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"); // 12
    text.push_str("2021-03-05 09:00:00 10.0.0.5 POST /aspnet_client/system_web/KZsqDfnb.aspx - mail.contoso.com 443 - 198.51.100.23 Mozilla/5.0+(compatible;+Googlebot/2.1) - 404 0 0 10\n"); // 13
    let crlf = text.replace('\n', "\r\n");
    let scan = scan_bytes(
        SourceKind::Iis,
        "u_ex210303.log",
        crlf.as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let h = hits(&scan);
    assert!(h.contains(&("EXH-WS-001".into(), 8)), "{h:?}");
    assert!(h.contains(&("EXH-WS-001".into(), 13)), "{h:?}");
    let late = scan
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-WS-001" && f.line() == Some(13))
        .unwrap();
    // Columns were read with the second header: client and status are right.
    assert_eq!(late.client_ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(
        late.outcome,
        Outcome::Failure,
        "404 means the shell was not there"
    );
    assert_eq!(late.severity, Severity::Medium);
    assert_eq!(
        late.timestamp.unwrap().to_rfc3339(),
        "2021-03-05T09:00:00+00:00"
    );
    let early = scan
        .findings
        .iter()
        .find(|f| f.line() == Some(8) && f.rule.id == "EXH-WS-001")
        .unwrap();
    assert_eq!(early.outcome, Outcome::Success);
    assert!(!early.evidence.ends_with('\r'));
    assert!(scan.issues.is_empty(), "{:?}", scan.issues);
    assert_eq!(scan.coverage.lines, 13);
    assert_eq!(
        scan.coverage.first.unwrap().to_rfc3339(),
        "2021-03-03T01:00:00+00:00"
    );
    assert_eq!(
        scan.coverage.last.unwrap().to_rfc3339(),
        "2021-03-05T09:00:00+00:00"
    );
}

const HP_FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie";

fn hp_row(time: &str, anchor: &str, user: &str, ua: &str, status: &str) -> String {
    format!(
        "{time},8a1b2c3d-0000-4000-8000-00000000000{},15,1,2176,2,,Ecp,mail.contoso.com,/ecp/y.js,,,false,{user},,{anchor},{ua},203.0.113.77,EX01,{status},200,,POST,Proxy,ex01.contoso.local,Version 15.1 (Build 2176.2),Url,X-BEResource-Cookie,\n",
        status.len()
    )
}

#[test]
fn httpproxy_bom_bare_header_directives_and_quoting() {
    let mut text = String::from("\u{feff}");
    text.push_str(HP_FIELDS); // bare header, line 1
    text.push('\n');
    text.push_str("#Software: Microsoft Exchange Server\n#Version: 15.01.2176.002\n#Log-type: HttpProxy Logs\n#Date: 2021-03-03T02:00:00.000Z\n");
    text.push_str(&format!("#Fields: {HP_FIELDS}\n")); // line 6
    text.push_str(
        &hp_row(
            "2021-03-03T02:41:27.000Z",
            "SMTP:alice@contoso.local",
            "CONTOSO\\alice",
            "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)\"",
            "200",
        )
        .replace("/ecp/y.js", "/owa/"),
    ); // 7
    text.push_str(&hp_row(
        "2021-03-03T02:41:29.000Z",
        "\"ServerInfo~a]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#\"",
        "",
        "\"python-requests/2.25.1, \"\"x\"\"\"",
        "241",
    )); // 8
    text.push_str(&hp_row(
        "2021-03-03T02:41:30.000Z",
        "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#",
        "",
        "ExchangeServicesClient/0.0.0.0",
        "500",
    )); // 9
    let scan = scan_bytes(
        SourceKind::HttpProxy,
        "HttpProxy_2021030302-1.LOG",
        text.as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let h = hits(&scan);
    assert_eq!(
        h,
        vec![
            ("EXH-PL-001".to_string(), 8),
            ("EXH-PL-007".to_string(), 8),
            ("EXH-UA-001".to_string(), 8),
            ("EXH-PL-002".to_string(), 9),
            ("EXH-PL-007".to_string(), 9),
            ("EXH-UA-001".to_string(), 9),
        ]
    );
    let ssrf = &scan.findings[0];
    assert_eq!(ssrf.outcome, Outcome::Success);
    assert_eq!(ssrf.severity, Severity::High);
    assert_eq!(
        ssrf.fields["AnchorMailbox"],
        "ServerInfo~a]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#"
    );
    assert_eq!(ssrf.fields["UserAgent"], "python-requests/2.25.1, \"x\"");
    assert!(ssrf
        .notes
        .iter()
        .any(|n| n.contains("AuthenticatedUser is empty")));
    assert_eq!(
        ssrf.request_id.as_deref(),
        Some("8a1b2c3d-0000-4000-8000-000000000003")
    );
    assert!(scan.issues.is_empty(), "{:?}", scan.issues);
}

#[test]
fn malformed_and_truncated_lines_are_reported_with_line_numbers() {
    let mut text = format!("#Fields: {HP_FIELDS}\n");
    text.push_str(&hp_row(
        "2021-03-03T02:41:27.000Z",
        "SMTP:alice@contoso.local",
        "CONTOSO\\alice",
        "Outlook",
        "200",
    )); // 2
    text.push_str("2021-03-03T02:41:28.000Z,id,15,1,ServerInfo~a]@ex01:444/ecp/x.ecp?#\n"); // 3: short, but a candidate
    text.push_str(&hp_row(
        "2021-03-03T02:41:29.000Z",
        "SMTP:bob@contoso.local",
        "CONTOSO\\bob",
        "Outlook",
        "200",
    )); // 4
    text.push_str("2021-03-03T02:41:30.000Z,trunc,15,1,2176"); // 5: cut off, no newline
    let scan = scan_bytes(
        SourceKind::HttpProxy,
        "x.LOG",
        text.as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let issues: Vec<(String, Option<u64>)> = scan
        .issues
        .iter()
        .map(|i| (i.kind.clone(), i.line))
        .collect();
    assert!(
        issues.contains(&("malformed-line".into(), Some(3))),
        "{issues:?}"
    );
    assert!(
        issues.contains(&("malformed-line".into(), Some(5))),
        "{issues:?}"
    );
    assert!(
        issues.contains(&("truncated-line".into(), Some(5))),
        "{issues:?}"
    );
    assert_eq!(scan.coverage.lines, 5);
    assert_eq!(
        scan.coverage.last.unwrap().to_rfc3339(),
        "2021-03-03T02:41:30+00:00"
    );
}

#[test]
fn utf16_logs_are_transcoded_with_exact_line_numbers() {
    let mut text = String::from(IIS_HEADER);
    text.push_str(&benign_iis(5));
    text.push_str(SHELL_POST); // line 10
    text.push('\n');
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let scan = scan_bytes(
        SourceKind::Iis,
        "u16.log",
        &bytes,
        &embedded(),
        LogScanOptions::default(),
    );
    assert!(
        hits(&scan).contains(&("EXH-WS-001".into(), 10)),
        "{:?}",
        hits(&scan)
    );
    assert_eq!(scan.issues[0].kind, "utf16-transcoded");
}

#[test]
fn binary_junk_and_huge_lines_do_not_stop_the_scan() {
    let mut bytes = IIS_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(benign_iis(2).as_bytes()); // 5-6
    bytes.extend_from_slice(&[0u8; 300]); // 7: NUL run (crash-damaged log)
    bytes.push(b'\n');
    bytes.extend(std::iter::repeat_n(b'A', 5000)); // 8: huge line
    bytes.push(b'\n');
    bytes.extend_from_slice(SHELL_POST.as_bytes()); // 9
    bytes.push(b'\n');
    let opts = LogScanOptions {
        chunk: 256,
        max_line: 1024,
        ..Default::default()
    };
    let scan = scan_bytes(SourceKind::Iis, "junk.log", &bytes, &embedded(), opts);
    assert!(
        hits(&scan).contains(&("EXH-WS-001".into(), 9)),
        "{:?}",
        hits(&scan)
    );
    let kinds: Vec<(String, Option<u64>)> = scan
        .issues
        .iter()
        .map(|i| (i.kind.clone(), i.line))
        .collect();
    assert!(
        kinds.contains(&("binary-data".into(), Some(7))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("oversized-line".into(), Some(8))),
        "{kinds:?}"
    );
}

#[test]
fn small_chunks_give_the_same_findings_as_large_ones() {
    let mut text = String::from(IIS_HEADER);
    for i in 0..50 {
        text.push_str(&benign_iis(7));
        if i % 7 == 3 {
            text.push_str(SHELL_POST);
            text.push('\n');
        }
        if i == 20 {
            text.push_str(IIS_HEADER);
        }
    }
    let rules = embedded();
    let big = scan_bytes(
        SourceKind::Iis,
        "a.log",
        text.as_bytes(),
        &rules,
        LogScanOptions::default(),
    );
    for chunk in [97, 300, 4096] {
        let small = scan_bytes(
            SourceKind::Iis,
            "a.log",
            text.as_bytes(),
            &rules,
            LogScanOptions {
                chunk,
                ..Default::default()
            },
        );
        assert_eq!(hits(&small), hits(&big), "chunk {chunk}");
        assert_eq!(small.coverage.lines, big.coverage.lines);
    }
    assert_eq!(hits(&big).iter().filter(|h| h.0 == "EXH-WS-001").count(), 7);
}

#[test]
fn a_file_that_changed_size_while_scanned_is_reported() {
    let rules = embedded();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_ex210303.log");
    std::fs::write(&path, format!("{IIS_HEADER}{SHELL_POST}\n")).unwrap();
    let engine = LogEngine::new(&rules, LogScanOptions::default());
    let scan = engine.scan_file(&LogFile {
        path: path.clone(),
        rel: "u_ex210303.log".into(),
        kind: SourceKind::Iis,
        size: 10, // as listed, before the server wrote more
        host: "EX01".into(),
    });
    let issue = scan
        .issues
        .iter()
        .find(|i| i.kind == "changed-during-scan")
        .expect("size change reported");
    assert!(
        issue.message.contains("10 bytes when found"),
        "{}",
        issue.message
    );
    assert!(!scan.findings.is_empty(), "what was read is still hunted");
}

#[test]
fn unreadable_and_headerless_files_become_issues() {
    let rules = embedded();
    let missing = scan_path(
        SourceKind::Iis,
        Path::new("/nonexistent/u_ex1.log"),
        &rules,
        LogScanOptions::default(),
    );
    // Listed, then gone by the time it is read.
    assert_eq!(missing.issues[0].kind, "vanished");
    assert_eq!(missing.coverage.files, 0);
    assert_eq!(missing.coverage.unreadable, 1, "found but not readable");
    let dir = tempfile::tempdir().unwrap();
    let is_dir = dir.path().join("dir.log");
    std::fs::create_dir(&is_dir).unwrap();
    let scan = scan_path(SourceKind::Iis, &is_dir, &rules, LogScanOptions::default());
    assert!(!scan.issues.is_empty(), "reading a folder must be reported");
    let headerless = scan_bytes(
        SourceKind::Iis,
        "h.log",
        format!("{SHELL_POST}\n{SHELL_POST}\n").as_bytes(),
        &rules,
        LogScanOptions::default(),
    );
    assert!(
        headerless.issues.iter().any(|i| i.kind == "no-header"),
        "{:?}",
        headerless.issues
    );
}

#[test]
fn rules_without_literals_check_every_line() {
    let rules = RuleSet::from_text(
        "t.yml",
        r#"
id: T-SLOW
title: every line
description: d
severity: low
stage: exploitation
remediation: r
log:
  sources: [rps]
  prefilter: []
  match: {field: ClientInfo, equals: "odd"}
"#,
    );
    assert!(rules.diagnostics.is_empty(), "{:?}", rules.diagnostics);
    let text = "#Fields: DateTime,ClientInfo\n2021-03-03T00:00:00Z,Microsoft WinRM Client\n2021-03-03T00:00:01Z,odd\n";
    let scan = scan_bytes(
        SourceKind::Rps,
        "r.LOG",
        text.as_bytes(),
        &rules,
        LogScanOptions::default(),
    );
    assert_eq!(hits(&scan), vec![("T-SLOW".to_string(), 3)]);
}

#[test]
fn matches_beyond_the_per_rule_limit_are_counted_not_dropped() {
    let mut text = String::from(IIS_HEADER);
    for _ in 0..12 {
        text.push_str(SHELL_POST);
        text.push('\n');
    }
    let opts = LogScanOptions {
        max_findings_per_rule: 5,
        ..Default::default()
    };
    let scan = scan_bytes(
        SourceKind::Iis,
        "many.log",
        text.as_bytes(),
        &embedded(),
        opts,
    );
    assert_eq!(
        scan.findings
            .iter()
            .filter(|f| f.rule.id == "EXH-WS-001")
            .count(),
        5
    );
    let s = scan
        .suppressed
        .iter()
        .find(|s| s.rule_id == "EXH-WS-001")
        .unwrap();
    assert_eq!(s.count, 7);
}

/// A small deterministic generator (xorshift) for junk input.
struct Junk(u64);

impl Junk {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"#Fields: date time cs-uri-stem c-ip sc-status\n",
            b"#Fields: DateTime,AnchorMailbox,HttpStatus\n",
            b"2021-03-03 02:47:10 /aspnet_client/x.aspx 1.2.3.4 200\n",
            b"ServerInfo~a]@x:444/ecp/y#,\"q\"\"uote\",200\n",
            b"\xEF\xBB\xBF",
            b"\xFF\xFE",
            b"\r\n",
            b"\"",
            b",,,,",
            b"\0\0\0",
            b"\xC3\x28\xE2\x82",
            b"autodiscover.json?@x/powershell",
        ];
        let mut out = Vec::new();
        while out.len() < n {
            match self.next() % 3 {
                0 => out.extend_from_slice(PIECES[(self.next() % PIECES.len() as u64) as usize]),
                _ => out.push((self.next() % 256) as u8),
            }
        }
        out
    }
}

#[test]
fn junk_input_never_panics_and_line_counts_hold() {
    let rules = embedded();
    let mut junk = Junk(0x9E37_79B9_7F4A_7C15);
    for round in 0..150 {
        let len = (junk.next() % 6000) as usize;
        let data = junk.bytes(len);
        let kind = [SourceKind::Iis, SourceKind::HttpProxy, SourceKind::Rps][round % 3];
        let opts = LogScanOptions {
            chunk: 16 + (junk.next() % 700) as usize,
            max_line: 64 + (junk.next() % 3000) as usize,
            ..Default::default()
        };
        let scan = scan_bytes(kind, "junk.log", &data, &rules, opts);
        let utf16 = data.starts_with(&[0xFF, 0xFE]);
        if !utf16 {
            let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
            let tail = u64::from(!data.is_empty() && !data.ends_with(b"\n"));
            let bom_only = data == [0xEF, 0xBB, 0xBF];
            assert!(
                scan.coverage.lines == newlines + tail || bom_only,
                "round {round}: {} lines counted, {} expected",
                scan.coverage.lines,
                newlines + tail
            );
        }
        for f in &scan.findings {
            assert!(f.line().unwrap() >= 1);
        }
    }
}

#[test]
fn proxyshell_and_owassrf_are_found_in_httpproxy_logs_too() {
    let text = "#Fields: DateTime,RequestId,UrlStem,UrlQuery,AuthenticatedUser,HttpStatus,ClientIpAddress,Method\n\
2021-08-06T10:00:00.000Z,r1,/autodiscover/autodiscover.json,?@evil.corp/powershell/?X-Rps-CAT=VgEA&Email=autodiscover/autodiscover.json%3F@evil.corp,,200,198.51.100.9,POST\n\
2022-12-01T10:00:00.000Z,r2,/owa/mastermailbox%40outlook.com/powershell,,CONTOSO\\bob,200,198.51.100.10,POST\n\
2022-12-01T10:00:01.000Z,r3,/autodiscover/autodiscover.json,?Email=alice%40contoso.com&Protocol=ActiveSync,CONTOSO\\alice,200,10.1.1.1,GET\n";
    let scan = scan_bytes(
        SourceKind::HttpProxy,
        "HttpProxy_2021080610-1.LOG",
        text.as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let h = hits(&scan);
    assert!(h.contains(&("EXH-PS-001".into(), 2)), "{h:?}");
    assert!(h.contains(&("EXH-OW-001".into(), 3)), "{h:?}");
    assert!(
        !h.iter().any(|(_, l)| *l == 4),
        "benign Outlook autodiscover: {h:?}"
    );
    let ps = scan
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-PS-001")
        .unwrap();
    assert_eq!(ps.outcome, Outcome::Success);
}

#[test]
fn web_shell_requests_are_found_in_httpproxy_logs_too() {
    // The same requests IIS records, as the HttpProxy logs of the OWA and ECP protocols record
    // them (request id, stem, method, status and user agent in their own columns).
    let text = "#Fields: DateTime,RequestId,Protocol,UrlStem,UrlQuery,AuthenticatedUser,UserAgent,ClientIpAddress,HttpStatus,Method\n\
2021-03-03T02:47:10.000Z,8a1b2c3d-0000-4000-8000-000000000001,Owa,/owa/auth/RedirSuiteServerProxy.aspx,,,antSword/v2.1,203.0.113.77,200,POST\n\
2021-03-03T02:47:11.000Z,8a1b2c3d-0000-4000-8000-000000000002,Ecp,/ecp/auth/errorEE.aspx,,,Mozilla/5.0,203.0.113.77,404,GET\n\
2021-03-03T02:47:12.000Z,8a1b2c3d-0000-4000-8000-000000000003,Owa,/owa/auth/Current/themes/resources/logon.css,,,Mozilla/5.0 (compatible; Googlebot/2.1),203.0.113.78,200,POST\n\
2021-03-03T02:47:13.000Z,8a1b2c3d-0000-4000-8000-000000000004,Owa,/owa/auth/logon.aspx,,,Mozilla/5.0,10.1.1.1,200,POST\n";
    let scan = scan_bytes(
        SourceKind::HttpProxy,
        "HttpProxy_2021030302-1.LOG",
        text.as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let h = hits(&scan);
    for want in [
        ("EXH-WS-002", 2),
        ("EXH-UA-001", 2),
        ("EXH-WS-003", 3),
        ("EXH-WS-005", 4),
        ("EXH-UA-002", 4),
    ] {
        assert!(
            h.contains(&(want.0.into(), want.1)),
            "{want:?} in {h:?} {:?}",
            scan.issues
        );
    }
    assert!(!h.iter().any(|(_, l)| *l == 5), "stock logon page: {h:?}");
    // A published shell name outside the folders the folder rules watch.
    let named = scan_bytes(
        SourceKind::Iis,
        "u_ex210303.log",
        format!("{IIS_HEADER}2021-03-03 02:47:10 10.0.0.5 POST /owa/supp0rt.aspx - 443 - 203.0.113.77 Mozilla/5.0 - 200 0 0 163\n2021-03-03 02:47:11 10.0.0.5 POST /aspnet_client/discover.aspx - 443 - 203.0.113.77 Mozilla/5.0 - 200 0 0 163\n").as_bytes(),
        &embedded(),
        LogScanOptions::default(),
    );
    let h = hits(&named);
    assert!(h.contains(&("EXH-WS-006".into(), 5)), "{h:?}");
    assert!(
        !h.contains(&("EXH-WS-006".into(), 6)),
        "aspnet_client is EXH-WS-001's: {h:?}"
    );
    let shell = scan
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-WS-002")
        .unwrap();
    assert_eq!(shell.outcome, Outcome::Success);
    assert_eq!(
        shell.url_path.as_deref(),
        Some("/owa/auth/RedirSuiteServerProxy.aspx")
    );
    assert_eq!(
        shell.request_id.as_deref(),
        Some("8a1b2c3d-0000-4000-8000-000000000001")
    );
    assert!(shell.notes.iter().any(|n| n.contains("POST")));
    let failed = scan
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-WS-003")
        .unwrap();
    assert_eq!(failed.outcome, Outcome::Failure);
    assert_eq!(failed.severity, Severity::Medium);
}
