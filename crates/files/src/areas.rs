//! Where to look: the folders of a Windows/Exchange system drive that web shells, dumps and
//! staged data were published in, found case-insensitively below each system root that
//! discovery reported. `--deep` walks the whole evidence root instead.
//!
//! | area | folders (below a system drive root) |
//! |---|---|
//! | `iis-config` | `Windows/System32/inetsrv/config/*.config`, `Windows/Microsoft.NET/Framework*/v*/Config/web.config` |
//! | `exchange-web` | `<Exchange>/FrontEnd/HttpProxy`, `<Exchange>/ClientAccess` (default and discovered installs) |
//! | `web` | `inetpub` (wwwroot with aspnet_client and the other sites), without `inetpub/logs` |
//! | `aspnet-temp` | `Windows/Microsoft.NET/Framework*/v*/Temporary ASP.NET Files` |
//! | `staging` | `ProgramData` (3 levels), `Windows/Temp`, `root`, `Users/Public`, `PerfLogs` (6 levels) |
//! | `drive-root` | files directly in the drive root |
//! | `deep` | anything else (`--deep` only) |

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use exhunt_core::discover::{rel_path, Inventory};
use exhunt_core::model::ScanIssue;

/// Why a file was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// IIS configuration files.
    IisConfig,
    /// Exchange FrontEnd/HttpProxy and ClientAccess.
    ExchangeWeb,
    /// IIS web roots.
    Web,
    /// ASP.NET compilation folders.
    AspnetTemp,
    /// Places published for staging, dumps and tools.
    Staging,
    /// Files directly in a drive root.
    DriveRoot,
    /// Everything else, with `--deep`.
    Deep,
}

impl Area {
    /// The name used in rules (`area` field, `exhunt_area` YARA variable).
    pub fn as_str(self) -> &'static str {
        match self {
            Area::IisConfig => "iis-config",
            Area::ExchangeWeb => "exchange-web",
            Area::Web => "web",
            Area::AspnetTemp => "aspnet-temp",
            Area::Staging => "staging",
            Area::DriveRoot => "drive-root",
            Area::Deep => "deep",
        }
    }

    /// True for folders IIS serves pages from.
    pub fn is_web(self) -> bool {
        matches!(self, Area::Web | Area::ExchangeWeb)
    }
}

/// One file to scan.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Path on disk.
    pub abs: PathBuf,
    /// Path relative to the scanned root, `/` separators.
    pub rel: String,
    /// Path below its system drive root, lower case, leading `/` (or below the scanned root
    /// when no drive root is known).
    pub sys_path: String,
    /// Host the file belongs to.
    pub host: String,
    /// Why it is scanned.
    pub area: Area,
    /// Folder depth below the area's top folder (0 = directly in it).
    pub depth: usize,
    /// Size in bytes when listed (0 when the listing was asked not to read sizes).
    pub size: u64,
    /// Set for an entry that is not a regular file (symlink, FIFO, device…): its name and
    /// place are checked, its content is never read.
    pub special: Option<exhunt_core::special::SpecialEntry>,
}

/// The files to scan, and problems met while listing them.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files, in walk order (no duplicates).
    pub files: Vec<Candidate>,
    /// Unreadable folders and the like.
    pub issues: Vec<ScanIssue>,
}

/// One folder tree to walk.
struct Top {
    dir: PathBuf,
    area: Area,
    max_depth: usize,
    /// Lower-case folder names (relative to `dir`) not to enter.
    skip: &'static [&'static str],
    host: String,
    sys_root: PathBuf,
}

impl Top {
    /// Can this walk list files of `other`'s folder tree (it holds it within its depth)?
    fn reaches_into(&self, other: &Top) -> bool {
        other
            .dir
            .strip_prefix(&self.dir)
            .is_ok_and(|below| below.components().count() < self.max_depth)
    }
}

/// The default Exchange install folder below a system root.
const EXCHANGE_DEFAULT: &[&str] = &["program files", "microsoft", "exchange server", "v15"];

/// List the files to scan for `inventory` (`deep`: every file under the root).
pub fn list(inventory: &Inventory, deep: bool) -> Listing {
    let mut files = Vec::new();
    let mut out = list_each(inventory, deep, true, &|| false, &mut |c| files.push(c));
    out.files = files;
    out
}

/// Walk the files to scan, handing each to `on_file` as soon as it is found (so that scanning
/// can start while the walk goes on); the returned listing holds only the walk's problems.
/// `sizes`: read each file's size while listing (one more metadata call per file: only worth
/// it for a progress bar, as the scan reads the size of each file it opens anyway).
/// The walk ends early once `stop` says so (the scan was interrupted).
pub fn list_each(
    inventory: &Inventory,
    deep: bool,
    sizes: bool,
    stop: &dyn Fn() -> bool,
    on_file: &mut dyn FnMut(Candidate),
) -> Listing {
    let root = &inventory.root;
    let mut tops = Vec::new();
    let mut sys_roots: Vec<(PathBuf, String)> = Vec::new();
    for host in &inventory.hosts {
        for sr in &host.system_roots {
            let sys = if sr.is_empty() {
                root.clone()
            } else {
                root.join(sr)
            };
            sys_roots.push((sys.clone(), host.name.clone()));
            if !deep {
                tops.extend(system_tops(&sys, &host.name));
            }
        }
        if !deep {
            for inst in &host.exchange_installs {
                let dir = root.join(inst);
                let sys = sys_roots
                    .iter()
                    .filter(|(s, _)| dir.starts_with(s))
                    .max_by_key(|(s, _)| s.as_os_str().len())
                    .map(|(s, _)| s.clone())
                    .unwrap_or_else(|| root.clone());
                for sub in [&["frontend", "httpproxy"][..], &["clientaccess"][..]] {
                    if let Some(d) = child_path_ci(&dir, sub) {
                        tops.push(Top {
                            dir: d,
                            area: Area::ExchangeWeb,
                            max_depth: 12,
                            skip: &[],
                            host: host.name.clone(),
                            sys_root: sys.clone(),
                        });
                    }
                }
            }
        }
    }
    // No system drive in the evidence (a copied web root, a folder of files): scan it all.
    if deep || sys_roots.is_empty() {
        let host = inventory
            .hosts
            .first()
            .map(|h| h.name.clone())
            .unwrap_or_else(|| root_name(root));
        tops.push(Top {
            dir: root.clone(),
            area: Area::Deep,
            max_depth: 64,
            skip: &[],
            host,
            sys_root: root.clone(),
        });
    }
    let mut out = Listing::default();
    // A file is listed once even when areas overlap (an Exchange install below inetpub, say);
    // remembering every path costs a copy and a hash per file, so only then.
    let nested = tops.iter().enumerate().any(|(i, a)| {
        tops.iter()
            .enumerate()
            .any(|(j, b)| i != j && a.reaches_into(b))
    });
    let mut seen = nested.then(HashSet::new);
    for top in &tops {
        if stop() {
            break;
        }
        walk(
            stop,
            root,
            top,
            &sys_roots,
            seen.as_mut(),
            sizes,
            &mut out,
            on_file,
        );
    }
    out
}

fn root_name(root: &Path) -> String {
    root.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "localhost".into())
}

/// The folder trees of one system drive root, most specific area first.
fn system_tops(sys: &Path, host: &str) -> Vec<Top> {
    let mut tops = Vec::new();
    let mut add =
        |dir: Option<PathBuf>, area: Area, max_depth: usize, skip: &'static [&'static str]| {
            if let Some(dir) = dir {
                tops.push(Top {
                    dir,
                    area,
                    max_depth,
                    skip,
                    host: host.to_string(),
                    sys_root: sys.to_path_buf(),
                });
            }
        };
    add(
        child_path_ci(sys, &["windows", "system32", "inetsrv", "config"]),
        Area::IisConfig,
        1,
        &[],
    );
    let frameworks = child_path_ci(sys, &["windows", "microsoft.net"])
        .map(|d| children_ci(&d, |n| n.starts_with("framework")))
        .unwrap_or_default();
    for fw in &frameworks {
        for v in children_ci(fw, |n| n.starts_with('v')) {
            add(child_path_ci(&v, &["config"]), Area::IisConfig, 1, &[]);
            add(
                child_path_ci(&v, &["temporary asp.net files"]),
                Area::AspnetTemp,
                12,
                &[],
            );
        }
    }
    if let Some(ex) = child_path_ci(sys, EXCHANGE_DEFAULT) {
        add(
            child_path_ci(&ex, &["frontend", "httpproxy"]),
            Area::ExchangeWeb,
            12,
            &[],
        );
        add(
            child_path_ci(&ex, &["clientaccess"]),
            Area::ExchangeWeb,
            12,
            &[],
        );
    }
    add(child_path_ci(sys, &["inetpub"]), Area::Web, 12, &["logs"]);
    add(child_path_ci(sys, &["programdata"]), Area::Staging, 3, &[]);
    for p in [
        &["windows", "temp"][..],
        &["root"][..],
        &["users", "public"][..],
        &["perflogs"][..],
    ] {
        add(child_path_ci(sys, p), Area::Staging, 6, &[]);
    }
    add(Some(sys.to_path_buf()), Area::DriveRoot, 1, &[]);
    tops
}

#[allow(clippy::too_many_arguments)]
fn walk(
    stop: &dyn Fn() -> bool,
    root: &Path,
    top: &Top,
    sys_roots: &[(PathBuf, String)],
    mut seen: Option<&mut HashSet<PathBuf>>,
    sizes: bool,
    out: &mut Listing,
    on_file: &mut dyn FnMut(Candidate),
) {
    let walker = walkdir::WalkDir::new(&top.dir)
        .follow_links(false)
        .max_depth(top.max_depth)
        .into_iter()
        .filter_entry(|e| {
            if e.depth() != 1 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy().to_lowercase();
            !top.skip.contains(&name.as_str())
        });
    for (n, entry) in walker.enumerate() {
        if n.is_multiple_of(256) && stop() {
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().map(|p| rel_path(root, p)).unwrap_or_default();
                out.issues.push(ScanIssue {
                    kind: "unreadable-path".into(),
                    path,
                    line: None,
                    message: format!("cannot list while looking for files: {err}"),
                });
                continue;
            }
        };
        let ft = entry.file_type();
        let special = if ft.is_file() || (ft.is_dir() && !entry.path_is_symlink()) {
            None
        } else {
            exhunt_core::special::describe(entry.path(), &ft, root)
        };
        if !ft.is_file() && special.is_none() {
            continue;
        }
        let abs = entry.path().to_path_buf();
        if let Some(seen) = seen.as_deref_mut() {
            if !seen.insert(abs.clone()) {
                continue;
            }
        }
        let size = if sizes && special.is_none() {
            entry.metadata().map(|m| m.len()).unwrap_or(0)
        } else {
            0
        };
        let (sys_root, host) = if top.area == Area::Deep {
            sys_roots
                .iter()
                .filter(|(s, _)| abs.starts_with(s))
                .max_by_key(|(s, _)| s.as_os_str().len())
                .map(|(s, h)| (s.as_path(), h.clone()))
                .unwrap_or((top.sys_root.as_path(), top.host.clone()))
        } else {
            (top.sys_root.as_path(), top.host.clone())
        };
        let sys_path = format!("/{}", rel_path(sys_root, &abs).to_lowercase());
        let (area, depth) = if top.area == Area::Deep {
            classify(&sys_path)
        } else {
            (top.area, entry.depth().saturating_sub(1))
        };
        on_file(Candidate {
            rel: rel_path(root, &abs),
            abs,
            sys_path,
            host,
            area,
            depth,
            size,
            special,
        });
    }
}

/// The area a path below a system root belongs to (for `--deep`, so that location rules
/// still apply), and its depth below the area's top folder.
pub fn classify(sys_path: &str) -> (Area, usize) {
    let parts: Vec<&str> = sys_path.trim_start_matches('/').split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let below = |n: usize| dirs.len().saturating_sub(n);
    let joined = dirs.join("/");
    if joined.contains("frontend/httpproxy") || dirs.contains(&"clientaccess") {
        return (Area::ExchangeWeb, 0);
    }
    if dirs.contains(&"temporary asp.net files") {
        return (Area::AspnetTemp, 0);
    }
    if joined.starts_with("windows/system32/inetsrv/config") {
        return (Area::IisConfig, 0);
    }
    match dirs {
        [] => (Area::DriveRoot, 0),
        ["inetpub", rest @ ..] if rest.first() != Some(&"logs") => (Area::Web, below(1)),
        ["programdata", ..] | ["root", ..] | ["perflogs", ..] => (Area::Staging, below(1)),
        ["windows", "temp", ..] | ["users", "public", ..] => (Area::Staging, below(2)),
        _ => (Area::Deep, 0),
    }
}

/// Follow `parts` (lower-case names) below `dir`, matching each folder name case-insensitively.
pub fn child_path_ci(dir: &Path, parts: &[&str]) -> Option<PathBuf> {
    let mut cur = dir.to_path_buf();
    for part in parts {
        let exact = cur.join(part);
        if exact.is_dir() {
            cur = exact;
            continue;
        }
        cur = children_ci(&cur, |n| n == *part).into_iter().next()?;
    }
    Some(cur)
}

/// Sub-folders of `dir` whose lower-case name satisfies `keep`, sorted.
fn children_ci(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| keep(&e.file_name().to_string_lossy().to_lowercase()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_judged_by_the_depth_a_walk_reaches() {
        let top = |dir: &str, max_depth| Top {
            dir: PathBuf::from(dir),
            area: Area::Web,
            max_depth,
            skip: &[],
            host: "EX01".into(),
            sys_root: PathBuf::from("/c"),
        };
        let drive_root = top("/c", 1);
        let inetpub = top("/c/inetpub", 12);
        let exchange = top("/c/inetpub/exchange/frontend/httpproxy", 12);
        assert!(!drive_root.reaches_into(&inetpub));
        assert!(inetpub.reaches_into(&exchange));
        assert!(!exchange.reaches_into(&inetpub));
        assert!(top("/c", 2).reaches_into(&inetpub));
        assert!(inetpub.reaches_into(&top("/c/inetpub", 1)));
    }

    #[test]
    fn deep_paths_get_their_area() {
        assert_eq!(classify("/programdata/it.zip"), (Area::Staging, 0));
        assert_eq!(classify("/programdata/pst/x.zip"), (Area::Staging, 1));
        assert_eq!(classify("/windows/temp/lsass.dmp"), (Area::Staging, 0));
        assert_eq!(
            classify("/inetpub/wwwroot/aspnet_client/x.aspx").0,
            Area::Web
        );
        assert_eq!(classify("/inetpub/logs/logfiles/u_ex.log").0, Area::Deep);
        assert_eq!(
            classify("/exchange/frontend/httpproxy/owa/auth/x.aspx").0,
            Area::ExchangeWeb
        );
        assert_eq!(classify("/pagefile.sys"), (Area::DriveRoot, 0));
        assert_eq!(classify("/windows/system32/x.dll"), (Area::Deep, 0));
    }
}
