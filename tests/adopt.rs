//! Taking over zones really signed here by BIND (`dnssec-keygen` +
//! `dnssec-signzone`) and by Knot (`kzonesign`, keys in its KASP database),
//! with their keys and the parent's DS unchanged, then living through the
//! first rollovers. Every version, the served one first, is judged by our
//! verifier against the DS the parent serves at that moment, by the
//! independent validators whenever its keys change, and by a resolver
//! cache that mixes it with the version before.

#[path = "common/cache.rs"]
mod cache;
mod common;
#[path = "common/site.rs"]
mod site;
#[path = "common/takeover.rs"]
mod takeover;

use std::path::{Path, PathBuf};
use std::process::Command;

use site::*;

const CONFIG: &str = r#"
[policy.default]
algorithm = "ECDSAP256SHA256"
csk = CSK
TIMING"#;

const ZONE: &str = "adopt.example";

/// The zone as the previous signer got it.
fn unsigned() -> String {
    zone_text(ZONE, 2026120701, "sub IN NS ns.sub\nns.sub IN A 192.0.2.53")
}

fn site(csk: bool) -> Site {
    let site = Site::new(
        &CONFIG
            .replace("CSK", &csk.to_string())
            .replace("TIMING", FAST_ROLLOVERS),
    );
    site.write_zone(ZONE, &unsigned());
    site
}

fn sh(cmd: &mut Command) -> String {
    let (ok, out) = common::run(cmd);
    assert!(ok, "{cmd:?}: {out}");
    out
}

/// `YYYYMMDDHHMMSS` of an epoch time, as BIND takes it.
fn bind_time(t: u64) -> String {
    zonesign::time::rfc3339(t)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Signs the zone with BIND in `dir`: one key per `(algorithm, ksk)`, the
/// signatures valid around `T0`. Returns the signed file and the DS of
/// each KSK as the parent serves it.
fn bind_signed(dir: &Path, keys: &[(&str, bool)]) -> (PathBuf, String) {
    std::fs::create_dir_all(dir).unwrap();
    for (alg, ksk) in keys {
        let mut cmd = Command::new("dnssec-keygen");
        cmd.current_dir(dir).args(["-q", "-a", alg]);
        if alg.starts_with("RSA") {
            cmd.args(["-b", "2048"]);
        }
        if *ksk {
            cmd.args(["-f", "KSK"]);
        }
        sh(cmd.arg(format!("{ZONE}.")));
    }
    std::fs::write(dir.join("db"), unsigned()).unwrap();
    let mut sign = Command::new("dnssec-signzone");
    if keys.iter().all(|(_, ksk)| *ksk) {
        // One key signs everything: a CSK.
        sign.arg("-z");
    }
    sh(sign.current_dir(dir).args([
        "-q",
        "-S",
        "-K",
        ".",
        "-N",
        "keep",
        "-s",
        &bind_time(T0 - 40 * DAY),
        "-e",
        &bind_time(T0 + 20 * DAY),
        "-o",
        &format!("{ZONE}."),
        "-f",
        "db.signed",
        "db",
    ]));
    let ds = std::fs::read_to_string(dir.join(format!("dsset-{ZONE}."))).unwrap();
    (dir.join("db.signed"), ds)
}

/// Signs the zone with Knot's kzonesign (its default policy: a P-256 KSK
/// and ZSK, made in its KASP database) as of `T0 - 1 day`. Returns the
/// signed file, the DS, the PEM directory and `keymgr -j list`.
fn knot_signed(dir: &Path) -> (PathBuf, String, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::fs::write(dir.join(format!("{ZONE}.zone")), unsigned()).unwrap();
    let d = dir.display();
    let conf = dir.join("knot.conf");
    std::fs::write(
        &conf,
        format!(
            "database:\n  storage: {d}\n  kasp-db: {d}/kasp\ntemplate:\n  - id: default\n    \
             storage: {d}\nzone:\n  - domain: {ZONE}.\n    file: {ZONE}.zone\n    dnssec-signing: on\n"
        ),
    )
    .unwrap();
    sh(Command::new("kzonesign")
        .arg("-c")
        .arg(&conf)
        .arg("-o")
        .arg(dir.join("out"))
        .args(["-t", &(T0 - DAY).to_string(), &format!("{ZONE}.")]));
    let list =
        sh(Command::new("keymgr")
            .arg("-c")
            .arg(&conf)
            .args(["-j", &format!("{ZONE}."), "list"]));
    std::fs::write(dir.join("list.json"), &list).unwrap();
    let ds = sh(Command::new("keymgr")
        .arg("-c")
        .arg(&conf)
        .args([&format!("{ZONE}."), "ds"]));
    // The parent holds the SHA-256 DS only.
    let ds: String = ds
        .lines()
        .filter(|l| l.contains(" 13 2 "))
        .map(|l| format!("{l}\n"))
        .collect();
    (
        dir.join(format!("out/{ZONE}.zone")),
        ds,
        dir.join("kasp/keys"),
        dir.join("list.json"),
    )
}

fn dnskeys(text: &str) -> std::collections::BTreeSet<(u8, u16)> {
    takeover::dnskeys(text, ZONE)
}

fn follow(site: &Site, served: &Path, served_ds: &str, days: u64) -> (usize, usize) {
    takeover::follow(site, ZONE, served, served_ds, T0, days)
}

fn adopt(site: &Site, signed: &Path, keys: &Path, ds: &str, more: &[&str]) -> (i32, String) {
    let mut args = vec!["--keys", keys.to_str().unwrap()];
    args.extend_from_slice(more);
    takeover::adopt(site, ZONE, T0, signed, ds, &args)
}

#[test]
fn a_zone_signed_by_bind_is_taken_over_without_a_rollover() {
    common::require_validators();
    let site = site(false);
    let (signed, ds) = bind_signed(
        &site.path("bind"),
        &[("ECDSAP256SHA256", true), ("ECDSAP256SHA256", false)],
    );
    let (code, out) = adopt(&site, &signed, &site.path("bind"), &ds, &[]);
    assert_eq!(code, 0, "{out}");
    // BIND signs the DNSKEY RRset with its ZSK too: that does not make it a CSK.
    assert!(
        out.contains("ZSK") && out.contains("KSK") && !out.contains("CSK"),
        "{out}"
    );
    assert!(out.contains("DS seen"), "{out}");
    // The first run keeps both keys and the serial moves on from BIND's.
    let served = dnskeys(&std::fs::read_to_string(&signed).unwrap());
    site.run_ok(
        T0,
        &[
            "--parent-ds",
            site.path(&format!("served-{ZONE}.ds")).to_str().unwrap(),
        ],
    );
    assert_eq!(dnskeys(&site.read(&site.signed(ZONE))), served);
    assert!(site.serial(ZONE) > 2026120701);
    // Start again from the adoption and live through the rollovers.
    std::fs::remove_file(site.path(&format!("signed/{ZONE}.zone"))).unwrap();
    let (runs, judged) = follow(&site, &signed, &ds, 110);
    eprintln!("BIND KSK+ZSK: {runs} runs, {judged} judged");
}

#[test]
fn a_bind_rsa_csk_is_adopted_and_rolled_to_the_policy() {
    common::require_validators();
    // The policy wants a P-256 KSK and ZSK: the adopted RSA CSK leaves
    // through an algorithm rollover.
    let site = site(false);
    let (signed, ds) = bind_signed(&site.path("bind"), &[("RSASHA256", true)]);
    let (code, out) = adopt(&site, &signed, &site.path("bind"), &ds, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("CSK") && out.contains("alg 8"), "{out}");
    let (runs, judged) = follow(&site, &signed, &ds, 60);
    eprintln!("BIND RSA CSK: {runs} runs, {judged} judged");
}

#[test]
fn a_zone_signed_by_knot_is_taken_over_from_its_kasp_database() {
    common::require_validators();
    assert!(
        common::have("keymgr"),
        "keymgr is not installed: apt-get install knot"
    );
    let site = site(true);
    let (signed, ds, pem, list) = knot_signed(&site.path("knot"));
    let (code, out) = adopt(
        &site,
        &signed,
        &pem,
        &ds,
        &["--knot-list", list.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    // Knot's activation time dates the keys.
    assert!(
        out.contains(&format!("since {}", zonesign::time::rfc3339(T0 - DAY))),
        "{out}"
    );
    // The policy wants a CSK: KSK+ZSK roll to it.
    let (runs, judged) = follow(&site, &signed, &ds, 60);
    eprintln!("Knot KSK+ZSK to CSK: {runs} runs, {judged} judged");
}

#[test]
fn adoption_refuses_what_would_make_the_zone_bogus_and_writes_nothing() {
    let site = site(false);
    let bind = site.path("bind");
    let (signed, ds) = bind_signed(
        &bind,
        &[("ECDSAP256SHA256", true), ("ECDSAP256SHA256", false)],
    );
    let nothing_written = |site: &Site| {
        assert!(!site.state(ZONE).exists());
        assert!(std::fs::read_dir(site.path("keys")).map_or(true, |mut d| d.next().is_none()));
    };
    // The parent's DS unknown: the operator must say.
    let (code, out) = site.zonesign(
        T0,
        &[
            "adopt",
            ZONE,
            "--signed",
            signed.to_str().unwrap(),
            "--keys",
            bind.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--parent-ds") && out.contains("--parent-unsigned"),
        "{out}"
    );
    nothing_written(&site);
    // A DS of some other key: the served zone is bogus already.
    let other = Site::new("");
    let other_key = common::keygen(other.dir.path(), ZONE, "ECDSAP256SHA256", true);
    // The cache judge can fail: new keys in place of BIND's fail every mix.
    let fresh = other.path("fresh.zone");
    sh(common::zonesign()
        .arg("sign")
        .arg(bind.join("db"))
        .args(["-o", ZONE, "-k"])
        .arg(&other_key)
        .arg("--out")
        .arg(&fresh));
    let served = cache::version(&std::fs::read_to_string(&signed).unwrap(), &ds, ZONE);
    let fresh = cache::version(&std::fs::read_to_string(&fresh).unwrap(), &ds, ZONE);
    assert!(cache::mixes(&served, &fresh).len() >= 3);
    let foreign = sh(Command::new("dnssec-dsfromkey")
        .arg("-2")
        .arg(format!("{}.key", other_key.display())));
    let (code, out) = adopt(&site, &signed, &bind, &foreign, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bogus"), "{out}");
    nothing_written(&site);
    // A private key missing: its DNSKEY could not be kept.
    let zsk = std::fs::read_dir(&bind)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "key")
                && std::fs::read_to_string(p).unwrap().contains("DNSKEY 256")
        })
        .unwrap();
    let private = zsk.with_extension("private");
    std::fs::rename(&private, site.path("aside")).unwrap();
    let (code, out) = adopt(&site, &signed, &bind, &ds, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no private key"), "{out}");
    nothing_written(&site);
    std::fs::rename(site.path("aside"), &private).unwrap();
    // Adopted once; never twice over zonesign's own keys.
    assert_eq!(adopt(&site, &signed, &bind, &ds, &[]).0, 0);
    let (code, out) = adopt(&site, &signed, &bind, &ds, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("already holds keys"), "{out}");
}

/// Copies every file of `from` into a fresh `to`.
fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn an_old_backup_restored_is_refused_then_recovered_by_adoption() {
    common::require_validators();
    let site = site(false);
    let parent_ds = site.path("parent.ds");
    let run = |now: u64| site.run_ok(now, &["-q", "--parent-ds", parent_ds.to_str().unwrap()]);
    std::fs::write(&parent_ds, "").unwrap();
    run(T0);
    std::fs::write(&parent_ds, site.read(&site.ds(ZONE))).unwrap();
    run(T0 + 2 * DAY);
    // The backup, then a ZSK rollover that the backup knows nothing of.
    copy_dir(&site.path("state"), &site.path("backup/state"));
    copy_dir(&site.path("keys"), &site.path("backup/keys"));
    let old = dnskeys(&site.read(&site.signed(ZONE)));
    site.zonesign(T0 + 3 * DAY, &["rollover", ZONE, "--zsk"]);
    let mut now = T0 + 3 * DAY;
    while now < T0 + 10 * DAY {
        run(now);
        now += DAY / 2;
    }
    let published = site.read(&site.signed(ZONE));
    let keys = dnskeys(&published);
    assert!(
        keys.len() == 2 && keys != old,
        "the rollover completed: {old:?} {keys:?}"
    );
    copy_dir(&site.path("keys"), &site.path("current-keys"));
    // The backup restored over state/ and keys/.
    copy_dir(&site.path("backup/state"), &site.path("state"));
    copy_dir(&site.path("backup/keys"), &site.path("keys"));
    let (code, out) = site.zonesign(now, &["run", "--parent-ds", parent_ds.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("that the key state does not know") && out.contains("zonesign adopt"),
        "{out}"
    );
    assert_eq!(
        site.read(&site.signed(ZONE)),
        published,
        "the published zone is untouched"
    );
    // Recovery: the state set aside, the zone adopted from what is published.
    std::fs::rename(site.state(ZONE), site.path("backup/stale.toml")).unwrap();
    let current = site.path("current-keys");
    let (code, out) = site.zonesign(
        now,
        &[
            "adopt",
            ZONE,
            "--signed",
            site.signed(ZONE).to_str().unwrap(),
            "--keys",
            current.to_str().unwrap(),
            "--parent-ds",
            parent_ds.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    run(now + 3600);
    let after = site.read(&site.signed(ZONE));
    assert_eq!(dnskeys(&after), keys, "the same keys go on");
    let ds = site.read(&parent_ds);
    let bad = cache::mixes(
        &cache::version(&published, &ds, ZONE),
        &cache::version(&after, &ds, ZONE),
    );
    assert!(bad.is_empty(), "{bad:#?}");
    let (ok, out) = oracle_at(&site.signed(ZONE), ZONE, &parent_ds, now + 3600);
    assert!(ok, "{out}");
}

#[test]
fn an_opendnssec_kasp_converts_to_policies_that_load() {
    let kasp = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kasp/kasp.xml");
    if common::have("ods-kaspcheck") {
        // OpenDNSSEC itself finds the test file valid.
        let out = Command::new("ods-kaspcheck")
            .args(["-c", "/etc/opendnssec/conf.xml", "-k"])
            .arg(&kasp)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.contains(&format!("The XML in {} is valid", kasp.display())),
            "{out}"
        );
        assert!(!out.contains("ERROR: In policy"), "{out}");
    }
    let converted = common::zonesign()
        .arg("import-kasp")
        .arg(&kasp)
        .output()
        .unwrap();
    assert!(converted.status.success());
    // The notes go to stderr, and into the output as comments.
    assert!(String::from_utf8_lossy(&converted.stderr).contains("repository SoftHSM"));
    let out = String::from_utf8(converted.stdout).unwrap();
    for line in [
        "[policy.registry]",
        "algorithm = \"ECDSAP256SHA256\"",
        "denial = \"nsec3\"",
        "opt_out = true",
        "standby = 1",
        "lifetime = \"60d\"",
        "ttl = \"2h\"",
        "validity = \"21d\"",
        "validity_denial = \"14d\"",
        "serial = \"datecounter\"",
        "[policy.enterprise]",
        "algorithm = \"ED25519\"",
        "csk = true",
        "manual_rollover = true",
        "lifetime = \"730d\"",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
    // The policies load, and a zone under each is planned.
    let site = Site::new(&format!(
        "{out}\n[zone.\"{ZONE}\"]\npolicy = \"registry\"\n[zone.\"b.example\"]\npolicy = \"enterprise\"\n"
    ));
    site.write_zone(ZONE, &unsigned());
    for zone in [ZONE, "b.example"] {
        let (code, plan) = site.zonesign(T0, &["plan", zone, "--until", "400d"]);
        assert_eq!(code, 0, "{plan}");
    }
    let (_, plan) = site.zonesign(T0, &["plan", ZONE, "--until", "400d"]);
    assert!(
        plan.matches("ZSK").count() >= 6,
        "60-day ZSKs roll over: {plan}"
    );
    // OpenDNSSEC's own template (RSASHA256, a 1024-bit ZSK asked for) as
    // installed by its package: converted, it signs a zone the validators
    // pass, with 2048-bit RSA keys generated.
    let template = Path::new("/etc/opendnssec/kasp.xml");
    if template.exists() {
        let converted = common::zonesign()
            .arg("import-kasp")
            .arg(template)
            .output()
            .unwrap();
        let text = String::from_utf8(converted.stdout).unwrap();
        assert!(
            text.contains("algorithm = \"RSASHA256\"") && text.contains("bits = 2048"),
            "{text}"
        );
        let ods = Site::new(&text);
        ods.write_zone(ZONE, &unsigned());
        ods.run_ok(T0, &[]);
        let (ok, out) = oracle_at(&ods.signed(ZONE), ZONE, &ods.ds(ZONE), T0);
        assert!(ok && out.contains("validns"), "{out}");
    }
    // Something that is no kasp.xml is a clear error.
    let (ok, out) = common::run(
        common::zonesign()
            .arg("import-kasp")
            .arg(site.path("zonesign.toml")),
    );
    assert!(!ok && out.contains("not XML"), "{out}");
}
