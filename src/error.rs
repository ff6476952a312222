//! Errors that carry the context an operator needs: which file, which line,
//! what was wrong.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem at one line of a zone file.
    #[error("{}:{line}: {reason}", file.display())]
    ZoneLine {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// A problem with a zone as a whole (no SOA, no apex NS, …).
    #[error("{}: {reason}", file.display())]
    Zone { file: PathBuf, reason: String },
    /// A configuration file that cannot be used.
    #[error("{}: {reason}", file.display())]
    Config { file: PathBuf, reason: String },
    /// A key file that cannot be read or used.
    #[error("{}: {reason}", file.display())]
    Key { file: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Signing could not proceed (no usable key, crypto failure).
    #[error("{0}")]
    Sign(String),
    /// Bad usage or arguments.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn key(file: &Path, reason: impl Into<String>) -> Self {
        Error::Key {
            file: file.to_path_buf(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
