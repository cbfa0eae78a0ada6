//! Entries under the root that are neither regular files nor folders: FIFOs, sockets, devices,
//! symlinks (to a file, to a folder, dangling, looping) and Windows junctions. A junction or
//! symlink reparse point of a mounted NTFS image shows as a symlink on Linux (ntfs-3g, ntfs3);
//! on Windows the standard library reports both as symlinks too. Their content is never read — a FIFO blocks, `/dev/zero` never ends, a
//! symlink may lead out of the evidence — but each is accounted for: an input problem naming
//! what it is and what it points to.

use std::fs::FileType;
use std::path::{Path, PathBuf};

use crate::model::ScanIssue;

/// What a non-regular entry is, and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialEntry {
    /// `FIFO (named pipe)`, `symlink to a file`, `dangling symlink`, …
    pub what: String,
    /// The link target as stored in the link (symlinks and junctions).
    pub target: Option<String>,
    /// Where the target resolves, in words (`outside the evidence root, on this machine a
    /// character device`), when it can be told.
    pub resolves: Option<String>,
    /// Issue kind: `special-file` or `symlink`.
    pub issue_kind: &'static str,
}

impl SpecialEntry {
    /// The entry as an input problem about `rel` (a path relative to the root).
    pub fn issue(&self, rel: &str) -> ScanIssue {
        let mut message = self.what.clone();
        if let Some(t) = &self.target {
            message.push_str(&format!(" -> '{t}'"));
        }
        if let Some(r) = &self.resolves {
            message.push_str(&format!(" ({r})"));
        }
        message.push_str(": not opened, its content was not read");
        if self.issue_kind == "symlink" {
            message.push_str(" (links are never followed); its name and place were still checked");
        }
        ScanIssue {
            kind: self.issue_kind.into(),
            path: rel.to_string(),
            line: None,
            message,
        }
    }
}

/// A short name for any file type (`regular file`, `folder`, `FIFO (named pipe)`…).
pub fn kind_name(ft: &FileType) -> &'static str {
    if ft.is_file() {
        return "regular file";
    }
    if ft.is_dir() {
        return "folder";
    }
    if ft.is_symlink() {
        return "symlink";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_block_device() {
            return "block device";
        }
        if ft.is_char_device() {
            return "character device";
        }
    }
    "special file"
}

/// Describe the entry at `path` (of type `ft`, not followed) when it is not a plain regular
/// file or folder; `root` is the evidence root, to tell where a link leads. `None` for plain
/// files and folders.
pub fn describe(path: &Path, ft: &FileType, root: &Path) -> Option<SpecialEntry> {
    if ft.is_symlink() {
        return Some(describe_link(path, root));
    }
    if ft.is_file() || ft.is_dir() {
        return None;
    }
    Some(SpecialEntry {
        what: kind_name(ft).to_string(),
        target: None,
        resolves: None,
        issue_kind: "special-file",
    })
}

fn describe_link(path: &Path, root: &Path) -> SpecialEntry {
    let target = std::fs::read_link(path).ok();
    let resolved = target.as_ref().map(|t| match path.parent() {
        Some(dir) if t.is_relative() => dir.join(t),
        _ => t.clone(),
    });
    let inside = resolved
        .as_deref()
        .map(|r| lexically_inside(r, root))
        .unwrap_or(false);
    let place = if inside {
        "inside the evidence"
    } else {
        "outside the evidence root"
    };
    // `metadata` follows the link without opening what it reaches.
    let (what, resolves) = match std::fs::metadata(path) {
        Ok(md) => {
            let ft = md.file_type();
            let what = if ft.is_dir() {
                "symlink to a folder".to_string()
            } else if ft.is_file() {
                "symlink to a file".to_string()
            } else {
                format!("symlink to a {}", kind_name(&ft))
            };
            let on = if inside {
                place.to_string()
            } else {
                format!("{place}; on this machine a {}", kind_name(&ft))
            };
            (what, Some(on))
        }
        Err(e) if is_loop(&e) => (
            "looping symlink".to_string(),
            Some(format!("{place}; it leads back to itself")),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            "dangling symlink".to_string(),
            Some(format!("{place}; the target does not exist")),
        ),
        Err(e) => ("symlink".to_string(), Some(format!("{place}; {e}"))),
    };
    let junction = cfg!(windows);
    SpecialEntry {
        what: if junction {
            what.replacen("symlink", "symlink or junction", 1)
        } else {
            what
        },
        target: target.map(|t| t.to_string_lossy().into_owned()),
        resolves,
        issue_kind: "symlink",
    }
}

fn is_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        e.to_string().contains("loop")
    }
}

/// Is `p` under `root`, judged on the path text alone (`..` resolved, links not followed)?
fn lexically_inside(p: &Path, root: &Path) -> bool {
    fn normal(p: &Path) -> PathBuf {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Canonicalise the link's folder (not the link), then resolve the rest by text.
    let p = normal(&p);
    let p = match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or(p.clone()),
        _ => p,
    };
    normal(&p).starts_with(&root)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn kind(p: &Path) -> FileType {
        std::fs::symlink_metadata(p).unwrap().file_type()
    }

    #[test]
    fn every_kind_of_link_is_named_with_its_target() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir(r.join("dir")).unwrap();
        std::fs::write(r.join("dir/f.log"), "x").unwrap();
        symlink("dir/f.log", r.join("to-file")).unwrap();
        symlink("dir", r.join("to-dir")).unwrap();
        symlink("/dev/zero", r.join("zero.aspx")).unwrap();
        symlink("nowhere", r.join("dangling")).unwrap();
        symlink("loop", r.join("loop")).unwrap();
        let get = |n: &str| describe(&r.join(n), &kind(&r.join(n)), r).unwrap();
        let f = get("to-file");
        assert_eq!(f.what, "symlink to a file");
        assert_eq!(f.target.as_deref(), Some("dir/f.log"));
        assert_eq!(f.resolves.as_deref(), Some("inside the evidence"));
        assert_eq!(get("to-dir").what, "symlink to a folder");
        let z = get("zero.aspx");
        assert_eq!(z.what, "symlink to a character device");
        assert!(z
            .resolves
            .as_deref()
            .unwrap()
            .contains("outside the evidence root"));
        assert_eq!(get("dangling").what, "dangling symlink");
        assert_eq!(get("loop").what, "looping symlink");
        let issue = z.issue("C/inetpub/wwwroot/zero.aspx");
        assert_eq!(issue.kind, "symlink");
        assert!(
            issue.message.contains("-> '/dev/zero'"),
            "{}",
            issue.message
        );
        assert!(describe(&r.join("dir"), &kind(&r.join("dir")), r).is_none());
        assert!(describe(&r.join("dir/f.log"), &kind(&r.join("dir/f.log")), r).is_none());
    }
}
