//! What the corpus tests share: where the shared corpus is, its EVTX files, and the findings
//! of a hunter on one file in a form two hunters can be compared by.

use std::path::{Path, PathBuf};

use exhunt_core::discover::LogFile;
use exhunt_core::SourceKind;
use exhunt_events::EventHunter;

/// `shared/corpus`, beside the repository.
pub fn corpus() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        p.is_dir(),
        "the shared corpus is expected beside the repository (../shared): {}",
        p.display()
    );
    p
}

/// Every `.evtx` under `root`, appended to `out`.
pub fn evtx_files(root: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(root).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            evtx_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
        {
            out.push(p);
        }
    }
}

/// The attack captures of the corpus (the files `bench/sigma_scaling.sh` hunts), sorted.
pub fn attack_captures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["mdecrevoisier__EVTX-to-MITRE-Attack", "SigmaHQ__sigma"] {
        evtx_files(&corpus().join("evtx").join(dir), &mut files);
    }
    files.sort();
    files
}

/// Findings of `hunter` on one file as sorted `rule location evidence` lines.
pub fn findings_of(hunter: &EventHunter, path: &Path) -> Vec<String> {
    let file = LogFile {
        path: path.to_path_buf(),
        rel: path.file_name().unwrap().to_string_lossy().into_owned(),
        kind: SourceKind::Evtx,
        size: std::fs::metadata(path).unwrap().len(),
        host: "H".into(),
    };
    let mut out: Vec<String> = hunter
        .hunt_file(&file)
        .findings
        .iter()
        .map(|f| format!("{} {:?} {}", f.rule.id, f.location, f.evidence))
        .collect();
    out.sort();
    out
}

/// The findings of the fast way (`a`) and of the reference (`b`) are the same; when not, the first
/// of each side's own.
pub fn assert_same(a: &[String], b: &[String], path: &Path) {
    if a != b {
        let only_fast: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
        let only_every: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
        panic!(
            "{}: {} found only the fast way, {} only by the reference; first of each: {:?} / {:?}",
            path.display(),
            only_fast.len(),
            only_every.len(),
            only_fast
                .first()
                .map(|s| s.chars().take(300).collect::<String>()),
            only_every
                .first()
                .map(|s| s.chars().take(300).collect::<String>())
        );
    }
}
