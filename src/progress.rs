//! Progress on a terminal for long runs: one bar per long phase on stderr.
//! Off unless the CLI turns it on (stderr is a terminal and no `--quiet`),
//! and shown only for zones large enough to take a while, so pipelines,
//! logs and tests see nothing of it.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Below this many items a phase is over before a bar would help.
const SHOWN_FROM: u64 = 100_000;

/// Turns bars on or off for the process.
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// A bar over `total` items of the phase `what`; a no-op when disabled or
/// the phase is short. Cleared from the terminal when dropped.
pub struct Bar(Option<ProgressBar>);

pub fn bar(what: &str, total: u64) -> Bar {
    if !ENABLED.load(Ordering::Relaxed) || total < SHOWN_FROM {
        return Bar(None);
    }
    let pb = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "zonesign: {msg:9} [{bar:40}] {human_pos}/{human_len} eta {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    Bar(Some(pb))
}

impl Bar {
    /// Counts `n` more items done.
    pub fn inc(&self, n: u64) {
        if let Some(pb) = &self.0 {
            pb.inc(n);
        }
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hidden unless enabled and long; `enable` is process-wide, so one
    /// test covers both states.
    #[test]
    fn bars_only_when_enabled_and_long() {
        assert!(!bar("signing", 10_000_000).is_shown(), "off by default");
        enable(true);
        assert!(!bar("signing", 10).is_shown(), "too short to show");
        let long = bar("signing", SHOWN_FROM);
        // indicatif draws nothing where stderr is not a terminal.
        assert!(long.is_shown());
        long.inc(1);
        enable(false);
    }
}
