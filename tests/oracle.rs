//! Every valid corpus zone, signed with each generated algorithm and each
//! denial mode, passes the independent validators (BIND, ldns, Knot,
//! dnspython), keeps its content, and passes our own verifier.

mod common;

use std::path::Path;

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

fn sign_and_check(
    dir: &Path,
    zone: &Path,
    origin: &str,
    alg: &str,
    mode: &str,
    flags: &[&str],
) -> Vec<String> {
    let mut failures = Vec::new();
    let stem = zone.file_stem().unwrap().to_string_lossy().to_string();
    let kdir = dir.join(format!("{stem}-{alg}"));
    if !kdir.exists() {
        std::fs::create_dir_all(&kdir).unwrap();
        keygen(&kdir, origin, alg, true);
        keygen(&kdir, origin, alg, false);
    }
    let keys: Vec<_> = std::fs::read_dir(&kdir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "private"))
        .collect();
    let out = dir.join(format!("{stem}-{alg}-{mode}.signed"));
    let ds = dir.join(format!("{stem}-{alg}-{mode}.ds"));
    let mut cmd = zonesign();
    cmd.arg("sign")
        .arg(zone)
        .args(["--origin", origin])
        .arg("--out")
        .arg(&out)
        .arg("--ds-out")
        .arg(&ds);
    for k in &keys {
        cmd.arg("--key").arg(k);
    }
    cmd.args(flags);
    let (ok, text) = run(&mut cmd);
    if !ok {
        return vec![format!("{stem} {alg} {mode}: sign failed: {text}")];
    }
    let file = zone.file_name().unwrap().to_string_lossy();
    let min = if BIND_ONLY.contains(&file.as_ref()) {
        1
    } else {
        2
    };
    let (ok, text) = oracle_verify_min(&out, origin, Some(&ds), min);
    if !ok {
        failures.push(format!("{stem} {alg} {mode}: verify-signed-zone:\n{text}"));
    }
    let (ok, text) = oracle_compare(zone, &out, origin);
    if !ok {
        failures.push(format!("{stem} {alg} {mode}: compare-content:\n{text}"));
    }
    let (ok, text) = run(zonesign()
        .arg("verify")
        .arg(&out)
        .args(["--origin", origin])
        .arg("--ds")
        .arg(&ds));
    if !ok {
        failures.push(format!("{stem} {alg} {mode}: zonesign verify:\n{text}"));
    }
    failures
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
                failures.extend(sign_and_check(dir.path(), zone, &origin, alg, mode, flags));
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
fn sign_with_keys(
    dir: &std::path::Path,
    keys: &[std::path::PathBuf],
    flags: &[&str],
) -> Vec<String> {
    let zone = corpus().join("zones/delegations.example.zone");
    sign_zone_with_keys(dir, &zone, "delegations.example.", keys, flags)
}

/// Signs `zone` with `keys`, then runs the oracle, compare-content and our
/// verifier; returns what failed.
fn sign_zone_with_keys(
    dir: &std::path::Path,
    zone: &std::path::Path,
    origin: &str,
    keys: &[std::path::PathBuf],
    flags: &[&str],
) -> Vec<String> {
    let out = dir.join("out.signed");
    let ds = dir.join("out.ds");
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
    assert!(ok, "sign: {text}");
    let mut failures = Vec::new();
    for (ok, text) in [
        oracle_verify(&out, origin, Some(&ds)),
        oracle_compare(zone, &out, origin),
        run(zonesign()
            .arg("verify")
            .arg(&out)
            .args(["--origin", origin])
            .arg("--ds")
            .arg(&ds)),
    ] {
        if !ok {
            failures.push(text);
        }
    }
    failures
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

/// RSA keys made by dnssec-keygen and ldns-keygen sign zones that every
/// validator (validns included, it knows RSA) accepts.
#[test]
fn imported_rsa_keys_sign() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut keys = Vec::new();
    for ksk in [true, false] {
        let mut cmd = std::process::Command::new("dnssec-keygen");
        cmd.current_dir(d)
            .args(["-q", "-a", "RSASHA256", "-b", "2048"]);
        if ksk {
            cmd.args(["-f", "KSK"]);
        }
        let (ok, out) = run(cmd.arg("delegations.example."));
        assert!(ok, "{out}");
        keys.push(d.join(out.trim()));
    }
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

/// The bundled example ($GENERATE, units, wildcard, ENTs, delegations):
/// BIND expands it the same way we do, and the result validates.
#[test]
fn bundled_example_validates() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let zone = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example.com.zone");
    let keys = [
        keygen(dir.path(), "example.com.", "ECDSAP256SHA256", true),
        keygen(dir.path(), "example.com.", "ECDSAP256SHA256", false),
    ];
    for flags in [&[][..], &["--nsec3", "--opt-out"][..]] {
        let failures = sign_zone_with_keys(dir.path(), &zone, "example.com.", &keys, flags);
        assert!(failures.is_empty(), "{flags:?}:\n{}", failures.join("\n"));
    }
}
