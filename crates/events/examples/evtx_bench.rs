//! Benchmark helper for `bench/evtx.sh`.
//!
//! `evtx_bench gen DIR MB` writes about MB megabytes of EVTX (Security 4688, Sysmon 1/11,
//! System 7045, MSExchange Management) with the test writer, a few attack events among benign
//! ones. `evtx_bench hunt ROOT THREADS [SIGMA_DIR…]` runs `scan_with` with the event hunter
//! (embedded rules plus Sigma) and prints a summary. Switch the bench to `exhunt scan` once the
//! CLI wires the event hunter.

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::scan::{scan_with, Hunter, ScanConfig};
use exhunt_events::evtx_writer::{EvtxWriter, WriterEvent};
use exhunt_events::{EventHunter, EventOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => gen(Path::new(&args[1]), args[2].parse().expect("MB")),
        Some("hunt") => hunt(
            Path::new(&args[1]),
            args[2].parse().expect("threads"),
            &args[3..],
        ),
        _ => eprintln!("usage: evtx_bench gen DIR MB | hunt ROOT THREADS [SIGMA_DIR…]"),
    }
}

fn gen(dir: &Path, mb: u64) {
    let logs = dir.join("EX01/C/Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    let start = Utc.with_ymd_and_hms(2021, 3, 1, 0, 0, 0).unwrap();
    let per_file: u64 = 64; // MB per file, like a default-size Security log
    let files = mb.div_ceil(per_file);
    for f in 0..files {
        let mut w = EvtxWriter::new();
        let target = (per_file * 1024 * 1024) as usize;
        let mut n = 0u64;
        let mut size = 0usize;
        while size < target {
            let t = start + Duration::seconds((f * 10_000_000 + n) as i64);
            let e = match n % 10 {
                0..=5 => WriterEvent::new(
                    "Security",
                    "Microsoft-Windows-Security-Auditing",
                    4688,
                    "EX01",
                    t,
                    &[
                        ("SubjectUserName", "EX01$"),
                        ("NewProcessName", r"C:\Windows\System32\svchost.exe"),
                        ("CommandLine", "svchost.exe -k netsvcs -p -s Schedule"),
                        ("ParentProcessName", r"C:\Windows\System32\services.exe"),
                    ],
                ),
                6 => WriterEvent::new(
                    "Security",
                    "Microsoft-Windows-Security-Auditing",
                    4624,
                    "EX01",
                    t,
                    &[
                        ("TargetUserName", "HealthMailbox01"),
                        ("LogonType", "3"),
                        ("IpAddress", "10.0.0.12"),
                    ],
                ),
                7 => WriterEvent::new(
                    "Microsoft-Windows-Sysmon/Operational",
                    "Microsoft-Windows-Sysmon",
                    1,
                    "EX01",
                    t,
                    &[
                        (
                            "Image",
                            r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMWorker.exe",
                        ),
                        ("OriginalFileName", "MSExchangeHMWorker.exe"),
                        ("CommandLine", "MSExchangeHMWorker.exe -wp:12"),
                        (
                            "ParentImage",
                            r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMHost.exe",
                        ),
                        ("User", "NT AUTHORITY\\SYSTEM"),
                    ],
                ),
                8 => WriterEvent::new(
                    "Microsoft-Windows-Sysmon/Operational",
                    "Microsoft-Windows-Sysmon",
                    11,
                    "EX01",
                    t,
                    &[
                        ("Image", r"C:\Windows\System32\svchost.exe"),
                        ("TargetFilename", r"C:\Windows\Temp\x.tmp"),
                    ],
                ),
                _ if n % 100_000 == 9 => WriterEvent::new(
                    "Security",
                    "Microsoft-Windows-Security-Auditing",
                    4688,
                    "EX01",
                    t,
                    &[
                        ("NewProcessName", r"C:\Windows\System32\cmd.exe"),
                        ("CommandLine", "cmd /c whoami"),
                        ("ParentProcessName", r"c:\windows\system32\inetsrv\w3wp.exe"),
                    ],
                ),
                _ => {
                    let mut e = WriterEvent::new(
                        "MSExchange Management",
                        "MSExchange CmdletLogs",
                        1,
                        "EX01",
                        t,
                        &[],
                    );
                    e.data = vec![
                        (None, "Get-MailboxDatabase".into()),
                        (None, "-Status \"True\"".into()),
                        (None, "NT AUTHORITY\\SYSTEM".into()),
                    ];
                    e
                }
            };
            w.add(&e);
            n += 1;
            // Records average ~900 bytes; check the real size now and then.
            size = (n as usize) * 900;
        }
        let bytes = w.finish();
        std::fs::write(logs.join(format!("Security-{f:03}.evtx")), bytes).unwrap();
    }
}

fn hunt(root: &Path, threads: usize, sigma: &[String]) {
    let rules = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let options = EventOptions {
        sigma_dirs: sigma.iter().map(Into::into).collect(),
        ..Default::default()
    };
    let hunter = EventHunter::new(&rules, options);
    let mut config = ScanConfig::new(root);
    config.threads = Some(threads);
    let report = scan_with(&config, &rules, &[&hunter as &dyn Hunter]).expect("scan");
    let records: u64 = report
        .hosts
        .iter()
        .flat_map(|h| h.coverage.values())
        .map(|c| c.lines)
        .sum();
    println!(
        "rules {} (unsupported sigma {}), records {}, findings {}, suppressed {}, issues {}, verdict {}",
        hunter.rule_count(), hunter.unsupported().len(), records, report.findings.len(),
        report.suppressed.iter().map(|s| s.count).sum::<u64>(), report.issues.len(), report.overall_verdict()
    );
}
