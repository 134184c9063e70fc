//! Private temporary directories (a zip package's extraction) that are removed on every exit
//! path: when dropped, on an error or a panic, and, once [`remove_on_signals`] is installed, on
//! SIGINT and SIGTERM. An extraction can be gigabytes; an interrupted run must not leave it in
//! the shared temporary folder.
//!
//! The live directories are kept in one registry. Paths are created under a registered directory
//! only while its lock is held ([`creating`]), and the signal thread removes the directories and
//! exits while holding it, so no file can be created in a directory after it was removed.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list as it was: still right.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A private (0700 on Unix) temporary directory, removed when dropped or on a signal.
#[derive(Debug)]
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    pub fn new(prefix: &str) -> std::io::Result<Scratch> {
        Scratch::new_in(&std::env::temp_dir(), prefix)
    }

    /// A scratch directory inside `parent` (a run's staging folder inside `--out`), named
    /// `prefix` and random characters; created with mkdir, so an existing path of that name is
    /// never reused or followed.
    pub fn new_in(parent: &Path, prefix: &str) -> std::io::Result<Scratch> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        // tempfile's default follows the umask, typically 0755.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let mut live = live();
        let dir = builder.tempdir_in(parent)?;
        live.push(dir.path().to_owned());
        Ok(Scratch { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("the directory lives until drop")
            .path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut live = live();
        if let Some(dir) = self.dir.take() {
            live.retain(|p| p != dir.path());
            // Removal is best effort, as in TempDir's own drop; there is no one to tell.
            let _ = dir.close();
        }
    }
}

/// Runs `create`, which creates a file or folder inside a [`Scratch`] directory, holding the
/// registry's lock: a signal arriving meanwhile removes the directory only afterwards.
pub fn creating<T>(create: impl FnOnce() -> T) -> T {
    let _live = live();
    create()
}

/// Installs the handler that, on SIGINT or SIGTERM, removes every live `Scratch` directory
/// and exits with 128 + the signal's number (130, 143), as a shell reports a process the signal
/// killed.
pub fn remove_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("nrqc-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let live = live();
                for dir in live.iter() {
                    if let Err(e) = std::fs::remove_dir_all(dir) {
                        // The process is ending; stderr is the one place left to say so.
                        eprintln!("error: cannot remove {}: {e}", dir.display());
                    }
                }
                // Exits with the lock held: no other thread creates a path in a removed folder.
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}
