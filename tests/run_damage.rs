//! Damaged files, hostile names and faults met half-way: each case was
//! once an exit 0 with a zone that fails, or a file outside the site.

mod common;
#[path = "common/site.rs"]
mod site;

use std::path::Path;

use site::*;

const ZONE: &str = "example.com";

fn site() -> Site {
    let site = Site::new("[policy.default]\n");
    site.write_zone(ZONE, &zone_text(ZONE, 1, ""));
    site
}

/// The key tags of the DNSKEYs in a signed zone's text.
fn dnskey_tags(site: &Site) -> Vec<u16> {
    let text = site.read(&site.signed(ZONE));
    let (records, _) = zonesign::zone::reader::read_str(
        &text,
        Path::new("signed"),
        &common::name(&format!("{ZONE}.")),
    )
    .unwrap();
    records
        .iter()
        .filter_map(|r| match r.rdata() {
            Some(zonesign::zone::Rdata::Dnskey(k)) => Some(k.key_tag()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_write_that_fails_after_publishing_keeps_the_new_keys() {
    let site = site();
    site.run_ok(T0, &[]);
    let (code, out) = site.zonesign(T0 + DAY, &["rollover", ZONE, "--zsk"]);
    assert_eq!(code, 0, "{out}");
    // The signature cache cannot be replaced: the run fails after it has
    // published the zone with the new ZSK.
    let sigs = site.path(&format!("state/{ZONE}.sigs"));
    std::fs::remove_file(&sigs).unwrap();
    std::fs::create_dir_all(sigs.join("x")).unwrap();
    let (code, out) = site.zonesign(T0 + DAY, &["run"]);
    assert_eq!(code, 1, "{out}");
    let tags = dnskey_tags(&site);
    assert_eq!(tags.len(), 3, "the new ZSK was published: {tags:?}");
    for tag in tags {
        let files = std::fs::read_dir(site.path("keys"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("+{tag:05}."))
            })
            .count();
        assert_eq!(
            files, 2,
            "DNSKEY {tag} is published: its key files must stay"
        );
    }
    // The state that knows the new ZSK went in place with its files, before
    // the zone: the next run knows every published key, and signs.
    std::fs::remove_dir_all(site.path(&format!("state/{ZONE}.sigs"))).unwrap();
    site.run_ok(T0 + DAY + 3600, &[]);
    assert_eq!(dnskey_tags(&site).len(), 3);
    let (ok, out) = site.verify(ZONE, &site.ds(ZONE), T0 + DAY + 3600);
    assert!(ok, "{out}");
}

#[test]
fn zone_names_never_reach_a_path_outside_the_site() {
    let site = site();
    site.run_ok(T0, &[]);
    let outside = site.dir.path().parent().unwrap().to_path_buf();
    let before: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    for name in ["../../etc", "/tmp/abs", "a/b", "..", ".hidden", "a..b"] {
        for args in [
            vec!["ds-seen", name, "1"],
            vec!["ds-gone", name, "1"],
            vec!["status", name],
            vec!["plan", name],
            vec!["ds", name],
            vec!["run", name],
        ] {
            let (code, out) = site.zonesign(T0, &args);
            assert_eq!(code, 2, "{args:?}: {out}");
            assert!(out.contains("is not a zone name"), "{args:?}: {out}");
        }
    }
    // In the configuration too.
    let bad = Site::new("[zone.\"../../etc\"]\nfile = \"x.zone\"\n");
    let (code, out) = bad.zonesign(T0, &["run"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a zone name"), "{out}");
    let after: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let new: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .filter(|f| f.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(new.is_empty(), "files made outside the site: {new:?}");
    assert!(!Path::new("/tmp/abs.lock").exists());
}

#[test]
fn a_zone_file_that_cannot_be_read_is_an_error_never_a_skip() {
    // A link to a zone file elsewhere is a zone.
    let site = site();
    let elsewhere = site.path("checkout");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("linked.example.zone"),
        zone_text("linked.example", 1, ""),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        elsewhere.join("linked.example.zone"),
        site.path("zones/linked.example.zone"),
    )
    .unwrap();
    let out = site.run_ok(T0, &[]);
    assert!(out.contains("2 zone(s), 0 failed"), "{out}");
    assert!(site.signed("linked.example").exists());
    // A file that looks like a zone and names none: exit 2, said plainly.
    for (file, says) in [
        (".zone".as_bytes(), "is not a zone name"),
        (b"bad\xffname.zone", "not UTF-8"),
    ] {
        let s = Site::new("[policy.default]\n");
        let path = s
            .path("zones")
            .join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(file));
        std::fs::write(&path, zone_text("x", 1, "")).unwrap();
        let (code, out) = s.zonesign(T0, &["run"]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains(says), "{out}");
    }
    let s = Site::new("[policy.default]\n");
    std::os::unix::fs::symlink("/nonexistent", s.path("zones/dangling.zone")).unwrap();
    let (code, out) = s.zonesign(T0, &["run"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn init_makes_private_directories_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_zonesign");
    let (ok, out) = common::run(std::process::Command::new("sh").arg("-c").arg(format!(
        "umask 000 && '{bin}' init '{}'",
        dir.path().display()
    )));
    assert!(ok, "{out}");
    let mode = |d: &str| {
        std::fs::metadata(dir.path().join(d))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("keys"), 0o700);
    assert_eq!(mode("state"), 0o700);
    assert_eq!(mode("signed"), 0o755);
}

#[test]
fn rrsig_times_wrap_in_2106_as_serial_numbers() {
    common::require_validators();
    let dir = tempfile::tempdir().unwrap();
    let key = common::keygen(dir.path(), ZONE, "ECDSAP256SHA256", true);
    let unsigned = dir.path().join("z.zone");
    std::fs::write(&unsigned, zone_text(ZONE, 1, "")).unwrap();
    let signed = dir.path().join("z.signed");
    // A window across the wrap of the 32-bit time fields (2106-02-07).
    let (ok, out) = common::run(
        common::zonesign()
            .arg("sign")
            .arg(&unsigned)
            .args(["-o", ZONE, "-k"])
            .arg(&key)
            .args([
                "--inception",
                "2106-02-01T00:00:00Z",
                "--expiration",
                "2106-03-01T00:00:00Z",
                "--out",
            ])
            .arg(&signed),
    );
    assert!(ok, "{out}");
    for (now, valid) in [
        ("2106-02-10T00:00:00Z", true),
        ("2106-03-02T00:00:00Z", false),
        ("2106-01-30T00:00:00Z", false),
    ] {
        let (ok, out) = common::run(
            common::zonesign()
                .args(["--now", now, "verify", "--origin", ZONE])
                .arg(&signed),
        );
        assert_eq!(ok, valid, "at {now}: {out}");
    }
    let (ok, out) = common::run(
        std::process::Command::new("ldns-verify-zone")
            .args(["-t", "21060210000000"])
            .arg(&signed),
    );
    assert!(ok, "ldns agrees: {out}");
    // A run in 2106 signs, and knows when its signatures expire.
    let site = site();
    let t = zonesign::time::parse_instant("2106-02-05T00:00:00Z").unwrap();
    site.run_ok(t, &[]);
    let (ok, out) = site.verify(ZONE, &site.ds(ZONE), t + 3 * DAY);
    assert!(ok, "{out}");
    let state = site.read(&site.state(ZONE));
    assert!(state.contains("expires = \"2106-02-"), "{state}");
}

#[test]
fn sign_refuses_windows_that_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let key = common::keygen(dir.path(), ZONE, "ECDSAP256SHA256", true);
    let unsigned = dir.path().join("z.zone");
    std::fs::write(&unsigned, zone_text(ZONE, 1, "")).unwrap();
    for (args, says) in [
        (
            &["--inception", "2027-02-01", "--expiration", "2027-01-01"][..],
            "expire before",
        ),
        (&["--validity", "0s"][..], "expire before"),
        (&["--validity", "200y"][..], "68 years"),
        (
            &["--validity", "1h", "--jitter", "1h"][..],
            "shorter than --validity",
        ),
    ] {
        let (ok, out) = common::run(
            common::zonesign()
                .arg("sign")
                .arg(&unsigned)
                .args(["-o", ZONE, "-k"])
                .arg(&key)
                .args(args),
        );
        assert!(!ok && out.contains(says), "{args:?}: {out}");
        assert!(!dir.path().join("z.zone.signed").exists());
    }
}

#[test]
fn records_bind_refuses_are_refused_with_file_and_line() {
    for (line, says) in [
        ("@ IN ZONEMD 1 1 1 ab", "at least 12"),
        (
            "@ IN ZONEMD 1 1 1 000102030405060708090a0b0c0d0e0f",
            "takes 48 octets, not 16",
        ),
        (
            "sub IN NS ns.example.net.\nsub IN DS 1 13 2 b4c8c1fe2e74",
            "takes 32 octets, not 6",
        ),
        ("x IN TYPE41 \\# 0", "meta type"),
        ("x IN TYPE250 \\# 2 0000", "meta type"),
        ("x IN SSHFP 1 1 abcd", "takes 20 octets, not 2"),
    ] {
        let site = Site::new("[policy.default]\n");
        site.write_zone(ZONE, &zone_text(ZONE, 1, line));
        let (code, out) = site.zonesign(T0, &["run"]);
        assert_eq!(code, 1, "{line}: {out}");
        assert!(
            out.contains(says) && out.contains(&format!("{ZONE}.zone:")),
            "{line}: {out}"
        );
        assert!(!site.signed(ZONE).exists(), "{line}: nothing published");
    }
}

#[test]
fn endless_or_huge_input_is_refused_with_memory_bounded() {
    let site = site();
    // A device: refused before a byte is read.
    site.write_zone(ZONE, &zone_text(ZONE, 1, "$INCLUDE /dev/zero"));
    let (code, out) = site.zonesign(T0, &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("/dev/zero") && out.contains("a device"),
        "{out}"
    );
    // A file of one endless line, and an unclosed parenthesis.
    let big = site.path("big.inc");
    std::fs::write(&big, vec![b'a'; 6 << 20]).unwrap();
    site.write_zone(
        ZONE,
        &zone_text(ZONE, 1, &format!("$INCLUDE {}", big.display())),
    );
    site.run_fails(T0, &["longer than 4 MiB"]);
    let open = "x IN TXT ( \"a\"\n".to_string() + &"\"b\"\n".repeat(1 << 20);
    std::fs::write(&big, open).unwrap();
    site.run_fails(T0, &["longer than 4 MiB"]);
    assert!(!site.signed(ZONE).exists());
}

#[test]
fn an_edited_state_never_hides_expired_signatures_or_invents_keys() {
    let site = site();
    site.run_ok(T0, &[]);
    site.run_ok(T0 + 3600, &[]);
    // The recorded horizon moved to 2100 by hand: three months later the
    // run still looks at the published signatures themselves.
    let state = site.read(&site.state(ZONE));
    let edited: String = state
        .lines()
        .map(|l| match l.split_once(" = ") {
            Some(("until" | "expires", _)) => format!(
                "{} = \"2100-01-01T00:00:00Z\"\n",
                l.split_once(" = ").unwrap().0
            ),
            _ => format!("{l}\n"),
        })
        .collect();
    assert_ne!(edited, state, "the state has the fields");
    std::fs::write(site.state(ZONE), &edited).unwrap();
    let later = T0 + 90 * DAY;
    let out = site.run_ok(later, &[]);
    assert!(!out.contains("nothing changed"), "{out}");
    let (ok, out) = site.verify(ZONE, &site.ds(ZONE), later);
    assert!(ok, "{out}");
    // A key tag edited in the state: an error, not a DS asked for a key
    // that does not exist.
    let state = site.read(&site.state(ZONE));
    let tag = state
        .lines()
        .find_map(|l| l.strip_prefix("tag = "))
        .unwrap()
        .to_string();
    let other = if tag == "1" { "2" } else { "1" };
    std::fs::write(
        site.state(ZONE),
        state.replacen(&format!("tag = {tag}\n"), &format!("tag = {other}\n"), 1),
    )
    .unwrap();
    let (code, out) = site.zonesign(later + DAY, &["run"]);
    assert_eq!(code, 1, "{out}");
    let refused = out.contains("edited or mixed up") || out.contains("key state does not know");
    assert!(refused && !out.contains("ACTION"), "{out}");
    // The same edit with the published zone gone is caught by the key files.
    std::fs::remove_file(site.signed(ZONE)).unwrap();
    site.run_fails(later + DAY, &["edited or mixed up"]);
}

#[test]
fn keys_a_killed_run_made_are_swept_and_the_operators_kept() {
    let site = site();
    site.run_ok(T0, &[]);
    // A killed run's key (named in its journal) and a key the operator put
    // in keys/ (named nowhere).
    let orphan = common::keygen(&site.path("keys"), ZONE, "ECDSAP256SHA256", false);
    let operators = common::keygen(&site.path("keys"), ZONE, "ECDSAP256SHA256", false);
    let orphan_base = orphan.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::write(site.path(&format!("state/{ZONE}.new-keys")), &orphan_base).unwrap();
    let out = site.run_ok(T0 + DAY, &[]);
    assert!(out.contains(&orphan_base), "{out}");
    assert!(
        !orphan.with_extension("private").exists()
            && !Path::new(&format!("{}.key", orphan.display())).exists()
    );
    assert!(Path::new(&format!("{}.private", operators.display())).exists());
    assert!(!site.path(&format!("state/{ZONE}.new-keys")).exists());
}
