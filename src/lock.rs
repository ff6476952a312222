//! Per-zone locks (rules §1): two runs, or a run and `ds-seen`, never work
//! on the same state at once. The lock is an advisory `flock` on
//! `state/<zone>.lock`, released when the process ends, even by SIGKILL.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while a zone's state is read, advanced and written.
#[derive(Debug)]
pub struct ZoneLock {
    _file: File,
}

impl ZoneLock {
    /// The lock file of a zone beside its state file.
    pub fn path(state_dir: &Path, zone: &str) -> PathBuf {
        state_dir.join(format!("{zone}.lock"))
    }

    /// Takes the lock, waiting for another run that holds it; `waiting` is
    /// called once if it has to wait.
    pub fn acquire(state_dir: &Path, zone: &str, waiting: impl FnOnce()) -> Result<ZoneLock> {
        // The last gate: no file is made outside the state directory.
        crate::batch::zone_name(zone)?;
        crate::atomic::create_dir(state_dir, 0o700)?;
        let path = Self::path(state_dir, zone);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                waiting();
                file.lock().map_err(|e| Error::io(&path, e))?;
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        Ok(ZoneLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits() {
        let dir = tempfile::tempdir().unwrap();
        let first = ZoneLock::acquire(dir.path(), "example.com", || panic!("free")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dir.path().to_path_buf();
        let t = std::thread::spawn(move || {
            let _second = ZoneLock::acquire(&d, "example.com", || tx.send(()).unwrap()).unwrap();
        });
        rx.recv().unwrap();
        drop(first);
        t.join().unwrap();
    }
}
