//! Stopping a scan early without losing what it found: a flag the command line sets (on
//! Ctrl-C or SIGTERM) and every hunter checks between files and between regions of a file.
//! A stopped scan still returns its [`crate::ScanReport`], marked incomplete, with how far each
//! hunter got ([`Work`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

/// A shared request to stop. Clones share the flag; the default is never set.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    reason: Arc<OnceLock<String>>,
}

impl Cancel {
    /// A fresh, unset flag.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Ask every hunter to stop, saying why (the first reason given is kept).
    pub fn cancel(&self, reason: &str) {
        let _ = self.reason.set(reason.to_string());
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Has a stop been asked for?
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Why the stop was asked for, once it was.
    pub fn reason(&self) -> Option<&str> {
        self.reason.get().map(String::as_str)
    }
}

/// How far one hunter got: what it found to read and what it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Work {
    /// Files (or event logs) the hunter set out to read.
    pub files_found: u64,
    /// Files it read to the end.
    pub files_read: u64,
    /// Files it started but stopped inside.
    pub files_partly_read: u64,
    /// Bytes of the files it set out to read.
    pub bytes_found: u64,
    /// Bytes it read.
    pub bytes_read: u64,
}

impl Work {
    /// Add another count to this one.
    pub fn add(&mut self, other: &Work) {
        self.files_found += other.files_found;
        self.files_read += other.files_read;
        self.files_partly_read += other.files_partly_read;
        self.bytes_found += other.bytes_found;
        self.bytes_read += other.bytes_read;
    }

    /// Files found but never opened.
    pub fn files_not_read(&self) -> u64 {
        self.files_found
            .saturating_sub(self.files_read + self.files_partly_read)
    }
}
