//! Phase timings on stderr when `ZONESIGN_TIMINGS` is set: the cheapest
//! profiler there is, to see where a large zone's time goes.

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
            eprintln!("zonesign: {what}: {:.3} s", (now - self.last).as_secs_f64());
            self.last = now;
        }
    }
}
