//! exhunt's file hunter: finds what intruders left on disk of an Exchange server — web shells,
//! LSASS dumps, staged archives, attack tools, ransomware and tampered IIS configuration.
//!
//! The flow: [`FileHunter::new`] compiles the rule pack once (the embedded YARA files — the
//! page-scope ones as a second set run on server-side pages only — the user's `--yara`
//! folders, the `file:` YAML rules on names and locations and on values read out of
//! configuration files, and SHA-256 IOC lists); [`Hunter::hunt`](exhunt_core::scan::Hunter::hunt)
//! walks the places worth looking at (see [`areas`]), reads each file once (read-only), and
//! runs every check on the bytes with one set of yara-x scanners per worker thread. Problems
//! (unreadable, too large, timed out) are scan issues, never panics.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod areas;
mod embedded;
mod filerules;
mod finding;
mod hunter;
mod iocs;
mod options;
pub mod stock;
mod yara;

pub use hunter::FileHunter;
pub use options::{FileArgs, FileOptions};
