//! The log engine's fast path (region search, raw-text filters) must find exactly what a check
//! of every rule on every line finds: on both traffic mixes of the benchmark generator (a small
//! sample of each) and on the demo evidence, with the built-in rules plus probe rules that fire
//! on common benign traffic through every operator, field place and log encoding.

use std::path::{Path, PathBuf};
use std::process::Command;

use exhunt_core::detect::{FileScan, LogEngine, LogScanOptions};
use exhunt_core::discover::discover;
use exhunt_core::{RuleSet, RuleSources};

/// Rules that match many benign lines, each exercising one translation to raw text: W3C `+`
/// for spaces, CSV quotes and doubled quotes, the `_url` stem/query join, anchors at field
/// edges, case-sensitive tests, `_raw`, `all:`/`any:` groups with negations, Unicode folds and
/// NUL padding. Each is (id, the `log:` block).
const PROBE_RULES: &[(&str, &str)] = &[
    (
        "P-01",
        r#"
  sources: [iis, httpproxy]
  match: {field: _stem, like: '/OWA/*.svc'}
"#,
    ),
    (
        "P-02",
        r#"
  sources: [iis, httpproxy]
  match: {field: _ua, contains: 'Microsoft Outlook 16.0.13'}
"#,
    ),
    (
        "P-03",
        r#"
  sources: [iis, httpproxy]
  match: {field: _ua, contains: 'KHTML, like Gecko) Chrome/89'}
"#,
    ),
    (
        "P-04",
        r#"
  sources: [httpproxy]
  match: {field: AnchorMailbox, startswith: 'ServerInfo~ex0'}
"#,
    ),
    (
        "P-05",
        r#"
  sources: [iis, httpproxy]
  match: {field: _url, regex: 'autodiscover\.json\?email=[a-z.]+%40contoso'}
"#,
    ),
    (
        "P-06",
        r#"
  sources: [iis, httpproxy]
  match:
    all:
      - {field: _status, equals: '401'}
      - {field: _method, equals: post}
"#,
    ),
    (
        "P-07",
        r#"
  sources: [iis, httpproxy]
  match: {field: _stem, case_sensitive: true, endswith: '/Exchange.asmx'}
"#,
    ),
    (
        "P-08",
        r#"
  sources: [httpproxy]
  match: {field: GenericErrors, contains: 'Internal Server Error., "Service'}
"#,
    ),
    (
        "P-09",
        r#"
  sources: [iis, httpproxy]
  match: {field: _raw, regex: 'HealthMailbox[0-9a-f]{7}[0-9a-f]{25}@'}
"#,
    ),
    (
        "P-10",
        r#"
  sources: [iis]
  match: {field: cs-uri-query, regex: '^Cmd=(Ping|Sync)&'}
"#,
    ),
    (
        "P-11",
        r#"
  sources: [iis, httpproxy]
  match:
    any:
      - {field: UserAgent, endswith: 'Firefox/86.0'}
      - {field: cs(User-Agent), endswith: 'Firefox/86.0'}
"#,
    ),
    (
        "P-12",
        r#"
  sources: [iis, httpproxy]
  match: {field: _user, regex: '^contoso\\healthmailbox'}
"#,
    ),
    (
        "P-13",
        r#"
  sources: [iis, httpproxy]
  match:
    all:
      - {field: _stem, like: '/ecp/*'}
      - {field: _method, not: true, equals: GET}
      - {field: _user, empty: false}
"#,
    ),
    (
        "P-14",
        r#"
  sources: [iis, httpproxy]
  match: {field: _url, contains: '.slab?showhelp=false'}
"#,
    ),
    (
        "P-15",
        r#"
  sources: [iis]
  match: {field: cs-uri-stem, contains: '/ecp/i'}
"#,
    ),
    (
        "P-16",
        r#"
  sources: [iis]
  match: {field: _raw, regex: ' 200 0 0 1$'}
"#,
    ),
    (
        "P-17",
        r#"
  sources: [httpproxy]
  match: {field: UserAgent, contains: 'tool, with"quote'}
"#,
    ),
];

/// The probe rules as one rule file.
fn probe_rules() -> String {
    PROBE_RULES
        .iter()
        .map(|(id, log)| {
            format!(
                "id: {id}\ntitle: probe\ndescription: d\nseverity: low\nstage: exposure\nremediation: r\nlog:{log}"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn rules() -> RuleSet {
    let mut set = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let probes = RuleSet::from_text("probes.yml", &probe_rules());
    assert!(
        !set.has_errors() && !probes.has_errors(),
        "{:?}",
        probes.diagnostics
    );
    set.log_rules.extend(probes.log_rules);
    set
}

fn engines() -> (LogEngine, LogEngine) {
    let set = rules();
    let fast = LogEngine::new(&set, LogScanOptions::default());
    let slow = LogEngine::new(
        &set,
        LogScanOptions {
            check_every_line: true,
            ..LogScanOptions::default()
        },
    );
    (fast, slow)
}

/// What a scan found, in a comparable form.
fn outcome(scan: &FileScan) -> (Vec<String>, Vec<String>, String) {
    let findings = scan
        .findings
        .iter()
        .map(|f| format!("{} {f:?}", f.rule.id))
        .collect();
    let suppressed = scan
        .suppressed
        .iter()
        .map(|s| format!("{} {} {}", s.rule_id, s.path, s.count))
        .collect();
    let c = &scan.coverage;
    let coverage = format!("{} {} {:?} {:?}", c.lines, c.bytes, c.first, c.last);
    (findings, suppressed, coverage)
}

/// Scan every log under `root` both ways; return the number of findings and the rules seen.
fn compare(root: &Path) -> (usize, std::collections::BTreeSet<String>) {
    let (fast, slow) = engines();
    let inventory = discover(root);
    let files: Vec<_> = inventory.log_files().cloned().collect();
    assert!(!files.is_empty(), "no logs found under {}", root.display());
    let mut total = 0;
    let mut rules = std::collections::BTreeSet::new();
    for file in &files {
        let a = outcome(&fast.scan_file(file));
        let b = outcome(&slow.scan_file(file));
        assert_eq!(a.2, b.2, "coverage differs for {}", file.rel);
        assert_eq!(a.1, b.1, "suppressed matches differ for {}", file.rel);
        if a.0 != b.0 {
            let only_fast: Vec<_> = a.0.iter().filter(|f| !b.0.contains(f)).collect();
            let only_slow: Vec<_> = b.0.iter().filter(|f| !a.0.contains(f)).collect();
            panic!(
                "{}: fast path and every-line check differ\nonly fast: {only_fast:#?}\nonly every-line: {only_slow:#?}",
                file.rel
            );
        }
        total += a.0.len();
        for f in &a.0 {
            rules.insert(f.split(' ').next().unwrap_or_default().to_string());
        }
    }
    (total, rules)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A small sample of the benchmark generator's `mix`.
fn generated(mix: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("logs");
    let status = Command::new("python3")
        .arg(repo().join("bench/gen_logs.py"))
        .arg(&out)
        .args([
            "--size-gb",
            "0.004",
            "--seed",
            "7",
            "--jobs",
            "1",
            "--mix",
            mix,
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 is needed to generate the benchmark sample");
    assert!(status.success(), "gen_logs.py failed");
    dir
}

#[test]
fn fast_path_equals_every_line_on_the_realistic_mix() {
    let dir = generated("realistic");
    let (n, rules) = compare(&dir.path().join("logs"));
    // The probes fire on common traffic, and the planted attacks are found.
    assert!(n > 1000, "{n} findings");
    for id in [
        "P-01",
        "P-02",
        "P-03",
        "P-05",
        "P-07",
        "P-09",
        "P-13",
        "EXH-PL-001",
    ] {
        assert!(rules.contains(id), "{id} never fired: {rules:?}");
    }
}

#[test]
fn fast_path_equals_every_line_on_the_sparse_mix() {
    let dir = generated("sparse");
    let (n, rules) = compare(&dir.path().join("logs"));
    assert!(n > 1000, "{n} findings");
    assert!(rules.contains("EXH-WS-001"), "{rules:?}");
}

#[test]
fn fast_path_equals_every_line_on_the_demo_evidence() {
    for demo in ["compromised-ex2016", "clean-ex2016"] {
        let (n, rules) = compare(&repo().join("examples").join(demo));
        if demo == "compromised-ex2016" {
            assert!(n > 10 && rules.contains("EXH-PL-001"), "{n} {rules:?}");
        }
    }
}

#[test]
fn hostile_lines_are_judged_alike() {
    // Non-ASCII case folds, invalid UTF-8, NUL padding, odd quoting and CR in the middle.
    let dir = tempfile::tempdir().unwrap();
    let iis = dir.path().join("inetpub/logs/LogFiles/W3SVC1");
    std::fs::create_dir_all(&iis).unwrap();
    let mut text = b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n".to_vec();
    for stem in [
        "/ECP/Y.JS",
        "/ECP/\u{130}.js",
        "/ecp/\u{212A}.js",
        "/owa/auth/\u{17F}hell.aspx",
        "/owa/auth/x\u{FFFD}.aspx",
    ] {
        text.extend_from_slice(
            format!("2021-03-03 02:41:27 10.0.0.5 POST {stem} - 443 - 1.2.3.4 python-requests/2.25.1 - 200 0 0 1\r\n").as_bytes(),
        );
    }
    text.extend_from_slice(b"2021-03-03 02:41:28 10.0.0.5 POST /owa/auth/\xff\xfe.aspx - 443 - 1.2.3.4 x - 200 0 0 1\0\0\r\n");
    text.extend_from_slice(b"2021-03-03 02:41:29 10.0.0.5 POST /aspnet_client/a.aspx - 443 - 1.2.3.4 x\rmid - 200 0 0 1");
    std::fs::write(iis.join("u_ex210303.log"), text).unwrap();
    let hp = dir.path().join("Exchange Server/V15/Logging/HttpProxy/Ecp");
    std::fs::create_dir_all(&hp).unwrap();
    std::fs::write(
        hp.join("HttpProxy_2021030302-1.LOG"),
        "\u{feff}#Software: Microsoft Exchange Server\r\n#Log-type: HttpProxy Logs\r\n#Fields: DateTime,UrlStem,UserAgent,HttpStatus\r\n\
         2021-03-03T02:41:27.000Z,/ecp/y.js,\"tool, with\"\"quote\",200\r\n\
         2021-03-03T02:41:28.000Z,/ecp/y.js,\"tool, with\"quote,200\r\n\
         2021-03-03T02:41:29.000Z,/ecp/y.js,tool with\"quote,200\r\n",
    )
    .unwrap();
    let (n, rules) = compare(dir.path());
    assert!(n >= 5, "{n}");
    assert!(
        rules.contains("P-16") && rules.contains("P-17"),
        "{rules:?}"
    );
}

#[test]
fn directives_and_case_fold_hazards_far_from_any_hit_are_found() {
    // The region search looks for directive lines and for U+0130 apart from the rules'
    // patterns: a column change after a long benign stretch must still apply to the attack
    // line after it, and a hazard line between benign ones must still be checked.
    let dir = tempfile::tempdir().unwrap();
    let iis = dir.path().join("inetpub/logs/LogFiles/W3SVC1");
    std::fs::create_dir_all(&iis).unwrap();
    let mut text = b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n".to_vec();
    let benign = |t: &mut Vec<u8>, n: usize| {
        for i in 0..n {
            t.extend_from_slice(format!("2021-03-03 02:{:02}:00 10.0.0.5 GET /img/p.gif - 443 - 10.1.1.{} zz - 304 0 0 1\r\n", i % 60, i % 250).as_bytes());
        }
    };
    benign(&mut text, 3000);
    // The columns change order (an IIS restart with other logging fields).
    text.extend_from_slice(b"#Fields: date time cs-uri-stem c-ip cs-method sc-status cs(User-Agent) s-ip cs-uri-query s-port cs-username cs(Referer) sc-substatus sc-win32-status time-taken\r\n");
    benign(&mut text, 10);
    text.extend_from_slice(b"2021-03-03 03:00:00 /ecp/y.js 1.2.3.4 POST 200 python-requests/2.25.1 10.0.0.5 - 443 - - 0 0 1\r\n");
    benign(&mut text, 3000);
    text.extend_from_slice(
        "2021-03-03 03:10:00 /ECP/\u{130}.js 1.2.3.4 POST 200 x 10.0.0.5 - 443 - - 0 0 1\r\n"
            .as_bytes(),
    );
    benign(&mut text, 3000);
    std::fs::write(iis.join("u_ex210303.log"), text).unwrap();
    let (n, rules) = compare(dir.path());
    assert!(n >= 2, "{n} findings: {rules:?}");
    // Both the attack line after the column change and the hazard line were judged.
    let (fast, _) = engines();
    let inventory = discover(dir.path());
    let file = inventory.log_files().next().unwrap();
    let scan = fast.scan_file(file);
    let urls: Vec<&str> = scan
        .findings
        .iter()
        .filter_map(|f| f.url_path.as_deref())
        .collect();
    assert!(urls.contains(&"/ecp/y.js"), "{urls:?}");
    assert!(urls.iter().any(|u| u.contains('\u{130}')), "{urls:?}");
}
