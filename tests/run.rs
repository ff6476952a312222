//! `zonesign run` end to end: outputs judged by the oracle, reruns that
//! change nothing, serial policies, independent zones, shards, the hook,
//! exit codes.

mod common;
#[path = "common/site.rs"]
mod site;

use site::*;
use std::time::SystemTime;

const CONFIG: &str = "[policy.default]\n";

fn mtime(p: &std::path::Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn bundled_example_signs_and_passes_the_oracle() {
    common::require_validators();
    let site = Site::new(CONFIG);
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/zones/example.com.zone");
    std::fs::copy(&example, site.path("zones/example.com.zone")).unwrap();
    let report = site.run_json(T0, &[]);
    let z = &report["zones"][0];
    assert_eq!(z["zone"], "example.com");
    assert!(z["error"].is_null(), "{report}");
    let (ok, out) = oracle_at(
        &site.signed("example.com"),
        "example.com",
        &site.ds("example.com"),
        T0,
    );
    assert!(ok, "{out}");
    let (ok, out) = common::oracle_compare(&example, &site.signed("example.com"), "example.com");
    assert!(ok, "{out}");
    // No DS before the new zone's DNSKEY RRset has propagated (Ipub);
    // then the DS file names exactly the published KSK.
    assert!(z["actions"].as_array().unwrap().is_empty(), "{report}");
    assert!(!site.read(&site.ds("example.com")).contains(" DS "));
    let later = site.run_json(T0 + 2 * DAY, &[]);
    let ds = site.read(&site.ds("example.com"));
    let ksk_tags: Vec<u64> = z["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "ksk")
        .map(|t| t["tag"].as_u64().unwrap())
        .collect();
    assert_eq!(ksk_tags.len(), 1);
    assert_eq!(ds.lines().count(), 1, "{ds}");
    assert!(ds.contains(&format!(" DS {} 13 2 ", ksk_tags[0])), "{ds}");
    assert_eq!(
        later["zones"][0]["actions"][0]["kind"], "submit-ds",
        "{later}"
    );
}

#[test]
fn a_rerun_changes_nothing_and_one_record_resigns_one_rrset() {
    let site = Site::new(CONFIG);
    site.write_zone(
        "example.org",
        &zone_text("example.org", 1, "txt IN TXT \"a\""),
    );
    site.run_ok(T0, &[]);
    let files = [
        site.signed("example.org"),
        site.ds("example.org"),
        site.state("example.org"),
    ];
    let before: Vec<(String, SystemTime)> =
        files.iter().map(|f| (site.read(f), mtime(f))).collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.run_ok(T0, &[]);
    for (f, (text, time)) in files.iter().zip(&before) {
        assert_eq!(&site.read(f), text, "{} changed", f.display());
        assert_eq!(&mtime(f), time, "{} was touched", f.display());
    }
    // Hours later nothing needs a new signature: the zone is the same bytes.
    site.run_ok(T0 + 6 * 3600, &[]);
    assert_eq!(site.read(&files[0]), before[0].0);

    // Change one record: its RRSIG and the SOA's are new, nothing else.
    let old_sigs = site.rrsigs("example.org");
    let old_serial = site.serial("example.org");
    site.write_zone(
        "example.org",
        &zone_text("example.org", 1, "txt IN TXT \"b\""),
    );
    let report = site.run_json(T0 + 7 * 3600, &[]);
    let new_sigs = site.rrsigs("example.org");
    let fresh: Vec<&String> = new_sigs.iter().filter(|s| !old_sigs.contains(s)).collect();
    assert_eq!(fresh.len(), 2, "{fresh:#?}");
    assert!(
        fresh.iter().any(|s| s.contains(" RRSIG TXT ")),
        "{fresh:#?}"
    );
    assert!(
        fresh.iter().any(|s| s.contains(" RRSIG SOA ")),
        "{fresh:#?}"
    );
    assert_eq!(
        report["zones"][0]["reused"].as_u64().unwrap() as usize,
        new_sigs.len() - 2
    );
    assert!(site.serial("example.org") > old_serial);
    let (ok, out) = site.verify("example.org", &site.ds("example.org"), T0 + 7 * 3600);
    assert!(ok, "{out}");

    // A change of length (settled without hashing the text twice): the
    // state records the SHA-256 of what was written, so the next run
    // trusts that output and keeps all but the two new signatures.
    let serial = site.serial("example.org");
    site.write_zone(
        "example.org",
        &zone_text("example.org", 1, "txt IN TXT \"longer\""),
    );
    site.run_ok(T0 + 8 * 3600, &[]);
    assert!(site.serial("example.org") > serial);
    site.write_zone(
        "example.org",
        &zone_text("example.org", 1, "txt IN TXT \"longer2\""),
    );
    let report = site.run_json(T0 + 9 * 3600, &[]);
    let zone = &report["zones"][0];
    let signatures = zone["signatures"].as_u64().unwrap_or(0);
    assert!(signatures > 2, "{report}");
    assert_eq!(zone["reused"].as_u64(), Some(signatures - 2), "{report}");
    assert_eq!(
        zone["warnings"].as_array().map_or(0, Vec::len),
        0,
        "{report}"
    );
}

#[test]
fn every_serial_policy_moves_forward_only_on_change() {
    for policy in ["unixtime", "datecounter", "counter", "keep"] {
        let site = Site::new(&format!(
            "[policy.default]\nzone = {{ serial = \"{policy}\" }}\n"
        ));
        site.write_zone("example.net", &zone_text("example.net", 10, ""));
        site.run_ok(T0, &[]);
        let first = site.serial("example.net");
        site.run_ok(T0 + 3600, &[]);
        assert_eq!(
            site.serial("example.net"),
            first,
            "{policy}: unchanged zone"
        );
        site.write_zone(
            "example.net",
            &zone_text("example.net", 10, "new IN A 192.0.2.9"),
        );
        if policy == "keep" {
            // The operator did not raise the serial: refuse, keep the old output.
            let before = site.read(&site.signed("example.net"));
            let (code, out) = site.zonesign(T0 + 7200, &["run"]);
            assert_eq!(code, 1, "{out}");
            assert!(
                out.contains("serial") && out.contains("example.net.zone"),
                "{out}"
            );
            assert_eq!(site.read(&site.signed("example.net")), before);
            site.write_zone(
                "example.net",
                &zone_text("example.net", 11, "new IN A 192.0.2.9"),
            );
        }
        site.run_ok(T0 + 7200, &[]);
        let second = site.serial("example.net");
        assert!(
            zonesign::serial::is_later(second, first),
            "{policy}: {first} -> {second}"
        );
        match policy {
            "unixtime" => assert_eq!(first as u64, T0),
            "datecounter" => assert_eq!((first, second), (2027010100, 2027010101)),
            "counter" => assert_eq!((first, second), (10, 11)),
            _ => assert_eq!((first, second), (10, 11)),
        }
    }
}

#[test]
fn a_broken_zone_fails_alone_and_keeps_its_outputs() {
    let site = Site::new(CONFIG);
    for z in ["a.example", "b.example", "c.example"] {
        site.write_zone(z, &zone_text(z, 1, ""));
    }
    site.run_ok(T0, &[]);
    let before = site.read(&site.signed("b.example"));
    let state_before = site.read(&site.state("b.example"));
    site.write_zone(
        "b.example",
        &zone_text("b.example", 2, "bad IN A 300.1.2.3"),
    );
    site.write_zone(
        "c.example",
        &zone_text("c.example", 2, "more IN A 192.0.2.7"),
    );
    let (code, out) = site.zonesign(T0 + 3600, &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("b.example.zone:8"), "file and line: {out}");
    assert!(out.contains("1 failed"), "{out}");
    assert_eq!(site.read(&site.signed("b.example")), before);
    assert_eq!(site.read(&site.state("b.example")), state_before);
    assert!(
        site.read(&site.signed("c.example"))
            .contains("more.c.example.")
    );
    let leftovers: Vec<_> = std::fs::read_dir(site.path("signed"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn shards_split_the_zones_and_named_zones_run_alone() {
    let site = Site::new(CONFIG);
    let zones: Vec<String> = (0..8).map(|i| format!("z{i}.example")).collect();
    for z in &zones {
        site.write_zone(z, &zone_text(z, 1, ""));
    }
    let one = site.run_json(T0, &["--shard", "1/2"]);
    let two = site.run_json(T0, &["--shard", "2/2"]);
    let names = |r: &serde_json::Value| -> Vec<String> {
        r["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["zone"].as_str().unwrap().to_string())
            .collect()
    };
    let (a, b) = (names(&one), names(&two));
    assert!(!a.is_empty() && !b.is_empty(), "{a:?} {b:?}");
    assert!(a.iter().all(|z| !b.contains(z)));
    assert_eq!(a.len() + b.len(), zones.len());
    assert_eq!(names(&site.run_json(T0, &["z3.example"])), ["z3.example"]);
    let (code, out) = site.zonesign(T0, &["run", "nope.example"]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = site.zonesign(T0, &["run", "--shard", "3/2"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn the_hook_gets_the_ds_and_pending_actions_can_fail_the_run() {
    let site = Site::new(CONFIG);
    let got = site.path("hook.out");
    let config = format!(
        "ds_submit_command = \"cat > '{}'; echo $ZONESIGN_ZONE $ZONESIGN_KEYTAGS >> '{}'\"\n[policy.default]\n",
        got.display(),
        got.display()
    );
    std::fs::write(site.path("zonesign.toml"), config).unwrap();
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    // No DS is asked for until the new zone is signed in every cache
    // (default policy: Dprp 12 h + TTLsig 1 d + Sp 1 h).
    let (code, out) = site.zonesign(T0, &["run", "--fail-on-pending"]);
    assert_eq!(code, 0, "{out}");
    assert!(!site.path("hook.out").exists(), "{out}");
    let (code, out) = site.zonesign(T0 + 2 * DAY, &["run", "--fail-on-pending"]);
    assert_eq!(code, 3, "{out}");
    let hook = site.read(&got);
    let ds = site.read(&site.ds("example.com"));
    assert!(hook.starts_with(&ds), "{hook}");
    let tag = ds.split_whitespace().nth(4).unwrap();
    assert!(hook.ends_with(&format!("example.com {tag}\n")), "{hook}");
    // Sent once: the next run does not send it again.
    std::fs::remove_file(&got).unwrap();
    site.zonesign(T0 + 2 * DAY + 3600, &["run"]);
    assert!(!got.exists());

    // A failing hook fails the zone, and the next run tries again.
    let site = Site::new("ds_submit_command = \"echo registry down >&2; exit 4\"\n");
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    let (code, out) = site.zonesign(T0, &["run"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = site.zonesign(T0 + 2 * DAY, &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("registry down"), "{out}");
    assert!(site.signed("example.com").exists());
    let (code, out) = site.zonesign(T0 + 2 * DAY + 3600, &["run"]);
    assert_eq!(code, 1, "retried: {out}");
}

#[test]
fn no_private_key_material_in_any_output() {
    let site = Site::new(CONFIG);
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    let report = serde_json::to_string(&site.run_json(T0, &[])).unwrap();
    let (_, status) = site.zonesign(T0, &["status"]);
    let (_, ds) = site.zonesign(T0, &["ds", "example.com"]);
    let mut secrets = Vec::new();
    for e in std::fs::read_dir(site.path("keys")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "private") {
            let text = site.read(&e.path());
            let line = text.lines().find(|l| l.starts_with("PrivateKey:")).unwrap();
            secrets.push(line.split_whitespace().nth(1).unwrap().to_string());
        }
    }
    assert_eq!(secrets.len(), 2);
    let outputs = [
        site.read(&site.signed("example.com")),
        site.read(&site.ds("example.com")),
        site.read(&site.state("example.com")),
        report,
        status,
        ds,
    ];
    for s in &secrets {
        for o in &outputs {
            assert!(!o.contains(s.as_str()));
        }
    }
}

#[test]
fn the_readme_example_command_runs_the_main_job() {
    common::require_validators();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(root.join("bin/example"))
        .env("ZONESIGN", env!("CARGO_BIN_EXE_zonesign"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for zone in ["example.com.", "secure.example.com."] {
        let passed = |l: &&str| l.starts_with("judge: PASS") && l.contains(&format!(" {zone} "));
        assert!(text.lines().any(|l| passed(&l)), "{zone}: {text}");
    }
    assert_eq!(text.matches("judge: PASS").count(), 2, "{text}");
    // The child's DS is in the parent's signed zone.
    let parent =
        std::fs::read_to_string(root.join("testdata/out/signed/example.com.zone")).unwrap();
    let child_ds =
        std::fs::read_to_string(root.join("testdata/out/ds/secure.example.com.ds")).unwrap();
    for line in child_ds.lines() {
        assert!(parent.contains(line), "{line} not in the parent");
    }
}

#[test]
fn a_tampered_output_is_not_trusted_for_reuse() {
    let site = Site::new(CONFIG);
    site.write_zone("example.org", &zone_text("example.org", 1, ""));
    site.run_ok(T0, &[]);
    // Break one signature in the published file (as a bad copy would).
    let text = site.read(&site.signed("example.org"));
    let line = text.lines().find(|l| l.contains(" RRSIG A ")).unwrap();
    let sig = line.split_whitespace().last().unwrap();
    let broken = format!(
        "{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    std::fs::write(site.signed("example.org"), text.replace(sig, &broken)).unwrap();
    let report = site.run_json(T0 + 3600, &[]);
    let z = &report["zones"][0];
    assert_eq!(z["reused"], 0, "{report}");
    assert!(
        z["warnings"][0]
            .as_str()
            .unwrap()
            .contains("not the output of the last run")
    );
    let (ok, out) = site.verify("example.org", &site.ds("example.org"), T0 + 3600);
    assert!(ok, "{out}");
}

/// The signature cache beside the state is read instead of the signed
/// zone's text; a damaged cache, or one left from an earlier output, is
/// ignored and the signatures come from the output itself.
#[test]
fn a_damaged_or_stale_signature_cache_falls_back_to_the_output() {
    let site = Site::new(CONFIG);
    let cache = site.path("state/example.org.sigs");
    let change = |n: u32, now: u64| {
        let txt = format!("txt IN TXT \"{n}\"");
        site.write_zone("example.org", &zone_text("example.org", 1, &txt));
        let report = site.run_json(now, &[]);
        let z = &report["zones"][0];
        assert_eq!(
            z["reused"].as_u64().unwrap(),
            z["signatures"].as_u64().unwrap() - 2,
            "{report}"
        );
        let (ok, out) = site.verify("example.org", &site.ds("example.org"), now);
        assert!(ok, "{out}");
    };
    site.write_zone(
        "example.org",
        &zone_text("example.org", 1, "txt IN TXT \"0\""),
    );
    site.run_ok(T0, &[]);
    let stale = std::fs::read(&cache).unwrap();
    assert!(stale.starts_with(b"ZSSIGS1\n"));
    change(1, T0 + 3600);
    assert_ne!(
        std::fs::read(&cache).unwrap(),
        stale,
        "the cache follows the output"
    );

    let mut damaged = std::fs::read(&cache).unwrap();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x55;
    std::fs::write(&cache, &damaged).unwrap();
    change(2, T0 + 2 * 3600);
    assert_ne!(std::fs::read(&cache).unwrap(), damaged, "rewritten whole");

    std::fs::write(&cache, &stale).unwrap();
    change(3, T0 + 3 * 3600);
    std::fs::remove_file(&cache).unwrap();
    change(4, T0 + 4 * 3600);
    assert!(cache.exists());

    // The cache is not synced: after a power cut it may be empty or cut
    // short.
    std::fs::write(&cache, b"").unwrap();
    change(5, T0 + 5 * 3600);
    let whole = std::fs::read(&cache).unwrap();
    std::fs::write(&cache, &whole[..whole.len() / 2]).unwrap();
    change(6, T0 + 6 * 3600);
}

/// The early exit: a rerun with every input as the last run left it ends
/// without signing; any changed input, a command that changes the state, a
/// signed zone that is not the one written, or a refresh falling due takes
/// the full path again.
#[test]
fn a_rerun_with_nothing_to_do_ends_early_and_only_then() {
    let site = Site::new(CONFIG);
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    let notes = |r: &serde_json::Value| r["zones"][0]["notes"].to_string();
    let early = |r: &serde_json::Value| notes(r).contains("nothing changed since the last run");
    let first = site.run_json(T0, &[]);
    assert!(!early(&first), "{first}");
    let signed = site.read(&site.signed("example.com"));
    let state = site.read(&site.state("example.com"));

    let again = site.run_json(T0 + 3600, &[]);
    assert!(early(&again), "{again}");
    assert_eq!(
        again["zones"][0]["signatures"],
        first["zones"][0]["signatures"]
    );
    assert_eq!(site.read(&site.signed("example.com")), signed);
    assert_eq!(
        site.read(&site.state("example.com")),
        state,
        "nothing written"
    );

    // A changed zone file.
    site.write_zone(
        "example.com",
        &zone_text("example.com", 1, "new TXT \"x\"\n"),
    );
    let changed = site.run_json(T0 + 7200, &[]);
    assert!(!early(&changed), "{changed}");
    assert!(
        site.read(&site.signed("example.com"))
            .contains("new.example.com.")
    );
    assert!(early(&site.run_json(T0 + 7300, &[])));

    // A signed zone that is not the file the last run wrote.
    let path = site.signed("example.com");
    let text = site.read(&path);
    std::fs::write(
        &path,
        text.replace("\nnew.example.com.", "\nxnew.example.com."),
    )
    .unwrap();
    let tampered = site.run_json(T0 + 7400, &[]);
    assert!(!early(&tampered), "{tampered}");
    let rewritten = site.read(&path);
    assert!(!rewritten.contains("xnew"), "rewritten from the zone file");
    assert!(rewritten.contains("\nnew.example.com. "));
    let (ok, out) = site.verify("example.com", &site.ds("example.com"), T0 + 7400);
    assert!(ok, "{out}");

    // A command that changes the state.
    let (code, out) = site.zonesign(T0 + 7500, &["rollover", "--zsk", "example.com"]);
    assert_eq!(code, 0, "{out}");
    assert!(!early(&site.run_json(T0 + 7600, &[])));

    // Signatures due for refresh: weeks later the run signs again.
    let later = site.run_json(T0 + 60 * DAY, &[]);
    assert!(!early(&later), "{later}");
    let (ok, out) = site.verify("example.com", &site.ds("example.com"), T0 + 60 * DAY);
    assert!(ok, "{out}");
}

#[test]
fn the_first_serial_is_never_behind_the_input_serial() {
    let site = Site::new(CONFIG);
    // Served with 2026120701 before; unixtime at T0 (1798761600) is behind
    // it in RFC 1982 terms, and secondaries would refuse the zone.
    site.write_zone("example.com", &zone_text("example.com", 2026120701, ""));
    site.run_ok(T0, &[]);
    assert_eq!(site.serial("example.com"), 2026120702);
    // The next change goes on from there.
    site.write_zone(
        "example.com",
        &zone_text("example.com", 2026120701, "x IN A 192.0.2.9"),
    );
    site.run_ok(T0 + 3600, &[]);
    assert_eq!(site.serial("example.com"), 2026120703);
}

#[test]
fn pending_actions_and_lost_keys_are_reported_on_every_run() {
    let site = Site::new(CONFIG);
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    site.run_ok(T0, &[]);
    // The DS is asked for, and keeps being asked for on runs that change
    // nothing, until the operator says it is done.
    for at in [T0 + 2 * DAY, T0 + 2 * DAY + 600, T0 + 2 * DAY + 1200] {
        let (code, out) = site.zonesign(at, &["run", "-q", "--fail-on-pending"]);
        assert_eq!(code, 3, "at {at}: {out}");
        assert!(out.contains("submit DS"), "at {at}: {out}");
    }
    let (_, out) = site.zonesign(T0 + 2 * DAY + 1800, &["run"]);
    assert!(out.contains("nothing changed"), "{out}");
    // Key files lost: the next run says so at once, not at the next re-sign.
    std::fs::remove_dir_all(site.path("keys")).unwrap();
    let before = site.read(&site.signed("example.com"));
    let (code, out) = site.zonesign(T0 + 2 * DAY + 2400, &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot be loaded"), "{out}");
    assert_eq!(site.read(&site.signed("example.com")), before);
}

#[test]
fn a_clock_gone_back_is_refused_and_nothing_changes() {
    let site = Site::new(CONFIG);
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    site.run_ok(T0 + DAY, &[]);
    let (signed, state) = (
        site.read(&site.signed("example.com")),
        site.read(&site.state("example.com")),
    );
    let (code, out) = site.zonesign(T0, &["run"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("is behind the last run of example.com"),
        "{out}"
    );
    assert!(out.contains("--allow-clock-behind"), "{out}");
    assert_eq!(site.read(&site.signed("example.com")), signed);
    assert_eq!(site.read(&site.state("example.com")), state);
    // Told explicitly (the earlier run's clock was wrong), it signs.
    site.run_ok(T0, &["--allow-clock-behind"]);
    let (ok, out) = site.verify("example.com", &site.ds("example.com"), T0);
    assert!(ok, "{out}");
}

#[test]
fn lost_state_or_a_foreign_ds_never_gets_new_keys_published() {
    let site = Site::new(CONFIG);
    site.write_zone("example.com", &zone_text("example.com", 1, ""));
    site.run_ok(T0, &[]);
    site.run_ok(T0 + 2 * DAY, &[]);
    let ds = site.read(&site.ds("example.com"));
    assert!(ds.contains(" DS "), "{ds}");
    std::fs::write(site.path("parent.ds"), &ds).unwrap();
    let parent_ds = site.path("parent.ds");
    let parent_ds = parent_ds.to_str().unwrap();
    site.run_ok(T0 + 2 * DAY + 3600, &["--parent-ds", parent_ds]);
    let signed = site.read(&site.signed("example.com"));
    // The state is lost (an old backup restored, a fresh CI workspace).
    std::fs::remove_dir_all(site.path("state")).unwrap();
    let keys_before = std::fs::read_dir(site.path("keys")).unwrap().count();
    for args in [vec!["run"], vec!["run", "--parent-ds", parent_ds]] {
        let (code, out) = site.zonesign(T0 + 3 * DAY, &args);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("no key state, but"), "{out}");
        assert_eq!(site.read(&site.signed("example.com")), signed);
        let keys_after = std::fs::read_dir(site.path("keys")).unwrap().count();
        assert_eq!(keys_after, keys_before, "no key made");
    }
    // A new site given a DS of someone else's key at the parent.
    let other = Site::new(CONFIG);
    other.write_zone("example.com", &zone_text("example.com", 1, ""));
    let (code, out) = other.zonesign(T0, &["run", "--parent-ds", parent_ds]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the parent serves DS"), "{out}");
    assert!(!other.signed("example.com").exists());
}

/// Zones run in parallel: the report keeps one order (deepest zones first,
/// then by name), a broken zone fails alone, and a parent in the same run
/// publishes its child's DS. Three shards started at once on the same site
/// sign between them exactly the zones one run signs, each zone once, with
/// parent and child in the same shard.
#[test]
fn zones_run_in_parallel_and_shards_run_at_once() {
    let write = |site: &Site| {
        for i in 0..40 {
            let z = format!("z{i:02}.example");
            site.write_zone(&z, &zone_text(&z, 1, ""));
        }
        site.write_zone(
            "p.example",
            &zone_text("p.example", 1, "c IN NS ns.c\nns.c IN A 192.0.2.9"),
        );
        site.write_zone("c.p.example", &zone_text("c.p.example", 1, ""));
        for bad in ["bad1.example", "bad2.example"] {
            site.write_zone(bad, "this is not a zone\n");
        }
    };
    let summary = |r: &serde_json::Value| -> Vec<(String, bool)> {
        r["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| {
                (
                    z["zone"].as_str().unwrap().to_string(),
                    z["error"].is_null(),
                )
            })
            .collect()
    };
    let one = Site::new(CONFIG);
    write(&one);
    let out = one.command(T0, &["--json", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "two zones fail");
    let whole = summary(&serde_json::from_slice(&out.stdout).unwrap());
    let mut wanted: Vec<&str> = vec!["c.p.example"];
    let mut rest: Vec<String> = (0..40).map(|i| format!("z{i:02}.example")).collect();
    rest.extend(["p.example", "bad1.example", "bad2.example"].map(String::from));
    rest.sort();
    wanted.extend(rest.iter().map(String::as_str));
    let order: Vec<&str> = whole.iter().map(|(z, _)| z.as_str()).collect();
    assert_eq!(order, wanted);
    for (z, ok) in &whole {
        assert_eq!(*ok, !z.starts_with("bad"), "{z}");
    }
    // Once the child's keys have propagated it has a DS, and the parent,
    // signed after it in the same run, publishes it.
    let _ = one.command(T0 + 3 * DAY, &["-q", "run"]).output().unwrap();
    let child_ds = one.read(&one.ds("c.p.example"));
    let tag = child_ds.split_whitespace().nth(4).unwrap().to_string();
    assert!(
        one.read(&one.signed("p.example"))
            .lines()
            .any(|l| l.contains(" DS ") && l.contains(&format!(" {tag} "))),
        "the parent lacks the child's DS {tag}"
    );

    let sharded = Site::new(CONFIG);
    write(&sharded);
    let runs: Vec<_> = (1..=3)
        .map(|i| {
            sharded
                .command(T0, &["--json", "run", "--shard", &format!("{i}/3")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut union = Vec::new();
    let mut family = Vec::new();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let report = summary(&serde_json::from_slice(&out.stdout).unwrap());
        if report.iter().any(|(z, _)| z == "p.example") {
            family.push(report.iter().any(|(z, _)| z == "c.p.example"));
        }
        union.extend(report);
    }
    union.sort();
    let mut whole_sorted = whole.clone();
    whole_sorted.sort();
    assert_eq!(
        union, whole_sorted,
        "the shards' union differs from one run"
    );
    assert_eq!(family, [true], "parent and child in different shards");
    for (z, ok) in &whole {
        if *ok {
            let (good, out) = sharded.verify(z, &sharded.ds(z), T0);
            assert!(good, "{z}: {out}");
        }
    }
}
