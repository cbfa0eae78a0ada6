//! Containment of bugs: one file's work runs so that a panic (a parser meeting input nobody
//! foresaw) costs that file only. The panic becomes an `internal-error` issue naming the file,
//! and the scan goes on with the others.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::model::ScanIssue;

/// Run `work` for the file at `path` (relative to the scanned root); a panic comes back as an
/// `internal-error` issue instead of ending the scan.
pub fn guard_file<T>(path: &str, work: impl FnOnce() -> T) -> Result<T, ScanIssue> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        let what = panic_message(payload.as_ref());
        ScanIssue {
            kind: "internal-error".into(),
            path: path.to_string(),
            line: None,
            message: format!(
                "reading this file hit a bug in exhunt or one of its parsers ({what}); the file was skipped, the scan went on. Please report it with the file if you can share it"
            ),
        }
    })
}

/// The message a panic carried (`panic!("…")`), or "unknown panic".
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_issue_and_a_result_passes_through() {
        assert_eq!(guard_file("a.log", || 7).unwrap(), 7);
        let issue = guard_file("b.evtx", || -> u32 { panic!("index out of bounds") }).unwrap_err();
        assert_eq!(issue.kind, "internal-error");
        assert_eq!(issue.path, "b.evtx");
        assert!(
            issue.message.contains("index out of bounds"),
            "{}",
            issue.message
        );
        let owned = guard_file("c", || -> u32 { panic!("{} records", 3) }).unwrap_err();
        assert!(owned.message.contains("3 records"), "{}", owned.message);
    }
}
