//! A slice of the differential testing of `bin/fuzz-diff` on every run:
//! random zones nobody wrote by hand, signed by zonesign in NSEC, NSEC3 and
//! opt-out mode with P-256, Ed25519 and RSA keys, each judged by BIND, ldns,
//! Knot and dnspython and compared with its input. `bin/fuzz-diff --hours N`
//! runs the long version; this one takes the same first seeds every time.

mod common;

use common::*;

#[test]
fn random_zones_pass_every_independent_validator() {
    require_validators();
    let keep = tempfile::tempdir().unwrap();
    let (ok, text) = run(std::process::Command::new("python3")
        .arg(tool("fuzzdiff.py"))
        .args(["--zonesign", env!("CARGO_BIN_EXE_zonesign")])
        .args(["--zones", "240", "--jobs", "2", "--keep"])
        .arg(keep.path()));
    // The summary names what was judged, or which seeds failed and why.
    assert!(ok, "{text}");
    let summary = text.lines().last().unwrap_or("");
    assert!(summary.starts_with("fuzzdiff: 240 zones"), "{text}");
    assert!(summary.ends_with("0 failed"), "{text}");
}
