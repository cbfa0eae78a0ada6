//! End-to-end: the `exhunt` binary on the bundled demo servers (see examples/README.md).
//!
//! The exact finding list of each server is pinned in `tests/golden/<server>.findings`
//! (`RULE severity path:line`, or `path#record` for event-log findings). After a deliberate rule change, regenerate with
//! `EXHUNT_BLESS=1 cargo test --test demo_evidence` and review the diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    lines: Vec<Value>,
}

fn run_scan(server: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(repo().join("examples").join(server))
        .arg("--jsonl")
        .arg(&jsonl)
        .arg("--color=never")
        .args(extra)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&jsonl).unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        lines: text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

fn findings(run: &Run) -> Vec<&Value> {
    run.lines
        .iter()
        .filter(|v| v["kind"] == "finding")
        .collect()
}

fn finding_list(run: &Run) -> String {
    let mut rows: Vec<String> = findings(run)
        .iter()
        .map(|f| {
            // Event-log findings have a record id instead of a line: `path#record`.
            let at = match f["record_id"].as_u64() {
                Some(r) => format!("#{r}"),
                None => format!(":{}", f["line"]),
            };
            format!(
                "{} {} {}{at}",
                f["rule_id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows.join("\n") + "\n"
}

fn check_golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden").join(format!("{name}.findings"));
    if std::env::var_os("EXHUNT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "findings differ from {} (EXHUNT_BLESS=1 to accept after review)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// The JSONL contract of shared/DESIGN.md, checked field by field.
fn check_contract(run: &Run) {
    let sev = ["critical", "high", "medium", "low", "info"];
    let stages = [
        "exposure",
        "exploitation",
        "backdoor",
        "post-exploitation",
        "espionage",
        "ransomware",
    ];
    for f in findings(run) {
        for key in [
            "rule_id",
            "title",
            "severity",
            "stage",
            "cves",
            "path",
            "line",
            "timestamp",
            "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(sev.contains(&f["severity"].as_str().unwrap()));
        assert!(stages.contains(&f["stage"].as_str().unwrap()));
        assert!(f["cves"].is_array());
        let p = f["path"].as_str().unwrap();
        assert!(!p.contains('\\') && !p.starts_with('/'), "{p}");
        if let Some(line) = f["line"].as_u64() {
            assert!(line >= 1);
        } else {
            assert!(f["line"].is_null());
        }
        if let Some(ts) = f["timestamp"].as_str() {
            assert!(ts.ends_with('Z') && ts.len() >= 20, "{ts}");
        } else {
            assert!(f["timestamp"].is_null());
        }
        let text_log =
            ["iis", "httpproxy", "ecp", "oab", "rps"].contains(&f["source"].as_str().unwrap());
        if text_log {
            assert!(
                f["line"].is_u64() && f["timestamp"].is_string(),
                "log findings have line and time: {f}"
            );
        }
        assert!(!f["evidence"].as_str().unwrap().is_empty());
        assert!(!f["remediation"].as_str().unwrap().is_empty());
    }
    let last = run.lines.last().unwrap();
    assert_eq!(last["kind"], "summary", "the last line must be the summary");
    // Where the time went: building the hunters (beside discovery), then each hunter in turn,
    // all within the scan's own start and end.
    let time = |k: &str| chrono::DateTime::parse_from_rfc3339(last[k].as_str().unwrap()).unwrap();
    let wall = (time("finished") - time("started")).as_seconds_f64();
    let build = last["build_seconds"].as_f64().expect("build_seconds");
    let hunters: Vec<f64> = last["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["seconds"].as_f64().expect("a hunter's seconds"))
        .collect();
    assert!(hunters.len() >= 3, "{}", last["progress"]);
    assert!(
        build > 0.0 && hunters.iter().any(|s| *s > 0.0),
        "build {build} s, hunters {hunters:?} s: nothing timed"
    );
    assert!(
        build <= wall && hunters.iter().sum::<f64>() <= wall,
        "build {build} s, hunters {hunters:?} s, scan {wall} s"
    );
}

#[test]
fn compromised_server_is_compromised_with_exact_findings() {
    let run = run_scan("compromised-ex2016", &[]);
    assert_eq!(run.code, 1, "findings → exit status 1");
    check_contract(&run);
    check_golden("compromised-ex2016", &finding_list(&run));

    let summary = run.lines.last().unwrap();
    assert_eq!(summary["verdict"], "compromised");
    let host = &summary["hosts"][0];
    assert_eq!(host["name"], "compromised-ex2016");
    assert_eq!(
        host["exchange_installs"][0],
        "C/Program Files/Microsoft/Exchange Server/V15"
    );
    for kind in ["iis", "httpproxy", "ecp", "oab", "rps"] {
        assert!(
            host["coverage"][kind]["files"].as_u64().unwrap() > 0,
            "{kind} not covered"
        );
    }
    assert_eq!(host["coverage"]["iis"]["files"], 20);
    assert_eq!(host["coverage"]["iis"]["first"], "2021-03-01T00:00:01Z");
    assert_eq!(host["missing_sources"].as_array().unwrap().len(), 0);
    assert!(host["reason"].as_str().unwrap().contains("EXH-PL-005"));

    // Each published step of the attack story is found where examples/README.md puts it.
    let all = findings(&run);
    let at = |rule: &str, path_end: &str, line: u64| {
        all.iter().find(|f| {
            f["rule_id"] == rule
                && f["path"].as_str().unwrap().ends_with(path_end)
                && f["line"] == line
        })
    };
    let reset =
        at("EXH-PL-004", "HttpProxy/Ecp/HttpProxy_2021030302-1.LOG", 12).expect("Reset OAB vdir");
    assert_eq!(reset["severity"], "critical");
    assert_eq!(reset["client_ip"], "203.0.113.77");
    let ssrf = at("EXH-PL-001", "HttpProxy/Ecp/HttpProxy_2021030302-1.LOG", 9)
        .expect("proxyLogon.ecp 241");
    assert_eq!(ssrf["outcome"], "success");
    assert_eq!(ssrf["fields"]["HttpStatus"], "241");
    assert!(at("EXH-PL-005", "ECP/Server/ECPServer2021030300-1.LOG", 6).is_some());
    let oab = at(
        "EXH-PL-006",
        "OABGeneratorLog/OABGenerator_2021030300-1.LOG",
        10,
    )
    .expect("26858");
    assert_eq!(
        oab["fields"]["$path"],
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\KZsqDfnb.aspx"
    );
    let failed = at("EXH-PL-007", "W3SVC1/u_ex210302.log", 324).expect("failed mass-scan attempt");
    assert_eq!(failed["outcome"], "failure");
    assert_eq!(failed["severity"], "medium");
    assert!(
        at("EXH-WS-001", "W3SVC1/u_ex210305.log", 246).is_some(),
        "shell use after the IIS restart"
    );
    assert!(at("EXH-RPS-001", "Rps_Http_2021030500-1.LOG", 11).is_some());
    // The benign traps are not flagged: Set-OwaVirtualDirectory with a URL, OAB failure in OAB\Temp.
    assert!(all.iter().all(|f| !f["path"]
        .as_str()
        .unwrap()
        .ends_with("ECPServer2021030100-1.LOG")));
    assert!(all.iter().all(|f| !f["path"]
        .as_str()
        .unwrap()
        .ends_with("OABGenerator_2021030200-1.LOG")));

    // One story for the intrusion: the SSRF chain, the ECP/OAB writes and both groups using the shell.
    let stories: Vec<&Value> = run.lines.iter().filter(|v| v["kind"] == "story").collect();
    let main = stories
        .iter()
        .find(|s| s["web_shells"].as_array().is_some_and(|w| !w.is_empty()))
        .expect("a web-shell story");
    let ips: Vec<&str> = main["client_ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ips, ["198.51.100.23", "203.0.113.77"]);
    let ecp_story = at("EXH-PL-005", "ECPServer2021030300-1.LOG", 6).unwrap()["story"].clone();
    assert_eq!(
        ecp_story, main["id"],
        "the ECP log line joins the attacker's story by time"
    );
    assert_eq!(reset["story"], main["id"]);

    // The damaged last line of one HttpProxy file is reported, not fatal.
    let issues: Vec<&Value> = run.lines.iter().filter(|v| v["kind"] == "issue").collect();
    assert!(issues
        .iter()
        .any(|i| i["issue"] == "truncated-line" && i["line"] == 7));
    assert!(issues
        .iter()
        .any(|i| i["issue"] == "malformed-line" && i["line"] == 7));

    // Console: verdict first, then stages.
    let first_host_line = run.stdout.lines().nth(2).unwrap();
    assert!(first_host_line.contains("COMPROMISED"), "{}", run.stdout);
    assert!(run.stdout.find("EXPLOITATION").unwrap() < run.stdout.find("BACKDOOR").unwrap());
}

#[test]
fn clean_server_has_no_evidence_and_only_the_admin_nmap_check() {
    let run = run_scan("clean-ex2016", &["--no-exposure"]);
    assert_eq!(
        run.code, 0,
        "informational notes alone → exit status 0\n{}",
        run.stdout
    );
    check_contract(&run);
    check_golden("clean-ex2016", &finding_list(&run));
    let summary = run.lines.last().unwrap();
    assert_eq!(summary["verdict"], "no evidence found");
    let host = &summary["hosts"][0];
    assert_eq!(
        host["exchange_installs"][0], "uploads/auto/C%3A/Exchange/V15",
        "non-default install"
    );
    assert_eq!(host["coverage"]["httpproxy"]["files"], 23);
    let f = findings(&run);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["rule_id"], "EXH-PL-003");
    assert_eq!(f[0]["severity"], "info");
    assert!(run.stdout.contains("NO EVIDENCE FOUND"));
}

#[test]
fn event_logs_of_the_demo_are_hunted() {
    // Record ids and times as listed in examples/README.md ("Windows event logs").
    let logs = "C/Windows/System32/winevt/Logs/";
    let run = run_scan("compromised-ex2016", &[]);
    let all = findings(&run);
    let at = |rule: &str, file: &str, record: u64| {
        all.iter()
            .find(|f| {
                f["rule_id"] == rule
                    && f["path"] == format!("{logs}{file}").as_str()
                    && f["record_id"] == record
            })
            .unwrap_or_else(|| panic!("{rule} on {file} record {record} not found"))
    };
    let expect = [
        (
            "EXH-EV-001",
            "Application.evtx",
            12,
            "2021-03-03T02:40:52.318Z",
            "high",
        ),
        (
            "EXH-EV-006",
            "MSExchange Management.evtx",
            5,
            "2021-03-03T02:42:10.204Z",
            "critical",
        ),
        (
            "EXH-EV-020",
            "Microsoft-Windows-Sysmon%4Operational.evtx",
            9,
            "2021-03-03T02:45:05.871Z",
            "critical",
        ),
        (
            "EXH-EV-012",
            "Microsoft-Windows-Sysmon%4Operational.evtx",
            17,
            "2021-03-03T03:05:13.024Z",
            "critical",
        ),
        (
            "EXH-EV-016",
            "Microsoft-Windows-PowerShell%4Operational.evtx",
            6,
            "2021-03-03T04:02:10.517Z",
            "high",
        ),
        (
            "EXH-EV-002",
            "MSExchange Management.evtx",
            15,
            "2021-03-04T09:14:07.090Z",
            "critical",
        ),
        (
            "EXH-EV-040",
            "Microsoft-Windows-Windows Defender%4Operational.evtx",
            13,
            "2021-03-04T03:17:42.118Z",
            "critical",
        ),
        (
            "EXH-EV-032",
            "Security.evtx",
            1,
            "2021-03-09T21:04:26.190Z",
            "high",
        ),
        (
            "EXH-EV-033",
            "System.evtx",
            44,
            "2021-03-09T21:41:09.012Z",
            "critical",
        ),
    ];
    for (rule, file, record, ts, sev) in expect {
        let f = at(rule, file, record);
        assert_eq!(f["timestamp"], ts, "{rule}");
        assert_eq!(f["severity"], sev, "{rule}");
        assert_eq!(f["source"], "evtx");
        assert_eq!(f["computer"], "EX01.contoso.local");
    }
    let lsass = at(
        "EXH-EV-012",
        "Microsoft-Windows-Sysmon%4Operational.evtx",
        17,
    );
    assert!(lsass["fields"]["CommandLine"]
        .as_str()
        .unwrap()
        .contains("comsvcs.dll, MiniDump 660"));
    // The mail-theft exports to ProgramData are exports (EXH-EV-003), not web-shell writes.
    assert!(all.iter().all(|f| !(f["rule_id"] == "EXH-EV-002"
        && f["path"] == format!("{logs}MSExchange Management.evtx").as_str()
        && f["record_id"] != 15)));
    // Benign look-alikes on EX01: csc.exe under w3wp.exe, the Defender scan driver, the
    // reporting script, valid OAB URLs.
    let benign_rules = [
        "EXH-EV-004",
        "EXH-EV-006",
        "EXH-EV-010",
        "EXH-EV-016",
        "EXH-EV-034",
    ];
    assert!(all
        .iter()
        .all(|f| !(benign_rules.contains(&f["rule_id"].as_str().unwrap())
            && f["fields"]["Image"]
                .as_str()
                .is_some_and(|i| i.ends_with("csc.exe")))));

    // EX02: event logs read, nothing found in them.
    let run = run_scan("clean-ex2016", &["--no-exposure"]);
    let summary = run.lines.last().unwrap();
    assert_eq!(summary["hosts"][0]["coverage"]["evtx"]["files"], 7);
    assert!(
        findings(&run)
            .iter()
            .all(|f| f["source"] != "evtx" || f["severity"] == "info"),
        "event finding on the clean server"
    );
    assert_eq!(summary["verdict"], "no evidence found");
}

fn tree_state(root: &Path) -> BTreeMap<String, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(
                    e.path().display().to_string(),
                    (
                        m.len(),
                        m.modified().unwrap(),
                        std::fs::read(e.path()).unwrap(),
                    ),
                );
            }
        }
    }
    out
}

#[test]
fn evidence_is_left_byte_identical() {
    let root = repo().join("examples/compromised-ex2016");
    let before = tree_state(&root);
    let run = run_scan("compromised-ex2016", &["--quiet"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "--quiet prints nothing");
    assert!(
        before == tree_state(&root),
        "the scan changed the evidence tree"
    );
}

#[test]
fn usage_errors_exit_2_and_bad_rule_files_are_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["scan", "/nonexistent/evidence"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/evidence"));

    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["scan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yml"), "id: X-1\ntitle: [oops\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(repo().join("examples/clean-ex2016"))
        .arg("--no-exposure")
        .arg("--rules")
        .arg(dir.path())
        .arg("--color=never")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a bad user rule file does not stop the scan"
    );
    assert!(
        stdout.contains("broken.yml") && stdout.contains("YAML syntax"),
        "{stdout}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["rules", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "`exhunt rules` is the rule linter: errors fail it"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yml"));
}

#[test]
fn rules_lists_every_kind_and_lints_yara_folders() {
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("rules")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for (id, kind) in [
        ("EXH-PL-001", "log"),
        ("EXH-EV-001", "event"),
        ("EXH-FC-001", "file"),
        ("EXH-FY-001", "yara"),
        ("EXH-FH-001", "ioc"),
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(id) && l.split_whitespace().nth(1) == Some(kind)),
            "{id} as {kind}: {stdout}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("good.yar"),
        "rule Local_Marker { meta: score = 70 strings: $a = \"local-marker\" condition: $a }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.yar"),
        "rule Broken { condition: $nope }",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["rules", "--yara"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a YARA file that does not compile fails the lint"
    );
    assert!(stderr.contains("bad.yar"), "{stderr}");
    assert!(stdout.contains("YARA:Local_Marker"), "{stdout}");
}

#[test]
fn user_rules_add_detections_without_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.yml"),
        r#"
id: LOCAL-001
title: Admin nmap host talks to OWA
description: Our scanner appliance; flag it to test the rule folder.
severity: low
stage: exploitation
attack: [T1595]
references: [internal]
remediation: Nothing; it is ours.
log:
  sources: [iis]
  match:
    all:
      - {field: c-ip, equals: 10.10.5.5}
      - {field: cs(User-Agent), contains: "Nmap Scripting Engine"}
"#,
    )
    .unwrap();
    let run = run_scan(
        "clean-ex2016",
        &["--no-exposure", "--rules", dir.path().to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    let local: Vec<&Value> = findings(&run)
        .into_iter()
        .filter(|f| f["rule_id"] == "LOCAL-001")
        .collect();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["line"], 82);
    assert!(local[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("W3SVC1/u_ex210306.log"));
}

#[test]
fn installed_build_is_assessed_from_the_evidence() {
    // EX01 runs 2016 CU19 without any security update; EX02 has the March 2021 update only.
    let run = run_scan("compromised-ex2016", &[]);
    let exp: Vec<&Value> = findings(&run)
        .into_iter()
        .filter(|f| f["stage"] == "exposure")
        .collect();
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0]["rule_id"], "EXH-EXP-001");
    assert_eq!(exp[0]["fields"]["build"], "15.1.2176.2");
    assert_eq!(exp[0]["exposure"], "vulnerable");
    assert!(exp[0]["cves"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CVE-2021-26855"));

    let run = run_scan("clean-ex2016", &[]);
    assert_eq!(run.code, 1, "a missing security update is a finding");
    let summary = run.lines.last().unwrap();
    assert_eq!(
        summary["verdict"], "no evidence found",
        "exposure is not compromise"
    );
    assert!(summary["reason"].as_str().unwrap().contains("exposed"));
    let exp: Vec<&Value> = findings(&run)
        .into_iter()
        .filter(|f| f["stage"] == "exposure")
        .collect();
    assert_eq!(exp[0]["fields"]["build"], "15.1.2176.9");
    let cves = exp[0]["cves"].as_array().unwrap();
    assert!(
        !cves.iter().any(|c| c == "CVE-2021-26855"),
        "March 2021 SU fixes ProxyLogon"
    );
    assert!(
        cves.iter().any(|c| c == "CVE-2021-34473"),
        "but not ProxyShell"
    );
}

#[test]
fn html_report_and_timeline_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let csv = dir.path().join("t.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(repo().join("examples/compromised-ex2016"))
        .args(["--quiet", "--title", "EX01 <case>", "--html"])
        .arg(&html)
        .arg("--timeline")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("COMPROMISED"));
    assert!(page.contains("EX01 &lt;case&gt;"), "the title is escaped");
    assert!(page.contains("Content-Security-Policy"));
    let timeline = std::fs::read_to_string(&csv).unwrap();
    let header = timeline.lines().next().unwrap();
    assert!(
        header.starts_with("message,datetime,timestamp_desc"),
        "{header}"
    );
    let findings = timeline.lines().count() - 1;
    assert!(findings >= 100, "{findings} rows");
}

/// Zip a folder the way a collector would (paths relative to the folder).
fn zip_folder(src: &Path, zip_path: &Path) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let mut stack = vec![src.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let name = p
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(&p).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

/// `exhunt scan ROOT --no-exposure` of a zipped clean collection, unpacked under `work` (the
/// JSONL is written there too); the scan must exit 0.
fn scan_zip_root(root: &Path, work: &Path) -> Run {
    let jsonl = work.join(format!(
        "{}.jsonl",
        root.file_name().unwrap().to_string_lossy()
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(root)
        .arg("--unpack-dir")
        .arg(work)
        .args(["--quiet", "--no-exposure", "--jsonl"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        code: 0,
        stdout: String::new(),
        lines: std::fs::read_to_string(&jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

#[test]
fn zipped_collection_gives_the_same_findings_as_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("clean-ex2016.zip");
    zip_folder(&repo().join("examples/clean-ex2016"), &zip_path);
    let zipped = scan_zip_root(&zip_path, dir.path());
    let folder = run_scan("clean-ex2016", &["--no-exposure"]);
    assert_eq!(finding_list(&zipped), finding_list(&folder));
    let summary = zipped.lines.last().unwrap();
    assert_eq!(summary["hosts"][0]["name"], "clean-ex2016");
    assert!(summary["root"]
        .as_str()
        .unwrap()
        .ends_with("clean-ex2016.zip"));
    // The unpacked copy is gone; only the zip and the output remain.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn disk_artifacts_of_the_demo_are_found() {
    let run = run_scan("compromised-ex2016", &[]);
    let files: Vec<&Value> = findings(&run)
        .into_iter()
        .filter(|f| f["source"] == "files" && f["stage"] != "exposure")
        .collect();
    let has = |rule: &str, path_end: &str, sev: &str| {
        files.iter().any(|f| {
            f["rule_id"] == rule
                && f["path"].as_str().unwrap().ends_with(path_end)
                && f["severity"] == sev
        })
    };
    assert!(
        has("EXH-FY-001", "system_web/KZsqDfnb.aspx", "critical"),
        "China Chopper"
    );
    assert!(
        has("EXH-FY-006", "owa/auth/errorEE.aspx", "critical"),
        "PST written as .aspx"
    );
    assert!(
        has("EXH-FY-020", "Windows/Temp/lsass.dmp", "critical"),
        "LSASS dump"
    );
    assert!(
        has("EXH-FY-022", "ProgramData/pst/it.zip", "high"),
        "staged mailboxes"
    );
    assert!(
        has("EXH-FY-030", "budget-2021.xlsx.CRYPT", "critical"),
        "DearCry"
    );
    for f in &files {
        assert_eq!(f["line"], Value::Null);
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64, "{f}");
        assert!(f["size"].as_u64().is_some());
        assert!(
            !f["path"].as_str().unwrap().contains("McAfee"),
            "vendor zip: {f}"
        );
        assert!(
            !f["path"].as_str().unwrap().ends_with("/logon.aspx"),
            "stock page: {f}"
        );
        assert!(
            !f["path"].as_str().unwrap().contains("phonebook"),
            "benign eval page: {f}"
        );
    }
    let stages: Vec<&str> = run.lines.last().unwrap()["hosts"][0]["coverage"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert!(
        stages.contains(&"files") && stages.contains(&"evtx"),
        "{stages:?}"
    );

    let clean = run_scan("clean-ex2016", &[]);
    let flagged: Vec<&Value> = findings(&clean)
        .into_iter()
        .filter(|f| f["source"] == "files" && f["stage"] != "exposure")
        .collect();
    assert!(flagged.is_empty(), "clean disk flagged: {flagged:?}");
}

#[test]
fn time_and_severity_filters() {
    let run = run_scan(
        "compromised-ex2016",
        &["--since", "2021-03-04", "--until", "2021-03-05T23:59:59Z"],
    );
    let timed: Vec<&str> = findings(&run)
        .iter()
        .filter_map(|f| f["timestamp"].as_str())
        .collect();
    assert!(!timed.is_empty());
    for t in &timed {
        assert!(
            ("2021-03-04".."2021-03-06").contains(t),
            "{t} outside the window"
        );
    }
    let summary = run.lines.last().unwrap();
    assert!(summary["filtered_out"].as_u64().unwrap() > 50, "{summary}");
    // Findings without a time (exposure, files) are kept: a filter never hides them silently.
    assert!(findings(&run).iter().any(|f| f["timestamp"].is_null()));

    // --min-severity only trims the console; the table shows one row per finding.
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .arg("scan")
        .arg(repo().join("examples/compromised-ex2016"))
        .args([
            "--format",
            "table",
            "--min-severity",
            "critical",
            "--color=never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("critical")), "{text}");
    assert!(text.contains("# compromised-ex2016: compromised"));
}

/// Mail the intruders reached on EX01: the exact list of mailboxes, how, how often and how
/// much (examples/README.md, "What a correct tool should conclude").
#[test]
fn mail_the_intruders_reached_is_listed_exactly() {
    let run = run_scan("compromised-ex2016", &[]);
    let reached: Vec<&Value> = run
        .lines
        .iter()
        .filter(|v| v["kind"] == "data_access")
        .collect();
    let mut rows: Vec<String> = reached
        .iter()
        .map(|d| {
            format!(
                "{} | {} | {} {} | bytes {} | disk {}",
                d["mailbox"].as_str().unwrap(),
                d["method"].as_str().unwrap(),
                d["requests"],
                d["unit"].as_str().unwrap(),
                d["bytes"],
                d["size_on_disk"],
            )
        })
        .collect();
    rows.sort();
    let expected = [
        "administrator | mailbox export file on disk (PST) | 1 files | bytes null | disk 818",
        "administrator | mailbox exported to a PST (New-MailboxExportRequest) | 1 calls | bytes null | disk null",
        "all mailboxes on this server were reachable | code ran with the server's rights (web shell, SYSTEM) | 53 requests and commands | bytes null | disk null",
        "carol@contoso.local | OWA session | 6 requests | bytes 3162270 | disk null",
        "carol@contoso.local | export file downloaded over the web | 1 requests | bytes null | disk null",
        "carol@contoso.local | mailbox export file on disk (PST) | 1 files | bytes null | disk 98304",
        "carol@contoso.local | mailbox exported to a PST (New-MailboxExportRequest) | 1 calls | bytes null | disk null",
        "ceo@contoso.local | SSRF to OWA (mailbox in the target path) | 3 requests | bytes 1616123 | disk null",
        "ceo@contoso.local | mailbox exported to a PST (New-MailboxExportRequest) | 1 calls | bytes null | disk null",
        "cfo@contoso.local | SSRF to OWA (mailbox in the target path) | 2 requests | bytes 862113 | disk null",
        "cfo@contoso.local | mailbox exported to a PST (New-MailboxExportRequest) | 1 calls | bytes null | disk null",
        "legal | mailbox exported to a PST (New-MailboxExportRequest) | 1 calls | bytes null | disk null",
        "mailbox not recorded | SSRF to EWS | 1 requests | bytes 523288 | disk null",
        "mailbox not recorded | SSRF to MAPI | 1 requests | bytes 1154 | disk null",
        "mailbox not recorded | archive holding mailbox exports | 1 files | bytes null | disk 387",
    ];
    assert_eq!(rows, expected, "{rows:#?}");
    // The named mailboxes: two read through the SSRF, one through the hijacked OWA session
    // (and exported into a web folder), and the exports of the event logs.
    let named: std::collections::BTreeSet<&str> = reached
        .iter()
        .filter(|d| d["mailbox_known"] == true)
        .map(|d| d["mailbox"].as_str().unwrap())
        .collect();
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        [
            "administrator",
            "carol@contoso.local",
            "ceo@contoso.local",
            "cfo@contoso.local",
            "legal"
        ]
    );
    // Every record belongs to the intruders' story and names only intruder addresses: carol's
    // own traffic from her usual addresses (W3SVC1 and HttpProxy on every day) never counts.
    let intruders = ["203.0.113.77", "198.51.100.23"];
    for d in &reached {
        assert!(d["story"].as_u64().is_some(), "{d}");
        for ip in d["client_ips"].as_array().unwrap() {
            assert!(intruders.contains(&ip.as_str().unwrap()), "{d}");
        }
        assert!(!d["evidence"].as_array().unwrap().is_empty(), "{d}");
    }
    let owa = reached
        .iter()
        .find(|d| d["method"] == "OWA session")
        .unwrap();
    assert_eq!(owa["client_ips"], serde_json::json!(["203.0.113.77"]));
    assert_eq!(owa["first"], "2021-03-04T02:31:20.411Z");
    assert_eq!(owa["last"], "2021-03-04T02:34:40.905Z");
    // Its evidence is the HttpProxy lines (they name the mailbox and the bytes), found by the
    // second read: no rule flags them.
    for e in owa["evidence"].as_array().unwrap() {
        assert!(
            e["path"].as_str().unwrap().contains("HttpProxy/Owa/"),
            "{e}"
        );
        assert!(e.get("rule_id").is_none(), "{e}");
    }
    let export = reached
        .iter()
        .find(|d| d["mailbox"] == "carol@contoso.local" && d["unit"] == "calls")
        .unwrap();
    assert_eq!(
        export["details"],
        serde_json::json!([r"to \\EX01\C$\inetpub\wwwroot\aspnet_client\system_web\carol.pst"])
    );
    assert_eq!(export["also_logged_as"], serde_json::json!(["carol"]));
    // The order is by volume: the hijacked session first.
    assert_eq!(reached[0]["method"], "OWA session");
    let summary = run.lines.last().unwrap();
    let sweep = &summary["access_sweeps"][0];
    assert_eq!(sweep["windows"].as_array().unwrap().len(), 2, "{sweep}");
    // The console and the HTML say the same.
    assert!(
        run.stdout.contains("MAIL THE INTRUDERS REACHED"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("carol@contoso.local — OWA session: 6 requests, 3.2 MB sent"));
    assert!(run
        .stdout
        .contains("all mailboxes on this server were reachable"));
}

/// Who used the backdoor on EX01: KZsqDfnb.aspx by two actors, a day apart, with different
/// clients, and the finding that says the backdoor was reused.
#[test]
fn the_two_actors_of_the_web_shell_are_told_apart() {
    let run = run_scan("compromised-ex2016", &[]);
    let actors: Vec<&Value> = run
        .lines
        .iter()
        .filter(|v| {
            v["kind"] == "shell_use" && v["shell"] == "/aspnet_client/system_web/KZsqDfnb.aspx"
        })
        .collect();
    assert_eq!(actors.len(), 2, "{actors:#?}");
    let brief = |a: &Value| {
        format!(
            "{} {} {} {} {} {} {}",
            a["actor"],
            a["role"].as_str().unwrap(),
            a["client_ips"],
            a["clients"],
            a["requests"],
            a["first"].as_str().unwrap(),
            a["last"].as_str().unwrap()
        )
    };
    assert_eq!(
        brief(actors[0]),
        r#"1 use ["203.0.113.77"] ["AntSword (antSword/v2.x user agent)"] 12 2021-03-03T02:47:10Z 2021-03-05T14:07:02Z"#
    );
    assert_eq!(
        brief(actors[1]),
        r#"2 use ["198.51.100.23"] ["spoofed search-engine crawler (POST with a crawler user agent)"] 10 2021-03-04T09:12:07Z 2021-03-09T21:41:07Z"#
    );
    assert_eq!(actors[0]["story"], actors[1]["story"]);
    // One shell, one actor each: errorEE.aspx (the second group's, checked with a GET, then
    // used), RedirSuiteServerProxy.aspx (the first group's).
    let others: Vec<String> = run
        .lines
        .iter()
        .filter(|v| {
            v["kind"] == "shell_use" && v["shell"] != "/aspnet_client/system_web/KZsqDfnb.aspx"
        })
        .map(|a| {
            format!(
                "{} {} {}",
                a["shell"].as_str().unwrap(),
                a["actor"],
                a["client_ips"]
            )
        })
        .collect();
    assert_eq!(
        others,
        [
            r#"/owa/auth/errorEE.aspx 1 ["198.51.100.23"]"#,
            r#"/owa/auth/RedirSuiteServerProxy.aspx 1 ["203.0.113.77"]"#
        ]
    );
    let reuse: Vec<&Value> = findings(&run)
        .into_iter()
        .filter(|f| f["rule_id"] == "EXH-AC-001")
        .collect();
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0]["client_ip"], "198.51.100.23");
    assert_eq!(reuse[0]["timestamp"], "2021-03-04T09:12:07Z");
    assert_eq!(
        reuse[0]["url_path"],
        "/aspnet_client/system_web/KZsqDfnb.aspx"
    );
    assert_eq!(reuse[0]["notes"].as_array().unwrap().len(), 2);
    // The story lists its actors.
    let story = run
        .lines
        .iter()
        .find(|v| v["kind"] == "story" && v["id"] == actors[0]["story"])
        .unwrap();
    assert_eq!(story["actors"].as_array().unwrap().len(), 4, "{story}");
    assert!(run.stdout.contains("WHO USED EACH WEB SHELL"));
}

/// A clean server yields no data-access or shell-use line, and no second read.
#[test]
fn a_clean_server_has_no_data_access() {
    let run = run_scan("clean-ex2016", &[]);
    assert!(
        !run.lines
            .iter()
            .any(|v| v["kind"] == "data_access" || v["kind"] == "shell_use"),
        "clean server listed access"
    );
    let summary = run.lines.last().unwrap();
    assert_eq!(summary["data_access"], 0);
    assert_eq!(summary["access_sweeps"], serde_json::json!([]));
    assert!(!run.stdout.contains("MAIL THE INTRUDERS REACHED"));
}

/// A root named through a link to the zip is unpacked like the zip itself (evidence files are
/// never opened through links, the operator's own root argument is).
#[test]
#[cfg(unix)]
fn a_link_to_a_zipped_collection_is_scanned_as_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("clean-ex2016.zip");
    zip_folder(&repo().join("examples/clean-ex2016"), &zip_path);
    let link = dir.path().join("latest.zip");
    std::os::unix::fs::symlink(&zip_path, &link).unwrap();
    let linked = scan_zip_root(&link, dir.path());
    let folder = run_scan("clean-ex2016", &["--no-exposure"]);
    assert!(!finding_list(&folder).is_empty());
    assert_eq!(finding_list(&linked), finding_list(&folder));
}

/// Run `exhunt rules compile --sigma SOURCE -o PACK`: its output and its standard error.
fn rules_compile(source: &Path, pack: &Path) -> (std::process::Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["rules", "compile", "--sigma"])
        .arg(source)
        .arg("-o")
        .arg(pack)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

/// `exhunt rules compile` packs a Sigma folder into one file; a scan with the pack finds what
/// the scan with the folder finds.
#[test]
fn a_compiled_rule_pack_finds_what_its_folder_finds() {
    let sigma =
        repo().join("../shared/corpus/sigma/SigmaHQ__sigma-all/rules/windows/process_creation");
    assert!(
        sigma.is_dir(),
        "the shared corpus is expected beside the repository"
    );
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("process_creation.exhpack");
    let (out, stderr) = rules_compile(&sigma, &pack);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("rule files packed into"), "{stderr}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "only the pack is left: {leftovers:?}");

    let keys = |run: &Run| {
        let mut k: Vec<String> = findings(run)
            .iter()
            .map(|f| format!("{} {} {}", f["rule_id"], f["path"], f["record_id"]))
            .collect();
        k.sort();
        k
    };
    let with_folder = run_scan("compromised-ex2016", &["--sigma", sigma.to_str().unwrap()]);
    let with_pack = run_scan("compromised-ex2016", &["--sigma", pack.to_str().unwrap()]);
    let (a, b) = (keys(&with_folder), keys(&with_pack));
    assert!(
        a.iter().filter(|k| k.contains("SIGMA-")).count() >= 3,
        "SigmaHQ process-creation rules fire on the demo's Sysmon log: {a:?}"
    );
    assert_eq!(a, b);
    assert_eq!(with_folder.code, with_pack.code);
}

/// `exhunt rules compile` counts a rule whose regex cannot be compiled among those that load
/// (it does: its other tests run), says so, and exits 2 with the regex's error.
#[test]
fn a_compiled_pack_says_which_loaded_rules_hold_a_regex_that_cannot_be_compiled() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let rule = |id: &str, detection: &str| {
        format!("title: r{id}\nid: 00000000-0000-4000-8000-0000000000{id}\nlogsource: {{category: process_creation, product: windows}}\ndetection:\n  selection: {{{detection}}}\n  condition: selection\nlevel: high\n")
    };
    std::fs::write(
        rules.join("a.yml"),
        rule("A1", "Image|endswith: '\\\\whoami.exe'"),
    )
    .unwrap();
    std::fs::write(
        rules.join("b.yml"),
        rule("B2", "CommandLine|re: '(?:\\w{100}){100}'"),
    )
    .unwrap();
    let pack = dir.path().join("p.exhpack");
    let (out, stderr) = rules_compile(&rules, &pack);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be compiled ("), "{stderr}");
    assert!(
        stderr.contains("2 rules load with this mapping (1 of them with a regex that cannot be compiled, above), 0 not"),
        "{stderr}"
    );
    assert!(pack.is_file(), "the pack is still written: {stderr}");
}

#[test]
fn a_pack_is_not_written_into_a_folder_it_is_compiled_from() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("sub")).unwrap();
    std::fs::write(
        rules.join("whoami.yml"),
        "title: whoami\nid: 00000000-0000-4000-8000-0000000000F1\nlogsource: {category: process_creation, product: windows}\ndetection:\n  selection: {Image|endswith: '\\\\whoami.exe'}\n  condition: selection\nlevel: high\n",
    )
    .unwrap();
    let (out, stderr) = rules_compile(&rules, &rules.join("sub/all.exhpack"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("inside the rule folder"), "{stderr}");
    assert!(!rules.join("sub/all.exhpack").exists());
    assert!(
        std::fs::read_dir(rules.join("sub"))
            .unwrap()
            .next()
            .is_none(),
        "nothing written"
    );
}
