//! Read-only scanning, limits, user rules and deep mode.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use exhunt_core::rules::DiagnosticLevel;
use exhunt_files::FileOptions;

const CHOPPER: &str = r#"<%@ Page Language="Jscript"%><%eval(Request.Item["q7"],"unsafe");%>"#;

fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        let md = e.metadata().unwrap();
        let data = if e.file_type().is_file() {
            std::fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        out.insert(
            e.path().display().to_string(),
            (data, md.modified().unwrap()),
        );
    }
    out
}

#[test]
fn the_evidence_tree_is_byte_identical_after_a_scan() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/aspnet_client/s.aspx", CHOPPER)
        .write("ProgramData/it.zip", zip_with(&["a.pst"]))
        .write("Windows/Temp/lsass.dmp", minidump("lsass.exe"))
        .write(
            "Windows/System32/inetsrv/config/applicationHost.config",
            "<configuration/>",
        );
    let before = snapshot(t.root());
    let r = scan(
        &t,
        FileOptions {
            deep: true,
            ..FileOptions::default()
        },
    );
    assert!(!r.findings.is_empty());
    let r2 = scan(&t, FileOptions::default());
    assert!(!r2.findings.is_empty());
    assert_eq!(before, snapshot(t.root()));
}

#[test]
fn files_over_the_limit_are_listed_and_still_checked_by_name() {
    let t = Tree::new();
    let mut big = minidump("lsass.exe");
    big.resize(5000, 0);
    t.write("Windows/Temp/lsass.dmp", &big)
        .write("inetpub/wwwroot/app/s.aspx", CHOPPER);
    let r = scan(
        &t,
        FileOptions {
            max_file_size: 1000,
            ..FileOptions::default()
        },
    );
    assert_eq!(ids_for(&r, "Windows/Temp/lsass.dmp"), ["EXH-FN-020"]);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/s.aspx"), ["EXH-FY-001"]);
    let skipped: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.kind == "file-too-large")
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", r.issues);
    assert!(skipped[0].path.ends_with("lsass.dmp"));
    assert!(skipped[0].message.contains("5000 bytes"));
}

#[test]
fn junk_and_empty_files_do_not_break_the_scan() {
    let t = Tree::new();
    let junk: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    t.write("inetpub/wwwroot/app/junk.aspx", &junk)
        .write("inetpub/wwwroot/app/empty.aspx", b"")
        .write("ProgramData/x.zip", b"PK\x03\x04\xff\xff")
        .write("ProgramData/y.zip", b"PK");
    let r = scan(&t, FileOptions::default());
    assert!(
        r.issues.iter().all(|i| i.kind != "scan-error"),
        "{:?}",
        r.issues
    );
    assert_eq!(ids_for(&r, "ProgramData/x.zip"), ["EXH-FY-021"]);
    assert!(ids_for(&r, "ProgramData/y.zip").is_empty());
}

#[test]
fn user_rules_load_per_file_with_their_metadata() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/app/a.txt", "marker-XYZZY-123 and more")
        .write("inetpub/wwwroot/app/b.txt", "nothing");
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("good.yar"),
        r#"rule Marker : demo { meta: author = "Test Author" score = 65 reference = "https://example.invalid/r" description = "marker"
           strings: $a = /marker-\w{5}-\d+/ condition: $a and filename == "a.txt" }"#,
    )
    .unwrap();
    // Legacy regex that only the relaxed syntax accepts (an unescaped '{' literal).
    std::fs::write(
        rules.path().join("legacy.yara"),
        r#"rule Legacy { strings: $a = /and {more/ condition: $a }"#,
    )
    .unwrap();
    std::fs::write(
        rules.path().join("broken.yar"),
        "rule Broken { condition: nosuchthing }",
    )
    .unwrap();
    std::fs::write(
        rules.path().join("pe.yar"),
        "import \"pe\"\nrule UsesPe { condition: pe.number_of_sections > 1 }\nrule NoPe { strings: $a = \"nothing\" condition: $a }",
    )
    .unwrap();
    let iocs = rules.path().join("iocs");
    std::fs::create_dir(&iocs).unwrap();
    let sha = "a0".repeat(32);
    std::fs::write(iocs.join("mine.txt"), format!("{sha} test\nnot-a-hash\n")).unwrap();
    let r = scan(
        &t,
        FileOptions {
            yara_paths: vec![rules.path().to_path_buf(), rules.path().join("missing")],
            ..FileOptions::default()
        },
    );
    let a = ids_for(&r, "inetpub/wwwroot/app/a.txt");
    assert_eq!(a, ["YARA:Marker"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.id == "YARA:Marker")
        .unwrap();
    assert_eq!(f.severity, exhunt_core::Severity::Medium, "score 65");
    assert_eq!(f.rule.author.as_deref(), Some("Test Author"));
    assert_eq!(f.rule.references, ["https://example.invalid/r"]);
    assert!(f.rule.tags.contains(&"demo".to_string()));
    assert_eq!(f.extra["yara"]["meta"]["score"], 65);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/b.txt"), ["YARA:NoPe"]);
    let diags: Vec<String> = r.rule_diagnostics.iter().map(|d| d.to_string()).collect();
    let errors: Vec<&String> = diags.iter().filter(|d| d.starts_with("error")).collect();
    assert!(
        errors
            .iter()
            .any(|d| d.contains("broken.yar") && d.contains("nosuchthing")),
        "{diags:#?}"
    );
    assert!(errors.iter().any(|d| d.contains("missing")), "{diags:#?}");
    assert!(
        !errors.iter().any(|d| d.contains("legacy.yara")),
        "{diags:#?}"
    );
    assert!(
        r.rule_diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Warning && d.message.contains("pe")),
        "{diags:#?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.contains("mine.txt") && d.contains("line 2")),
        "{diags:#?}"
    );
}

#[test]
fn hash_iocs_match() {
    let t = Tree::new();
    t.write(
        "inetpub/wwwroot/app/known.aspx",
        "<html>harmless looking</html>",
    );
    let sha = sha256_hex(b"<html>harmless looking</html>");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.sha256"),
        format!("{sha} known shell\n"),
    )
    .unwrap();
    let r = scan(
        &t,
        FileOptions {
            yara_paths: vec![dir.path().to_path_buf()],
            ..FileOptions::default()
        },
    );
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/known.aspx"),
        ["EXH-FH-001"]
    );
    assert!(r.findings[0].evidence.contains("known shell"));
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn default_scope_and_deep_mode() {
    let t = Tree::new();
    t.write("Tools/web/s.aspx", CHOPPER)
        .write("inetpub/logs/LogFiles/W3SVC1/s.aspx", CHOPPER)
        .write("ProgramData/a/b/c/d/deep.aspx", CHOPPER);
    let r = scan(&t, FileOptions::default());
    assert!(r.findings.is_empty(), "{:?}", hits(&r));
    let r = scan(
        &t,
        FileOptions {
            deep: true,
            ..FileOptions::default()
        },
    );
    assert_eq!(ids_for(&r, "Tools/web/s.aspx"), ["EXH-FY-001"]);
    assert_eq!(ids_for(&r, "ProgramData/a/b/c/d/deep.aspx"), ["EXH-FY-001"]);
}

#[test]
fn a_folder_without_a_system_drive_is_scanned_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("copy/site")).unwrap();
    std::fs::write(dir.path().join("copy/site/x.aspx"), CHOPPER).unwrap();
    let rules = rules();
    let hunter = exhunt_files::FileHunter::new(&rules, FileOptions::default());
    let r = exhunt_core::scan::scan_with(
        &exhunt_core::ScanConfig::new(dir.path()),
        &rules,
        &[&hunter],
    )
    .unwrap();
    assert_eq!(
        hits(&r),
        [("EXH-FY-001".to_string(), "copy/site/x.aspx".to_string())]
    );
}

#[test]
fn disabled_hunter_does_nothing() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/aspnet_client/s.aspx", CHOPPER);
    let r = scan(
        &t,
        FileOptions {
            enabled: false,
            ..FileOptions::default()
        },
    );
    assert!(r.findings.is_empty());
}

/// Regression guard: an embedded rule with a syntax error would be dropped with only a
/// diagnostic. The built-in pack must compile whole.
#[test]
fn the_embedded_rule_pack_compiles_without_diagnostics() {
    let rules = exhunt_core::RuleSet::load(&exhunt_core::RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let hunter = exhunt_files::FileHunter::new(&rules, exhunt_files::FileOptions::default());
    let problems: Vec<String> = hunter.diagnostics().iter().map(|d| d.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        hunter.rule_metas().len() >= 30,
        "{} file rules",
        hunter.rule_metas().len()
    );
}
