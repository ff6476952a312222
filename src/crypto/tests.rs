//! Every backend built in against every other: keys one makes load in the
//! others, signatures verify everywhere, and the deterministic schemes give
//! the same octets whichever backend signs.

use super::*;

const DATA: &[u8] = b"\x00\x01\x0d\x02\x00\x00\x0e\x10 RRSIG RDATA and an RRset, as signed";

fn algorithms() -> Vec<(SecurityAlgorithm, u32)> {
    let mut v = vec![
        (SecurityAlgorithm::RSASHA256, 2048),
        (SecurityAlgorithm::RSASHA512, 3072),
        (SecurityAlgorithm::ECDSAP256SHA256, 256),
        (SecurityAlgorithm::ECDSAP384SHA384, 384),
        (SecurityAlgorithm::ED25519, 256),
    ];
    if cfg!(feature = "openssl") {
        v.push((SecurityAlgorithm::ED448, 456));
    }
    v
}

/// Signs `DATA` with the key in every backend that takes it.
fn signatures(
    alg: SecurityAlgorithm,
    secret: &SecretKeyBytes,
    public: &[u8],
) -> Vec<(Backend, Vec<u8>)> {
    Backend::compiled()
        .into_iter()
        .filter_map(|b| KeyPair::load_with(b, alg, secret, public).ok())
        .map(|k| (k.backend(), k.sign(DATA).expect("sign")))
        .collect()
}

#[test]
fn every_backend_reads_every_backends_keys_and_signatures() {
    for (alg, bits) in algorithms() {
        for maker in Backend::compiled() {
            let Some(made) = generate_with(maker, alg, bits) else {
                continue;
            };
            let (secret, public) = made.expect("generate");
            assert_eq!(key_bits(alg, &public), Some(bits), "{alg} from {maker:?}");
            let sigs = signatures(alg, &secret, &public);
            let signers: Vec<_> = sigs.iter().map(|(b, _)| *b).collect();
            for b in preference(alg) {
                if b != Backend::RustCrypto {
                    assert!(
                        signers.contains(&b),
                        "{alg} from {maker:?}: {b:?} refused it"
                    );
                }
            }
            for (signer, sig) in &sigs {
                for checker in Backend::compiled() {
                    if let Some(ok) = verify_with(checker, alg, &public, DATA, sig) {
                        assert!(
                            ok,
                            "{alg} key from {maker:?} signed by {signer:?}: {checker:?} says bogus"
                        );
                        let mut bad = sig.clone();
                        bad[sig.len() / 2] ^= 1;
                        let tampered = verify_with(checker, alg, &public, DATA, &bad);
                        assert_eq!(
                            tampered,
                            Some(false),
                            "{checker:?} takes a tampered {alg} signature"
                        );
                    }
                }
            }
            if alg != SecurityAlgorithm::ECDSAP256SHA256
                && alg != SecurityAlgorithm::ECDSAP384SHA384
            {
                for (signer, sig) in &sigs {
                    assert_eq!(
                        sig, &sigs[0].1,
                        "{alg}: {signer:?} and {:?} differ",
                        sigs[0].0
                    );
                }
            }
        }
    }
}

#[test]
fn short_rsa_keys_still_sign_through_a_backend_that_takes_them() {
    let (secret, public) = legacy::generate(SecurityAlgorithm::RSASHA256, 1024)
        .expect("RSA")
        .expect("generate");
    let key = KeyPair::load(SecurityAlgorithm::RSASHA256, &secret, &public).expect("load");
    assert_ne!(
        key.backend(),
        Backend::AwsLc,
        "aws-lc-rs takes 2048 bits at least"
    );
    let sig = key.sign(DATA).expect("sign");
    assert!(verify(SecurityAlgorithm::RSASHA256, &public, DATA, &sig));
    let sigs = signatures(SecurityAlgorithm::RSASHA256, &secret, &public);
    assert!(sigs.iter().all(|(_, s)| s == &sig));
}

#[test]
fn a_key_that_does_not_match_its_dnskey_is_refused() {
    for alg in [
        SecurityAlgorithm::ED25519,
        SecurityAlgorithm::ECDSAP256SHA256,
    ] {
        let (secret, _) = generate(alg, 0).expect("generate");
        let (_, other) = generate(alg, 0).expect("generate");
        for b in Backend::compiled() {
            let loaded = KeyPair::load_with(b, alg, &secret, &other);
            assert!(loaded.is_err(), "{alg} {b:?}");
        }
    }
}

#[test]
fn rsa_public_key_fields() {
    assert_eq!(
        rsa_public(&[1, 3, 0xc0, 0xff]),
        Some((&[3u8][..], &[0xc0, 0xff][..]))
    );
    assert_eq!(
        rsa_public(&[0, 0, 1, 3, 0xc0]),
        Some((&[3u8][..], &[0xc0][..]))
    );
    assert_eq!(rsa_public(&[2, 3]), None);
    assert_eq!(rsa_public(&[]), None);
    assert_eq!(
        key_bits(SecurityAlgorithm::RSASHA256, &[1, 3, 0x01, 0xff]),
        Some(9)
    );
    let public = rsa_dnskey_public(&[0, 1, 0, 1], &[0, 0xc0, 0xff]);
    assert_eq!(public, [3, 1, 0, 1, 0xc0, 0xff]);
}
