//! Phase timings and resident memory on stderr when `ZONESIGN_TIMINGS` is
//! set: the cheapest profiler there is, to see where a large zone's time
//! and memory go.

use std::time::Instant;

/// Prints the time since the previous mark, when enabled.
pub struct Phases {
    on: bool,
    last: Instant,
    last_cpu: f64,
}

impl Phases {
    pub fn start() -> Phases {
        let on = std::env::var_os("ZONESIGN_TIMINGS").is_some();
        Phases {
            on,
            last: Instant::now(),
            // /proc is read only when the timings are printed.
            last_cpu: if on { cpu_seconds() } else { 0.0 },
        }
    }

    pub fn mark(&mut self, what: &str) {
        if self.on {
            let (now, cpu) = (Instant::now(), cpu_seconds());
            eprintln!(
                "zonesign: {what}: {:.3} s, {:.2} s CPU, {} MiB resident",
                (now - self.last).as_secs_f64(),
                cpu - self.last_cpu,
                resident_mib()
            );
            (self.last, self.last_cpu) = (now, cpu);
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

/// User and system time of the whole process from /proc (0 where there is
/// none), to tell a phase that keeps every core busy from one that does not.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the parenthesised command name; utime and
            // stime are the 14th and 15th of the line.
            let rest = s.rsplit_once(')')?.1;
            let mut f = rest.split_whitespace().skip(11);
            let utime: u64 = f.next()?.parse().ok()?;
            let stime: u64 = f.next()?.parse().ok()?;
            // In clock ticks, which /proc counts at 100 a second.
            Some((utime + stime) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}
