//! Progress bar with rate and ETA, on a terminal only (stderr).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar that is a no-op unless stderr is a terminal.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// `total` when known (file input is pre-counted); a spinner otherwise.
    pub fn new(enabled: bool, total: Option<u64>) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let pb = match total {
            Some(t) => {
                let pb =
                    ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr_with_hz(4));
                pb.set_style(
                    ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                pb
            }
            None => {
                let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
                pb.set_style(
                    ProgressStyle::with_template(
                        "{elapsed_precise} {spinner} {pos} done {per_sec} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                pb
            }
        };
        Self(Some(pb))
    }

    /// One target finished.
    pub fn inc(&self, vulnerable: u64, exchange: u64) {
        if let Some(pb) = &self.0 {
            pb.inc(1);
            if pb.position() % 64 == 1 {
                pb.set_message(format!("exchange {exchange} vulnerable {vulnerable}"));
            }
        }
    }

    /// Clear the bar.
    pub fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}
