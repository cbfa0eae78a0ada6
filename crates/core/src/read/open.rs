//! Opening evidence for reading, and nothing else: the one way every reader opens a file.
//!
//! * Read-only, and on Linux with `O_NOATIME`, so that reading does not change the file's
//!   access time. The kernel refuses that flag on files the scanning user does not own (unless
//!   it has `CAP_FOWNER`, as root does); the file is then opened without it (see
//!   [`noatime_refused`]). Other systems have no such flag: see the README's Safety section.
//! * Never through a symlink (`O_NOFOLLOW`), and never blocking: a FIFO opened for reading
//!   would wait for a writer forever, so the open is non-blocking and anything that is not a
//!   regular file once opened (FIFO, socket, device — an entry swapped since the walk listed
//!   it) is refused with [`NotRegular`] before a byte is read.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static NOATIME_REFUSED: AtomicBool = AtomicBool::new(false);

/// The error of [`open_evidence`] for an entry that is not a regular file.
#[derive(Debug)]
pub struct NotRegular {
    /// What it is (`FIFO (named pipe)`, `socket`…).
    pub what: &'static str,
}

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not a regular file but a {}: not opened for reading",
            self.what
        )
    }
}

impl std::error::Error for NotRegular {}

/// True once the system refused `O_NOATIME` for some file during this run (files owned by
/// another user), so that reading those may have updated their access times.
pub fn noatime_refused() -> bool {
    NOATIME_REFUSED.load(Ordering::Relaxed)
}

/// Open an evidence file for reading: read-only, without following a symlink, without
/// blocking, without touching its access time where the system allows, and only if it is a
/// regular file.
pub fn open_evidence(path: &Path) -> io::Result<File> {
    let file = open_raw(path)?;
    let ft = file.metadata()?.file_type();
    if !ft.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegular {
                what: crate::special::kind_name(&ft),
            },
        ));
    }
    Ok(file)
}

/// The input problem for a file that [`open_evidence`] could not open: `vanished` (removed
/// since it was listed), `permission-denied`, `special-file` (swapped for a FIFO, socket,
/// device or link since it was listed) or `unreadable-file`.
pub fn open_issue(rel: &str, e: &io::Error) -> crate::model::ScanIssue {
    let (kind, message) = if let Some(nr) = e.get_ref().and_then(|x| x.downcast_ref::<NotRegular>())
    {
        ("special-file", format!("{nr}"))
    } else if is_link_refusal(e) {
        (
            "symlink",
            "became a symlink after it was listed: not followed, its content was not read".into(),
        )
    } else {
        match e.kind() {
            io::ErrorKind::NotFound => (
                "vanished",
                "the file was listed but is gone: removed or renamed while the scan ran".into(),
            ),
            io::ErrorKind::PermissionDenied => (
                "permission-denied",
                format!("found but not readable: {e} (run as a user who may read it)"),
            ),
            _ => ("unreadable-file", format!("found but not readable: {e}")),
        }
    };
    crate::model::ScanIssue {
        kind: kind.into(),
        path: rel.to_string(),
        line: None,
        message,
    }
}

/// `O_NOFOLLOW` met a symlink.
fn is_link_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

#[cfg(target_os = "linux")]
fn open_raw(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let base = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(base | libc::O_NOATIME)
        .open(path)
    {
        // EPERM: not the owner; the flag is refused, not the file.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            NOATIME_REFUSED.store(true, Ordering::Relaxed);
        }
        other => return other,
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(base)
        .open(path)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_raw(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(not(unix))]
fn open_raw(path: &Path) -> io::Result<File> {
    // A symlink or junction is told apart before opening (Windows opens follow them).
    let md = std::fs::symlink_metadata(path)?;
    if md.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegular {
                what: "symlink or junction",
            },
        ));
    }
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_problems_are_named_for_what_happened() {
        let kind = |e: io::Error| open_issue("C/x.log", &e).kind;
        assert_eq!(kind(io::Error::from(io::ErrorKind::NotFound)), "vanished");
        assert_eq!(
            kind(io::Error::from(io::ErrorKind::PermissionDenied)),
            "permission-denied"
        );
        let denied = open_issue("C/x.log", &io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(
            denied.message.starts_with("found but not readable"),
            "{}",
            denied.message
        );
        assert_eq!(kind(io::Error::other("disk on fire")), "unreadable-file");
        let fifo = io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegular {
                what: "FIFO (named pipe)",
            },
        );
        assert_eq!(kind(fifo), "special-file");
    }

    #[test]
    fn regular_files_open_and_nothing_else_does() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.log");
        std::fs::write(&f, b"x").unwrap();
        assert!(open_evidence(&f).is_ok());
        assert!(open_evidence(d.path()).is_err(), "a folder is no file");
        #[cfg(unix)]
        {
            let link = d.path().join("link.log");
            std::os::unix::fs::symlink(&f, &link).unwrap();
            assert!(open_evidence(&link).is_err(), "a symlink is never followed");
            let fifo = d.path().join("pipe.log");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Would block forever without O_NONBLOCK: no writer ever comes.
                let e = open_evidence(&fifo).unwrap_err();
                assert!(e.to_string().contains("FIFO"), "{e}");
            }
        }
    }
}
