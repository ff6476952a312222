//! Zones signed by dnssec-signzone and ldns-signzone pass `zonesign verify`,
//! and broken variants of them fail it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const ORIGIN: &str = "delegations.example.";
/// An authoritative name with an A RRset.
const NS1: &str = "ns1.delegations.example.";

fn zone() -> PathBuf {
    corpus().join("zones/delegations.example.zone")
}

/// Signs with BIND's dnssec-signzone (one record per line, `-O full`).
fn bind_signed(dir: &Path, nsec3: bool) -> PathBuf {
    for ksk in [true, false] {
        // BIND drops a P-256 scalar's leading zero octet (one key in 256).
        // zonesign pads it (keys.rs, tested there); here such a key is
        // made again so that every run tests the same thing.
        loop {
            let mut cmd = Command::new("dnssec-keygen");
            cmd.current_dir(dir).args(["-a", "ECDSAP256SHA256"]);
            if ksk {
                cmd.args(["-f", "KSK"]);
            }
            let out = cmd.arg(ORIGIN).output().expect("dnssec-keygen runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "dnssec-keygen: {text}");
            let file = |ext: &str| dir.join(format!("{}.{ext}", text.trim()));
            let private = std::fs::read_to_string(file("private")).unwrap();
            let short = private
                .lines()
                .any(|l| l.starts_with("PrivateKey:") && l.trim_end().ends_with("=="));
            if !short {
                break;
            }
            for ext in ["private", "key"] {
                std::fs::remove_file(file(ext)).unwrap();
            }
        }
    }
    let input = dir.join("in.zone");
    let mut text = std::fs::read_to_string(zone()).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "key") {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap());
        }
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.join("bind.signed");
    let mut cmd = Command::new("dnssec-signzone");
    cmd.current_dir(dir)
        .args(["-O", "full", "-o", ORIGIN, "-f"])
        .arg(&out);
    if nsec3 {
        cmd.args(["-3", "-"]);
    }
    let (ok, text) = run(cmd.arg(&input));
    assert!(ok, "dnssec-signzone: {text}");
    out
}

/// Signs with ldns-signzone.
fn ldns_signed(dir: &Path, nsec3: bool) -> PathBuf {
    let mut keys = Vec::new();
    for ksk in [true, false] {
        let mut cmd = Command::new("ldns-keygen");
        cmd.current_dir(dir).args(["-a", "ECDSAP256SHA256"]);
        if ksk {
            cmd.arg("-k");
        }
        let (ok, out) = run(cmd.arg(ORIGIN));
        assert!(ok, "ldns-keygen: {out}");
        keys.push(out.lines().next().unwrap().trim().to_string());
    }
    let out = dir.join("ldns.signed");
    let mut cmd = Command::new("ldns-signzone");
    cmd.current_dir(dir).arg("-f").arg(&out);
    if nsec3 {
        cmd.arg("-n");
    }
    cmd.arg(zone());
    cmd.args(&keys);
    let (ok, text) = run(&mut cmd);
    assert!(ok, "ldns-signzone: {text}");
    out
}

fn verify(path: &Path, extra: &[&str]) -> (bool, String) {
    run(zonesign()
        .arg("verify")
        .arg(path)
        .args(["--origin", ORIGIN])
        .args(extra))
}

/// Applies `edit` to the lines of `src` and writes the result next to it.
fn mutate(src: &Path, tag: &str, edit: impl Fn(&mut Vec<String>)) -> PathBuf {
    let mut lines: Vec<String> = std::fs::read_to_string(src)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let before = lines.clone();
    edit(&mut lines);
    assert_ne!(before, lines, "mutation {tag} changed nothing");
    let out = src.with_extension(tag);
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    out
}

fn fields(l: &str) -> Vec<&str> {
    l.split_whitespace().collect()
}

fn is(l: &str, owner: &str, rtype: &str, covered: Option<&str>) -> bool {
    let f = fields(l);
    f.len() > 4
        && (owner.is_empty() || f[0].eq_ignore_ascii_case(owner))
        && f[3] == rtype
        && covered.is_none_or(|c| f[4] == c)
}

/// The index of the first line with this owner, type (and covered type or flags).
fn find(lines: &[String], owner: &str, rtype: &str, covered: Option<&str>) -> usize {
    lines
        .iter()
        .position(|x| is(x, owner, rtype, covered))
        .unwrap_or_else(|| panic!("no {owner} {rtype} line"))
}

/// Each breakage the oracle's validators catch must be caught by us too.
fn breakages(signed: &Path, nsec3: bool) {
    let denial = if nsec3 { "NSEC3" } else { "NSEC" };
    let mut cases: Vec<(&str, PathBuf)> = vec![
        (
            "flip-rrsig",
            mutate(signed, "flip", |l| {
                let i = find(l, NS1, "RRSIG", Some("A"));
                // A character inside the signature: the base64 stays valid.
                let n = l[i].len() - 10;
                let c = l[i].as_bytes()[n];
                l[i].replace_range(n..n + 1, if c == b'A' { "B" } else { "A" });
            }),
        ),
        (
            "drop-rrsig",
            mutate(signed, "droprrsig", |l| {
                let i = find(l, NS1, "RRSIG", Some("A"));
                l.remove(i);
            }),
        ),
        (
            "drop-denial",
            mutate(signed, "dropdenial", |l| {
                let i = l.iter().rposition(|x| is(x, "", denial, None)).unwrap();
                l.remove(i);
            }),
        ),
        (
            "change-rdata",
            mutate(signed, "rdata", |l| {
                let i = find(l, NS1, "A", None);
                l[i] = l[i].replace("192.0.2.", "198.51.100.");
            }),
        ),
        (
            "add-rr",
            mutate(signed, "addrr", |l| {
                let i = find(l, NS1, "A", None);
                let f = fields(&l[i]);
                l.push(format!("{} {} IN A 192.0.2.222", f[0], f[1]));
            }),
        ),
        (
            "unsigned-rrset",
            mutate(signed, "unsigned", |l| {
                let i = find(l, NS1, "A", None);
                let f = fields(&l[i]);
                l.push(format!("{} {} IN TXT \"not signed\"", f[0], f[1]));
            }),
        ),
        (
            "drop-ksk",
            mutate(signed, "dropksk", |l| {
                let i = find(l, ORIGIN, "DNSKEY", Some("257"));
                l.remove(i);
            }),
        ),
    ];
    if nsec3 {
        cases.push((
            "drop-nsec3param",
            mutate(signed, "dropparam", |l| {
                let i = find(l, ORIGIN, "NSEC3PARAM", None);
                l.remove(i);
            }),
        ));
    } else {
        cases.push((
            "nsec-next",
            mutate(signed, "next", |l| {
                let i = find(l, NS1, "NSEC", None);
                let f = fields(&l[i]);
                l[i] = l[i].replacen(f[4], &format!("zz.{ORIGIN}"), 1);
            }),
        ));
    }
    for (what, path) in &cases {
        let (ok, text) = verify(path, &[]);
        assert!(
            !ok,
            "{what} on {} was not caught:\n{text}",
            signed.display()
        );
    }
    // Signatures expired, or not yet valid.
    assert!(!verify(signed, &["--now", "2100-01-01T00:00:00Z"]).0);
    assert!(!verify(signed, &["--now", "2000-01-01T00:00:00Z"]).0);
}

#[test]
fn peer_signed_zones_verify_and_their_breakages_fail() {
    require_validators();
    for nsec3 in [false, true] {
        for signer in ["bind", "ldns"] {
            let dir = tempfile::tempdir().unwrap();
            let signed = if signer == "bind" {
                bind_signed(dir.path(), nsec3)
            } else {
                ldns_signed(dir.path(), nsec3)
            };
            let (ok, text) = verify(&signed, &[]);
            assert!(ok, "{signer} nsec3={nsec3}: {text}");
            breakages(&signed, nsec3);
        }
    }
}

#[test]
fn ds_must_name_a_key_that_signs_the_keyset() {
    let dir = tempfile::tempdir().unwrap();
    let signed = bind_signed(dir.path(), false);
    let good = dir.path().join("good.ds");
    let (ok, text) = run(Command::new("dnssec-dsfromkey")
        .current_dir(dir.path())
        .arg("-2")
        .arg("-f")
        .arg(&signed)
        .arg(ORIGIN));
    assert!(ok, "{text}");
    let ksk_ds: String = text
        .lines()
        .filter(|l| !l.starts_with(';'))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&good, format!("{ksk_ds}\n")).unwrap();
    let (ok, text) = verify(&signed, &["--ds", good.to_str().unwrap()]);
    assert!(ok, "{text}");
    let bad = dir.path().join("bad.ds");
    let first = ksk_ds.lines().next().unwrap().to_string();
    let last = first.chars().last().unwrap();
    let mut wrong = first.clone();
    wrong.pop();
    wrong.push(if last == '0' { '1' } else { '0' });
    std::fs::write(&bad, format!("{wrong}\n")).unwrap();
    assert!(!verify(&signed, &["--ds", bad.to_str().unwrap()]).0);
}

/// Breakages with valid signatures (made by tests/tools/mutate.py): only semantic checks catch them, and ours must.
#[test]
fn resigned_semantic_breakages_fail() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let signed = bind_signed(dir.path(), false);
    let zsk = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "key")
                && std::fs::read_to_string(p).unwrap().contains("DNSKEY 256 ")
        })
        .expect("BIND ZSK");
    let base = zsk.with_extension("");
    let mut n = 0;
    for m in [
        "glue-signed",
        "delegation-ns-signed",
        "occluded-signed",
        "nsec-bitmap-extra",
        "nsec-bitmap-missing",
        "nsec-next-skips",
    ] {
        let out = dir.path().join(format!("{m}.zone"));
        let (ok, text) = run(Command::new("python3")
            .arg(tool("mutate.py"))
            .arg(&signed)
            .arg(&out)
            .arg(ORIGIN)
            .arg(&base)
            .arg(m));
        assert!(ok, "mutate-resign {m}: {text}");
        let (ok, text) = verify(&out, &[]);
        assert!(!ok, "{m} was not caught:\n{text}");
        n += 1;
    }
    assert_eq!(n, 6);
}
