//! Helpers shared by the integration tests: corpus paths, zone origins and
//! the independent judge (`tests/tools/judge.py`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use zonesign::zone::StoredName;

/// The test corpus: RFC vectors, tricky and invalid zones (`testdata/corpus`).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

/// Our own test tools: the judge, the zone generators, the mutator.
pub fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

/// Origin of a corpus zone: the first line's `; origin: X`, else the file stem.
pub fn origin_of(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let first = String::from_utf8_lossy(&text);
    let first = first.lines().next().unwrap_or("");
    if let Some(rest) = first.strip_prefix("; origin: ") {
        return rest.split_whitespace().next().unwrap_or("").to_string();
    }
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    format!("{stem}.")
}

pub fn name(s: &str) -> StoredName {
    StoredName::from_str(s).expect("test name")
}

/// Every `*.zone` directly in `dir`, sorted.
pub fn zones_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    v.sort();
    v
}

/// Whether an external tool is on PATH.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Corpus zones that only BIND can read (README of the corpus): the oracle
/// judges them with one validator.
pub const BIND_ONLY: &[&str] = &["all-types.example.zone", "all-types-legacy.example.zone"];

/// The zonesign binary built for these tests.
pub fn zonesign() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_zonesign"))
}

/// Runs a command and returns (success, stdout + stderr).
pub fn run(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd.output().expect("command runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Generates a key with `zonesign keygen` in `dir`; returns its base path.
pub fn keygen(dir: &Path, zone: &str, alg: &str, ksk: bool) -> PathBuf {
    let mut cmd = zonesign();
    cmd.args(["keygen", zone, "--algorithm", alg, "--dir"])
        .arg(dir);
    if ksk {
        cmd.arg("--ksk");
    }
    let (ok, out) = run(&mut cmd);
    assert!(ok, "keygen failed: {out}");
    dir.join(out.trim())
}

/// The independent validators must be installed: the tests never skip them.
pub fn require_validators() {
    for tool in [
        "ldns-verify-zone",
        "dnssec-verify",
        "kzonecheck",
        "named-checkzone",
        "named-compilezone",
    ] {
        assert!(
            have(tool),
            "{tool} is not installed: run .ci/run or apt-get install ldnsutils bind9-utils knot-dnssecutils"
        );
    }
}

/// `judge.py verify`: every independent validator on a signed zone, at
/// least two of which must judge it; returns (passed, report).
pub fn oracle_verify(zone: &Path, origin: &str, ds: Option<&Path>) -> (bool, String) {
    oracle_verify_min(zone, origin, ds, 2)
}

/// As `oracle_verify`, with the least number of validators that must judge.
pub fn oracle_verify_min(zone: &Path, origin: &str, ds: Option<&Path>, min: u32) -> (bool, String) {
    judge(zone, origin, ds, &["--min", &min.to_string()])
}

/// `python3 tests/tools/judge.py VERB`.
fn judge_cmd(verb: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(tool("judge.py")).arg(verb);
    cmd
}

/// `judge.py verify ZONE ORIGIN [--ds DS] EXTRA…`.
pub fn judge(zone: &Path, origin: &str, ds: Option<&Path>, extra: &[&str]) -> (bool, String) {
    let mut cmd = judge_cmd("verify");
    cmd.arg(zone).arg(origin);
    if let Some(ds) = ds {
        cmd.arg("--ds").arg(ds);
    }
    cmd.args(extra);
    run(&mut cmd)
}

/// `judge.py compare UNSIGNED SIGNED ORIGIN`: the signed zone carries the
/// data of the unsigned one, as BIND reads both.
pub fn oracle_compare(unsigned: &Path, signed: &Path, origin: &str) -> (bool, String) {
    run(judge_cmd("compare").arg(unsigned).arg(signed).arg(origin))
}
