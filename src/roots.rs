//! The roots of a scan: from the command line and from `--roots-from FILE` (a CSV with a header
//! naming `path` and optionally `host` and `org`, or one path per line), each with its
//! organisation label (the file's `org` column, else `--org`, else with `--org-from-parent` the
//! name of the folder holding the root).

use std::path::{Path, PathBuf};

use exhunt_fleet::InputProblem;

/// One evidence root to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootSpec {
    /// The folder, zip or file.
    pub path: PathBuf,
    /// Host name for a root that holds one server (`--host`, the `host` column).
    pub host: Option<String>,
    /// Organisation label.
    pub org: Option<String>,
}

/// How organisation labels are given.
#[derive(Debug, Clone, Default)]
pub struct OrgRule {
    /// `--org NAME`.
    pub org: Option<String>,
    /// `--org-from-parent`.
    pub from_parent: bool,
}

impl OrgRule {
    /// The organisation of `path` when no file column names one.
    pub fn org_for(&self, path: &Path) -> Option<String> {
        if let Some(o) = self.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            return Some(o.to_string());
        }
        if self.from_parent {
            let abs = if path.is_absolute() {
                path.to_path_buf()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(path))
                    .unwrap_or_else(|_| path.to_path_buf())
            };
            return abs
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned());
        }
        None
    }
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Read a roots file. Relative paths are taken relative to the file's folder. Rows that cannot
/// be used are returned as problems with their line number; the others are kept.
pub fn read_roots_file(
    file: &Path,
    rule: &OrgRule,
) -> anyhow::Result<(Vec<RootSpec>, Vec<InputProblem>)> {
    let (text, bad_lines) = read_text(file)
        .map_err(|e| anyhow::anyhow!("cannot read the roots file {}: {e}", file.display()))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };
    let mut roots = Vec::new();
    let mut problems = Vec::new();
    let problem = |line: u64, message: String| InputProblem {
        file: file.display().to_string(),
        line: Some(line),
        kind: "bad-row".into(),
        message,
    };
    for line in bad_lines {
        problems.push(problem(
            line,
            "this line is not UTF-8 text: it was left out".into(),
        ));
    }
    // The header is the first line that is neither empty nor a comment.
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or("");
    let header: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    if header.iter().any(|c| c == "path") {
        // Comment lines, indented or not, are left empty (line numbers stay right).
        let rows: String = text
            .split('\n')
            .map(|l| {
                if l.trim_start().starts_with('#') {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(rows.as_bytes());
        let cols = rdr
            .headers()
            .map(|h| h.iter().map(|c| c.to_ascii_lowercase()).collect::<Vec<_>>())
            .unwrap_or_default();
        let at = |name: &str| cols.iter().position(|c| c == name);
        let (pi, hi, oi) = (at("path"), at("host"), at("org"));
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    problems.push(problem(line, format!("not a CSV row: {e}")));
                    continue;
                }
            };
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let Some(path) = pi.and_then(|i| nonempty(rec.get(i))) else {
                problems.push(problem(line, "no path in this row".into()));
                continue;
            };
            let path = resolve(&path);
            let org = oi
                .and_then(|i| nonempty(rec.get(i)))
                .or_else(|| rule.org_for(&path));
            roots.push(RootSpec {
                host: hi.and_then(|i| nonempty(rec.get(i))),
                org,
                path,
            });
        }
    } else {
        for (n, l) in text.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let _ = n;
            let path = resolve(l);
            roots.push(RootSpec {
                org: rule.org_for(&path),
                host: None,
                path,
            });
        }
    }
    Ok((roots, problems))
}

/// A roots file as text, whatever Windows editor wrote it: UTF-8 with or without a byte order
/// mark, or UTF-16 (Notepad's "Unicode"). A line that is not UTF-8 is left empty (so that line
/// numbers stay right) and its number returned, instead of refusing the whole file.
fn read_text(file: &Path) -> std::io::Result<(String, Vec<u64>)> {
    use exhunt_core::read::chunks::{sniff_encoding, utf8_reader};
    use std::io::Read;
    let raw = std::fs::read(file)?;
    let mut bytes = Vec::with_capacity(raw.len());
    let encoding = sniff_encoding(&raw);
    utf8_reader(std::io::Cursor::new(raw), encoding).read_to_end(&mut bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if n > 0 {
            text.push('\n');
        }
        match std::str::from_utf8(line) {
            Ok(l) => text.push_str(l),
            Err(_) => bad.push(n as u64 + 1),
        }
    }
    Ok((text, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_files_from_windows_editors_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("roots.csv");
        let rows =
            "  # collected 2021-03-05\npath,host,org\nEX01.zip,EX01,Alpha\n  # the other one\nEX02.zip,EX02,Alpha\n";
        // UTF-8 with a byte order mark, and indented comments before the header and among rows.
        std::fs::write(&f, format!("\u{feff}{rows}")).unwrap();
        let (roots, problems) = read_roots_file(&f, &OrgRule::default()).unwrap();
        assert_eq!(roots.len(), 2, "{problems:?}");
        assert_eq!(roots[1].host.as_deref(), Some("EX02"));
        // UTF-16 little-endian with its byte order mark (Notepad's "Unicode").
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(rows.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&f, utf16).unwrap();
        let (roots, problems) = read_roots_file(&f, &OrgRule::default()).unwrap();
        assert_eq!(roots.len(), 2, "{problems:?}");
        assert_eq!(roots[0].org.as_deref(), Some("Alpha"));
        // One line in Latin-1: that line is a problem, the others are read.
        let latin1 = b"path,host\nEX01.zip,EX01\nEX\xc9.zip,EX\xc9\nEX03.zip,EX03\n".to_vec();
        std::fs::write(&f, latin1).unwrap();
        let (roots, problems) = read_roots_file(&f, &OrgRule::default()).unwrap();
        assert_eq!(
            roots
                .iter()
                .map(|r| r.host.as_deref().unwrap())
                .collect::<Vec<_>>(),
            ["EX01", "EX03"]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(3));
        assert!(problems[0].message.contains("not UTF-8"), "{problems:?}");
    }

    #[test]
    fn csv_with_header_and_plain_lists_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("roots.csv");
        std::fs::write(
            &f,
            "path,host,org\ncollections/a.zip,EX01,Alpha\n/abs/EX02,,Beta\n,EX03,Gamma\n\"c\",,\n",
        )
        .unwrap();
        let (roots, problems) = read_roots_file(&f, &OrgRule::default()).unwrap();
        assert_eq!(roots.len(), 3);
        assert_eq!(roots[0].path, dir.path().join("collections/a.zip"));
        assert_eq!(roots[0].host.as_deref(), Some("EX01"));
        assert_eq!(roots[0].org.as_deref(), Some("Alpha"));
        assert_eq!(roots[1].path, PathBuf::from("/abs/EX02"));
        assert_eq!(roots[1].host, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(4), "{problems:?}");
        assert!(problems[0].message.contains("no path"));
        // --org fills rows without one.
        let rule = OrgRule {
            org: Some("Default".into()),
            from_parent: false,
        };
        let (roots, _) = read_roots_file(&f, &rule).unwrap();
        assert_eq!(roots[2].org.as_deref(), Some("Default"));

        let g = dir.path().join("roots.txt");
        std::fs::write(&g, "# collections\nORG1/EX01\n\nORG2/EX02.zip\n").unwrap();
        let rule = OrgRule {
            org: None,
            from_parent: true,
        };
        let (roots, problems) = read_roots_file(&g, &rule).unwrap();
        assert!(problems.is_empty());
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[0].org.as_deref(), Some("ORG1"));
        assert_eq!(roots[1].org.as_deref(), Some("ORG2"));
    }
}
