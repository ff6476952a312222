//! Faults (SPEC §5): runs killed with SIGKILL at random points, concurrent
//! runs, a lock held by another process, bad configuration values.

mod common;
#[path = "common/site.rs"]
mod site;

use site::*;
use std::fs::File;
use std::time::{Duration, Instant};

/// A zone big enough that a run takes a while to sign and write.
fn big_zone(name: &str, serial: u32, hosts: usize) -> String {
    let mut extra = String::new();
    for i in 0..hosts {
        extra.push_str(&format!(
            "h{i} IN A 192.0.2.{}\nh{i} IN TXT \"host {i} {serial}\"\n",
            i % 250
        ));
    }
    zone_text(name, serial, &extra)
}

/// Every output is complete: the zone verifies (as of `now`, or as of `t`
/// if it is still the text `before = (text, t)` a run left at `t`: days
/// later its signatures may rightly have expired), the state and DS parse.
fn outputs_whole(site: &Site, zone: &str, now: u64, before: Option<&(String, u64)>) {
    if site.signed(zone).exists() {
        let text = site.read(&site.signed(zone));
        let at = before
            .filter(|(t, _)| *t == text)
            .map_or(now, |(_, at)| *at);
        let (ok, out) = site.verify(zone, &site.ds(zone), at);
        assert!(ok, "signed zone after a kill: {out}");
    }
    if site.state(zone).exists() {
        let text = site.read(&site.state(zone));
        let state: zonesign::state::ZoneState = toml::from_str(&text).expect("whole state file");
        assert_eq!(state.zone, zone);
    }
}

#[test]
fn sigkill_at_random_points_never_leaves_a_partial_file() {
    let site = Site::new("[policy.default]\nzsk = { lifetime = \"20d\" }\n");
    let zone = "kill.example";
    site.write_zone(zone, &big_zone(zone, 1, 1500));
    site.run_ok(T0, &[]);
    // How long a rerun with changed content takes here (signatures are
    // reused, so less than the first), to spread the kills over it.
    site.write_zone(zone, &big_zone(zone, 100, 1500));
    let start = Instant::now();
    site.run_ok(T0 + 60, &[]);
    // Adjusted as runs go: a run that ends before its kill shortens the
    // next waits, so a slow first measurement (other tests running
    // beside it) cannot leave the kills too late to land.
    let mut full = start.elapsed().as_micros() as u64;
    let mut rng = fastrand::Rng::with_seed(7);
    let mut now = T0;
    let mut killed = 0;
    let mut last = (site.read(&site.signed(zone)), T0 + 60);
    let mut trial = 0u32;
    while killed < 20 && trial < 60 {
        trial += 1;
        now += rng.u64(3600..4 * DAY);
        // New content each time, so every run has something to write.
        site.write_zone(zone, &big_zone(zone, 2 + trial, 1500));
        if site.run_maybe_killed(now, &mut full, &mut rng) {
            killed += 1;
        }
        outputs_whole(&site, zone, now, Some(&last));
        // The next run recovers and leaves no temporary file.
        let (code, out) = site.zonesign(now, &["-q", "run"]);
        assert_eq!(code, 0, "{out}");
        outputs_whole(&site, zone, now, Some(&last));
        last = (site.read(&site.signed(zone)), now);
        assert!(
            site.read(&site.signed(zone))
                .contains(&format!("\"host 7 {}\"", 2 + trial))
        );
        for dir in ["signed", "ds", "state", "keys"] {
            for e in std::fs::read_dir(site.path(dir)).unwrap().flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                assert!(!n.contains(".tmp-"), "left over: {dir}/{n}");
            }
        }
        // Every key pair left is one the state holds: a killed run's new
        // keys are swept by the run after it.
        let state = site.read(&site.state(zone));
        for e in std::fs::read_dir(site.path("keys")).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let base = n.trim_end_matches(".key").trim_end_matches(".private");
            assert!(
                state.contains(&format!("file = \"{base}\"")),
                "orphaned: keys/{n}"
            );
        }
        assert_eq!(
            site.read(&site.path(&format!("state/{zone}.lock"))),
            "",
            "journal left"
        );
    }
    assert!(
        killed >= 20,
        "only {killed} of {trial} runs were killed in flight"
    );
}

#[test]
fn concurrent_runs_do_not_interleave() {
    let site = Site::new("[policy.default]\n");
    let zone = "both.example";
    site.write_zone(zone, &big_zone(zone, 1, 800));
    for round in 0..4u64 {
        let now = T0 + round * 40 * DAY;
        let spawn = || {
            site.command(now, &["-q", "run"])
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for mut c in [a, b] {
            assert!(c.wait().unwrap().success());
        }
        outputs_whole(&site, zone, now, None);
        // The state names exactly the DNSKEYs the zone publishes.
        let state: zonesign::state::ZoneState =
            toml::from_str(&site.read(&site.state(zone))).unwrap();
        let published: Vec<u16> = state
            .keys
            .iter()
            .filter(|k| k.state.published())
            .map(|k| k.tag)
            .collect();
        let signed = site.read(&site.signed(zone));
        let dnskeys = signed.lines().filter(|l| l.contains(" IN DNSKEY ")).count();
        assert_eq!(dnskeys, published.len(), "round {round}");
    }
}

#[test]
fn a_held_lock_makes_the_run_wait() {
    let site = Site::new("[policy.default]\n");
    site.write_zone("wait.example", &zone_text("wait.example", 1, ""));
    std::fs::create_dir_all(site.path("state")).unwrap();
    let lock = File::create(site.path("state/wait.example.lock")).unwrap();
    lock.lock().unwrap();
    let mut child = site
        .command(T0, &["run"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(child.try_wait().unwrap().is_none(), "the run must wait");
    assert!(!site.signed("wait.example").exists());
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting for another run"), "{err}");
    assert!(site.signed("wait.example").exists());
}

#[test]
fn bad_configuration_values_exit_2_with_the_reason() {
    let cases = [
        ("[paths]\nzones = 5\n", "zones"),
        ("[policy.default]\nalgorithm = \"ROT13\"\n", "ROT13"),
        ("[policy.default]\nzsk = { lifetime = \"soon\" }\n", "soon"),
        (
            "[policy.default]\nzone = { serial = \"sometimes\" }\n",
            "sometimes",
        ),
        ("[policy.default]\ndenial = \"nsec5\"\n", "nsec5"),
        (
            "[policy.default]\nsignatures = { refresh = \"30d\" }\n",
            "refresh",
        ),
        (
            "[policy.default]\nparent = { ds_digests = [\"MD5\"] }\n",
            "MD5",
        ),
        ("[zone.\"a.example\"]\npolicy = \"missing\"\n", "missing"),
        ("[policy.default\n", "zonesign.toml"),
        ("colour = \"blue\"\n", "colour"),
    ];
    for (config, word) in cases {
        let site = Site::new(config);
        site.write_zone("a.example", &zone_text("a.example", 1, ""));
        let (code, out) = site.zonesign(T0, &["run"]);
        assert_eq!(code, 2, "{config}: {out}");
        assert!(
            out.contains(word) && out.contains("zonesign.toml"),
            "{config}: {out}"
        );
        assert!(!site.signed("a.example").exists());
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zonesign"))
        .args(["--config", "/nonexistent/zonesign.toml", "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/zonesign.toml"));
}

#[test]
fn every_failing_run_says_when_the_published_zone_expires() {
    let site = Site::new(
        "[policy.default]\nsignatures = { validity = \"14d\", validity_denial = \"14d\", validity_keyset = \"14d\", jitter = \"0s\" }\n",
    );
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    site.run_ok(T0, &[]);
    let published = site.read(&site.signed("example.com"));
    // A broken input: every later run fails, and says how long is left.
    site.write_zone("example.com", "@ IN SOA broken\n");
    for (i, at) in [T0 + DAY, T0 + 2 * DAY, T0 + 20 * DAY]
        .into_iter()
        .enumerate()
    {
        let (code, out) = site.zonesign(at, &["run"]);
        assert_eq!(code, 1, "{out}");
        if i < 2 {
            assert!(
                out.contains("keeps its signatures until 2027-01-15"),
                "run {i}: {out}"
            );
        } else {
            assert!(out.contains("its signatures expired"), "{out}");
        }
        assert_eq!(site.read(&site.signed("example.com")), published);
    }
}

#[test]
fn a_damaged_state_never_gets_a_keyset_the_parents_ds_cannot_validate() {
    let site = Site::new("[policy.default]\n");
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    site.run_ok(T0, &[]);
    site.run_ok(T0 + 2 * DAY, &[]);
    let ds = site.read(&site.ds("example.com"));
    let tag = ds.split_whitespace().nth(4).expect("a DS").to_string();
    let (code, out) = site.zonesign(T0 + 2 * DAY, &["ds-seen", "example.com", &tag]);
    assert_eq!(code, 0, "{out}");
    site.run_ok(T0 + 3 * DAY, &[]);
    let published = site.read(&site.signed("example.com"));
    // The state damaged: the KSK whose DS the parent serves is marked dead,
    // so the lifecycle would publish a new KSK in its place at once.
    let state = site.read(&site.state("example.com"));
    let at = state
        .find(&format!("tag = {tag}\n"))
        .expect("the KSK's record");
    let (head, tail) = state.split_at(at);
    let damaged = format!(
        "{head}{}",
        tail.replacen("state = \"active\"", "state = \"dead\"", 1)
    );
    std::fs::write(site.state("example.com"), &damaged).unwrap();
    let (code, out) = site.zonesign(T0 + 3 * DAY + 3600, &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("while the parent serves DS {tag}")),
        "{out}"
    );
    assert_eq!(site.read(&site.signed("example.com")), published);
    assert_eq!(site.read(&site.state("example.com")), damaged);
}
