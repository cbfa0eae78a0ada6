//! A bounded, symlink-safe directory walk that hands out lower-cased path components.

use std::path::{Path, PathBuf};

/// Deepest folder level visited below the root.
const MAX_DEPTH: usize = 32;
/// Most entries visited in one walk (a guard against pathological trees).
const MAX_ENTRIES: usize = 5_000_000;

/// Entry kind.
pub(crate) enum Kind {
    Dir,
    File,
}

/// One visited entry.
pub(crate) struct Entry<'a> {
    pub path: &'a Path,
    pub kind: Kind,
    /// Lower-cased components from the root (exclusive) to this entry (inclusive).
    pub lower_components: Vec<String>,
}

/// Visit every file and folder below `root` (not following symlinks), depth-first, until
/// `stop` says so.
pub(crate) fn walk(root: &Path, stop: &dyn Fn() -> bool, visit: &mut dyn FnMut(Entry<'_>)) {
    let mut stack: Vec<(PathBuf, Vec<String>)> = vec![(root.to_path_buf(), Vec::new())];
    let mut seen = 0usize;
    while let Some((dir, comps)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for ent in rd.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES || (seen.is_multiple_of(512) && stop()) {
                return;
            }
            let Ok(ft) = ent.file_type() else { continue };
            let path = ent.path();
            let mut lc = comps.clone();
            lc.push(ent.file_name().to_string_lossy().to_lowercase());
            if ft.is_dir() {
                visit(Entry {
                    path: &path,
                    kind: Kind::Dir,
                    lower_components: lc.clone(),
                });
                if lc.len() < MAX_DEPTH {
                    stack.push((path, lc));
                }
            } else if ft.is_file() {
                visit(Entry {
                    path: &path,
                    kind: Kind::File,
                    lower_components: lc,
                });
            }
        }
    }
}
