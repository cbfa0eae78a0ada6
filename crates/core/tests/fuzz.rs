//! Property-based fuzzing of the engine's parsers and loaders: W3C (IIS) and Exchange CSV log
//! reading through the whole log engine, CSV field splitting, and the rule YAML loader. Zero
//! panics, zero hangs; budget and long runs: `tests/support/fuzz.rs` at the workspace root.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;

use std::sync::{Arc, OnceLock};

use exhunt_core::detect::{LogEngine, LogScanOptions};
use exhunt_core::discover::LogFile;
use exhunt_core::read::record::parse_csv;
use exhunt_core::{RuleSet, RuleSources, SourceKind};
use proptest::prelude::*;

fn embedded() -> Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            Arc::new(RuleSet::load(&RuleSources {
                embedded: true,
                user_paths: vec![],
            }))
        })
        .clone()
}

/// Pieces real logs are made of, and the damage they come with.
fn log_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"#Software: Microsoft Internet Information Services 10.0\r\n".to_vec()),
        Just(b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n".to_vec()),
        Just(b"#Fields: date time c-ip cs-method\n".to_vec()),
        Just(b"DateTime,RequestId,ClientIpAddress,AnchorMailbox,UrlStem,HttpStatus,AuthenticatedUser,Method\r\n".to_vec()),
        Just(b"#Log-type: HttpProxy Logs\n".to_vec()),
        Just(b"2021-03-03 02:47:10 10.0.0.5 POST /ecp/y.js - 443 - 203.0.113.9 python-requests/2.25 - 200 0 0 15\n".to_vec()),
        Just(b"2021-03-03T02:47:10.123Z,c0ffee,203.0.113.9,ServerInfo~a]@ex01.contoso.local:444/autodiscover,/ecp/x.js,200,,POST\n".to_vec()),
        Just(b"\"a,\"\"b\"\"\",\"unterminated\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xFF\xFE#\0F\0i\0e\0l\0d\0s\0:\0 \0d\0a\0t\0e\0\n\0".to_vec()),
        Just(vec![0u8; 7]),
        Just(b"\r\n\n\r".to_vec()),
        Just(b"/aspnet_client/system_web/x.aspx ServerInfo~ X-BEResource= /powershell autodiscover.json?@".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..200),
        "[ -~]{0,300}\n".prop_map(String::into_bytes),
        (1usize..5000).prop_map(|n| {
            let mut v = vec![b'A'; n];
            v.push(b'\n');
            v
        }),
    ]
}

fn scan(kind: SourceKind, bytes: Vec<u8>, chunk: usize, max_line: usize) -> (u64, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_ex210303.log");
    std::fs::write(&path, &bytes).unwrap();
    let engine = LogEngine::new(
        &embedded(),
        LogScanOptions {
            chunk,
            max_line,
            ..Default::default()
        },
    );
    let file = LogFile {
        path,
        rel: "u_ex210303.log".into(),
        kind,
        size: bytes.len() as u64,
        host: "EX01".into(),
    };
    let r = fuzz::bounded("reading a log", move || engine.scan_file(&file));
    let hits = r
        .findings
        .iter()
        .map(|f| format!("{}:{:?}", f.rule.id, f.line()))
        .collect();
    (r.coverage.lines, hits)
}

proptest! {
    #![proptest_config(fuzz::config(96))]

    /// Any bytes read as any text log kind: no panic, no hang, and the same findings whatever
    /// the region size the file is read in (lines cut at region ends are joined right).
    #[test]
    fn fuzz_w3c_and_csv_log_reading(
        pieces in proptest::collection::vec(log_piece(), 0..40),
        kind in prop_oneof![Just(SourceKind::Iis), Just(SourceKind::HttpProxy), Just(SourceKind::Ecp), Just(SourceKind::Oab), Just(SourceKind::Rps)],
        chunk in 16usize..300,
    ) {
        let bytes: Vec<u8> = pieces.concat();
        let (lines_small, hits_small) = scan(kind, bytes.clone(), chunk, 1 << 20);
        let (lines_big, hits_big) = scan(kind, bytes, 1 << 20, 1 << 20);
        prop_assert_eq!(lines_small, lines_big);
        prop_assert_eq!(hits_small, hits_big);
    }

    /// CSV fields: never a panic; fields without quotes or commas come back as written (a
    /// byte-order mark opening a line is dropped, as at the start of a file).
    #[test]
    fn fuzz_csv_fields(raw in "\\PC{0,200}", plain in proptest::collection::vec("[^,\"\r\n\u{feff}]{0,12}", 1..12)) {
        let _ = parse_csv(&raw);
        let line = plain.join(",");
        prop_assume!(!line.is_empty()); // an empty line has no fields at all
        prop_assert_eq!(parse_csv(&line), plain);
    }

    /// The rule YAML loader on damaged copies of the embedded rule files and on YAML-ish
    /// noise: every problem is a diagnostic, and whatever loads compiles and runs.
    #[test]
    fn fuzz_rule_yaml_loader(which in 0usize..64, edits in fuzz::edits(12), noise in "[a-z:{}\\[\\]\\-'\" \n*?|>&!%@`]{0,300}") {
        let files = rule_files();
        let seed = &files[which % files.len()];
        let damaged = String::from_utf8_lossy(&fuzz::mutate(seed.as_bytes(), &edits)).into_owned();
        for text in [damaged, noise] {
            let rules = fuzz::bounded("loading rules", move || {
                let rules = RuleSet::from_text("fuzz.yml", &text);
                // What loaded must compile into the engine and run over a line.
                let engine = LogEngine::new(&rules, LogScanOptions::default());
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("u_ex1.log");
                std::fs::write(&path, "#Fields: date time cs-uri-stem c-ip\n2021-03-03 02:47:10 /ecp/y.js 203.0.113.9\n").unwrap();
                let _ = engine.scan_file(&LogFile { path, rel: "u_ex1.log".into(), kind: SourceKind::Iis, size: 80, host: "h".into() });
                rules
            });
            for d in &rules.diagnostics {
                prop_assert!(!d.message.is_empty());
            }
        }
    }
}

/// The embedded rule files' text (the seeds the loader fuzzing damages).
fn rule_files() -> &'static [String] {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let mut out = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yml") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        out.sort();
        assert!(out.len() > 5, "rule files not found");
        out
    })
}
