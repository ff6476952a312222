//! The PKCS#11 key store against a real module: SoftHSMv2, with a token
//! made for these tests in a temporary directory. Keys are made in the
//! token, sign there from several threads at once, verify with the public
//! key the token gives, are found again by label and destroyed; a wrong
//! PIN, a missing module and a missing token are clear errors.

mod common;
#[path = "common/site.rs"]
mod site;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use site::*;

use domain::base::iana::SecurityAlgorithm;
use zonesign::crypto::pkcs11::{KeyRef, Token};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "zonesign-test";
const PIN: &str = "zs-pin-4711";
const WRONG_PIN: &str = "zs-wrong-0815";

/// One token for the whole test binary: SoftHSM reads its configuration
/// once per process.
fn token_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        assert!(
            Path::new(MODULE).exists(),
            "{MODULE} is missing: run .ci/run or apt-get install softhsm2"
        );
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\n",
                tokens.display()
            ),
        )
        .unwrap();
        // SAFETY: set once, before any thread of this binary loads SoftHSM;
        // the zonesign processes the tests start inherit both.
        unsafe {
            std::env::set_var("SOFTHSM2_CONF", &conf);
            std::env::set_var("ZONESIGN_TEST_PIN", PIN);
            std::env::set_var("ZONESIGN_TEST_WRONG_PIN", WRONG_PIN);
        }
        let out = Command::new("softhsm2-util")
            .args([
                "--init-token",
                "--free",
                "--label",
                LABEL,
                "--pin",
                PIN,
                "--so-pin",
                "5678",
            ])
            .output()
            .expect("softhsm2-util runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
    .path()
}

fn open(pin: &str) -> Result<std::sync::Arc<Token>, String> {
    token_dir();
    Token::open(&PathBuf::from(MODULE), LABEL, pin.to_string().into())
}

/// One test: the PKCS#11 login state is per process, so the wrong-PIN
/// check must come before any login, and the rest share the token.
#[test]
fn the_token_key_store() {
    a_wrong_pin_a_missing_module_and_a_missing_token_are_clear_errors();
    keys_made_in_the_token_sign_verify_and_go();
    run_keeps_its_keys_in_the_token_and_moves_them_by_rollover();
    token_faults_fail_the_run_and_keep_the_outputs();
    // Last: the token is away for a while.
    a_token_removed_in_the_middle_of_a_run_fails_it_and_keeps_the_outputs();
}

fn keys_made_in_the_token_sign_verify_and_go() {
    let token = open(PIN).expect("open the token");
    let algorithms = [
        (SecurityAlgorithm::RSASHA256, 2048),
        (SecurityAlgorithm::RSASHA512, 2048),
        (SecurityAlgorithm::ECDSAP256SHA256, 256),
        (SecurityAlgorithm::ECDSAP384SHA384, 384),
        (SecurityAlgorithm::ED25519, 256),
    ];
    let mut made = 0;
    for (alg, bits) in algorithms {
        if !token.offers(alg) {
            eprintln!("SoftHSM here has no mechanism for {alg}");
            continue;
        }
        let label = format!("test {alg}");
        let key = token.generate(alg, bits, &label, b"id").expect("generate");
        assert_eq!(
            zonesign::crypto::key_bits(alg, key.public()),
            Some(bits),
            "{alg}"
        );
        // Several threads at once, each with a session of the pool.
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let key = &key;
                s.spawn(move || {
                    for i in 0..5u8 {
                        let data = [t, i, 7, 7, 7];
                        let sig = key.sign(&data).expect("sign");
                        assert!(
                            zonesign::crypto::verify(alg, key.public(), &data, &sig),
                            "{alg}"
                        );
                        assert!(!zonesign::crypto::verify(alg, key.public(), b"other", &sig));
                    }
                });
            }
        });
        let again = token
            .find(alg, &KeyRef::Label(label.clone()))
            .expect("found by label");
        assert_eq!(again.public(), key.public());
        // The catalog another signer's keys are taken over from lists it by
        // its public key.
        let listed = token.catalog().expect("catalog");
        assert!(
            listed.iter().any(|l| l.key == KeyRef::Label(label.clone())
                && l.public == key.public()
                && (l.alg == alg || zonesign::crypto::is_rsa(alg))),
            "{alg}: {listed:?}"
        );
        // Found by CKA_ID as well, and destroyed by it.
        token.relabel(&again, "renamed", b"id2").expect("relabel");
        assert!(token.labels().unwrap().contains(&"renamed".to_string()));
        let by_id = KeyRef::parse("id=696432").unwrap();
        assert_eq!(
            token.find(alg, &by_id).expect("by id").public(),
            key.public()
        );
        assert_eq!(token.destroy(&by_id).expect("destroy"), 2);
        let gone = token
            .find(alg, &KeyRef::Label("renamed".into()))
            .err()
            .expect("destroyed");
        assert!(gone.contains("0 private"), "{gone}");
        made += 1;
    }
    assert!(made >= 4, "SoftHSM made only {made} kinds of keys");
}

/// Before any login: PKCS#11 login state is per process, so a wrong PIN
/// can only be told once no session of the token is logged in.
fn a_wrong_pin_a_missing_module_and_a_missing_token_are_clear_errors() {
    let e = open(WRONG_PIN).err().expect("wrong PIN refused");
    assert!(e.contains("PIN"), "{e}");
    token_dir();
    let e = Token::open(
        Path::new("/nonexistent/libpkcs11.so"),
        LABEL,
        PIN.to_string().into(),
    )
    .err()
    .expect("missing module");
    assert!(e.contains("/nonexistent/libpkcs11.so"), "{e}");
    let e = Token::open(Path::new(MODULE), "no-such-token", PIN.to_string().into())
        .err()
        .expect("missing token");
    assert!(e.contains("no-such-token"), "{e}");
}

const CONFIG: &str = r#"
[keystore.hsm]
module = "MODULE"
token = "LABEL"
pin_env = "ZONESIGN_TEST_PIN"

[policy.default]
algorithm = "ECDSAP256SHA256"
STORE
TIMING"#;

fn config(in_token: bool) -> String {
    CONFIG
        .replace("MODULE", MODULE)
        .replace("LABEL", LABEL)
        .replace("TIMING", FAST_ROLLOVERS)
        .replace("STORE", if in_token { "keystore = \"hsm\"" } else { "" })
}

/// The `file` of every key the state holds.
fn key_files(site: &Site, zone: &str) -> Vec<String> {
    let text = site.read(&site.state(zone));
    let state: zonesign::state::ZoneState = toml::from_str(&text).unwrap();
    state.keys.into_iter().map(|k| k.file).collect()
}

/// `zonesign run` with a token key store, then files: keys are made in the
/// token and none of them is ever a file; ZSK and KSK rollovers go through
/// with the parent's DS; purged keys leave the token; moving the policy to
/// files rolls every key out of the token, the zone valid throughout.
fn run_keeps_its_keys_in_the_token_and_moves_them_by_rollover() {
    let zone = "hsm.example";
    let site = Site::new(&config(true));
    let mut parents = site.delegating_zones(&[zone]);
    let mut rng = fastrand::Rng::with_seed(5);
    let (mut now, mut judged, mut runs) = (T0, 0, 0);
    let mut seen_tags: BTreeSet<String> = BTreeSet::new();
    let mut last_keys = String::new();
    let token = open(PIN).expect("open the token");
    let moved_at = T0 + 300 * DAY;
    let mut moved = false;
    while now < T0 + 366 * DAY {
        if !moved && now >= moved_at {
            std::fs::write(site.path("zonesign.toml"), config(false)).unwrap();
            moved = true;
        }
        site.run_with_parents(&mut parents, now);
        runs += 1;
        let files = key_files(&site, zone);
        let labels = token.labels().unwrap();
        for f in &files {
            match f.strip_prefix("pkcs11:hsm:") {
                Some(label) => {
                    assert!(
                        labels.contains(&label.to_string()),
                        "{label} not in the token"
                    );
                    seen_tags.insert(label.to_string());
                }
                None => assert!(moved, "a file key {f} before the policy moved"),
            }
        }
        // Keys the state no longer holds (purged) are gone from the token.
        let ours: Vec<&String> = labels
            .iter()
            .filter(|l| l.contains("hsm.example."))
            .collect();
        for l in ours {
            assert!(
                files.iter().any(|f| f.ends_with(l.as_str())),
                "{l} left in the token"
            );
        }
        let p = parents.get_mut(zone).unwrap();
        if !p.serving.is_empty() {
            std::fs::write(site.path("serving.ds"), &p.serving).unwrap();
            let (ok, out) = site.verify(zone, &site.path("serving.ds"), now);
            assert!(ok, "{}: {out}", zonesign::time::rfc3339(now));
            let keys = files.join(" ");
            if keys != last_keys {
                let (ok, out) = oracle_at(&site.signed(zone), zone, &site.path("serving.ds"), now);
                assert!(ok, "{}: {out}", zonesign::time::rfc3339(now));
                judged += 1;
                last_keys = keys;
            }
        }
        p.wants(site.read(&site.ds(zone)), now, &mut rng);
        now += rng.u64(6 * 3600..30 * 3600);
    }
    let files = key_files(&site, zone);
    eprintln!(
        "{runs} runs, {judged} judged, {} token keys used; at the end: {files:?}",
        seen_tags.len()
    );
    // ZSKs every 30 days and KSKs every 90 over 300 days: many keys.
    assert!(seen_tags.len() >= 8, "{seen_tags:?}");
    assert!(
        files.iter().all(|f| !f.starts_with("pkcs11:")),
        "still in the token: {files:?}"
    );
    assert!(judged >= 8, "{judged} judged");
    // No private key of the token era was ever written as a file.
    let private_files = std::fs::read_dir(site.path("keys"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".private"))
                .count()
        })
        .unwrap_or(0);
    assert!(
        private_files <= files.len() + 2,
        "{private_files} private files"
    );
}

/// A wrong PIN, a missing module, and a key deleted from the token behind
/// zonesign's back: each fails the run (exit 1) with a message that says
/// what, and the signed zone and DS file stay as they were.
fn token_faults_fail_the_run_and_keep_the_outputs() {
    let zone = "faults.example";
    let site = Site::new(&config(true));
    site.write_zone(zone, &zone_text(zone, 1, ""));
    site.run_ok(T0, &["-q"]);
    let before = (site.read(&site.signed(zone)), site.read(&site.ds(zone)));
    assert!(before.0.contains(" RRSIG "), "{}", before.0);
    let expect_failure = |cfg: String, now: u64, words: &[&str]| {
        std::fs::write(site.path("zonesign.toml"), cfg).unwrap();
        let out = site.run_fails(now, words);
        assert!(
            !out.contains(PIN) && !out.contains(WRONG_PIN),
            "a PIN is printed: {out}"
        );
        let after = (site.read(&site.signed(zone)), site.read(&site.ds(zone)));
        assert!(after == before, "outputs changed after: {out}");
    };
    // Two days on, the zone must be re-signed: the keys are needed.
    let later = T0 + 2 * DAY;
    expect_failure(
        config(true).replace("ZONESIGN_TEST_PIN", "ZONESIGN_TEST_WRONG_PIN"),
        later,
        &["FAILED", "wrong PIN"],
    );
    expect_failure(
        config(true).replace(MODULE, "/nonexistent/libpkcs11.so"),
        later,
        &["FAILED", "/nonexistent/libpkcs11.so"],
    );
    let token = open(PIN).expect("open the token");
    // A run killed after making a key in the token and before writing its
    // state: the next run destroys the key its journal names.
    let orphan = format!("zonesign new {zone}. 0011223344556677");
    token
        .generate(SecurityAlgorithm::ECDSAP256SHA256, 256, &orphan, b"x")
        .expect("an orphan key");
    std::fs::write(
        site.path(&format!("state/{zone}.new-keys")),
        format!("pkcs11:hsm:{orphan}\n"),
    )
    .unwrap();
    std::fs::write(site.path("zonesign.toml"), config(true)).unwrap();
    let out = site.run_ok(T0 + 3600, &[]);
    assert!(out.contains(&orphan), "{out}");
    assert!(
        !token.labels().unwrap().contains(&orphan),
        "the orphan is still in the token"
    );
    let zsk = key_files(&site, zone)
        .into_iter()
        .find(|f| f.ends_with(" zsk"))
        .expect("a ZSK in the token");
    token
        .destroy(&KeyRef::Label(zsk.trim_start_matches("pkcs11:hsm:").into()))
        .unwrap();
    // Noticed at once, by a run with nothing to re-sign as by a later one.
    for now in [T0 + 3600 + 60, later] {
        expect_failure(
            config(true),
            now,
            &["FAILED", "0 private and 0 public keys"],
        );
    }
}

/// The token goes away while a run signs a 20,000-name zone with its keys
/// (its directory moved away, as SoftHSM sees an HSM pulled out): the run
/// fails (exit 1) saying so, and the outputs stay as they were.
fn a_token_removed_in_the_middle_of_a_run_fails_it_and_keeps_the_outputs() {
    let zone = "removed.example";
    let site = Site::new(&config(true));
    let names: String = (0..20_000)
        .map(|i| format!("h{i} IN A 192.0.{}.{}\n", i / 250, i % 250))
        .collect();
    site.write_zone(zone, &zone_text(zone, 1, &names));
    site.run_ok(T0, &["-q"]);
    let outputs = || [site.signed(zone), site.ds(zone), site.state(zone)].map(|p| site.read(&p));
    let before = outputs();
    let tokens = token_dir().join("tokens");
    let [uuid] = &std::fs::read_dir(&tokens)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>()[..]
    else {
        panic!("one token directory wanted in {}", tokens.display());
    };
    let away = token_dir().join("pulled-out");
    // Ten days on, every signature is due for a refresh: about 40,000 in
    // the token, seconds of work; the token goes 0.6 s into it.
    let run = site
        .command(T0 + 10 * DAY, &["run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    std::fs::rename(uuid, &away).unwrap();
    let out = run.wait_with_output().unwrap();
    std::fs::rename(&away, uuid).unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAILED")
            && (text.contains("went away during the run") || text.contains("no token labelled")),
        "{text}"
    );
    assert!(outputs() == before, "outputs changed: {text}");
    eprintln!("token pulled out: {}", text.lines().next().unwrap_or(""));
    // Back in place, the next run signs.
    site.run_ok(T0 + 10 * DAY, &["-q"]);
}
