//! What the run's directories hold, read once per run. The outputs, states
//! and keys of every zone share a few directories; reading one of them
//! again for each zone made a run's cost grow with zones × files (82,004
//! `getdents64` calls for 2,000 zones).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::zone::StoredName;

/// The directories of a run as they were when it started.
#[derive(Debug, Default)]
pub struct Listing {
    /// Temporary files killed writers left, per directory, with the name
    /// of the file each was to replace.
    temps: HashMap<PathBuf, Vec<(String, PathBuf)>>,
    /// Base names of the key pairs in the key directory, by the `K<zone>`
    /// their names start with (lower case).
    key_pairs: HashMap<String, Vec<String>>,
}

impl Listing {
    /// Reads the signed, DS, state and key directories, each once.
    pub fn read(cfg: &Config) -> Listing {
        let mut listing = Listing::default();
        let p = &cfg.paths;
        let mut dirs: Vec<&PathBuf> = vec![&p.signed, &p.ds, &p.state, &p.keys];
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let Some(name) = e.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if let Some(target) = crate::atomic::temp_target(&name) {
                    listing
                        .temps
                        .entry(dir.clone())
                        .or_default()
                        .push((target.to_string(), e.path()));
                } else if *dir == p.keys
                    && let Some(base) = name.strip_suffix(".private")
                    && let Some((owner, _)) = base.split_once('+')
                {
                    listing
                        .key_pairs
                        .entry(owner.to_ascii_lowercase())
                        .or_default()
                        .push(base.to_string());
                }
            }
        }
        for bases in listing.key_pairs.values_mut() {
            bases.sort();
        }
        listing
    }

    /// Removes what a killed run left while writing one of `paths` (call it
    /// under the zone's lock).
    pub fn remove_temps_of(&self, paths: &[PathBuf]) {
        for path in paths {
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            self.remove_temps_in(dir, |target| name.to_str() == Some(target));
        }
    }

    /// Removes temporary key files a killed run of zone `owner` left in the
    /// key directory `dir`.
    pub fn remove_key_temps(&self, dir: &Path, owner: &StoredName) {
        let prefix = format!("K{}+", crate::zone::write::name_text(owner));
        self.remove_temps_in(dir, |target| target.starts_with(&prefix));
    }

    fn remove_temps_in(&self, dir: &Path, is_ours: impl Fn(&str) -> bool) {
        for (target, path) in self.temps.get(dir).into_iter().flatten() {
            if is_ours(target) {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// Base names of the key pairs of zone `apex` in the key directory.
    pub fn key_pairs(&self, apex: &StoredName) -> &[String] {
        let owner = format!("K{}", crate::zone::write::name_text(apex)).to_ascii_lowercase();
        self.key_pairs.get(&owner).map_or(&[], Vec::as_slice)
    }
}
