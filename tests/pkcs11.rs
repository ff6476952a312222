//! The PKCS#11 key store against a real module: SoftHSMv2, with a token
//! made for these tests in a temporary directory. Keys are made in the
//! token, sign there from several threads at once, verify with the public
//! key the token gives, are found again by label and destroyed; a wrong
//! PIN, a missing module and a missing token are clear errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use domain::base::iana::SecurityAlgorithm;
use zonesign::crypto::pkcs11::Token;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "zonesign-test";
const PIN: &str = "1234";

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
        // SAFETY: set once, before any thread of this binary loads SoftHSM.
        unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
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

#[test]
fn keys_made_in_the_token_sign_verify_and_go() {
    a_wrong_pin_a_missing_module_and_a_missing_token_are_clear_errors();
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
        let again = token.find(alg, &label).expect("found by label");
        assert_eq!(again.public(), key.public());
        token.relabel(&again, "renamed", b"id2").expect("relabel");
        assert!(token.labels().unwrap().contains(&"renamed".to_string()));
        token.destroy("renamed").expect("destroy");
        let gone = token.find(alg, "renamed").err().expect("destroyed");
        assert!(gone.contains("0 private"), "{gone}");
        made += 1;
    }
    assert!(made >= 4, "SoftHSM made only {made} kinds of keys");
}

/// Before any login: PKCS#11 login state is per process, so a wrong PIN
/// can only be told once no session of the token is logged in.
fn a_wrong_pin_a_missing_module_and_a_missing_token_are_clear_errors() {
    let e = open("0000").err().expect("wrong PIN refused");
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
