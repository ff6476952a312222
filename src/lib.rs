//! zonesign: DNSSEC-signs zone files and manages the lifecycle of the keys.
//!
//! The library holds every capability; the `zonesign` binary is a thin CLI.

pub mod adopt;
pub mod atomic;
pub mod batch;
pub mod config;
pub mod crosscheck;
pub mod crypto;
pub mod denial;
pub mod ds;
pub mod duration;
pub mod error;
pub mod init;
pub mod keys;
pub mod keystore;
pub mod lifecycle;
pub mod lock;
pub mod manage;
pub mod memory;
pub mod phases;
pub mod policy;
pub mod progress;
pub mod report;
pub mod serial;
pub mod sign;
pub mod state;
pub mod stateless;
pub mod time;
pub mod verify;
pub mod zone;

pub use error::{Error, Result};
