//! Zipped triage collections (a Velociraptor offline collector's zip, a zipped KAPE target
//! folder): unpacked, read-only, into a private temporary folder that is scanned like any
//! evidence folder and removed afterwards. The zip itself is only read.
//!
//! Entry names are sanitised (no absolute paths, no `..`), their modification times are kept
//! (so file findings show the collected times, not the unpacking time), and the unpacked size
//! is capped so that a zip bomb is reported instead of filling the disk.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use exhunt_core::cancel::Cancel;

/// Default cap on the unpacked size of a collection (bytes).
pub const DEFAULT_MAX_UNPACKED: u64 = 64 << 30;

/// An evidence root ready to scan: the folder as given, or an unpacked zip.
pub struct PreparedRoot {
    /// The folder (or single file) to scan.
    pub path: PathBuf,
    /// Entries that could not be unpacked, with the reason (reported as input problems).
    pub problems: Vec<(String, String)>,
    _temp: Option<tempfile::TempDir>,
}

impl PreparedRoot {
    /// True when the evidence came from a zip.
    pub fn unpacked(&self) -> bool {
        self._temp.is_some()
    }
}

/// Whether `path` (a root the operator named: a link to it is followed) is a file that starts
/// like a zip archive; an error when it is a file that cannot be read.
fn zip_magic(path: &Path) -> std::io::Result<bool> {
    if !path.is_file() {
        return Ok(false);
    }
    let mut f = exhunt_core::read::open::open_evidence(&path.canonicalize()?)?;
    let mut magic = [0u8; 4];
    match f.read_exact(&mut magic) {
        Ok(()) => Ok(magic == *b"PK\x03\x04"),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Prepare `root` for scanning: a zip is unpacked into a temporary folder (under `work_dir`,
/// or the system's temporary folder), anything else is used as it is.
pub fn prepare(
    root: &Path,
    work_dir: Option<&Path>,
    max_unpacked: u64,
) -> anyhow::Result<PreparedRoot> {
    prepare_until(root, work_dir, max_unpacked, &Cancel::default())
}

/// [`prepare`] that stops unpacking once `cancel` is set (the entries left are listed as
/// problems; the scan that follows stops at once too).
pub fn prepare_until(
    root: &Path,
    work_dir: Option<&Path>,
    max_unpacked: u64,
    cancel: &Cancel,
) -> anyhow::Result<PreparedRoot> {
    let zip = zip_magic(root)
        .map_err(|e| anyhow::anyhow!("cannot read the evidence root {}: {e}", root.display()))?;
    if !zip {
        return Ok(PreparedRoot {
            path: root.to_path_buf(),
            problems: Vec::new(),
            _temp: None,
        });
    }
    let temp = match work_dir {
        Some(d) => tempfile::Builder::new().prefix("exhunt-").tempdir_in(d),
        None => tempfile::Builder::new().prefix("exhunt-").tempdir(),
    }
    .map_err(|e| anyhow::anyhow!("cannot create a folder to unpack {}: {e}", root.display()))?;
    let name = root
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "collection".into());
    let dest = temp.path().join(&name);
    fs::create_dir_all(&dest)?;
    // The operator named the root: a link to the zip is followed (evidence inside never is).
    let real = root.canonicalize()?;
    let problems = unpack(&real, &dest, max_unpacked, cancel)?;
    Ok(PreparedRoot {
        path: dest,
        problems,
        _temp: Some(temp),
    })
}

fn unpack(
    zip_path: &Path,
    dest: &Path,
    max_unpacked: u64,
    cancel: &Cancel,
) -> anyhow::Result<Vec<(String, String)>> {
    let file = exhunt_core::read::open::open_evidence(zip_path)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("{} is not a readable zip: {e}", zip_path.display()))?;
    let mut problems = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        if cancel.is_cancelled() {
            problems.push((
                format!("entries #{i} to #{}", archive.len() - 1),
                "not unpacked: the scan was interrupted".into(),
            ));
            break;
        }
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push((format!("entry #{i}"), format!("cannot read: {e}")));
                continue;
            }
        };
        let raw_name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry #{i}"));
        let Some(rel) = entry.enclosed_name() else {
            problems.push((
                raw_name,
                "unsafe path (absolute or with ..): skipped".into(),
            ));
            continue;
        };
        let out = dest.join(rel);
        if entry.is_dir() {
            fs::create_dir_all(&out)?;
            continue;
        }
        if total.saturating_add(entry.size()) > max_unpacked {
            problems.push((
                raw_name,
                format!("unpacking it would exceed the {max_unpacked}-byte limit: skipped"),
            ));
            continue;
        }
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        let written = match File::create(&out)
            .and_then(|mut f| copy_capped(&mut entry, &mut f, max_unpacked - total))
        {
            Ok(n) => n,
            Err(e) => {
                problems.push((raw_name, format!("cannot unpack: {e}")));
                continue;
            }
        };
        total += written;
        if let Some(t) = entry.last_modified().and_then(zip_time_to_unix) {
            let _ = filetime::set_file_mtime(&out, filetime::FileTime::from_unix_time(t, 0));
        }
    }
    Ok(problems)
}

/// Copy at most `cap` bytes; more means the entry lied about its size (a bomb): an error.
fn copy_capped(from: &mut impl Read, to: &mut impl Write, cap: u64) -> io::Result<u64> {
    let n = io::copy(&mut from.take(cap + 1), to)?;
    if n > cap {
        return Err(io::Error::other(
            "entry larger than its declared size allows",
        ));
    }
    Ok(n)
}

fn zip_time_to_unix(t: zip::DateTime) -> Option<i64> {
    let d = chrono::NaiveDate::from_ymd_opt(t.year().into(), t.month().into(), t.day().into())?;
    let dt = d.and_hms_opt(t.hour().into(), t.minute().into(), t.second().into())?;
    Some(dt.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn make_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let f = File::create(path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .last_modified_time(zip::DateTime::from_date_and_time(2021, 3, 3, 2, 47, 10).unwrap());
        for (name, data) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }

    #[test]
    fn zip_is_unpacked_with_times_and_unsafe_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("Collection-EX01.zip");
        make_zip(
            &zip,
            &[
                (
                    "uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
                    b"#Fields: date\n",
                ),
                ("../escape.txt", b"no"),
            ],
        );
        let before = fs::read(&zip).unwrap();
        let root = prepare(&zip, Some(dir.path()), DEFAULT_MAX_UNPACKED).unwrap();
        assert!(root.unpacked());
        let log = root
            .path
            .join("uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log");
        assert_eq!(fs::read(&log).unwrap(), b"#Fields: date\n");
        let mtime = fs::metadata(&log).unwrap().modified().unwrap();
        let secs = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(
            secs, 1_614_739_630,
            "2021-03-03T02:47:10Z kept from the zip"
        );
        assert_eq!(root.problems.len(), 1);
        assert!(root.problems[0].1.contains("unsafe path"));
        assert!(!dir.path().join("escape.txt").exists());
        assert_eq!(fs::read(&zip).unwrap(), before, "the zip is only read");
        let unpacked = root.path.clone();
        drop(root);
        assert!(!unpacked.exists(), "the unpacked copy is removed");
    }

    #[test]
    fn size_cap_stops_a_bomb() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("bomb.zip");
        make_zip(&zip, &[("a.log", &[b'a'; 5000]), ("b.log", &[b'b'; 5000])]);
        let root = prepare(&zip, Some(dir.path()), 6000).unwrap();
        assert!(root.path.join("a.log").exists());
        assert!(!root.path.join("b.log").exists());
        assert!(root.problems[0].1.contains("limit"), "{:?}", root.problems);
    }

    #[test]
    fn folders_are_used_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = prepare(dir.path(), None, DEFAULT_MAX_UNPACKED).unwrap();
        assert!(!root.unpacked());
        assert_eq!(root.path, dir.path());
    }
}
