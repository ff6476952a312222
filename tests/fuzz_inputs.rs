//! Mutation fuzzing of what zonesign reads from users and from disk, on the
//! stable toolchain: the zone reader (through `Zone::load`, with its checks
//! and the owner building) and the state reader (through the enforcer that
//! acts on what it read). Inputs are the corpus zones and real state files
//! mutated at random; any panic is a finding, saved with its input in
//! `fuzz-findings/`. An error is the expected answer to junk.
//!
//! CI runs a short slice (`ZONESIGN_FUZZ_SECONDS`, default 20 s per
//! target); `bin/fuzz --seconds N` runs the long one.

mod common;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zonesign::zone::{Dnssec, Zone};

/// Fragments that reach the reader's and lexer's corners.
const TOKENS: &[&str] = &[
    "$INCLUDE ",
    "$ORIGIN ",
    "$TTL ",
    "$GENERATE 1-9 h$ A 192.0.2.$\n",
    "$GENERATE 0-4294967295 x$ TXT $\n",
    "(",
    ")",
    "\"",
    "\\",
    "\\#",
    "\\# 0",
    "\\065",
    "\\.",
    "@",
    ";",
    "\n",
    "\t",
    " ",
    ".",
    "IN",
    "CH",
    "TYPE65535",
    "CLASS4",
    "SOA",
    "NS",
    "DS",
    "RRSIG",
    "NSEC3",
    "ZONEMD",
    "OPT",
    "SVCB",
    "HTTPS",
    "LOC",
    "APL",
    "TXT",
    "CAA",
    "2147483648",
    "4294967296",
    "-1",
    "0x",
    "${0,3,d}",
    "$ORIGIN .\n",
    "*.",
    "xn--",
    "\u{0}",
    "\u{ff}",
    "a\u{300}",
];

/// A random edit of `input`: flips, cuts, splices and tokens.
fn mutate(rng: &mut fastrand::Rng, input: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.usize(1..8) {
        let at = rng.usize(0..=v.len());
        match rng.u8(0..7) {
            0 if !v.is_empty() => {
                let i = rng.usize(0..v.len());
                v[i] ^= 1 << rng.u8(0..8);
            }
            1 if !v.is_empty() => {
                let end = (at + rng.usize(0..64)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.usize(0..TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            3 => {
                let other = &pool[rng.usize(0..pool.len())];
                let from = rng.usize(0..=other.len());
                let to = (from + rng.usize(0..256)).min(other.len());
                v.splice(at..at, other[from..to].iter().copied());
            }
            4 if !v.is_empty() => {
                // A line repeated: long RRsets, duplicates.
                let start = v[..at.min(v.len())]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = v[start..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(v.len(), |p| start + p + 1);
                let line = v[start..end].to_vec();
                for _ in 0..rng.usize(1..20) {
                    v.splice(end..end, line.iter().copied());
                }
            }
            5 => v
                .splice(at..at, std::iter::repeat_n(b'a', rng.usize(0..300)))
                .for_each(drop),
            _ => {
                let n = rng.usize(1..8);
                v.splice(at..at, (0..n).map(|_| rng.u8(..)));
            }
        }
    }
    v
}

/// What one target does with one input: whether it was read. A panic is
/// the only failure.
type Target = fn(&Path, &[u8]) -> bool;

fn zone_reader(dir: &Path, input: &[u8]) -> bool {
    let path = dir.join("fuzz.zone");
    std::fs::write(&path, input).unwrap();
    let apex = common::name("example.");
    [Dnssec::Strip, Dnssec::Keep]
        .into_iter()
        .map(|dnssec| Zone::load(&path, &apex, dnssec).is_ok())
        .fold(false, |a, b| a | b)
}

fn state_reader(dir: &Path, input: &[u8]) -> bool {
    let path = dir.join("fuzz.toml");
    std::fs::write(&path, input).unwrap();
    let Ok(state) = zonesign::state::ZoneState::load(&path, "example.com") else {
        return false;
    };
    let policy = zonesign::policy::Policy::default_named("default");
    for now in [0, 1_798_761_600, u64::from(u32::MAX) + 86_400] {
        let _ = zonesign::lifecycle::enforce(&policy, &state, &[], now);
        let _ = zonesign::lifecycle::decide(&state);
    }
    true
}

/// The seeds of the zone reader: every corpus zone, good and bad.
fn zone_seeds() -> Vec<Vec<u8>> {
    let corpus = common::corpus();
    let mut seeds = Vec::new();
    for dir in ["zones", "zones-bad"] {
        for p in common::zones_in(&corpus.join(dir)) {
            seeds.push(std::fs::read(p).unwrap());
        }
    }
    seeds
}

/// The seeds of the state reader: states written by real runs (a fresh
/// zone, a KSK rollover under way, a standby KSK).
fn state_seeds() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zones")).unwrap();
    std::fs::write(
        dir.path().join("zonesign.toml"),
        "[policy.default]\nksk = { standby = 1 }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("zones/example.com.zone"),
        "$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n",
    )
    .unwrap();
    let run = |now: &str, args: &[&str]| {
        let (ok, out) = common::run(
            common::zonesign()
                .arg("--config")
                .arg(dir.path().join("zonesign.toml"))
                .args(["--now", now])
                .args(args),
        );
        assert!(ok, "{out}");
    };
    let state = dir.path().join("state/example.com.toml");
    let mut seeds = Vec::new();
    run("2027-01-01T00:00:00Z", &["run"]);
    seeds.push(std::fs::read(&state).unwrap());
    run(
        "2027-01-03T00:00:00Z",
        &["rollover", "example.com", "--ksk"],
    );
    run("2027-01-03T00:00:00Z", &["run"]);
    seeds.push(std::fs::read(&state).unwrap());
    seeds
}

/// Runs `target` on mutations of `seeds` for `budget`; returns executions.
fn fuzz(name: &str, target: Target, seeds: &[Vec<u8>], budget: Duration, seed: u64) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut pool = seeds.to_vec();
    let start = Instant::now();
    let (mut runs, mut read, mut slowest) = (0u64, 0u64, Duration::ZERO);
    let mut findings: Vec<PathBuf> = Vec::new();
    std::panic::set_hook(Box::new(|_| {}));
    while start.elapsed() < budget {
        let base = &pool[rng.usize(0..pool.len())];
        let input = mutate(&mut rng, base, &pool);
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| target(dir.path(), &input)));
        slowest = slowest.max(t.elapsed());
        runs += 1;
        read += u64::from(outcome.as_ref().is_ok_and(|r| *r));
        if outcome.is_err() {
            let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-findings");
            std::fs::create_dir_all(&out).unwrap();
            let file = out.join(format!("{name}-{seed}-{runs}"));
            std::fs::write(&file, &input).unwrap();
            findings.push(file);
        } else if pool.len() < 4096 && outcome.is_ok_and(|r| r) && rng.u8(0..4) == 0 {
            // Inputs that were read keep the search near the grammar.
            pool.push(input);
        }
    }
    let _ = std::panic::take_hook();
    eprintln!(
        "fuzz {name}: {runs} executions in {:.0?} ({:.0}/s), {read} read without error, \
         slowest {slowest:.2?}, {} finding(s)",
        start.elapsed(),
        runs as f64 / start.elapsed().as_secs_f64(),
        findings.len()
    );
    assert!(
        findings.is_empty(),
        "{name}: inputs that panic: {findings:?}"
    );
    assert!(
        slowest < Duration::from_secs(30),
        "{name}: an input took {slowest:?}"
    );
    runs
}

fn budget() -> (Duration, u64) {
    let secs = std::env::var("ZONESIGN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed = std::env::var("ZONESIGN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    (Duration::from_secs(secs), seed)
}

#[test]
fn the_zone_reader_never_panics_on_mutated_zones() {
    let (budget, seed) = budget();
    assert!(fuzz("zone-reader", zone_reader, &zone_seeds(), budget, seed) > 100);
}

#[test]
fn the_state_reader_never_panics_on_mutated_states() {
    let (budget, seed) = budget();
    assert!(fuzz("state-reader", state_reader, &state_seeds(), budget, seed) > 100);
}
