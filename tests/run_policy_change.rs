//! Policy changes as an operator makes them, through `zonesign run` with a
//! parent that publishes DS changes a random while later: the algorithm
//! both ways for a KSK+ZSK zone and a CSK zone, then KSK+ZSK to CSK and
//! back. Every output is checked by our verifier against the DS the parent
//! serves at that moment, and by the independent validators whenever its
//! keys or signing algorithms changed; CDS and CDNSKEY must follow every
//! step; each change must complete.

mod common;
#[path = "common/site.rs"]
mod site;

use std::collections::{BTreeMap, BTreeSet};

use site::*;

const POLICIES: &str = r#"
[policy.default]
algorithm = "ALG"
zsk = { lifetime = "30d" }
ksk = { lifetime = "120d" }
keys = { ttl = "1h", publish_safety = "1h", retire_safety = "1h", purge = "2d" }
signatures = { resign = "1d", refresh = "5d", validity = "14d", validity_denial = "14d", validity_keyset = "14d", jitter = "1d", inception_offset = "1h", max_zone_ttl = "1d" }
zone = { propagation_delay = "2h" }
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "2d", cds = true }

[policy.csk]
algorithm = "ALG"
csk = true
denial = "nsec3"
ksk = { lifetime = "120d" }
keys = { ttl = "1h", publish_safety = "1h", retire_safety = "1h", purge = "2d" }
signatures = { resign = "1d", refresh = "5d", validity = "14d", validity_denial = "14d", validity_keyset = "14d", jitter = "1d", inception_offset = "1h", max_zone_ttl = "1d" }
zone = { propagation_delay = "2h" }
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "2d", cds = true }
"#;

/// The configuration with `alg` and each zone's policy.
fn config(alg: &str, a_policy: &str, b_policy: &str) -> String {
    format!(
        "{}\n[zone.\"a.example\"]\npolicy = \"{a_policy}\"\n[zone.\"b.example\"]\npolicy = \"{b_policy}\"\n",
        POLICIES.replace("ALG", alg)
    )
}

/// (DNSKEY algorithms, RRSIG algorithms, SEP keys, other keys) of a signed zone.
fn keys_of(text: &str) -> (BTreeSet<u8>, BTreeSet<u8>, usize, usize) {
    let (mut dnskey, mut rrsig, mut sep, mut other) = (BTreeSet::new(), BTreeSet::new(), 0, 0);
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.get(3) {
            Some(&"DNSKEY") => {
                dnskey.insert(f[6].parse().unwrap());
                if f[4] == "257" {
                    sep += 1;
                } else {
                    other += 1;
                }
            }
            Some(&"RRSIG") => {
                rrsig.insert(f[5].parse().unwrap());
            }
            _ => {}
        }
    }
    (dnskey, rrsig, sep, other)
}

/// Key tags of the DS or CDS records in `text`.
fn tags_of(text: &str, rtype: &str) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(3) == Some(&rtype)).then(|| f[4].parse().unwrap())
        })
        .collect()
}

#[test]
fn algorithm_and_scheme_changes_roll_safely_through_run() {
    common::require_validators();
    let zones = ["a.example", "b.example"];
    // (day, algorithm, a's policy, b's policy, what both must end as)
    let plan = [
        (0, "ECDSAP256SHA256", "default", "csk"),
        (8, "ED25519", "default", "csk"),
        (30, "ECDSAP256SHA256", "default", "csk"),
        (52, "ECDSAP256SHA256", "csk", "default"),
        (74, "ECDSAP384SHA384", "csk", "default"),
    ];
    let site = Site::new(&config(plan[0].1, plan[0].2, plan[0].3));
    let mut rng = fastrand::Rng::with_seed(17);
    let mut parents = site.delegating_zones(&zones);
    let mut last: BTreeMap<&str, String> = BTreeMap::new();
    let mut now = T0;
    let (mut runs, mut judged) = (0, 0);
    let mut step = 0;
    // When each change was made and when each zone completed it.
    let mut took: Vec<(String, usize, u64)> = Vec::new();
    let mut since = T0;
    let mut pending: BTreeSet<&str> = BTreeSet::new();
    while now < T0 + 100 * DAY {
        if step + 1 < plan.len() && now >= T0 + plan[step + 1].0 * DAY {
            step += 1;
            let (_, alg, a, b) = plan[step];
            std::fs::write(site.path("zonesign.toml"), config(alg, a, b)).unwrap();
            since = now;
            pending = zones.iter().copied().collect();
        }
        site.run_with_parents(&mut parents, now);
        runs += 1;
        if now == since && step > 0 {
            // `status` shows the change and its first step.
            let (_, status) = site.zonesign(now, &["status"]);
            let first = match step {
                3 => "KSK+ZSK -> CSK: new DNSKEYs published",
                _ => "algorithm rollover ",
            };
            assert!(
                status.contains(&format!("policy change: {first}")),
                "{status}"
            );
        }
        let (_, alg, a_policy, b_policy) = plan[step];
        let want_alg: u8 = match alg {
            "ECDSAP256SHA256" => 13,
            "ECDSAP384SHA384" => 14,
            _ => 15,
        };
        for z in zones {
            let p = parents.get_mut(z).unwrap();
            let text = site.read(&site.signed(z));
            let shape = keys_of(&text);
            if !p.serving.is_empty() {
                std::fs::write(site.path("serving.ds"), &p.serving).unwrap();
                let (ok, out) = site.verify(z, &site.path("serving.ds"), now);
                assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                // The validators judge every output whose keys or signing
                // algorithms changed. Signatures by keys not yet published
                // are checked with their key files.
                let summary = format!("{shape:?}");
                if last.get(z) != Some(&summary) {
                    let ahead = ahead_keys(&site);
                    let (ok, out) =
                        oracle_at_with(&site.signed(z), z, &site.path("serving.ds"), now, &ahead);
                    assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                    judged += 1;
                    last.insert(z, summary);
                }
            }
            let csk = if z == "a.example" { a_policy } else { b_policy } == "csk";
            let (dnskey, rrsig, sep, other) = &shape;
            let done = dnskey.len() == 1
                && dnskey.contains(&want_alg)
                && rrsig.len() == 1
                && rrsig.contains(&want_alg)
                && *sep == 1
                && *other == usize::from(!csk);
            if done && pending.remove(z) {
                took.push((format!("{z} step {step}"), step, now - since));
            }
            // CDS and CDNSKEY name exactly the DS the parent must hold.
            let wanted = site.read(&site.ds(z));
            assert_eq!(
                tags_of(&text, "CDS"),
                tags_of(&wanted, "DS"),
                "{z} at {now}: CDS against the DS file"
            );
            assert_eq!(
                tags_of(&text, "CDS").len(),
                text.matches(" IN CDNSKEY ").count()
            );
            p.wants(wanted, now, &mut rng);
        }
        now += rng.u64(6 * 3600..30 * 3600);
    }
    eprintln!("{runs} runs, {judged} judged; changes completed after: {took:?}");
    assert!(pending.is_empty(), "changes not completed: {pending:?}");
    assert_eq!(took.len(), 2 * (plan.len() - 1), "{took:?}");
    // Signatures first (Dprp + TTLsig + Sp), the new DNSKEYs (Ipub), the
    // old DS out of caches (TTLds + Dprp_p + Sr), the old signatures out
    // (Dprp + TTLkey + Sr): never less than that sum with no registrar
    // delay. A scheme change alone skips the first step.
    let ipub = (1 + 2 + 1) * 3600;
    let ds_gone = (1 + 1 + 1) * 3600;
    for (what, step, t) in &took {
        let algorithm_changed = plan[*step].1 != plan[step - 1].1;
        let min = match algorithm_changed {
            true => (2 + 24 + 1) * 3600 + ipub + ds_gone + (2 + 1 + 1) * 3600,
            false => ipub + ds_gone,
        };
        assert!(*t >= min, "{what}: {t} s, less than {min} s");
    }
    assert!(runs > 100 && judged >= 20, "{runs} runs, {judged} judged");
}

/// The denial of a signed zone: "nsec", or the NSEC3PARAM's fields.
fn denial_of(text: &str) -> String {
    let param = text.lines().find(|l| l.contains(" IN NSEC3PARAM "));
    match param {
        Some(l) => l.split_whitespace().skip(4).collect::<Vec<_>>().join(" "),
        None if text.contains(" IN NSEC ") => "nsec".into(),
        None => "none".into(),
    }
}

#[test]
fn denial_changes_switch_the_whole_chain_at_once() {
    common::require_validators();
    let policy = |denial: &str| {
        format!(
            "[policy.default]\n{denial}\nkeys = {{ ttl = \"1h\" }}\nparent = {{ cds = true }}\n"
        )
    };
    // (day, policy lines, the NSEC3PARAM or "nsec" the output must hold)
    let plan = [
        (0, "denial = \"nsec\"", "nsec"),
        (3, "denial = \"nsec3\"", "1 0 0 -"),
        (
            6,
            "denial = \"nsec3\"\nnsec3 = { salt_length = 8, opt_out = true }",
            "1 0 0 ",
        ),
        (
            9,
            "denial = \"nsec3\"\nnsec3 = { iterations = 5 }",
            "1 0 5 -",
        ),
        (12, "denial = \"nsec\"", "nsec"),
    ];
    let site = Site::new(&policy(plan[0].1));
    let mut parent = site.delegating_zones(&["d.example"]);
    let mut rng = fastrand::Rng::with_seed(3);
    let mut now = T0;
    let mut step = 0;
    let mut judged = 0;
    while now < T0 + 15 * DAY {
        if step + 1 < plan.len() && now >= T0 + plan[step + 1].0 * DAY {
            step += 1;
            std::fs::write(site.path("zonesign.toml"), policy(plan[step].1)).unwrap();
        }
        site.run_with_parents(&mut parent, now);
        let p = parent.get_mut("d.example").unwrap();
        let text = site.read(&site.signed("d.example"));
        let denial = denial_of(&text);
        // One chain, the policy's, from the first run after the change.
        assert!(denial.starts_with(plan[step].2), "{denial} at step {step}");
        assert_eq!(text.contains(" IN NSEC "), plan[step].2 == "nsec");
        assert_eq!(text.contains(" IN NSEC3 "), plan[step].2 != "nsec");
        let opt_out = plan[step].1.contains("opt_out = true");
        if opt_out {
            assert!(!denial.ends_with(" -"), "salted: {denial}");
        }
        if plan[step].2 != "nsec" {
            assert_eq!(text.contains(" IN NSEC3 1 1 "), opt_out, "opt-out flag");
        }
        let (ok, out) = site.verify("d.example", &site.ds("d.example"), now);
        assert!(ok, "{out}");
        if now >= T0 + plan[step].0 * DAY && now < T0 + plan[step].0 * DAY + DAY {
            let (ok, out) = oracle_at(
                &site.signed("d.example"),
                "d.example",
                &site.ds("d.example"),
                now,
            );
            assert!(ok, "step {step}: {out}");
            judged += 1;
        }
        p.wants(site.read(&site.ds("d.example")), now, &mut rng);
        now += rng.u64(6 * 3600..20 * 3600);
    }
    assert!(judged >= plan.len(), "{judged} judged");
}

#[test]
fn going_insecure_withdraws_the_ds_before_the_signatures_go() {
    common::require_validators();
    let policy = |denial: &str| {
        format!(
            "[policy.default]\ndenial = \"{denial}\"\nkeys = {{ ttl = \"1h\", retire_safety = \"1h\" }}\n\
             parent = {{ propagation_delay = \"1h\", ds_ttl = \"1h\", cds = true }}\n"
        )
    };
    let site = Site::new(&policy("nsec"));
    let mut parent = site.delegating_zones(&["i.example"]);
    let mut rng = fastrand::Rng::with_seed(8);
    let (mut now, mut judged) = (T0, 0);
    let (mut insecure_at, mut unsigned_at, mut secure_again) = (None, None, None);
    let mut last_shape = String::new();
    let mut judged_delete = false;
    while now < T0 + 30 * DAY {
        if insecure_at.is_none() && now >= T0 + 6 * DAY {
            std::fs::write(site.path("zonesign.toml"), policy("none")).unwrap();
            insecure_at = Some(now);
        }
        if secure_again.is_none() && now >= T0 + 18 * DAY {
            std::fs::write(site.path("zonesign.toml"), policy("nsec")).unwrap();
            secure_again = Some(now);
        }
        site.run_with_parents(&mut parent, now);
        let p = parent.get_mut("i.example").unwrap();
        let text = site.read(&site.signed("i.example"));
        let signed = text.contains(" IN RRSIG ");
        if !p.serving.is_empty() {
            // While the parent serves a DS the zone validates with it.
            assert!(signed, "unsigned at {now} with a DS at the parent");
            std::fs::write(site.path("serving.ds"), &p.serving).unwrap();
            let (ok, out) = site.verify("i.example", &site.path("serving.ds"), now);
            assert!(ok, "{out}");
            let shape = format!("{:?}", keys_of(&text));
            let delete = text.contains(" IN CDS 0 0 0 00");
            if shape != last_shape || (delete && !judged_delete) {
                let (ok, out) = oracle_at(
                    &site.signed("i.example"),
                    "i.example",
                    &site.path("serving.ds"),
                    now,
                );
                assert!(ok, "{out}");
                judged += 1;
                judged_delete |= delete;
                last_shape = shape;
            }
        }
        if insecure_at.is_some() && secure_again.is_none() {
            let keys_published = text.contains(" IN DNSKEY ");
            // RFC 8078: the zone asks for the DS to be deleted while signed.
            assert_eq!(text.contains(" IN CDS 0 0 0 00"), keys_published, "{now}");
            assert!(!site.read(&site.ds("i.example")).contains(" DS "));
            if !signed {
                unsigned_at.get_or_insert(now);
                assert!(!text.contains(" IN NSEC ") && !keys_published);
            }
        }
        p.wants(site.read(&site.ds("i.example")), now, &mut rng);
        now += rng.u64(3 * 3600..12 * 3600);
    }
    let (insecure_at, unsigned_at) = (insecure_at.unwrap(), unsigned_at.expect("went unsigned"));
    // The DS left the parent, then its caches (TTLds + Dprp_p + Sr).
    assert!(
        unsigned_at >= insecure_at + 3 * 3600,
        "{insecure_at} {unsigned_at}"
    );
    let text = site.read(&site.signed("i.example"));
    assert!(
        text.contains(" IN RRSIG ") && !parent["i.example"].serving.is_empty(),
        "secure again"
    );
    eprintln!(
        "unsigned {:.1} h after the change; {judged} outputs judged",
        (unsigned_at - insecure_at) as f64 / 3600.0
    );
}

/// The RSA modulus sizes of the DNSKEYs in a signed zone.
fn rsa_bits_of(text: &str) -> BTreeSet<u32> {
    use base64::Engine as _;
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(3) == Some(&"DNSKEY")).then(|| {
                let public = base64::engine::general_purpose::STANDARD
                    .decode(f[7..].concat())
                    .unwrap();
                let alg = domain::base::iana::SecurityAlgorithm::from_int(f[6].parse().unwrap());
                zonesign::crypto::key_bits(alg, &public).unwrap()
            })
        })
        .collect()
}

#[test]
fn rsa_key_size_changes_roll_every_key_without_an_algorithm_rollover() {
    common::require_validators();
    let zones = ["a.example", "b.example"];
    let with_bits = |bits: u32| {
        config("RSASHA256", "default", "csk")
            .replace(
                "algorithm = \"RSASHA256\"",
                &format!("algorithm = \"RSASHA256\"\nbits = {bits}"),
            )
            .replace("lifetime = \"30d\"", "lifetime = \"300d\"")
            .replace("lifetime = \"120d\"", "lifetime = \"400d\"")
    };
    let site = Site::new(&with_bits(2048));
    let mut rng = fastrand::Rng::with_seed(29);
    let mut parents = site.delegating_zones(&zones);
    let (mut now, mut changed_at, mut judged) = (T0, None, 0);
    let mut last: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    let mut done: BTreeMap<&str, u64> = BTreeMap::new();
    while now < T0 + 40 * DAY && done.len() < zones.len() {
        if changed_at.is_none() && now >= T0 + 8 * DAY {
            std::fs::write(site.path("zonesign.toml"), with_bits(3072)).unwrap();
            changed_at = Some(now);
        }
        site.run_with_parents(&mut parents, now);
        for z in zones {
            let p = parents.get_mut(z).unwrap();
            let text = site.read(&site.signed(z));
            let (_, rrsig_algs, _, _) = keys_of(&text);
            assert_eq!(
                rrsig_algs,
                BTreeSet::from([8]),
                "{z}: one algorithm throughout"
            );
            let bits = rsa_bits_of(&text);
            if changed_at.is_none() {
                assert_eq!(bits, BTreeSet::from([2048]), "{z} before the change");
            }
            if !p.serving.is_empty() {
                std::fs::write(site.path("serving.ds"), &p.serving).unwrap();
                let (ok, out) = site.verify(z, &site.path("serving.ds"), now);
                assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                if last.get(z) != Some(&bits) {
                    let (ok, out) = oracle_at(&site.signed(z), z, &site.path("serving.ds"), now);
                    assert!(ok, "{z} at {}: {out}", zonesign::time::rfc3339(now));
                    judged += 1;
                    last.insert(z, bits.clone());
                }
            }
            let ds_tags = tags_of(&site.read(&site.ds(z)), "DS");
            if let Some(at) = changed_at
                && bits == BTreeSet::from([3072])
                && ds_tags.len() == 1
            {
                done.entry(z).or_insert(now - at);
            }
            p.wants(site.read(&site.ds(z)), now, &mut rng);
        }
        now += rng.u64(6 * 3600..30 * 3600);
    }
    eprintln!("2048 -> 3072 bits completed after {done:?} s; {judged} outputs judged");
    assert_eq!(
        done.len(),
        zones.len(),
        "not every zone rolled to 3072 bits: {done:?}"
    );
    // The weak-key warning is for keys under 2048 bits only.
    let out = site.run_ok(now, &[]);
    assert!(!out.contains("RFC 8624"), "{out}");
}
