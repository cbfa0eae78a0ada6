//! `ExSetup.exe`: the fixed file version (`VS_FIXEDFILEINFO`) of its version resource.
//!
//! Rather than walking the resource directory, the structure is found by its signature
//! `0xFEEF04BD`, which is unambiguous in practice and needs no PE parser.

use super::{BuildEvidence, EvidenceSource};
use crate::version::BuildNumber;
use std::io::Read;
use std::path::Path;

const MAX_BYTES: u64 = 256 * 1024 * 1024;
const SIGNATURE: [u8; 4] = [0xBD, 0x04, 0xEF, 0xFE];

/// Scan one `ExSetup.exe`.
pub(crate) fn scan(path: &Path) -> Vec<BuildEvidence> {
    let Ok(f) = super::text::open_evidence(path) else {
        return Vec::new();
    };
    let mut buf = Vec::new();
    if f.take(MAX_BYTES).read_to_end(&mut buf).is_err() {
        return Vec::new();
    }
    match file_version(&buf) {
        Some(b) => {
            let detail = format!("PE version resource FileVersion {b}");
            vec![BuildEvidence::new(
                EvidenceSource::ExSetupVersionResource,
                path,
                b,
                true,
                detail,
            )]
        }
        None => Vec::new(),
    }
}

/// The FileVersion of a PE image's `VS_FIXEDFILEINFO`, if the image is a PE file and has one.
pub fn file_version(buf: &[u8]) -> Option<BuildNumber> {
    if !buf.starts_with(b"MZ") {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = find(&buf[from..], &SIGNATURE).map(|p| p + from) {
        let u32_at = |o: usize| {
            buf.get(o..o + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        // dwSignature, dwStrucVersion, dwFileVersionMS, dwFileVersionLS
        if let (Some(ms), Some(ls)) = (u32_at(pos + 8), u32_at(pos + 12)) {
            let b = BuildNumber::new(ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF);
            if b.major >= 8 && b.major < 100 {
                return Some(b);
            }
        }
        from = pos + 4;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
