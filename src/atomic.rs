//! Atomic file replacement: a crash leaves either the old or the new file,
//! never a partial one (SPEC §5).

use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `data` to `path` via a temporary file in the same directory,
/// fsync and rename.
pub fn write_atomic(path: &Path, data: &[u8], private: bool) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".zonesign-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    if !private {
        // tempfile creates 0600; public outputs get the usual 0644.
        set_mode(tmp.path(), 0o644).map_err(|e| Error::io(path, e))?;
    }
    tmp.write_all(data).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
