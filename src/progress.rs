//! The scan progress bar (standard error, on a terminal only).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use exhunt_core::scan::Progress;

/// An indicatif bar counting bytes, with files, rate and ETA.
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    files: AtomicU64,
    done: AtomicU64,
}

impl ProgressBar {
    /// A hidden-until-work bar drawing to standard error.
    pub fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressBar {
            bar,
            files: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for ProgressBar {
    fn add_work(&self, files: u64, bytes: u64) {
        self.files.fetch_add(files, Ordering::Relaxed);
        self.bar.inc_length(bytes);
    }

    fn advance(&self, files: u64, bytes: u64) {
        let done = self.done.fetch_add(files, Ordering::Relaxed) + files;
        // Not per file: the message is drawn with the bar, a few times a second.
        if done.is_multiple_of(128) || files > 1 {
            self.bar.set_message(format!(
                "{done}/{} files",
                self.files.load(Ordering::Relaxed)
            ));
        }
        self.bar.inc(bytes);
    }
}
