//! Taking over zones that OpenDNSSEC 2 really signs here, its keys in
//! SoftHSMv2 tokens. The keys stay in the token: each served DNSKEY is
//! matched to a token key by its public key (also RSA keys that OpenDNSSEC
//! keeps without a public object), signs from there under the same CKA_ID,
//! and is destroyed there once the first rollovers after the takeover have
//! purged it. Every version is judged as in tests/adopt.rs.

#[path = "common/cache.rs"]
mod cache;
mod common;
#[path = "common/ods.rs"]
mod ods;
#[path = "common/site.rs"]
mod site;
#[path = "common/takeover.rs"]
mod takeover;

use std::collections::BTreeSet;
use std::path::PathBuf;

use site::*;
use zonesign::crypto::pkcs11::{KeyRef, Token};

const CONFIG: &str = r#"
[keystore.ods]
module = "MODULE"
token = "ods-keys"
pin_env = "ZONESIGN_ODS_PIN"

[keystore.skip]
module = "MODULE"
token = "ods-skip"
pin_env = "ZONESIGN_ODS_PIN"

[policy.default]
algorithm = "ECDSAP256SHA256"
keystore = "ods"
TIMING
[policy.rsa]
algorithm = "RSASHA256"
bits = 2048
keystore = "skip"
TIMING
[zone."rsa.example"]
policy = "rsa"
"#;

/// (zone, OpenDNSSEC policy, keystore, token)
const ZONES: [(&str, &str, &str, &str); 2] = [
    ("ecdsa.example", "ecdsa", "ods", "ods-keys"),
    ("rsa.example", "rsa", "skip", "ods-skip"),
];

/// The `file` of every key the state holds.
fn key_files(site: &Site, zone: &str) -> BTreeSet<String> {
    let state: zonesign::state::ZoneState = toml::from_str(&site.read(&site.state(zone))).unwrap();
    state.keys.into_iter().map(|k| k.file).collect()
}

/// The CKA_IDs of every key in an OpenDNSSEC repository, as its own
/// `ods-hsmutil` lists them.
fn repository_ids(ods: &ods::Ods, repository: &str) -> BTreeSet<String> {
    let (ok, out) = common::run(
        std::process::Command::new("ods-hsmutil")
            .arg("-c")
            .arg(ods.dir.join("conf.xml"))
            .args(["list", repository]),
    );
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|w| w.len() == 32 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(String::from)
        .collect()
}

#[test]
fn zones_signed_by_opendnssec_are_taken_over_with_their_keys_in_the_token() {
    common::require_validators();
    for tool in [
        "ods-enforcerd",
        "ods-signerd",
        "ods-hsmutil",
        "softhsm2-util",
        "sqlite3",
    ] {
        assert!(
            common::have(tool),
            "{tool} is missing: run .ci/run (opendnssec-enforcer-sqlite3, opendnssec-signer, softhsm2)"
        );
    }
    let site = Site::new(
        &CONFIG
            .replace("MODULE", ods::MODULE)
            .replace("TIMING", FAST_ROLLOVERS),
    );
    let dir = site.path("ods");
    // SAFETY: this binary's only test sets them before it starts a thread
    // or a process; OpenDNSSEC and zonesign inherit them.
    unsafe {
        std::env::set_var("SOFTHSM2_CONF", dir.join("softhsm2.conf"));
        std::env::set_var("ZONESIGN_ODS_PIN", ods::PIN);
    }
    let ods = ods::Ods::start(&dir);
    for (zone, policy, ..) in ZONES {
        let unsigned = zone_text(zone, 2026120801, "sub IN NS ns.sub\nns.sub IN A 192.0.2.53");
        site.write_zone(zone, &unsigned);
        ods.add(zone, policy, &unsigned);
    }
    let served = ods.sign(&ZONES.map(|z| z.0));
    let in_repositories = [
        repository_ids(&ods, "SoftHSM"),
        repository_ids(&ods, "Skip"),
    ];
    // The operator stops OpenDNSSEC; zonesign signs from now on.
    drop(ods);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    // Without the token, no DNSKEY has its private key: nothing written.
    let empty = site.path("no-keys");
    std::fs::create_dir(&empty).unwrap();
    let (zone, first) = (ZONES[0].0, &served[0]);
    let (code, out) = takeover::adopt(
        &site,
        zone,
        now,
        &first.signed,
        &first.ds,
        &["--keys", empty.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no private key") && out.contains("--keystore"),
        "{out}"
    );
    assert!(!site.state(zone).exists());

    for (((zone, _, store, token), ods_zone), ods_ids) in
        ZONES.iter().zip(&served).zip(&in_repositories)
    {
        assert_eq!(ods_zone.ids.len(), 2, "{zone}: {:?}", ods_zone.ids);
        assert_eq!(ods_zone.ds.lines().count(), 1, "{zone}: {:?}", ods_zone.ds);
        let (code, out) = takeover::adopt(
            &site,
            zone,
            now,
            &ods_zone.signed,
            &ods_zone.ds,
            &["--keystore", store],
        );
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("KSK") && out.contains("ZSK") && out.contains("DS seen"),
            "{out}"
        );
        // Each key record names OpenDNSSEC's key by its CKA_ID, which
        // OpenDNSSEC also makes its label; nothing left the token.
        let wanted: BTreeSet<String> = ods_zone
            .ids
            .iter()
            .map(|id| format!("pkcs11:{store}:{id}"))
            .collect();
        assert_eq!(key_files(&site, zone), wanted);
        assert!(std::fs::read_dir(site.path("keys")).map_or(true, |mut d| d.next().is_none()));

        let (runs, judged) =
            takeover::follow(&site, zone, &ods_zone.signed, &ods_zone.ds, now, 110);
        eprintln!("{zone}: {runs} runs, {judged} judged");

        // OpenDNSSEC's keys of the zone were purged from the token; the
        // keys it made ahead for later rollovers are left alone, and
        // zonesign's own keys are there.
        let token = Token::open(
            &PathBuf::from(ods::MODULE),
            token,
            ods::PIN.to_string().into(),
        )
        .unwrap();
        for id in &ods_zone.ids {
            assert!(
                !token.holds(&KeyRef::Label(id.clone())).unwrap(),
                "{zone}: {id} left"
            );
        }
        let labels: BTreeSet<String> = token.labels().unwrap().into_iter().collect();
        let ahead: BTreeSet<String> = ods_ids
            .difference(&ods_zone.ids.iter().cloned().collect())
            .cloned()
            .collect();
        assert!(
            !ahead.is_empty() && ahead.is_subset(&labels),
            "{ahead:?} {labels:?}"
        );
        for file in key_files(&site, zone) {
            let label = file
                .trim_start_matches(&format!("pkcs11:{store}:"))
                .to_string();
            assert!(labels.contains(&label), "{zone}: {label} not in the token");
        }
    }
}
