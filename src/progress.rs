//! The scan progress bar (standard error, on a terminal only).

use std::time::Duration;

use exhunt_core::scan::Progress;

/// An indicatif bar counting bytes, with files, rate and ETA.
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
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
        ProgressBar { bar }
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
        self.bar.inc_length(bytes);
        let total = self
            .bar
            .message()
            .split(' ')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        self.bar.set_message(format!("{} files", total + files));
    }

    fn advance(&self, _files: u64, bytes: u64) {
        self.bar.inc(bytes);
    }
}
