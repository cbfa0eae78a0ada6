//! Shared helpers: synthetic evidence trees written by the tests themselves.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::scan::{scan_with, ScanConfig, ScanReport};
use exhunt_files::{FileHunter, FileOptions};

/// A temporary evidence tree with a host `EX01` and its drive `C`.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        let t = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        // Markers that make C a system drive root.
        std::fs::create_dir_all(t.c("Windows/System32")).unwrap();
        std::fs::create_dir_all(t.c("inetpub/wwwroot")).unwrap();
        t
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Path below the C drive.
    pub fn c(&self, rel: &str) -> PathBuf {
        self.dir.path().join("EX01/C").join(rel)
    }

    pub fn write(&self, rel: &str, data: impl AsRef<[u8]>) -> &Tree {
        let p = self.c(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
        self
    }
}

pub fn rules() -> RuleSet {
    RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    })
}

pub fn scan(tree: &Tree, options: FileOptions) -> ScanReport {
    let rules = rules();
    let hunter = FileHunter::new(&rules, options);
    let mut config = ScanConfig::new(tree.root());
    config.threads = Some(2);
    scan_with(&config, &rules, &[&hunter]).unwrap()
}

/// (rule id, path) of each file finding, sorted.
pub fn hits(report: &ScanReport) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.id.clone(), f.path.clone()))
        .collect();
    v.sort();
    v
}

/// Rule ids that matched the file at `rel` (below C).
pub fn ids_for(report: &ScanReport, rel: &str) -> Vec<String> {
    let full = format!("EX01/C/{rel}");
    let mut v: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.path == full)
        .map(|f| f.rule.id.clone())
        .collect();
    v.sort();
    v
}

/// A stored (uncompressed) ZIP holding empty entries with these names.
pub fn zip_with(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for name in names {
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x52]);
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x52]);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A minidump-like file: MDMP header and a UTF-16 module name.
pub fn minidump(module: &str) -> Vec<u8> {
    let mut v = b"MDMP\x93\xa7\0\0".to_vec();
    v.extend_from_slice(&[0u8; 200]);
    for u in module.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v.extend_from_slice(&[0u8; 64]);
    v
}
