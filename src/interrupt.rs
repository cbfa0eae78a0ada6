//! Ctrl-C and termination signals during a scan: the first one asks the scan to stop reading
//! and finish its reports with what it found (marked incomplete); a second one ends the
//! process at once. Either way the exit status is [`EXIT_INTERRUPTED`].
//!
//! The handler runs on the `ctrlc` crate's own thread (SIGINT, SIGTERM and SIGHUP on Unix,
//! Ctrl-C and Ctrl-Break on Windows), so it may print and exit freely.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use exhunt_core::cancel::Cancel;

/// Exit status of an interrupted scan (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

static CANCEL: OnceLock<Cancel> = OnceLock::new();
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

/// Install the handler (once per process) and return the stop request it sets. When the
/// handler cannot be installed the scan still runs, only without this nicety.
pub fn install() -> Cancel {
    CANCEL
        .get_or_init(|| {
            let cancel = Cancel::new();
            let mine = cancel.clone();
            let installed = ctrlc::set_handler(move || {
                if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
                    eprintln!("\nexhunt: interrupted again: quitting at once, reports not written");
                    std::process::exit(EXIT_INTERRUPTED);
                }
                eprintln!(
                    "\nexhunt: interrupted: finishing the reports with what was found so far (press Ctrl-C again to quit at once)"
                );
                mine.cancel(
                    "interrupted (Ctrl-C or a termination signal) before every file was read",
                );
            });
            if let Err(e) = installed {
                eprintln!("exhunt: warning: cannot handle Ctrl-C ({e}); an interrupted scan will write no report");
            }
            cancel
        })
        .clone()
}

/// True once a signal asked the scan to stop.
pub fn received() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}
