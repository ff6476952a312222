//! Keys a run makes before its state records them (files, or key pairs in
//! a token). Each name is appended to the zone's lock file,
//! `state/<zone>.lock`, before the key exists, and the journal is emptied
//! once the state holds the keys (or the run has failed and deleted them).
//! The lock file is there anyway: a journal of its own, written by rename
//! and then deleted, freed two inodes per new zone, and ext4 without a
//! journal passes over every inode freed in the last minute when it makes
//! a file (10,000 new zones: a third of the run's time). A run killed in between leaves the journal: the next run
//! of the zone removes the files it names that neither the state holds nor
//! the published zone shows. Key files the operator put there are never
//! named in a journal, so they are never touched.

use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::keystore::{self, Location};
use crate::state::ZoneState;
use crate::zone::StoredName;

/// The journal of one run of one zone.
pub struct Journal {
    path: PathBuf,
    names: Vec<String>,
    /// The keys may be published: a failing run keeps them.
    kept: bool,
}

impl Journal {
    pub fn new(cfg: &Config, zone: &str) -> Journal {
        Journal {
            path: path(cfg, zone),
            names: Vec::new(),
            kept: false,
        }
    }

    /// Records `base` before its key files are written. Not synced: a
    /// killed run leaves it for the next run, and after a power cut that
    /// lost it, a key whose files outlived it is only unused files (a group
    /// commit syncs it with the key files' data anyway). One line appended
    /// by one write: a kill leaves it whole or absent.
    pub fn add(&mut self, base: &str) -> Result<()> {
        use std::io::Write as _;
        self.names.push(base.to_string());
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(format!("{base}\n").as_bytes()))
            .map_err(|e| Error::io(&self.path, e))
    }

    /// The output holding the new keys is published: they must stay.
    pub fn keep(&mut self) {
        self.kept = true;
    }

    /// The run failed: deletes the keys it made, unless they were kept.
    /// The journal stays for the next run to sweep, should a deletion fail.
    pub fn undo(&self, cfg: &Config) {
        if !self.kept {
            for name in &self.names {
                let _ = keystore::delete(cfg, name);
            }
        }
    }

    /// The keys are in the state, or deleted: nothing is left to sweep.
    pub fn close(self) -> Result<()> {
        match self.names.is_empty() {
            true => Ok(()),
            false => empty(&self.path),
        }
    }
}

/// Empties the journal at `path`, keeping the file (the zone's lock).
fn empty(path: &std::path::Path) -> Result<()> {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f.set_len(0).map_err(|e| Error::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The journal of `zone`'s new keys: its lock file.
fn path(cfg: &Config, zone: &str) -> PathBuf {
    crate::lock::ZoneLock::path(&cfg.paths.state, zone)
}

/// Where earlier versions kept the journal, in a file of its own: read
/// and removed by the next run like the journal.
pub fn old_path(cfg: &Config, zone: &str) -> PathBuf {
    cfg.paths.state.join(format!("{zone}.new-keys"))
}

/// Removes what a killed run made and never recorded; returns the names.
pub fn sweep(
    cfg: &Config,
    zone: &str,
    apex: &StoredName,
    state: &ZoneState,
) -> Result<Vec<String>> {
    let (journal, old) = (path(cfg, zone), old_path(cfg, zone));
    let mut text = String::new();
    for p in [&journal, &old] {
        match std::fs::read_to_string(p) {
            Ok(t) => text.push_str(&t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(p, e)),
        }
        text.push('\n');
    }
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let published: Vec<String> = super::trust::head_dnskeys(&super::signed_file(cfg, zone), apex)?
        .iter()
        .map(|k| crate::keys::file_base(apex, k.algorithm(), k.key_tag()))
        .collect();
    // Only names of this zone's key files, never a path.
    let prefix = format!("K{}+", crate::zone::write::name_text(apex));
    let mut removed = Vec::new();
    for entry in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // The key's name as its DNSKEY would be published: a file base, or
        // the first word of a token label.
        let base = match keystore::location(entry) {
            Location::Files(base) if base.starts_with(&prefix) && !base.contains('/') => base,
            Location::Token { key: label, .. } if keystore::label_of_zone(label, apex) => {
                label.split(' ').next().unwrap_or(label)
            }
            _ => continue,
        };
        if state.keys.iter().any(|k| k.file == entry) || published.iter().any(|p| p == base) {
            continue;
        }
        if keystore::delete(cfg, entry)? {
            removed.push(entry.to_string());
        }
    }
    empty(&journal)?;
    match std::fs::remove_file(&old) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&old, e)),
        _ => {}
    }
    Ok(removed)
}
