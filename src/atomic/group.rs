//! Files written now and put in place later, by a group commit that syncs
//! the file system once for many files instead of once per file.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file written in full beside its target, not synced and closed: put in
/// place by [`Staged::put_in_place`] once a [`sync_files`] made its data
/// durable; dropped instead, it is removed and the target stays as it was.
pub struct Staged {
    temp: tempfile::TempPath,
    path: PathBuf,
}

/// Writes `data` beside `path` (mode 0600 when `private`), creating the
/// directory, for a group commit to put in place.
pub fn stage(path: &Path, data: &[u8], private: bool) -> Result<Staged> {
    stage_with(path, private, |w| w.write_all(data))
}

/// [`stage`] of output made piece by piece.
pub fn stage_with(
    path: &Path,
    private: bool,
    write: impl FnOnce(&mut (dyn std::io::Write + Send)) -> std::io::Result<()>,
) -> Result<Staged> {
    super::create_dir(super::dir_of(path), if private { 0o700 } else { 0o755 })?;
    let temp = super::write_temp(path, private, write)?.into_temp_path();
    Ok(Staged {
        temp,
        path: path.to_path_buf(),
    })
}

impl Staged {
    /// Where the data waits.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// The file it replaces.
    pub fn target(&self) -> &Path {
        &self.path
    }

    /// Renames the file over its target. Durable only after the next
    /// [`sync_files`] of the target.
    pub fn put_in_place(self) -> Result<()> {
        let path = self.path;
        self.temp
            .persist(&path)
            .map_err(|e| Error::io(&path, e.error))
    }
}

/// Makes the data of `files` and the entries of their directories durable.
/// On Linux one `syncfs` per file system they are on: a few hundred files
/// cost one disk flush, where a sync per file and directory cost two each.
pub fn sync_files<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let files: Vec<&Path> = files.into_iter().collect();
    let mut dirs: Vec<&Path> = files.iter().map(|f| super::dir_of(f)).collect();
    dirs.sort_unstable();
    dirs.dedup();
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        use std::os::unix::fs::MetadataExt as _;
        let mut synced = Vec::new();
        for dir in dirs {
            let d = std::fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
            let dev = d.metadata().map_err(|e| Error::io(dir, e))?.dev();
            if synced.contains(&dev) {
                continue;
            }
            // SAFETY: syncfs takes an open descriptor, which `d` holds
            // until the call returns.
            if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
                return Err(Error::io(dir, std::io::Error::last_os_error()));
            }
            synced.push(dev);
        }
        let _ = files;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for file in files {
            std::fs::File::open(file)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(file, e))?;
        }
        dirs.into_iter().try_for_each(super::sync_dir)
    }
}
