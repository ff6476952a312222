//! The group commit of `zonesign run` (src/batch/commit.rs): many zones'
//! files put in place with a few syncs of the file system, in an order
//! that a kill or a power cut at any moment cannot break.

mod common;
#[path = "common/site.rs"]
mod site;

use site::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

const ZONES: usize = 24;

fn zone(i: usize) -> String {
    format!("z{i:02}.example")
}

/// Every zone with content that names `round`, so that each run has
/// something to write.
fn write_zones(site: &Site, round: u32) {
    for i in 0..ZONES {
        let z = zone(i);
        let marker = format!("m IN TXT \"round {round}\"");
        site.write_zone(&z, &zone_text(&z, round, &marker));
    }
}

/// A system call as strace printed it, with the line where it started and
/// the line where it returned.
struct Call {
    start: usize,
    end: usize,
    name: String,
    text: String,
}

/// Parses `strace -f` output, joining calls another thread interrupted.
fn calls(trace: &str) -> Vec<Call> {
    let mut open: HashMap<&str, (usize, String)> = HashMap::new();
    let mut out = Vec::new();
    for (n, line) in trace.lines().enumerate() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            open.insert(pid, (n, head.to_string()));
            continue;
        }
        let (start, text) = match rest.strip_prefix("<... ") {
            Some(resumed) => {
                let Some((start, head)) = open.remove(pid) else {
                    continue;
                };
                let tail = resumed.split_once("resumed>").map_or("", |(_, t)| t);
                (start, format!("{head}{tail}"))
            }
            None => (n, rest.to_string()),
        };
        let name = text.split('(').next().unwrap_or("").to_string();
        out.push(Call {
            start,
            end: n,
            name,
            text,
        });
    }
    out
}

/// Did the call return 0?
fn returned_0(text: &str) -> bool {
    text.rsplit_once(')')
        .is_some_and(|(_, r)| r.trim() == "= 0")
}

/// The quoted paths of a call.
fn paths(text: &str) -> Vec<&str> {
    text.split('"').skip(1).step_by(2).collect()
}

fn file_name(p: &str) -> &str {
    Path::new(p)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
}

/// Is there a syncfs that started after line `after` and returned before
/// line `before`?
fn synced_between(calls: &[Call], after: usize, before: usize) -> bool {
    calls
        .iter()
        .any(|c| c.name == "syncfs" && c.start > after && c.end < before)
}

/// Traced, a run of many new zones: no file is synced on its own; each
/// file's data is synced before it is renamed into place; a zone's key
/// files, and a state that knows them, are in place and synced before its
/// signed zone, and that before its final state; and a few syncs serve
/// all the zones.
#[test]
fn a_group_commit_syncs_keys_then_outputs_then_states() {
    assert!(common::have("strace"), "strace is needed (see .ci/run)");
    let site = Site::new("[policy.default]\nalgorithm = \"ECDSAP256SHA256\"\n");
    write_zones(&site, 1);
    let trace = site.path("trace");
    let trace_arg = trace.to_str().unwrap();
    let strace = [
        "strace",
        "-f",
        "-qq",
        "-o",
        trace_arg,
        "-e",
        "trace=syncfs,fsync,fdatasync,rename,renameat,renameat2,openat",
    ];
    run_under(&strace, site.command(T0, &["-q", "run"]));
    let text = std::fs::read_to_string(&trace).unwrap();
    let calls = calls(&text);
    let syncs: Vec<&Call> = calls
        .iter()
        .filter(|c| ["fsync", "fdatasync", "syncfs"].contains(&c.name.as_str()))
        .collect();
    assert!(
        syncs.iter().all(|c| c.name == "syncfs"),
        "a file synced on its own: {}",
        syncs.iter().find(|c| c.name != "syncfs").unwrap().text
    );
    let renames: Vec<(&Call, &str, &str)> = calls
        .iter()
        .filter(|c| c.name.starts_with("rename") && returned_0(&c.text))
        .filter_map(|c| match paths(&c.text)[..] {
            [from, to] => Some((c, from, to)),
            _ => None,
        })
        .collect();
    // Two workers, each with its zones in one group: one sync before the
    // renames and one after each of the three levels.
    assert!(
        syncs.len() <= 8 && renames.len() >= 6 * ZONES,
        "{} syncs for {} renames",
        syncs.len(),
        renames.len()
    );
    for (rename, from, to) in &renames {
        let opened = calls
            .iter()
            .find(|c| c.name == "openat" && paths(&c.text).first() == Some(from))
            .unwrap_or_else(|| panic!("{from} never opened"));
        assert!(
            synced_between(&calls, opened.end, rename.start),
            "{to} renamed into place before its data was synced"
        );
    }
    let placed = |f: &dyn Fn(&str) -> bool| -> Vec<&Call> {
        renames
            .iter()
            .filter(|(_, _, to)| f(to))
            .map(|(c, _, _)| *c)
            .collect()
    };
    for i in 0..ZONES {
        let z = zone(i);
        let keys = placed(&|to| file_name(to).starts_with(&format!("K{z}.+")));
        let signed = placed(&|to| to.ends_with(&format!("signed/{z}.zone")));
        let state = placed(&|to| to.ends_with(&format!("state/{z}.toml")));
        // The state twice: knowing the new keys, with them; then final.
        assert_eq!((keys.len(), signed.len(), state.len()), (4, 1, 2), "{z}");
        let last_key = keys.iter().chain(&state[..1]).map(|c| c.end).max().unwrap();
        assert!(
            synced_between(&calls, last_key, signed[0].start),
            "{z}: signed zone in place before its keys were on disk"
        );
        assert!(
            synced_between(&calls, signed[0].end, state[1].start),
            "{z}: state in place before the signed zone was on disk"
        );
    }
}

/// Runs `cmd` (a zonesign command) under `wrapper` (a program and its
/// arguments, to which the command's are appended) with two workers, and
/// requires it to succeed.
fn run_under(wrapper: &[&str], cmd: std::process::Command) {
    let out = std::process::Command::new(wrapper[0])
        .args(&wrapper[1..])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        // Two workers: the syncs and open files asserted are per worker.
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SHA-256 of a file, as the state records it.
fn sha256_hex(path: &Path) -> String {
    use sha2::Digest as _;
    let data = std::fs::read(path).unwrap_or_default();
    sha2::Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// A state written by the run at `now` must name the signed zone that is
/// in place: the state is never ahead of the published zone.
fn state_not_ahead(site: &Site, z: &str, now: u64) {
    let state = site.read(&site.state(z));
    let stamp = format!("last_run = \"{}\"", zonesign::time::rfc3339(now));
    if state.contains(&stamp) {
        let sha = sha256_hex(&site.signed(z));
        assert!(
            state.contains(&format!("signed_sha256 = \"{sha}\"")),
            "{z}: the state of the killed run is ahead of its signed zone"
        );
    }
}

/// Every DNSKEY a signed zone publishes has its key files.
fn published_keys_have_files(site: &Site, z: &str) {
    let zone = site.signed(z);
    let apex = zonesign::zone::parse_origin(z).unwrap();
    let keys = zonesign::batch::head_dnskeys(&zone, &apex).unwrap();
    for k in keys {
        let base = zonesign::keys::file_base(&apex, k.algorithm(), k.key_tag());
        for ext in ["private", "key"] {
            let f = site.path(&format!("keys/{base}.{ext}"));
            assert!(
                f.exists(),
                "{z}: publishes key {} without {ext} file",
                k.key_tag()
            );
        }
    }
}

/// Runs of many zones, each making keys (a ZSK rollover every few days),
/// killed at random points: every zone is whole and consistent after each
/// kill, and the next run puts everything right.
#[test]
fn sigkill_in_a_run_of_many_zones_leaves_each_zone_consistent() {
    let site = Site::new(
        "[policy.default]\nalgorithm = \"ECDSAP256SHA256\"\n\
         zsk = { lifetime = \"2d\" }\n",
    );
    write_zones(&site, 1);
    let start = Instant::now();
    site.run_ok(T0, &["-q"]);
    let mut full = start.elapsed().as_micros() as u64;
    let mut rng = fastrand::Rng::with_seed(11);
    let (mut now, mut killed, mut trial) = (T0, 0, 0u32);
    while killed < 12 && trial < 40 {
        trial += 1;
        now += rng.u64(DAY / 2..3 * DAY);
        write_zones(&site, 1 + trial);
        if site.run_maybe_killed(now, &mut full, &mut rng) {
            killed += 1;
        }
        for i in 0..ZONES {
            let z = zone(i);
            state_not_ahead(&site, &z, now);
            published_keys_have_files(&site, &z);
        }
        site.run_ok(now, &["-q"]);
        for i in 0..ZONES {
            let z = zone(i);
            let (ok, out) = site.verify(&z, &site.ds(&z), now);
            assert!(ok, "{z}: {out}");
            assert!(
                site.read(&site.signed(&z))
                    .contains(&format!("\"round {}\"", 1 + trial))
            );
            state_not_ahead(&site, &z, now);
            assert_eq!(
                site.read(&site.path(&format!("state/{z}.lock"))),
                "",
                "journal left"
            );
        }
        for dir in ["signed", "ds", "state", "keys"] {
            for e in std::fs::read_dir(site.path(dir)).unwrap().flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                assert!(!n.contains(".tmp-"), "left over: {dir}/{n}");
            }
        }
        // Every key pair left is one a state holds: the keys of a killed
        // run are swept by the run after it.
        let states: String = (0..ZONES)
            .map(|i| site.read(&site.state(&zone(i))))
            .collect();
        for e in std::fs::read_dir(site.path("keys")).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let base = n.trim_end_matches(".key").trim_end_matches(".private");
            assert!(
                states.contains(&format!("file = \"{base}\"")),
                "orphaned: keys/{n}"
            );
        }
    }
    assert!(
        killed >= 12,
        "only {killed} of {trial} runs were killed in flight"
    );
}

/// A worker holds the locks of the zones it has not put in place yet: with
/// few open files allowed, the groups are smaller, and every zone is
/// signed.
#[test]
fn a_low_open_file_limit_makes_smaller_groups() {
    let site = Site::new("[policy.default]\nalgorithm = \"ECDSAP256SHA256\"\n");
    let zones: Vec<String> = (0..80).map(|i| format!("f{i:02}.example")).collect();
    for z in &zones {
        site.write_zone(z, &zone_text(z, 1, ""));
    }
    run_under(
        &["sh", "-c", "ulimit -n 48 && exec \"$@\"", "sh"],
        site.command(T0, &["-q", "run"]),
    );
    for z in &zones {
        assert!(site.signed(z).exists(), "{z} not signed");
    }
}
