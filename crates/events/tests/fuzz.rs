//! Property-based fuzzing of the event-log readers and the Sigma compiler: damaged EVTX files
//! through the `evtx` wrapper, JSON/JSONL event exports, and generated or damaged Sigma rules
//! compiled and run on events. Zero panics, zero hangs; budget and long runs:
//! `tests/support/fuzz.rs` at the workspace root.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use exhunt_core::discover::LogFile;
use exhunt_core::{Finding, RuleSet, RuleSources, SourceKind};
use exhunt_events::read::{evtx::read_evtx_from, json::read_json_from, RecordHandler};
use exhunt_events::{EventHunter, EventOptions};
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A handler that touches every event the way the engine does (all of its fields).
struct Touch;

impl RecordHandler for Touch {
    fn handle(&self, event: &Value, _record_id: Option<u64>) -> Vec<Finding> {
        let _ = event.to_string();
        Vec::new()
    }
}

fn hunter() -> &'static EventHunter {
    static H: OnceLock<EventHunter> = OnceLock::new();
    H.get_or_init(|| {
        let rules = RuleSet::load(&RuleSources {
            embedded: true,
            user_paths: vec![],
        });
        EventHunter::new(&rules, EventOptions::default())
    })
}

fn small_evtx() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| std::fs::read(fixture("sysmon1-lsassy.evtx")).unwrap())
}

/// JSON pieces of event exports, and the noise found around them.
fn json_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r##"{"Event":{"System":{"EventID":4688,"Channel":"Security","TimeCreated":{"#attributes":{"SystemTime":"2021-03-03T02:47:10Z"}}},"EventData":{"CommandLine":"cmd.exe /c whoami","ParentProcessName":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}}}"##.to_string()),
        Just("Record 12\n".to_string()),
        Just("[\n".to_string()),
        Just("]\n".to_string()),
        Just(",\n".to_string()),
        Just("{\"Event\":{\"System\":{\"EventID\":".to_string()),
        Just("\"unterminated string \\".to_string()),
        Just("{{{{{{{{[[[[".to_string()),
        Just("}}}}]]]]".to_string()),
        Just("\u{feff}".to_string()),
        Just("\n".to_string()),
        "[ -~]{0,80}",
        "\\PC{0,40}",
    ]
}

/// A Sigma detection map with generated selections, modifiers, values and condition.
fn sigma_rule() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("CommandLine"),
        Just("Image"),
        Just("ParentImage"),
        Just("EventID"),
        Just("TargetUserName"),
        Just("cs-uri-query"),
        Just("c-useragent"),
        Just("Odd Field"),
    ];
    let modifier = prop_oneof![
        Just(""),
        Just("|contains"),
        Just("|startswith"),
        Just("|endswith"),
        Just("|contains|all"),
        Just("|re"),
        Just("|cased"),
        Just("|exists"),
        Just("|cidr"),
        Just("|gt"),
        Just("|lt"),
        Just("|windash"),
        Just("|base64"),
        Just("|base64offset|contains"),
        Just("|wide|base64"),
        Just("|utf16le"),
        Just("|unknownmod"),
    ];
    let value = prop_oneof![
        "[ -~]{0,16}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        Just("'*'".to_string()),
        Just("'(?i)a+b[c'".to_string()),
        Just("'10.0.0.0/8'".to_string()),
        Just("42".to_string()),
        Just("null".to_string()),
        Just("''".to_string()),
    ];
    let selection = (
        field,
        modifier,
        proptest::collection::vec(value, 1..4),
        any::<bool>(),
    )
        .prop_map(|(f, m, vals, keywords)| {
            if keywords {
                format!("    - {}\n", vals.join("\n    - "))
            } else {
                format!("    {f}{m}:\n      - {}\n", vals.join("\n      - "))
            }
        });
    let leaf = prop_oneof![
        Just("sel1".to_string()),
        Just("sel2".to_string()),
        Just("1 of sel*".to_string()),
        Just("all of them".to_string()),
        Just("missing".to_string()),
        Just("(".to_string()),
    ];
    let condition = leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    });
    let logsource = prop_oneof![
        Just("product: windows\n  category: process_creation"),
        Just("product: windows\n  service: security"),
        Just("category: webserver"),
        Just("product: linux"),
        Just("product: windows\n  service: powershell"),
    ];
    (logsource, selection.clone(), selection, condition).prop_map(|(ls, a, b, c)| {
        format!(
            "title: fuzz\nid: 00000000-0000-4000-8000-000000000000\nlevel: high\nlogsource:\n  {ls}\ndetection:\n  sel1:\n{a}  sel2:\n{b}  condition: {c}\n"
        )
    })
}

fn run_sigma(text: String) {
    fuzz::bounded("compiling and running a Sigma rule", move || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rule.yml"), &text).unwrap();
        let rules = RuleSet::default();
        let hunter = EventHunter::new(
            &rules,
            EventOptions {
                sigma_dirs: vec![dir.path().to_path_buf()],
                ..Default::default()
            },
        );
        let file = LogFile {
            path: fixture("export.jsonl"),
            rel: "export.jsonl".into(),
            kind: SourceKind::Evtx,
            size: 1,
            host: "EX01".into(),
        };
        let _ = hunter.hunt_file(&file);
        // Web rules compile for the log engine too.
        let _ = exhunt_core::detect::LogEngine::from_rules(
            hunter.web_rules().to_vec(),
            Default::default(),
        );
    });
}

fn sigma_seeds() -> &'static [String] {
    static S: OnceLock<Vec<String>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v: Vec<String> = std::fs::read_dir(fixture("sigma"))
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        v.sort();
        v
    })
}

proptest! {
    #![proptest_config(fuzz::config(64))]

    /// Damaged EVTX files through the wrapper and the engine: counted problems, never a
    /// panic or a hang.
    #[test]
    fn fuzz_evtx_wrapper(edits in fuzz::edits(24)) {
        let bytes = fuzz::mutate(small_evtx(), &edits);
        fuzz::bounded("reading a damaged EVTX", move || {
            let read = read_evtx_from(Cursor::new(bytes.clone()), &Touch);
            assert!(read.records <= 1_000_000);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("Security.evtx");
            std::fs::write(&path, &bytes).unwrap();
            let file = LogFile { path, rel: "Security.evtx".into(), kind: SourceKind::Evtx, size: bytes.len() as u64, host: "EX01".into() };
            let _ = hunter().hunt_file(&file);
        });
    }

    /// JSON and JSONL event exports, whole or broken: every bad record is counted.
    #[test]
    fn fuzz_json_event_reader(pieces in proptest::collection::vec(json_piece(), 0..30)) {
        let text = pieces.concat();
        let read = fuzz::bounded("reading a JSON export", move || read_json_from(Cursor::new(text.into_bytes()), &Touch));
        prop_assert!(read.problems.len() as u64 <= read.problems_total);
    }

    /// Generated Sigma rules: each loads or is listed as unsupported, and what loads runs.
    #[test]
    fn fuzz_sigma_compiler(rule in sigma_rule()) {
        run_sigma(rule);
    }

    /// Damaged copies of real Sigma rules.
    #[test]
    fn fuzz_sigma_compiler_on_damaged_rules(which in 0usize..16, edits in fuzz::edits(10)) {
        let seeds = sigma_seeds();
        let seed = &seeds[which % seeds.len()];
        run_sigma(String::from_utf8_lossy(&fuzz::mutate(seed.as_bytes(), &edits)).into_owned());
    }
}
