//! Every valid corpus zone loads; every invalid one is refused with the
//! file, the line of the offending record and a reason.

mod common;

use common::*;
use zonesign::zone::{Dnssec, Zone};

#[test]
fn valid_corpus_zones_load() {
    let dir = corpus().join("zones");
    let zones = zones_in(&dir);
    assert!(zones.len() >= 15, "corpus zones missing: {}", zones.len());
    let mut failed = Vec::new();
    for path in zones {
        let origin = origin_of(&path);
        if let Err(e) = Zone::load(&path, &name(&origin), Dnssec::Strip) {
            failed.push(e.to_string());
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// What each bad zone must report: the line (0 = the zone as a whole) and
/// a word of the reason.
const BAD: &[(&str, usize, &str)] = &[
    ("missing-soa.zone", 0, "SOA"),
    ("two-soa.zone", 5, "SOA"),
    ("soa-not-at-apex.zone", 7, "SOA"),
    ("cname-and-other.zone", 8, "CNAME"),
    ("out-of-zone.zone", 7, "out-of-zone"),
    ("syntax-error-line7.zone", 7, ""),
    ("bad-ttl.zone", 7, "TTL"),
    ("bad-ttl-directive.zone", 3, "TTL"),
    ("unknown-directive.zone", 4, "directive"),
    ("truncated.zone", 4, "parentheses"),
    ("name-too-long.zone", 8, ""),
    ("label-too-long.zone", 7, ""),
    ("binary-junk.zone", 0, ""),
    ("bad-escape.zone", 7, "escape"),
    ("missing-ns.zone", 0, "NS"),
    ("missing-include.zone", 7, "does-not-exist.inc"),
    ("no-ttl.zone", 4, "TTL"),
];

#[test]
fn invalid_corpus_zones_are_refused_with_file_and_line() {
    let dir = corpus().join("zones-bad");
    let expected = std::fs::read_to_string(dir.join("expected.toml")).unwrap();
    for path in zones_in(&dir) {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            expected.contains(&format!("[\"{file}\"]")),
            "{file} not in expected.toml"
        );
        let &(_, line, word) = BAD
            .iter()
            .find(|(f, _, _)| *f == file)
            .unwrap_or_else(|| panic!("no expectation for {file}"));
        let origin = origin_of(&path);
        let err = Zone::load(&path, &name(&origin), Dnssec::Strip)
            .err()
            .unwrap_or_else(|| panic!("{file} was accepted"))
            .to_string();
        assert!(
            err.contains(&file),
            "{file}: error does not name the file: {err}"
        );
        if line > 0 {
            assert!(
                err.contains(&format!("{file}:{line}: ")),
                "{file}: wrong line: {err}"
            );
        }
        assert!(err.contains(word), "{file}: reason lacks '{word}': {err}");
    }
}
