//! Group commit: a worker's last few zones are put in place together, with
//! a few syncs of the file system for all of them instead of two per file
//! (one for the data, one for the directory).
//!
//! A zone stages each file it writes beside its target, unsynced, at one of
//! three levels. The group then, in this order:
//!
//! 1. syncs: the data of every staged file is on disk;
//! 2. renames the zones' new key files into place, and syncs;
//! 3. renames their outputs (signed zone, DS file, signature cache), and
//!    syncs;
//! 4. renames their states, and syncs;
//! 5. deletes the files of purged keys and the journals of new keys.
//!
//! A kill or a power cut at any moment leaves each file old or new, a key's
//! files in place before any zone publishes its DNSKEY, and the state never
//! ahead of the published zone. A zone whose rename fails goes no further;
//! the others go on. Each zone's lock is held until its files are in place.

use crate::atomic::{Staged, sync_files};
use crate::config::Config;
use crate::error::Result;
use crate::keystore;
use crate::lock::ZoneLock;

use super::orphans::Journal;

/// Where a staged file goes in the order of a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The files of keys made in this run.
    Keys = 0,
    /// The signed zone, the DS file, the signature cache.
    Outputs = 1,
    /// The zone's state, which must never be ahead of its outputs.
    State = 2,
}

const LEVELS: usize = 3;

/// What one zone's run leaves to be put in place.
#[derive(Default)]
pub struct Changes {
    staged: [Vec<Staged>; LEVELS],
    /// Key records' `file`s whose keys are deleted once the state without
    /// them is on disk.
    pub purge: Vec<String>,
    /// Removed once the state holding the new keys is on disk.
    journal: Option<Journal>,
    lock: Option<ZoneLock>,
}

impl Changes {
    /// Changes made under `lock`, which they hold until they are in place.
    pub fn new(lock: ZoneLock) -> Changes {
        Changes {
            lock: Some(lock),
            ..Changes::default()
        }
    }

    /// Writes `data` beside `path` (not a secret: mode 0644), to be put in
    /// place at `level`.
    pub fn stage(&mut self, level: Level, path: &std::path::Path, data: &[u8]) -> Result<()> {
        self.add(level, crate::atomic::stage(path, data, false)?);
        Ok(())
    }

    /// [`Changes::stage`] unless the file holds `data` already; returns
    /// whether it staged.
    pub fn stage_if_changed(
        &mut self,
        level: Level,
        path: &std::path::Path,
        data: &[u8],
    ) -> Result<bool> {
        if super::holds(path, data) {
            return Ok(false);
        }
        self.stage(level, path, data)?;
        Ok(true)
    }

    /// A file already written beside its target, to be put in place at
    /// `level`.
    pub fn add(&mut self, level: Level, staged: Staged) {
        self.staged[level as usize].push(staged);
    }

    /// The journal to remove once the state is on disk.
    pub fn close_journal(&mut self, journal: Journal) {
        self.journal = Some(journal);
    }

    /// Nothing to put in place, delete or remove: the lock can go now.
    pub fn is_empty(&self) -> bool {
        self.staged.iter().all(Vec::is_empty) && self.purge.is_empty() && self.journal.is_none()
    }

    /// Lets the lock go (after [`commit`], or when there is nothing to do).
    pub fn release(&mut self) {
        self.lock = None;
    }
}

/// Puts every zone's changes in place in the order the module describes.
/// Returns each zone's error, `None` where all went in place. Changes are
/// taken out of `group` (what failed is removed), the locks stay.
pub fn commit(cfg: &Config, group: &mut [&mut Changes]) -> Vec<Option<String>> {
    let mut errors: Vec<Option<String>> = vec![None; group.len()];
    let temps = group
        .iter()
        .flat_map(|c| c.staged.iter().flatten().map(Staged::temp));
    if let Err(e) = sync_files(temps) {
        // Whose data did not reach the disk cannot be told: none goes in.
        for (c, err) in group.iter_mut().zip(&mut errors) {
            if !c.staged.iter().all(Vec::is_empty) {
                *err = Some(e.to_string());
            }
            **c = Changes {
                lock: c.lock.take(),
                ..Changes::default()
            };
        }
        return errors;
    }
    for level in 0..LEVELS {
        let mut placed = Vec::new();
        for (c, err) in group.iter_mut().zip(&mut errors) {
            for staged in std::mem::take(&mut c.staged[level]) {
                if err.is_some() {
                    continue;
                }
                let target = staged.target().to_path_buf();
                match staged.put_in_place() {
                    Ok(()) => placed.push(target),
                    Err(e) => *err = Some(e.to_string()),
                }
            }
        }
        if let Err(e) = sync_files(placed.iter().map(|p| p.as_path())) {
            // The renames may be lost: nothing that relies on them follows.
            for err in errors.iter_mut().filter(|e| e.is_none()) {
                *err = Some(e.to_string());
            }
        }
    }
    for (c, err) in group.iter_mut().zip(&mut errors) {
        let purge = std::mem::take(&mut c.purge);
        let journal = c.journal.take();
        if err.is_some() {
            // The journal stays: the next run sweeps what was made.
            continue;
        }
        for file in purge {
            if let Err(e) = keystore::delete(cfg, &file) {
                *err = Some(format!("the state is written, but key {file}: {e}"));
            }
        }
        if let Some(Err(e)) = journal.map(Journal::close) {
            *err = Some(e.to_string());
        }
    }
    errors
}
