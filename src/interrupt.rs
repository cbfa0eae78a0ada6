//! Ctrl-C and termination signals during a scan: the first one asks the scan to stop reading
//! and finish its reports with what it found (marked incomplete); a second one ends the
//! process at once. Either way the exit status is [`EXIT_INTERRUPTED`].
//!
//! The handler runs on the `ctrlc` crate's own thread (SIGINT, SIGTERM and SIGHUP on Unix,
//! Ctrl-C and Ctrl-Break on Windows), so it may print and exit freely.
//!
//! A command that writes one file under a temporary name (`rules compile`) uses
//! [`remove_on_interrupt`] instead: interrupted, it deletes the half-written file and quits.

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

/// The temporary file [`remove_on_interrupt`] deletes when interrupted; `None` once it is in
/// place (or gone).
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// While `partial` is being written under its temporary name: on Ctrl-C or a termination
/// signal, delete it and quit with [`EXIT_INTERRUPTED`], so that no half-written file is left
/// behind. Call [`put_in_place`] to move it to its final name. When the handler cannot be
/// installed the command still runs, only without this nicety (warned).
pub fn remove_on_interrupt(partial: &Path) {
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = Some(partial.to_path_buf());
    let installed = ctrlc::set_handler(|| {
        // Taken under the lock: a rename in progress finishes first, and then there is
        // nothing to delete.
        let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take();
        match pending {
            Some(p) => {
                let _ = std::fs::remove_file(&p);
                eprintln!("\nexhunt: interrupted: nothing written");
            }
            None => eprintln!("\nexhunt: interrupted (the file was already written)"),
        }
        std::process::exit(EXIT_INTERRUPTED);
    });
    if let Err(e) = installed {
        eprintln!(
            "exhunt: warning: cannot handle Ctrl-C ({e}); an interrupted run may leave {} behind",
            partial.display()
        );
    }
}

/// Rename the file [`remove_on_interrupt`] watches to `to`; an interruption during the rename
/// waits for it, and one after it leaves the file in place.
pub fn put_in_place(partial: &Path, to: &Path) -> std::io::Result<()> {
    let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    let renamed = std::fs::rename(partial, to);
    *pending = None;
    renamed
}
