//! Helpers for the takeover tests: adopt a zone another signer serves, then
//! follow it through its first rollovers with a parent that is slow to
//! publish DS changes, judging every version.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::cache;
use crate::site::*;

/// (algorithm, tag) of the DNSKEYs in a signed zone's text.
pub fn dnskeys(text: &str, zone: &str) -> BTreeSet<(u8, u16)> {
    cache::version(text, "", zone).dnskeys
}

/// `zonesign adopt ZONE --signed SIGNED --parent-ds <ds>` at `now`, with
/// `more` arguments (`--keys DIR`, `--keystore NAME`...).
pub fn adopt(
    site: &Site,
    zone: &str,
    now: u64,
    signed: &Path,
    ds: &str,
    more: &[&str],
) -> (i32, String) {
    let ds_file = site.path(&format!("served-{zone}.ds"));
    std::fs::write(&ds_file, ds).unwrap();
    let mut args = vec![
        "adopt",
        zone,
        "--signed",
        signed.to_str().unwrap(),
        "--parent-ds",
        ds_file.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    site.zonesign(now, &args)
}

/// Runs the adopted zone from `start` for `days` with a parent that serves
/// the DS set a random while after it changes, judging every version: our
/// verifier each time, a resolver cache that mixes it with the version
/// before, and the independent validators whenever its keys change.
/// Returns how many runs and independent judgements there were.
pub fn follow(
    site: &Site,
    zone: &str,
    served: &Path,
    served_ds: &str,
    start: u64,
    days: u64,
) -> (usize, usize) {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut parent = Parent {
        serving: served_ds.to_string(),
        pending: None,
    };
    let served_text = std::fs::read_to_string(served).unwrap();
    let adopted = dnskeys(&served_text, zone);
    let mut before = cache::version(&served_text, served_ds, zone);
    let mut last_keys = adopted.clone();
    let (mut runs, mut judged) = (0, 0);
    let parent_ds = site.path(&format!("parent-{zone}.ds"));
    let mut now = start;
    while now < start + days * DAY {
        parent.tick(now);
        std::fs::write(&parent_ds, &parent.serving).unwrap();
        site.run_ok(
            now,
            &["-q", "--parent-ds", parent_ds.to_str().unwrap(), zone],
        );
        runs += 1;
        let at = zonesign::time::rfc3339(now);
        let text = site.read(&site.signed(zone));
        let (ok, out) = site.verify(zone, &parent_ds, now);
        assert!(ok, "{at}: {out}");
        let after = cache::version(&text, &parent.serving, zone);
        let bad = cache::mixes(&before, &after);
        assert!(
            bad.is_empty(),
            "{at}: a cache mixing versions fails: {bad:#?}"
        );
        let keys = dnskeys(&text, zone);
        if runs == 1 || keys != last_keys {
            let ahead = ahead_keys(site);
            let (ok, out) = oracle_at_with(&site.signed(zone), zone, &parent_ds, now, &ahead);
            assert!(ok, "{at}: {out}");
            judged += 1;
            last_keys = keys;
        }
        before = after;
        parent.wants(site.read(&site.ds(zone)), now, &mut rng);
        now += rng.u64(6 * 3600..30 * 3600);
    }
    // The first rollovers after the takeover completed: no adopted key is
    // left, and the parent serves only DS records of zonesign's own keys.
    let end = dnskeys(&site.read(&site.signed(zone)), zone);
    assert!(
        end.is_disjoint(&adopted),
        "adopted keys {adopted:?} still in {end:?}"
    );
    let served_now = cache::version("", &parent.serving, zone).ds;
    assert!(
        !served_now.is_empty() && served_now.is_subset(&end),
        "{served_now:?} {end:?}"
    );
    (runs, judged)
}
