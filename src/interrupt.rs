//! Ctrl-C and termination signals during a scan: the first one asks the scan to stop reading
//! and finish its reports with what it found (marked incomplete); a second one ends the
//! process at once. Either way the exit status is [`EXIT_INTERRUPTED`].
//!
//! The handler runs on the `ctrlc` crate's own thread (SIGINT, SIGTERM and SIGHUP on Unix,
//! Ctrl-C and Ctrl-Break on Windows), so it may print and exit freely.
//!
//! A command that writes one file under a temporary name (`rules compile`) uses
//! [`create_removed_on_interrupt`] instead: interrupted, it deletes the half-written file and quits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

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

/// Where the file written under a temporary name stands, for the interrupt handler of
/// [`create_removed_on_interrupt`]. Changed, and read by the handler, under the lock: the
/// handler holds it until the process exits, so a creation or rename never interleaves with
/// a deletion.
enum Output {
    /// Not created yet.
    NotStarted,
    /// Being written (and checked) under this temporary name.
    Writing(PathBuf),
    /// Renamed to its final name.
    InPlace,
}

static OUTPUT: Mutex<Output> = Mutex::new(Output::NotStarted);

/// Create `partial`, the temporary name a file is written under, so that Ctrl-C or a
/// termination signal deletes it and quits with [`EXIT_INTERRUPTED`]: no half-written file is
/// left behind. Call [`put_in_place`] to move it to its final name. When the handler cannot be
/// installed the command still runs, only without this nicety (warned).
pub fn create_removed_on_interrupt(partial: &Path) -> std::io::Result<std::fs::File> {
    let installed = ctrlc::set_handler(|| {
        // Held until the process exits: a creation or rename in progress finishes first, and
        // none starts after.
        let output = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
        match &*output {
            Output::Writing(p) => {
                let _ = std::fs::remove_file(p);
                eprintln!("\nexhunt: interrupted: nothing written");
            }
            Output::NotStarted => eprintln!("\nexhunt: interrupted: nothing written"),
            Output::InPlace => eprintln!("\nexhunt: interrupted (the file was already written)"),
        }
        std::process::exit(EXIT_INTERRUPTED);
    });
    if let Err(e) = installed {
        eprintln!(
            "exhunt: warning: cannot handle Ctrl-C ({e}); an interrupted run may leave {} behind",
            partial.display()
        );
    }
    let mut output = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
    let file = std::fs::File::create(partial)?;
    *output = Output::Writing(partial.to_path_buf());
    Ok(file)
}

/// Rename the file [`create_removed_on_interrupt`] created to `to`; an interruption during the
/// rename waits for it, and one after it leaves the file in place.
pub fn put_in_place(partial: &Path, to: &Path) -> std::io::Result<()> {
    let mut output = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::rename(partial, to)?;
    *output = Output::InPlace;
    Ok(())
}
