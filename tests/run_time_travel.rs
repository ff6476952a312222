//! Years of `zonesign run` at irregular `--now` points: with a simulated
//! parent in a file (DS changes published after a random registration
//! delay), and with the parent zone in the same configuration. Every
//! intermediate signed zone must validate against the DS the parent serves
//! at that moment, and keys must be used only when caches allow.

mod common;
#[path = "common/site.rs"]
mod site;

use std::collections::{BTreeMap, BTreeSet};

use site::*;

const POLICIES: &str = r#"
[policy.default]
zsk = { lifetime = "30d" }
ksk = { lifetime = "120d" }
keys = { ttl = "1h", publish_safety = "1h", retire_safety = "1h", purge = "10d" }
signatures = { resign = "1d", refresh = "5d", validity = "14d", validity_denial = "14d", validity_keyset = "14d", jitter = "1d", inception_offset = "1h", max_zone_ttl = "1d" }
zone = { propagation_delay = "2h" }
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "2d" }

[policy.csk]
csk = true
denial = "nsec3"
ksk = { lifetime = "90d" }
signatures = { resign = "1d", refresh = "5d", validity = "14d", validity_denial = "14d", validity_keyset = "14d", jitter = "1d", inception_offset = "1h", max_zone_ttl = "1d" }
zone = { propagation_delay = "2h" }
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "2d" }
"#;

/// Ipub's cache part for the test policies: TTLkey + Dprp.
const KEY_CACHE: u64 = 3600 + 2 * 3600;
/// TTLsig + Dprp: how long signatures may stay cached.
const SIG_CACHE: u64 = 86400 + 2 * 3600;

/// What one zone's outputs showed over time.
#[derive(Default)]
struct History {
    /// DNSKEY tag -> first and last run whose zone published it.
    dnskey_seen: BTreeMap<u16, (u64, u64)>,
    /// Key tag -> last run whose zone had an RRset signed by that key alone.
    last_data_sig: BTreeMap<u16, u64>,
    first_run: Option<u64>,
    previous_run: Option<u64>,
}

impl History {
    /// Checks the cache rules on one output, then records it.
    fn observe(&mut self, zone: &str, text: &str, now: u64) {
        let first = *self.first_run.get_or_insert(now);
        let mut dnskeys = BTreeSet::new();
        // (owner, type) -> tags of the keys that sign it.
        let mut signers: BTreeMap<(String, String), BTreeSet<u16>> = BTreeMap::new();
        for l in text.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.get(3) == Some(&"DNSKEY") {
                let rec = zonesign::zone::reader::read_str(
                    l,
                    std::path::Path::new("line"),
                    &common::name(&format!("{zone}.")),
                )
                .unwrap()
                .0;
                if let zonesign::zone::Rdata::Dnskey(k) = rec[0].rdata().unwrap() {
                    dnskeys.insert(k.key_tag());
                }
            }
            if f.get(3) == Some(&"RRSIG") && !matches!(f[4], "DNSKEY" | "CDS" | "CDNSKEY") {
                signers
                    .entry((f[0].to_string(), f[4].to_string()))
                    .or_default()
                    .insert(f[10].parse::<u16>().unwrap());
            }
        }
        for ((owner, rtype), tags) in &signers {
            // Some signature of each RRset is by a key every cache holds.
            let known = |t: &u16| {
                let since = self.dnskey_seen.get(t).map_or(now, |s| s.0);
                since == first || now >= since + KEY_CACHE
            };
            assert!(
                tags.iter().any(known),
                "{zone}: {owner} {rtype} at {now} only signed by keys {tags:?} not yet cached"
            );
        }
        // A key that alone signs some RRset is needed while that is cached.
        for set in signers.values().filter(|s| s.len() == 1) {
            self.last_data_sig.extend(set.iter().map(|t| (*t, now)));
        }
        for (tag, (_, last)) in &self.dnskey_seen {
            if !dnskeys.contains(tag) && Some(*last) == self.previous_run {
                // Just removed: RRsets only it signed must have left caches.
                if let Some(s) = self.last_data_sig.get(tag) {
                    assert!(
                        now >= s + SIG_CACHE,
                        "{zone}: DNSKEY {tag} removed at {now}, signed data until {s}"
                    );
                }
            }
        }
        for tag in dnskeys {
            self.dnskey_seen.entry(tag).or_insert((now, now)).1 = now;
        }
        self.previous_run = Some(now);
    }
}

fn count_activations(report: &serde_json::Value, into: &mut BTreeMap<(String, String), u32>) {
    for z in report["zones"].as_array().unwrap() {
        assert!(z["error"].is_null(), "{z}");
        for t in z["transitions"].as_array().unwrap() {
            if t["to"] == "active" {
                let key = (
                    z["zone"].as_str().unwrap().to_string(),
                    t["role"].as_str().unwrap().to_string(),
                );
                *into.entry(key).or_default() += 1;
            }
        }
    }
}

#[test]
fn two_years_of_runs_with_a_parent_in_a_file() {
    common::require_validators();
    let site = Site::new(&format!(
        "{POLICIES}\n[zone.\"csk.example\"]\npolicy = \"csk\"\n"
    ));
    let zones = ["rolling.example", "csk.example"];
    let mut rng = fastrand::Rng::with_seed(2027);
    let mut parents = site.delegating_zones(&zones);
    let mut history: BTreeMap<&str, History> = BTreeMap::new();
    let mut activations = BTreeMap::new();
    let mut now = T0;
    let mut runs = 0;
    let mut oracle_runs = 0;
    while now < T0 + 730 * DAY {
        // The parent file holds both zones' DS as the parent serves them.
        let mut served = String::new();
        for p in parents.values_mut() {
            p.tick(now);
            served.push_str(&p.serving);
        }
        std::fs::write(site.path("parent.ds"), &served).unwrap();
        if runs % 7 == 3 {
            // Edit the zone now and then, as operators do.
            let z = zones[runs % 2];
            let extra = format!("sub IN NS ns.sub\nns.sub IN A 192.0.2.53\nh{runs} IN A 192.0.2.8");
            site.write_zone(z, &zone_text(z, 1, &extra));
        }
        let parent_ds = site.path("parent.ds");
        let report = site.run_json(now, &["--parent-ds", parent_ds.to_str().unwrap()]);
        count_activations(&report, &mut activations);
        runs += 1;
        for z in zones {
            let p = parents.get_mut(z).unwrap();
            if !p.serving.is_empty() {
                // Validates against the DS the parent serves now.
                std::fs::write(site.path("serving.ds"), &p.serving).unwrap();
                let (ok, out) = site.verify(z, &site.path("serving.ds"), now);
                assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                // kzonecheck 3.2 takes a zone for single-type signing only
                // when its DNSKEY RRset holds one key, so no CSK rollover (of
                // any signer) passes it: the oracle judges CSK zones between
                // rollovers, our verifier at every run.
                let keys = site.read(&site.signed(z)).matches(" IN DNSKEY ").count();
                let judged = z != "csk.example" || keys == 1;
                if runs % 25 == 0 && judged {
                    let (ok, out) = oracle_at(&site.signed(z), z, &site.path("serving.ds"), now);
                    assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                    oracle_runs += 1;
                }
            }
            history
                .entry(z)
                .or_default()
                .observe(z, &site.read(&site.signed(z)), now);
            p.wants(site.read(&site.ds(z)), now, &mut rng);
        }
        now += rng.u64(6 * 3600..40 * 3600);
    }
    eprintln!("{runs} runs, {oracle_runs} oracle checks, activations {activations:?}");
    assert!(runs > 400 && oracle_runs >= 20);
    let n = |z: &str, r: &str| activations[&(z.to_string(), r.to_string())];
    // First keys plus a rollover per lifetime.
    assert!(n("rolling.example", "zsk") >= 20, "{activations:?}");
    assert!(n("rolling.example", "ksk") >= 5, "{activations:?}");
    assert!(n("csk.example", "csk") >= 7, "{activations:?}");
    // Purged keys' files are gone: only live keys remain on disk.
    let files = std::fs::read_dir(site.path("keys")).unwrap().count();
    assert!(files <= 2 * 8, "{files} key files");
}

#[test]
fn a_parent_in_the_configuration_publishes_and_confirms_the_child_ds() {
    common::require_validators();
    let site = Site::new(&format!(
        "{POLICIES}\n[policy.parent]\nksk = {{ lifetime = \"10y\" }}\n[zone.\"example\"]\npolicy = \"parent\"\n"
    ));
    site.write_zone(
        "example",
        &zone_text(
            "example",
            1,
            "child IN NS ns1.child\nns1.child IN A 192.0.2.99",
        ),
    );
    site.write_zone("child.example", &zone_text("child.example", 1, ""));
    let mut rng = fastrand::Rng::with_seed(5);
    let mut now = T0;
    let mut activations = BTreeMap::new();
    let mut last_run = now;
    while now < T0 + 365 * DAY {
        let report = site.run_json(now, &[]);
        last_run = now;
        count_activations(&report, &mut activations);
        // The child's zone validates against the DS in the parent's signed zone.
        let parent = site.read(&site.signed("example"));
        let ds: String = parent
            .lines()
            .filter(|l| l.starts_with("child.example. ") && l.contains(" IN DS "))
            .map(|l| format!("{l}\n"))
            .collect();
        // None while the new child's DNSKEY RRset propagates (Ipub).
        assert!(
            !ds.is_empty() || now < T0 + 2 * DAY,
            "no DS for the child in the parent"
        );
        assert_eq!(
            ds,
            site.read(&site.ds("child.example")),
            "the parent publishes the wanted DS"
        );
        std::fs::write(site.path("child-at-parent.ds"), &ds).unwrap();
        let (ok, out) = site.verify("child.example", &site.path("child-at-parent.ds"), now);
        assert!(ok, "{out}");
        let (ok, out) = site.verify("example", &site.ds("example"), now);
        assert!(ok, "{out}");
        // No operator action for the child: the parent is ours.
        let child = report["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["zone"] == "child.example")
            .unwrap();
        assert!(child["actions"].as_array().unwrap().is_empty(), "{child}");
        now += rng.u64(6 * 3600..40 * 3600);
    }
    for z in ["example", "child.example"] {
        let ds = if z == "example" {
            site.ds(z)
        } else {
            site.path("child-at-parent.ds")
        };
        let (ok, out) = oracle_at(&site.signed(z), z, &ds, last_run);
        assert!(ok, "{out}");
    }
    eprintln!("activations {activations:?}");
    // The child's KSK rolled every 120 days with no ds-seen typed by anyone.
    assert!(activations[&("child.example".to_string(), "ksk".to_string())] >= 3);
}
