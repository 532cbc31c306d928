//! Removing temporary outputs when the process is told to stop.
//!
//! SIGINT, SIGTERM and SIGHUP are taken by a thread (signal-hook's iterator, so nothing runs
//! inside a signal handler) that deletes every registered temporary file and then dies of the
//! same signal, so the shell still sees "killed by SIGINT" (status 130, 143 or 129) and a
//! loop in a script stops. The registry's lock is also taken to create and to rename a
//! temporary file: a signal during the rename either finds the file already renamed (the
//! destination is whole) or deletes it before the rename can happen.
//!
//! SIGXFSZ (a file size limit, `ulimit -f`) would kill the process without cleanup; it is
//! caught and ignored so the write fails with EFBIG and the error path removes the file.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, Once};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
use signal_hook::iterator::Signals;

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// The registry of temporary files, locked. A panic elsewhere never makes it unusable.
pub fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts the signal thread (once). Failing to install handlers is not fatal: the output is
/// still written to a temporary file, only an interruption could leave it behind.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("layerlens-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // Held until the process is gone: no rename can start after this.
                    let temps = registry();
                    for path in temps.iter() {
                        let _ = std::fs::remove_file(path);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
        drop(spawned);
    });
}

/// Forgets `path` (it was renamed or removed). Call with the registry locked.
pub fn forget(temps: &mut Vec<PathBuf>, path: &Path) {
    temps.retain(|p| p != path);
}
