//! Golden full-zone output: the RFC 8080 Ed25519 key as a CSK, a fixed
//! window; Ed25519 is deterministic, so our signed zone must equal the one
//! BIND and ldns produce, record for record.

mod common;

use std::path::Path;

use common::*;
use zonesign::zone::reader;

/// Every record of a zone file, in our presentation form, sorted.
fn normalised(path: &Path) -> Vec<String> {
    let (recs, _) = reader::read_file(path, &name("example.com.")).unwrap();
    let mut lines: Vec<String> = recs
        .iter()
        .map(|r| {
            let mut s = String::new();
            zonesign::zone::write::record_line(&mut s, &r.owner, r.ttl, r.rtype, &r.data);
            s.to_ascii_lowercase()
        })
        .collect();
    lines.sort();
    lines
}

fn golden(mode: &[&str], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let g = corpus().join("vectors/golden");
    let out = dir.path().join("out.signed");
    let (ok, text) = run(zonesign()
        .arg("sign")
        .arg(g.join("example.com.unsigned.zone"))
        .args(["--origin", "example.com", "--key"])
        .arg(corpus().join("vectors/keys/Kexample.com.+015+03613"))
        .args([
            "--inception",
            "20150729220000",
            "--expiration",
            "20150819220000",
        ])
        .args(mode)
        .arg("--out")
        .arg(&out));
    assert!(ok, "{text}");
    let ours = normalised(&out);
    let theirs = normalised(&g.join(expected));
    let missing: Vec<_> = theirs.iter().filter(|l| !ours.contains(l)).collect();
    let extra: Vec<_> = ours.iter().filter(|l| !theirs.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{expected}\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
}

#[test]
fn nsec_zone_equals_golden() {
    golden(&[], "example.com.nsec.signed");
}

#[test]
fn nsec3_zone_equals_golden() {
    golden(&["--nsec3"], "example.com.nsec3-param-ttl0.signed");
}
