//! Phase timings and resident memory on stderr when `ZONESIGN_TIMINGS` is
//! set: the cheapest profiler there is, to see where a large zone's time
//! and memory go.

use std::time::Instant;

/// Prints the time since the previous mark, when enabled.
pub struct Phases {
    on: bool,
    last: Instant,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            on: std::env::var_os("ZONESIGN_TIMINGS").is_some(),
            last: Instant::now(),
        }
    }

    pub fn mark(&mut self, what: &str) {
        if self.on {
            let now = Instant::now();
            eprintln!(
                "zonesign: {what}: {:.3} s, {} MiB resident",
                (now - self.last).as_secs_f64(),
                resident_mib()
            );
            self.last = now;
        }
    }
}

/// The resident set size from /proc (0 where there is none).
fn resident_mib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| (pages * 4096) >> 20)
}
