//! Reading evidence files as text: UTF-8, or UTF-16LE/BE with a byte-order mark (as `regedit` writes).

use std::io::Read;
use std::path::Path;

/// Open an evidence file read-only without touching its access time where the system allows
/// (`O_NOATIME` on Linux, refused on files of other owners: then opened without it), without
/// following a symlink and without blocking on a FIFO. The same rules as `exhunt-core`'s
/// `read::open`, repeated here so that this crate stays free of the engine.
pub(crate) fn open_evidence(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let base = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        let open = |flags| {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(flags)
                .open(path)
        };
        let f = match open(base | libc::O_NOATIME) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(base)?,
            other => other?,
        };
        if !f.metadata()?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        Ok(f)
    }
    #[cfg(not(target_os = "linux"))]
    {
        if !std::fs::symlink_metadata(path)?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        std::fs::File::open(path)
    }
}

/// Read at most `max` bytes of a file and decode it. `None` if it cannot be read.
pub(crate) fn read_text(path: &Path, max: u64) -> Option<String> {
    let f = open_evidence(path).ok()?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf).ok()?;
    Some(decode(&buf))
}

/// Decode bytes: UTF-16 when a BOM says so (or when every other byte is NUL), else lossy UTF-8.
pub(crate) fn decode(buf: &[u8]) -> String {
    if let Some(rest) = buf.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = buf.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    if buf.len() >= 4 && buf[1] == 0 && buf[3] == 0 && buf[0] != 0 {
        return utf16(buf, u16::from_le_bytes);
    }
    let rest = buf.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(buf);
    String::from_utf8_lossy(rest).into_owned()
}

fn utf16(b: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = b.chunks_exact(2).map(|c| f([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "Windows Registry".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&b), "Windows Registry");
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode(&[0xFF]), "\u{FFFD}");
    }
}
