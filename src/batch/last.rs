//! The signed zone the last run left: its SHA-256 and length, and the
//! signatures a run may keep from it. Read on a thread of its own while
//! the zone file is parsed: the two share no input, and hashing a large
//! output is a second of one core.

use std::path::{Path, PathBuf};

use crate::sign::Previous;
use crate::zone::{Dnssec, StoredName, Zone, reader};

/// The signed zone the last run left.
pub(super) struct LastOutput {
    /// Its SHA-256 and length.
    pub sha: [u8; 32],
    pub len: u64,
    /// Its signatures, if it is the file the state says the last run wrote
    /// and verified (empty otherwise), and its serial.
    pub previous: Previous,
    pub trusted: bool,
}

/// A read under way: what [`LastOutput::read`] gives, and its warnings.
pub(super) struct Reading(std::thread::JoinHandle<(Option<LastOutput>, Vec<String>)>);

impl Reading {
    /// Starts reading the output at `path` and the signature cache at
    /// `sigs_path`; `recorded_sha256` is the hex SHA-256 the state holds of
    /// the last output written.
    pub fn start(
        path: PathBuf,
        sigs_path: PathBuf,
        apex: StoredName,
        recorded_sha256: Option<String>,
    ) -> Reading {
        Reading(std::thread::spawn(move || {
            let mut warnings = Vec::new();
            let last = LastOutput::read(
                &path,
                &sigs_path,
                &apex,
                recorded_sha256.as_deref(),
                &mut warnings,
            );
            (last, warnings)
        }))
    }

    /// The last output, once read; its warnings go to `warnings`.
    pub fn finish(self, warnings: &mut Vec<String>) -> Option<LastOutput> {
        match self.0.join() {
            Ok((last, w)) => {
                warnings.extend(w);
                last
            }
            Err(_) => {
                warnings.push(
                    "the previous output could not be read: every signature is made anew".into(),
                );
                None
            }
        }
    }
}

impl LastOutput {
    /// Reads the last output and, if trusted, its signatures: from the
    /// signature cache when that belongs to it, else by parsing the text.
    /// An output that cannot be read, or that is not what the last run
    /// wrote, is reported and signed anew.
    fn read(
        path: &Path,
        sigs_path: &Path,
        apex: &StoredName,
        recorded_sha256: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Option<LastOutput> {
        // Hashed a block at a time: with the signature cache, a large
        // output need not be held at all.
        let (sha, len) = file_sha256(path).ok()?;
        let hex = domain::utils::base16::encode_string(&sha);
        let trusted = recorded_sha256 == Some(hex.as_str());
        let cached = std::fs::read(sigs_path)
            .ok()
            .filter(|_| trusted)
            .and_then(|c| Previous::from_cache(c.into(), &sha));
        if let Some(previous) = cached {
            return Some(LastOutput {
                sha,
                len,
                previous,
                trusted,
            });
        }
        let bytes = std::fs::read(path).ok()?;
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                let (pieces, source) =
                    reader::read_str_pieces(text, path, apex).map_err(|e| e.to_string())?;
                Zone::from_pieces(pieces, &source, apex, Dnssec::Keep).map_err(|e| e.to_string())
            });
        let zone = match parsed {
            Ok(zone) => zone,
            Err(e) => {
                warnings.push(format!(
                    "previous output cannot be read, every signature is made anew: {e}"
                ));
                return None;
            }
        };
        let previous = if trusted {
            Previous::from_zone(zone)
        } else {
            warnings.push(format!(
                "{} is not the output of the last run: every signature is made anew",
                path.display()
            ));
            Previous::serial_only(zone.serial())
        };
        Some(LastOutput {
            sha,
            len,
            previous,
            trusted,
        })
    }
}

/// The SHA-256 and length of the file at `path`, read a block at a time.
fn file_sha256(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut ctx = crate::crypto::digest::Context::new(&crate::crypto::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                ctx.update(&buf[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((sha256_octets(ctx), len))
}

/// The SHA-256 of text in pieces.
pub(super) fn text_sha256(text: &[String]) -> [u8; 32] {
    let mut ctx = crate::crypto::digest::Context::new(&crate::crypto::digest::SHA256);
    for piece in text {
        ctx.update(piece.as_bytes());
    }
    sha256_octets(ctx)
}

fn sha256_octets(ctx: crate::crypto::digest::Context) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}
