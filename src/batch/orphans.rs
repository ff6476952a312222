//! Keys a run makes before its state records them (files, or key pairs in
//! a token). Each name goes
//! into `state/<zone>.new-keys` before its files are written, and the
//! journal goes once the state holds the keys (or the run has failed and
//! deleted them). A run killed in between leaves the journal: the next run
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
    /// lost it, a key whose files outlived it is only unused files.
    pub fn add(&mut self, base: &str) -> Result<()> {
        self.names.push(base.to_string());
        crate::atomic::replace_unsynced(&self.path, self.names.join("\n").as_bytes())
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
        if self.names.is_empty() {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

/// The journal of `zone`'s new keys.
pub fn path(cfg: &Config, zone: &str) -> PathBuf {
    cfg.paths.state.join(format!("{zone}.new-keys"))
}

/// Removes what a killed run made and never recorded; returns the names.
pub fn sweep(
    cfg: &Config,
    zone: &str,
    apex: &StoredName,
    state: &ZoneState,
) -> Result<Vec<String>> {
    let journal = path(cfg, zone);
    let text = match std::fs::read_to_string(&journal) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&journal, e)),
    };
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
    std::fs::remove_file(&journal).map_err(|e| Error::io(&journal, e))?;
    Ok(removed)
}
