//! Property-based fuzzing of the zip reader that unpacks triage collections: damaged and
//! hostile archives are refused or unpacked in part, inside the private folder only, within
//! the size cap, without a panic or a hang. Budget and long runs: `tests/support/fuzz.rs`.

#[path = "support/fuzz.rs"]
mod fuzz;

use std::io::Write;
use std::path::Path;

use exhunt::collection::prepare;
use proptest::prelude::*;

fn zip_of(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut seen = std::collections::HashSet::new();
    for (name, data) in entries {
        if !seen.insert(name.clone()) {
            continue; // the writer refuses a name twice
        }
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn entry_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log".to_string()),
        Just("C/Windows/System32/winevt/Logs/Security.evtx".to_string()),
        Just("../escape.txt".to_string()),
        Just("/etc/evil".to_string()),
        Just("a/../../b".to_string()),
        Just("dir/".to_string()),
        "[a-zA-Z0-9_./%\\\\-]{1,40}",
    ]
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(fuzz::config(96))]

    #[test]
    fn fuzz_zip_reader(
        entries in proptest::collection::vec((entry_name(), proptest::collection::vec(any::<u8>(), 0..300)), 1..6),
        deflate in any::<bool>(),
        edits in proptest::option::of(fuzz::edits(16)),
    ) {
        let clean = zip_of(&entries, deflate);
        let bytes = match &edits {
            Some(e) => fuzz::mutate(&clean, e),
            None => clean,
        };
        let work = tempfile::tempdir().unwrap();
        let evidence = work.path().join("Collection-EX01.zip");
        std::fs::write(&evidence, &bytes).unwrap();
        let unpack = work.path().join("unpack");
        std::fs::create_dir(&unpack).unwrap();
        let cap = 2_000u64;
        let (ev, up) = (evidence.clone(), unpack.clone());
        let outcome = fuzz::bounded("unpacking a zip", move || {
            prepare(&ev, Some(&up), cap).map(|root| {
                let n = files_under(&root.path).len();
                let total: u64 = files_under(&root.path).iter().map(|f| std::fs::metadata(root.path.join(f)).map(|m| m.len()).unwrap_or(0)).sum();
                (n, total)
            }).map_err(|e| e.to_string())
        });
        if let Ok((_, total)) = outcome {
            prop_assert!(total <= cap, "unpacked {total} bytes over the cap of {cap}");
        }
        // Nothing outside the private folder; the evidence untouched; the copy removed.
        let mut top = files_under(work.path());
        top.sort();
        prop_assert_eq!(top, vec!["Collection-EX01.zip".to_string()]);
        prop_assert_eq!(std::fs::read(&evidence).unwrap(), bytes);
    }
}
