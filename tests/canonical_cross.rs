//! zonesign's two canonical forms (the signer's, through `domain`, and
//! `crosscheck`'s own table) against BIND's reading and dnspython's
//! canonical form, record by record, on every type of the corpus and on
//! random zones: a type one of them gets wrong is a difference here, long
//! before a validator sees a bogus signature.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use zonesign::zone::{reader, rrset};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `owner type rdata` lines of zonesign's canonical form; panics when the
/// two paths disagree on a record.
fn ours(path: &Path, origin: &str) -> BTreeSet<String> {
    let (records, _) = reader::read_file(path, &name(origin)).expect("zone reads");
    let mut out = BTreeSet::new();
    for r in &records {
        let code = r.rtype.to_int();
        let signer = rrset::canonical(r.rtype, &r.data);
        let second = zonesign::crosscheck::rdata(code, &r.data).expect("crosscheck reads it");
        assert_eq!(
            hex(&signer),
            hex(&second),
            "{}: {} type {code}: the signer's and the cross-check's canonical forms differ",
            path.display(),
            r.owner
        );
        let owner = r.owner.as_slice().to_ascii_lowercase();
        out.insert(format!("{} {code} {}", hex(&owner), hex(&second)));
    }
    out
}

/// The same lines from BIND and dnspython, and the records they skipped.
/// Each line also gives the RDATA as written, case kept: `crosscheck` must
/// turn that into dnspython's canonical form on its own, whatever our
/// reader did to it. (The signer's path cannot: for the types `domain`
/// does not lower-case, AFSDB, RT, KX, PX, A6, SIG, NXT, it relies on the
/// reader having lower-cased their names, which `ours` checks.)
fn theirs(path: &Path, origin: &str) -> (BTreeSet<String>, Vec<String>) {
    let (ok, text) = run(std::process::Command::new("python3")
        .arg(tool("canon.py"))
        .arg(path)
        .arg(origin));
    assert!(ok, "canon.py {}: {text}", path.display());
    let (skipped, lines): (Vec<String>, Vec<String>) = text
        .lines()
        .map(str::to_string)
        .partition(|l| l.starts_with("skip "));
    let mut canonical = BTreeSet::new();
    for line in lines {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 4, "canon.py line {line}");
        let code: u16 = f[1].parse().unwrap();
        let wire = unhex(f[3]);
        let second = zonesign::crosscheck::rdata(code, &wire).expect("crosscheck reads it");
        assert_eq!(
            hex(&second),
            f[2],
            "{}: type {code}: crosscheck's canonical form of {}",
            path.display(),
            f[3]
        );
        canonical.insert(f[..3].join(" "));
    }
    (canonical, skipped)
}

/// Compares one zone; returns (records compared, records skipped).
fn compare(path: &Path, origin: &str) -> (usize, usize) {
    let ours = ours(path, origin);
    let (theirs, skipped) = theirs(path, origin);
    // What dnspython skipped is missing from its side: compare the rest,
    // and require that the skipped are exactly what ours has beyond it.
    let missing: Vec<&String> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "{}: BIND/dnspython have records zonesign reads otherwise:\n{}\nzonesign has:\n{}",
        path.display(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        ours.difference(&theirs)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let extra = ours.len() - theirs.len();
    assert_eq!(
        extra,
        skipped.len(),
        "{}: zonesign has {extra} records beyond BIND/dnspython's, which skipped {skipped:?}",
        path.display()
    );
    (theirs.len(), skipped.len())
}

fn tools_present() -> bool {
    let ok = have("named-compilezone") && have("python3");
    if !ok {
        eprintln!("skipped: named-compilezone or python3 missing");
    }
    ok
}

#[test]
fn every_corpus_type_has_the_same_canonical_form_as_bind_and_dnspython() {
    if !tools_present() {
        return;
    }
    let dir = corpus().join("zones");
    let (mut compared, mut skipped) = (0, 0);
    for zone in [
        "all-types.example",
        "all-types-common.example",
        "all-types-legacy.example",
        "case.example",
        "escapes.example",
        "rfc3597.example",
        "rfc3597-class.example",
    ] {
        let (c, s) = compare(&dir.join(format!("{zone}.zone")), &format!("{zone}."));
        compared += c;
        skipped += s;
    }
    eprintln!("{compared} records compared, {skipped} of types dnspython lacks");
    assert!(compared > 150, "only {compared} records compared");
}

#[test]
fn random_zones_have_the_same_canonical_form_as_bind_and_dnspython() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for seed in 1..=30 {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(tool("randzone.py")).arg(seed.to_string());
        if seed % 3 == 0 {
            cmd.arg("--legacy");
        }
        let (ok, text) = run(&mut cmd);
        assert!(ok, "randzone.py {seed}: {text}");
        let path = dir.path().join(format!("{seed}.zone"));
        std::fs::write(&path, text).unwrap();
        compared += compare(&path, "fuzz.example.").0;
    }
    eprintln!("{compared} records compared");
}

#[test]
fn known_types_by_number_with_their_own_data_read_as_by_name() {
    if !tools_present() {
        return;
    }
    // RFC 3597 s5: `TYPEnn` may carry the type's usual presentation data.
    let text = "$ORIGIN n.example.\n$TTL 3600\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n\
                a6 TYPE38 0 2001:db8::1\nafsdb TYPE18 1 AFS.Example.\nrt TYPE21 10 Relay.N.Example.\n\
                kx TYPE36 10 KX.n.example.\nmx TYPE15 10 Mail.N.example.\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.example.zone");
    std::fs::write(&path, text).unwrap();
    // dnspython cannot read A6: BIND's dnssec-verify judges it below.
    let (compared, skipped) = compare(&path, "n.example.");
    assert_eq!((compared, skipped), (7, 1));
    // Signed, the validators accept it (ldns and Knot cannot read A6:
    // BIND and dnspython judge it).
    let key = keygen(dir.path(), "n.example", "ECDSAP256SHA256", true);
    let out = dir.path().join("signed.zone");
    let (ok, msg) = run(zonesign()
        .args(["sign", "--origin", "n.example", "--key"])
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .arg(&path));
    assert!(ok, "{msg}");
    let (ok, msg) = oracle_verify_min(&out, "n.example.", None, 1);
    assert!(ok, "{msg}");
}
