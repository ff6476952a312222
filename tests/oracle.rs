//! Every valid corpus zone, signed with each generated algorithm and each
//! denial mode, passes the independent validators (BIND, ldns, Knot,
//! dnspython), keeps its content, and passes our own verifier.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const ALGORITHMS: &[&str] = &["ECDSAP256SHA256", "ECDSAP384SHA384", "ED25519"];
const MODES: &[(&str, &[&str])] = &[
    ("nsec", &[]),
    ("nsec3", &["--nsec3"]),
    ("nsec3-optout", &["--nsec3", "--opt-out"]),
    (
        "nsec3-salt",
        &["--nsec3", "--salt", "aabbccdd", "--iterations", "5"],
    ),
];

/// Signs `zone` with `keys` into `<dir>/<label>.signed` (DS beside it),
/// then runs the oracle (judged by at least `min_validators`),
/// the judge's content comparison and our verifier; returns what failed, named by `label`.
fn sign_and_judge(
    dir: &Path,
    label: &str,
    zone: &Path,
    origin: &str,
    keys: &[PathBuf],
    flags: &[&str],
    min_validators: u32,
) -> Vec<String> {
    let out = dir.join(format!("{label}.signed"));
    let ds = dir.join(format!("{label}.ds"));
    let mut cmd = zonesign();
    cmd.arg("sign")
        .arg(zone)
        .args(["--origin", origin])
        .arg("--out")
        .arg(&out)
        .arg("--ds-out")
        .arg(&ds);
    for k in keys {
        cmd.arg("--key").arg(k);
    }
    let (ok, text) = run(cmd.args(flags));
    if !ok {
        return vec![format!("{label}: sign failed: {text}")];
    }
    let verify = run(zonesign()
        .arg("verify")
        .arg(&out)
        .args(["--origin", origin])
        .arg("--ds")
        .arg(&ds));
    [
        (
            "judge verify",
            oracle_verify_min(&out, origin, Some(&ds), min_validators),
        ),
        ("judge compare", oracle_compare(zone, &out, origin)),
        ("zonesign verify", verify),
    ]
    .into_iter()
    .filter(|(_, (ok, _))| !ok)
    .map(|(check, (_, text))| format!("{label}: {check}:\n{text}"))
    .collect()
}

/// A KSK and a ZSK of `alg` for `origin`, made once per directory.
fn keys_for(kdir: &Path, origin: &str, alg: &str) -> Vec<PathBuf> {
    if !kdir.exists() {
        std::fs::create_dir_all(kdir).unwrap();
        keygen(kdir, origin, alg, true);
        keygen(kdir, origin, alg, false);
    }
    std::fs::read_dir(kdir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "private"))
        .collect()
}

#[test]
fn corpus_zones_sign_and_validate_everywhere() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let zones = zones_in(&corpus().join("zones"));
    assert!(zones.len() >= 15);
    let mut failures = Vec::new();
    let mut runs = 0;
    for zone in &zones {
        let origin = origin_of(zone);
        for alg in ALGORITHMS {
            for (mode, flags) in MODES {
                let stem = zone.file_stem().unwrap().to_string_lossy().to_string();
                let keys = keys_for(&dir.path().join(format!("{stem}-{alg}")), &origin, alg);
                let file = zone.file_name().unwrap().to_string_lossy();
                let min = if BIND_ONLY.contains(&file.as_ref()) {
                    1
                } else {
                    2
                };
                let label = format!("{stem}-{alg}-{mode}");
                failures.extend(sign_and_judge(
                    dir.path(),
                    &label,
                    zone,
                    &origin,
                    &keys,
                    flags,
                    min,
                ));
                runs += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Signs delegations.example with `keys` and runs the whole oracle.
fn sign_with_keys(dir: &Path, keys: &[PathBuf], flags: &[&str]) -> Vec<String> {
    let zone = corpus().join("zones/delegations.example.zone");
    sign_and_judge(dir, "out", &zone, "delegations.example.", keys, flags, 2)
}

/// One key with both roles (CSK), with CDS/CDNSKEY published.
#[test]
fn csk_zone_validates() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let csk = keygen(dir.path(), "delegations.example.", "ED25519", true);
    for flags in [&["--cds"][..], &["--nsec3", "--cds"][..]] {
        let failures = sign_with_keys(dir.path(), std::slice::from_ref(&csk), flags);
        assert!(failures.is_empty(), "{flags:?}:\n{}", failures.join("\n"));
    }
}

/// `dnssec-keygen -a ALG [-b BITS] [-f KSK]` in `dir`: the key's base path.
fn bind_keygen(dir: &Path, alg: &str, bits: &str, ksk: bool) -> PathBuf {
    let mut cmd = std::process::Command::new("dnssec-keygen");
    cmd.current_dir(dir).args(["-q", "-a", alg]);
    if !bits.is_empty() {
        cmd.args(["-b", bits]);
    }
    if ksk {
        cmd.args(["-f", "KSK"]);
    }
    let (ok, out) = run(cmd.arg("delegations.example."));
    assert!(ok, "{out}");
    dir.join(out.trim())
}

/// RSA keys made by dnssec-keygen and ldns-keygen sign zones that every
/// validator (validns included, it knows RSA) accepts.
#[test]
fn imported_rsa_keys_sign() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = [true, false].map(|ksk| bind_keygen(d, "RSASHA256", "2048", ksk));
    let failures = sign_with_keys(d, &keys, &["--nsec3"]);
    assert!(
        failures.is_empty(),
        "BIND RSASHA256:\n{}",
        failures.join("\n")
    );

    let ldir = tempfile::tempdir().unwrap();
    let l = ldir.path();
    let mut keys = Vec::new();
    for ksk in [true, false] {
        let mut cmd = std::process::Command::new("ldns-keygen");
        cmd.current_dir(l).args(["-a", "RSASHA512", "-b", "2048"]);
        if ksk {
            cmd.arg("-k");
        }
        let (ok, out) = run(cmd.arg("delegations.example."));
        assert!(ok, "{out}");
        keys.push(l.join(out.lines().next().unwrap().trim()));
    }
    let failures = sign_with_keys(l, &keys, &[]);
    assert!(
        failures.is_empty(),
        "ldns RSASHA512:\n{}",
        failures.join("\n")
    );
}

/// Every algorithm zonesign generates signs a zone that the independent
/// validators accept, and so do keys of the same algorithms from BIND
/// (RSA at every RFC 8624 size, P-384, ED448).
#[test]
fn every_algorithm_signs_with_our_keys_and_with_bind_keys() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ours = [
        "RSASHA256",
        "RSASHA512",
        "ECDSAP256SHA256",
        "ECDSAP384SHA384",
        "ED25519",
        "ED448",
    ];
    for alg in ours {
        let csk = keygen(d, "delegations.example.", alg, true);
        let failures = sign_with_keys(d, std::slice::from_ref(&csk), &["--nsec3"]);
        assert!(
            failures.is_empty(),
            "zonesign {alg}:\n{}",
            failures.join("\n")
        );
    }
    for (alg, bits) in [
        ("RSASHA256", "3072"),
        ("RSASHA512", "4096"),
        ("ECDSAP384SHA384", ""),
        ("ED448", ""),
    ] {
        let csk = bind_keygen(d, alg, bits, true);
        let failures = sign_with_keys(d, std::slice::from_ref(&csk), &[]);
        assert!(
            failures.is_empty(),
            "BIND {alg} {bits}:\n{}",
            failures.join("\n")
        );
    }
}

/// An imported RSA key under 2048 bits still signs (RFC 8624 forbids
/// making such keys, not validating with them), with a warning.
#[test]
fn short_rsa_keys_sign_with_a_warning() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = bind_keygen(d, "RSASHA256", "1024", true);
    let zone = corpus().join("zones/delegations.example.zone");
    let signed = d.join("short.signed");
    let (ok, out) = run(zonesign()
        .args(["sign", "--origin", "delegations.example.", "--key"])
        .arg(&key)
        .arg("--out")
        .arg(&signed)
        .arg(&zone));
    assert!(ok, "{out}");
    assert!(
        out.contains("of 1024 bits") && out.contains("RFC 8624"),
        "{out}"
    );
    let (ok, report) = oracle_verify(&signed, "delegations.example.", None);
    assert!(ok, "{report}");
    // ...but zonesign makes no such key.
    let (ok, out) = run(zonesign()
        .args([
            "keygen",
            "x.example.",
            "--algorithm",
            "RSASHA256",
            "--bits",
            "1024",
            "--dir",
        ])
        .arg(d));
    assert!(!ok && out.contains("RFC 8624"), "{out}");
}

/// The bundled example ($GENERATE, units, wildcard, ENTs, delegations):
/// BIND expands it the same way we do, and the result validates.
#[test]
fn bundled_example_validates() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let zone =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/zones/example.com.zone");
    let keys = [
        keygen(dir.path(), "example.com.", "ECDSAP256SHA256", true),
        keygen(dir.path(), "example.com.", "ECDSAP256SHA256", false),
    ];
    for flags in [&[][..], &["--nsec3", "--opt-out"][..]] {
        let failures = sign_and_judge(dir.path(), "out", &zone, "example.com.", &keys, flags, 2);
        assert!(failures.is_empty(), "{flags:?}:\n{}", failures.join("\n"));
    }
}
