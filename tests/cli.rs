//! The command line as a pipeline step sees it: exit codes, errors that name
//! file and line, previous outputs left intact, and a 100k-name zone.

mod common;

use common::*;

/// A zone that signs: SOA, apex NS and its address.
const SMALL_ZONE: &str = "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";

#[test]
fn bad_zone_fails_with_file_line_and_keeps_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ksk = keygen(d, "bad.example.", "ED25519", true);
    let good = d.join("good.zone");
    std::fs::write(&good, SMALL_ZONE).unwrap();
    let out = d.join("out.signed");
    let sign = |zone: &std::path::Path| {
        let mut c = zonesign();
        c.arg("sign")
            .arg(zone)
            .args(["--origin", "bad.example"])
            .arg("--key")
            .arg(&ksk)
            .arg("--out")
            .arg(&out);
        c.output().unwrap()
    };
    assert!(sign(&good).status.success());
    let before = std::fs::read(&out).unwrap();
    let bad = corpus().join("zones-bad/syntax-error-line7.zone");
    let o = sign(&bad);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("syntax-error-line7.zone:7:"), "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "previous output changed"
    );
    assert_eq!(temporaries(d), 0, "temporary file left behind");
}

/// Temporary outputs (`.<target>.tmp-<random>`) left in `dir`.
fn temporaries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        })
        .count()
}

/// A signed zone that cannot be written takes the DS file down with it:
/// the DS of a new key must not reach the parent for a zone never signed
/// with it.
#[test]
fn unwritable_output_keeps_the_previous_ds_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let zone = d.join("ds.zone");
    std::fs::write(&zone, SMALL_ZONE).unwrap();
    let ds = d.join("ds.txt");
    let sign = |key: &std::path::Path, out: &std::path::Path| {
        let mut c = zonesign();
        c.arg("sign")
            .arg(&zone)
            .args(["--origin", "ds.example", "--key"])
            .arg(key)
            .arg("--out")
            .arg(out)
            .arg("--ds-out")
            .arg(&ds);
        c.output().unwrap()
    };
    let first = keygen(d, "ds.example.", "ECDSAP256SHA256", true);
    assert!(sign(&first, &d.join("out.signed")).status.success());
    let before = std::fs::read(&ds).unwrap();
    let second = keygen(d, "ds.example.", "ECDSAP256SHA256", true);
    let o = sign(&second, &d.join("missing").join("out.signed"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing"), "{err}");
    assert_eq!(std::fs::read(&ds).unwrap(), before, "the DS file changed");
    assert_eq!(temporaries(d), 0, "temporary file left behind");
}

#[test]
fn bad_usage_exits_2() {
    let o = zonesign()
        .args([
            "sign",
            "x.zone",
            "--origin",
            "x",
            "--key",
            "/nonexistent/Kx.+013+00001",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = zonesign().args(["verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// A 100k-name enterprise zone from tests/tools/genzone.py signs with
/// NSEC3 and passes our verifier (release build: a few seconds).
#[test]
fn large_zone_signs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let zone = d.join("big.zone");
    let out = std::process::Command::new("python3")
        .arg(tool("genzone.py"))
        .args([
            "enterprise",
            "100000",
            "--seed",
            "7",
            "--origin",
            "big.example.",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&zone, &out.stdout).unwrap();
    let ksk = keygen(d, "big.example.", "ECDSAP256SHA256", true);
    let zsk = keygen(d, "big.example.", "ECDSAP256SHA256", false);
    let signed = d.join("big.signed");
    let (ok, text) = run(zonesign()
        .arg("sign")
        .arg(&zone)
        .args(["--origin", "big.example", "--nsec3", "--key"])
        .arg(&ksk)
        .arg("--key")
        .arg(&zsk)
        .arg("--out")
        .arg(&signed));
    assert!(ok, "{text}");
    let (ok, text) = run(zonesign()
        .arg("verify")
        .arg(&signed)
        .args(["--origin", "big.example"]));
    assert!(ok, "{text}");
    let rrsigs: usize = text
        .split(" RRSIGs verified")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rrsigs > 200_000, "{text}");
}
